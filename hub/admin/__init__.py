"""Admins: the text of every message the hub sends, and the development mailbox."""

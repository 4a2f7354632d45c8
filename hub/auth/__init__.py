"""Accounts, sign-in and who may see what."""

"""Messages to partners, referrers, clients and hub staff.

The outbox, its channels (email over SMTP, SMS through Twilio, a log channel) and dispatch are
built by the notifications issue; lifecycle changes will queue their messages here.
"""

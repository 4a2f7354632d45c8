"""What the hub tells people, and when, one module per audience: each builder makes one kind of
message (``notifications.kinds``) from its templates (``templates/notifications/<kind>.txt``
and ``.html`` for an email, ``<kind>_sms.txt`` for an SMS) and queues it in the outbox, in the
caller's transaction, under a key naming its cause so that it is queued once.

- ``rendering``: templates to text, outbox rows, links to the hub, dates in UK time.
- ``to_partners``: a new referral (email, and SMS to a duty number), a cancelled one, the
  one-time code for a signed link, the reminders to contact the client, the daily digest.
- ``to_referrers_and_clients``: the referrer hears their questionnaire has been passed on, and
  later that every referral is finished; the client, only if they asked to hear by SMS or
  email, which agencies will be in touch.
- ``to_hub_staff``: a message that failed for good, the SLA watch's forwarding warnings and
  breaches and contact escalations, and the daily follow-ups due.
- ``previews``: a sample of every kind on every channel, for the admins' page.

Each kind's text comes from one ``*_email``/``*_sms`` function of plain values, used both by
the real message and by its sample, so a sample can never drift from the real text.

A message carries a reference and a link, never the client's name, address, phone, postcode
or date of birth: the templates are given none of them, so they cannot show them.
"""

"""Messages to partners, referrers, clients and hub staff.

``kinds`` is the registry of every kind of message; ``messages`` builds them, one module per
audience, and queues them in the ``outbox``; ``dispatch`` sends what the outbox holds through
``channels`` (email over SMTP, SMS through Twilio, a log channel), and ``receipts`` applies
Twilio's delivery receipts. Views read from here; nothing here imports a view.
"""

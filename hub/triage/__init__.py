"""Hub staff: the triage queue, referral pages, forwarding and cancelling (``/hub/...``)."""

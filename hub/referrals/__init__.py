"""A referral's life: questionnaires in, client details, the lifecycle, the SLA clock and
follow-ups."""

"""A referral's life: questionnaires in, client details, new referrals (intake), the lifecycle
and its history (events), the SLA clock and overdue rules, follow-ups and the wellbeing
questions."""

"""Frontline staff completing the SAIL questionnaire with a client (``/questionnaires/...``)."""

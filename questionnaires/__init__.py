"""Questionnaires: yes/no question banks where each "yes" is a referral to a partner.

Pure Python (standard library only), so the rules can be used and tested without the hub.
"""

from questionnaires.engine import (
    AnswersInvalid,
    DefinitionError,
    Flag,
    Question,
    Questionnaire,
    Section,
    bank_path,
    load_bank,
    load_questionnaire,
)

__all__ = [
    "AnswersInvalid",
    "DefinitionError",
    "Flag",
    "Question",
    "Questionnaire",
    "Section",
    "bank_path",
    "load_bank",
    "load_questionnaire",
]

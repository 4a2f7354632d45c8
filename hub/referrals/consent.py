"""Whom a withdrawal of consent reaches: the questionnaire's own client, and those other
questionnaires hub staff confirm are about the same person.

Two questionnaires with the same name and date of birth (the client's ``match_key``) may be about
one person or about two: the records cannot tell. So the other questionnaires that look like the
same person are listed (``look_alikes``) for hub staff to tick, and none is included unless they
do. ``hub.referrals.lifecycle.withdraw_consent`` cancels the referrals; the hub's page and the
API offer the choice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from hub.extensions import db
from hub.models import Client, Referral, Submission
from hub.status import OPEN_STATUSES


@dataclass(frozen=True)
class LookAlike:
    """Another questionnaire recorded for the same name and date of birth."""

    submission: Submission
    open_referrals: list[Referral]


def open_referrals_of(submission: Submission) -> list[Referral]:
    """The questionnaire's referrals a withdrawal would cancel, in order."""
    return [referral for referral in submission.referrals if referral.status in OPEN_STATUSES]


def look_alikes(submission: Submission) -> list[LookAlike]:
    """Every other questionnaire whose client has the same name and date of birth, oldest first,
    with what hub staff need to tell whether it is the same person (the address, who referred
    them, when) loaded up front."""
    others = db.session.scalars(
        select(Submission)
        .join(Client, Submission.client_id == Client.id)
        .where(
            Client.match_key == submission.client.match_key,
            Submission.client_id != submission.client_id,
        )
        .order_by(Submission.received_at, Submission.id)
        .options(
            joinedload(Submission.client),
            joinedload(Submission.referrer_organisation),
            selectinload(Submission.referrals).joinedload(Referral.partner),
        )
    ).unique()
    return [LookAlike(other, open_referrals_of(other)) for other in others]


def chosen(offered: list[LookAlike], ids: Iterable[int]) -> tuple[list[Client], list[int]]:
    """The clients of the offered questionnaires whose ids hub staff chose, and the ids that
    were not offered (to be refused: nothing crosses to a questionnaire no one was shown)."""
    by_id = {look_alike.submission.id: look_alike.submission for look_alike in offered}
    ids = list(dict.fromkeys(ids))
    return [by_id[i].client for i in ids if i in by_id], [i for i in ids if i not in by_id]

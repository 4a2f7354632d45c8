"""Which other partner agencies can take a referral's need while it waits at the hub: what hub
staff may choose from when they change a referral's partner before forwarding it
(``hub.referrals.lifecycle.change_partner`` holds them to it, the referral page offers it).

The partners that can take a question for the client's borough are those the question names:
its default partner and the borough's own (``partners_by_borough``), and another borough's own
partner too if it covers the client's borough (``Organisation.areas``); and only while it is
active and taking referrals. A partner covering the borough for another need is not offered.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from hub.extensions import db
from hub.models import Area, Organisation, Referral
from hub.referrals.questionnaire_versions import definition_of


def other_partners(referral: Referral) -> list[Organisation]:
    """The partners, by name, that could take this referral instead of its own."""
    definition = definition_of(referral.submission.questionnaire_version)
    try:
        question = definition.question(referral.question_key)
    except KeyError:  # a question no longer in any bank: nobody else is known to take it
        return []
    borough = referral.submission.client.borough
    borough = borough.strip().lower() if borough else None
    routed = {question.partner, question.partner_for(borough)}
    elsewhere = set(question.partners_by_borough.values()) - routed
    can_take = Organisation.slug.in_(routed)
    if borough and elsewhere:
        covers = Organisation.areas.any(Area.slug == borough)
        can_take = or_(can_take, Organisation.slug.in_(elsewhere) & covers)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == "partner",
                Organisation.active.is_(True),
                Organisation.taking_referrals.is_(True),
                Organisation.id != referral.partner_id,
                can_take,
            )
            .order_by(Organisation.name)
        )
    )


def why_not(partner: Organisation, referral: Referral) -> str:
    """Why ``partner`` is not among ``other_partners``, in the words a refusal gives."""
    if partner.id == referral.partner_id:
        return f"Referral {referral.reference} already goes to {partner.name}: choose another"
    if partner.kind != "partner" or not partner.active:
        return "Choose an active partner agency"
    if not partner.taking_referrals:
        return f"{partner.name} is not taking referrals: choose another partner"
    return (
        f"{partner.name} does not take this need for the client’s borough: choose a partner "
        "from the list"
    )

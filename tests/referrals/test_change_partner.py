"""Changing a referral's partner before it is forwarded (``lifecycle.change_partner``), and the
partners hub staff may choose from (``hub.referrals.partner_choice``)."""

import pytest
from sqlalchemy import select, update

from hub.areas import find_area
from hub.extensions import db as _db
from hub.models import Referral, ReferralEvent
from hub.referrals import lifecycle
from hub.referrals.partner_choice import other_partners
from hub.status import Status
from tests.factories import submit, user
from tests.support import fresh, partner

pytestmark = pytest.mark.both_databases


def cover(slug: str, area: str):
    """The partner now covers the area (``Organisation.areas``)."""
    agency, covered = partner(slug), find_area(area)
    if covered not in agency.areas:
        agency.areas.append(covered)
    _db.session.flush()
    return agency


def slugs(partners) -> list[str]:
    return [each.slug for each in partners]


@pytest.fixture
def scams(db, demo_hub, now):
    """A scams flag for a Lambeth client: it goes to Lambeth Trading Standards."""
    referral = submit(user("frontline"), now, yes=("scams",)).referrals[0]
    db.session.commit()
    assert referral.partner.slug == "lambeth-trading-standards"
    return referral


def test_the_choice_is_the_partners_the_question_names_for_the_borough(db, scams):
    # The question's default partner; not Southwark's own, which covers only Southwark; and
    # not a partner covering Lambeth for other needs (Age UK Information and Advice does).
    cover("age-uk-information-advice", "lambeth")
    assert slugs(other_partners(scams)) == ["london-trading-standards"]
    # Another borough's own partner is offered once it covers the client's borough.
    southwark = cover("southwark-trading-standards", "lambeth")
    assert slugs(other_partners(scams)) == [
        "london-trading-standards",
        "southwark-trading-standards",
    ]
    # Only partners that are active and taking referrals.
    southwark.taking_referrals = False
    partner("london-trading-standards").active = False
    db.session.flush()
    assert other_partners(scams) == []


def test_changing_the_partner_keeps_the_deadline_and_is_in_the_history(db, scams, now):
    due = scams.forward_due_at
    changed = lifecycle.change_partner(
        scams, partner("london-trading-standards"), user("hub"), now, "Pan-London case"
    )
    db.session.commit()
    referral = fresh(changed)
    assert referral.partner.slug == "london-trading-standards"
    assert referral.status == Status.RECEIVED and referral.forward_due_at == due
    event = referral.events[-1]
    assert event.kind == "partner_changed"
    assert event.details == {
        "partner": "london-trading-standards",
        "previous_partner": "lambeth-trading-standards",
        "note": "Pan-London case",
    }
    # It can be forwarded to the new partner as usual.
    lifecycle.forward_referral(referral, user("hub"), now)
    assert referral.events[-1].details == {"partner": "london-trading-standards"}


def test_a_referral_held_for_a_paused_partner_is_released_by_the_change(db, demo_hub, now):
    partner("lambeth-trading-standards").taking_referrals = False
    referral = submit(user("frontline"), now, yes=("scams",)).referrals[0]
    db.session.commit()
    assert referral.hold_reason == "partner_paused"
    lifecycle.change_partner(referral, partner("london-trading-standards"), user("hub"), now)
    db.session.commit()
    assert fresh(referral).hold_reason is None
    lifecycle.forward_referral(fresh(referral), user("hub"), now)  # no longer held


def test_a_partner_not_on_the_list_is_refused_in_words(db, scams, now):
    for slug, words in (
        ("lambeth-trading-standards", "already goes to Lambeth Trading Standards"),
        ("southwark-trading-standards", "does not take this need for the client’s borough"),
    ):
        with pytest.raises(lifecycle.InvalidTransitionInput, match=words) as refused:
            lifecycle.change_partner(scams, partner(slug), user("hub"), now)
        assert refused.value.field == "partner"
    assert fresh(scams).partner.slug == "lambeth-trading-standards"


def test_only_before_forwarding(db, scams, now):
    lifecycle.forward_referral(scams, user("hub"), now)
    with pytest.raises(lifecycle.TransitionNotAllowed, match="cannot be given another partner"):
        lifecycle.change_partner(scams, partner("london-trading-standards"), user("hub"), now)


def test_of_two_changes_at_once_one_wins(db, scams, now):
    """Both were asked for from a page showing Lambeth Trading Standards: the second finds the
    partner changed and is refused, changing nothing."""
    seen = partner("lambeth-trading-standards")
    cover("southwark-trading-standards", "lambeth")
    lifecycle.change_partner(
        scams, partner("london-trading-standards"), user("hub"), now, seen=seen
    )
    db.session.commit()
    with pytest.raises(lifecycle.TransitionNotAllowed, match="has changed since you opened it"):
        lifecycle.change_partner(
            fresh(scams), partner("southwark-trading-standards"), user("hub"), now, seen=seen
        )
    db.session.rollback()
    assert fresh(scams).partner.slug == "london-trading-standards"
    kinds = db.session.scalars(
        select(ReferralEvent.kind).where(ReferralEvent.referral_id == scams.id)
    ).all()
    assert kinds.count("partner_changed") == 1


def test_the_conditional_update_refuses_a_row_changed_under_a_stale_copy(db, scams, now):
    """A path that forgot the lock and holds a stale copy still cannot change it twice."""
    stale = fresh(scams)
    db.session.execute(
        update(Referral)
        .where(Referral.id == scams.id)
        .values(partner_id=partner("london-trading-standards").id)
        .execution_options(synchronize_session=False)
    )
    cover("southwark-trading-standards", "lambeth")
    with pytest.raises(lifecycle.TransitionNotAllowed, match="has changed since you opened it"):
        lifecycle.change_partner(stale, partner("southwark-trading-standards"), user("hub"), now)

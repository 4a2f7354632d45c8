"""Who sees which referrals: the one definition the API and the pages share."""

from sqlalchemy import select

from hub.auth import accounts
from hub.auth.access import referrals_visible_to
from hub.models import Referral
from hub.referrals import lifecycle
from tests.factories import submit, user


def visible(db, who) -> set[str]:
    return set(db.session.scalars(select(Referral.reference).where(referrals_visible_to(who))))


def test_each_role_sees_what_it_should(db, demo_hub, now):
    mine = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    theirs = submit(user("hub"), now, yes=("smoke_alarms",))
    smoke, falls = mine.referrals
    lifecycle.forward_referral(smoke, user("hub"), now)
    other_smoke = theirs.referrals[0]
    lifecycle.cancel_referral(other_smoke, user("hub"), now, "Duplicate")  # never forwarded
    db.session.commit()
    everything = {smoke.reference, falls.reference, other_smoke.reference}

    for role in ("hub", "manager", "admin"):
        assert visible(db, user(role)) == everything
    # The fire brigade's partner user: only what was forwarded to the fire brigade.
    assert visible(db, user("partner")) == {smoke.reference}
    falls_team = accounts.create_user(
        "falls@example.org",
        "partner",
        accounts.find_organisation("nhs-falls-prevention"),
        "a-long-enough-password",
        now,
    )
    assert visible(db, falls_team) == set()  # its referral is still waiting at the hub
    # A referrer: the referrals from the questionnaires they submitted.
    assert visible(db, user("frontline")) == {smoke.reference, falls.reference}

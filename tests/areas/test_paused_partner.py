"""A partner that is not taking referrals: its new flags are held at the hub, marked for
re-routing, and never forwarded (not by the pages, "forward all" or the API) until re-routed or
the partner takes referrals again."""

from __future__ import annotations

import pytest

from hub.extensions import db as _db
from hub.models import Organisation, Referral
from hub.referrals import lifecycle
from hub.referrals.intake import PARTNER_PAUSED
from hub.status import Status
from partners.directory import partner_by_slug
from tests.api_support import bearer
from tests.factories import submit, user

pytestmark = pytest.mark.both_databases

FIRE = "lfb-home-fire-safety"  # where "smoke_alarms" goes
WAITING = "Waiting: partner paused, re-route it"


def pause(slug: str, taking: bool = False) -> Organisation:
    partner = partner_by_slug(slug)
    partner.taking_referrals = taking
    _db.session.commit()
    return partner


def held_submission(now):
    pause(FIRE)
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "falls"))
    _db.session.commit()
    held, other = submission.referrals
    return submission, held, other


def test_a_flag_for_a_paused_partner_is_held_with_an_event(db, demo_hub, now):
    _, held, other = held_submission(now)
    assert held.partner.slug == FIRE and held.status == Status.RECEIVED
    assert held.hold_reason == PARTNER_PAUSED
    assert [e.kind for e in held.events] == ["received", "held"]
    assert other.hold_reason is None and [e.kind for e in other.events] == ["received"]


def test_a_held_referral_is_never_forwarded(db, demo_hub, now):
    submission, held, other = held_submission(now)
    with pytest.raises(lifecycle.TransitionNotAllowed, match="is not taking referrals"):
        lifecycle.forward_referral(held, user("hub"), now)
    # Forward all sends the others and leaves the held one waiting...
    assert lifecycle.forward_all(submission, user("hub"), now) == [other]
    assert held.status == Status.RECEIVED and held.forwarded_at is None
    # ... and, with only the held one left, is refused.
    with pytest.raises(lifecycle.TransitionNotAllowed, match="Re-route it to another partner"):
        lifecycle.forward_all(submission, user("hub"), now)


def test_the_pages_and_the_api_refuse_to_forward_it_and_show_it_waiting(
    client, db, demo_hub, now, sign_in_as
):
    _, held, _ = held_submission(now)
    response = client.post(f"/api/v1/referrals/{held.id}/forward", headers=bearer("hub", now))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "transition_not_allowed"
    assert "is not taking referrals" in response.json["error"]["message"]
    shown = client.get(f"/api/v1/referrals/{held.id}", headers=bearer("hub", now)).json
    assert shown["hold_reason"] == PARTNER_PAUSED and shown["status"] == "received"

    sign_in_as("hub")
    queue = client.get("/hub/referrals").get_data(as_text=True)
    assert WAITING in queue
    page = client.get(f"/hub/referrals/{held.id}").get_data(as_text=True)
    assert WAITING in page and "Re-route to another partner" in page
    assert "Forward to London Fire Brigade" not in page
    response = client.post(f"/hub/referrals/{held.id}/forward")
    assert response.status_code == 409
    assert "is not taking referrals" in response.get_data(as_text=True)
    response = client.post(f"/hub/referrals/{held.id}/forward-all")
    assert response.status_code == 302  # the other flag went; the held one stays
    _db.session.expire_all()
    assert _db.session.get(Referral, held.id).status == Status.RECEIVED


def test_re_routing_it_makes_a_new_referral_without_the_hold(client, db, demo_hub, now, sign_in_as):
    _, held, _ = held_submission(now)
    sign_in_as("hub")
    form = client.get(f"/hub/referrals/{held.id}/reroute").get_data(as_text=True)
    assert "is not taking referrals" in form
    assert f'value="{FIRE}"' not in form  # a paused partner is not offered
    response = client.post(
        f"/hub/referrals/{held.id}/reroute", data={"partner": "age-uk-befriending", "note": ""}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    _db.session.expire_all()
    old = _db.session.get(Referral, held.id)
    new = lifecycle.rerouted_to(old)
    assert new.partner.slug == "age-uk-befriending" and new.hold_reason is None
    assert new.status == Status.RECEIVED and new.rerouted_from_id == old.id
    assert old.status == Status.CANCELLED and "is not taking referrals" in old.status_reason
    lifecycle.forward_referral(new, user("hub"), now)  # the new one goes as any other


def test_it_cannot_be_re_routed_to_a_paused_partner_or_when_not_held(db, demo_hub, now):
    submission, held, other = held_submission(now)
    pause("age-uk-befriending")
    with pytest.raises(lifecycle.InvalidTransitionInput, match="not taking referrals"):
        lifecycle.reroute_referral(held, partner_by_slug("age-uk-befriending"), None, now)
    with pytest.raises(lifecycle.TransitionNotAllowed, match="waiting to be forwarded"):
        lifecycle.reroute_referral(other, partner_by_slug("carers-support"), None, now)


def test_once_the_partner_takes_referrals_again_it_is_forwarded(db, demo_hub, now):
    _, held, _ = held_submission(now)
    pause(FIRE, taking=True)
    lifecycle.forward_referral(held, user("hub"), now)
    assert held.status == Status.FORWARDED and held.hold_reason is None


def test_the_queue_counts_them_and_filters_them(client, db, demo_hub, now, sign_in_as):
    _, held, other = held_submission(now)
    sign_in_as("hub")
    queue = client.get("/hub/referrals").get_data(as_text=True)
    assert "1 referral waits for a paused partner" in queue
    waiting = client.get("/hub/referrals?status=partner_paused").get_data(as_text=True)
    assert "1 referral waiting for a paused partner, to be re-routed" in waiting
    assert held.reference in waiting and other.reference not in waiting

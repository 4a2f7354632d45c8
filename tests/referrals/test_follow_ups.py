"""The hub's follow-up with the client: which questionnaires are due, recording the call with
the ONS wellbeing answers, referring again after a "no" or "partly", on the pages and the API."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import FollowUp, Referral, ReferralEvent, Submission, WellbeingScore
from hub.referrals import follow_ups, lifecycle, wellbeing
from hub.triage import queries
from tests.api_support import bearer, count
from tests.factories import submit, user
from tests.support import fresh

SCORES = {"life_satisfaction": 6, "worthwhile": 7, "happy": 5, "anxious": 3}
LATER = {"life_satisfaction": 8, "worthwhile": 7, "happy": 4, "anxious": 1}
YES = ("smoke_alarms", "falls", "lonely")  # lfb-home-fire-safety, nhs-falls-prevention, ...


def received(now, days=28, hours=0, **kwargs) -> Submission:
    """A questionnaire the hub received that long before ``now``."""
    return submit(user("frontline"), now - timedelta(days=days, hours=hours), **kwargs)


def record(submission, now, needs_met="partly", helped=("lfb-home-fire-safety",), **kwargs):
    kwargs.setdefault("notes", "Smoke alarms fitted; still worried about falling")
    kwargs.setdefault("wellbeing", None)
    return follow_ups.record_follow_up(
        submission, user("hub"), now, needs_met=needs_met, helped=list(helped), **kwargs
    )


def due_references(now, **kwargs) -> list[str]:
    return [row.reference for row in follow_ups.due_follow_ups(now, **kwargs).items]


# --- Which questionnaires are due -------------------------------------------------------------


def test_a_questionnaire_is_due_28_days_after_the_hub_received_it(db, demo_hub, now):
    not_yet = received(now, days=27, hours=23)
    due = received(now, days=28)
    assert due.follow_up_due_at == now
    assert due_references(now) == [due.reference]
    assert due_references(now + timedelta(hours=1)) == [due.reference, not_yet.reference]


def test_the_longest_due_come_first_a_page_at_a_time(db, demo_hub, now):
    newer, oldest, middle = received(now, days=29), received(now, days=40), received(now, 35)
    db.session.commit()
    assert due_references(now) == [oldest.reference, middle.reference, newer.reference]
    page = follow_ups.due_follow_ups(now, page=2, size=2)
    assert [s.reference for s in page.items] == [newer.reference]
    assert (page.total, page.pages, page.first_item) == (3, 2, 3)
    with pytest.raises(follow_ups.PageNotFound):
        follow_ups.due_follow_ups(now, page=3, size=2)


def test_recorded_and_consent_withdrawn_questionnaires_leave_the_list(db, demo_hub, now):
    recorded, due = received(now, 30), received(now, 29)
    withdrawn = received(now, 31, given_name="Winifred")  # another person
    record(recorded, now)
    lifecycle.withdraw_consent(withdrawn.client, user("hub"), now, "Asked us to stop")
    db.session.commit()
    assert due_references(now) == [due.reference]
    assert [f.submission.reference for f in follow_ups.recent_follow_ups()] == [recorded.reference]


# --- Recording the call -----------------------------------------------------------------------


def test_recording_a_follow_up_with_wellbeing(db, demo_hub, now):
    submission = received(now)
    result = record(submission, now, helped=["lfb-home-fire-safety", "nhs-falls-prevention"],
                    wellbeing=SCORES)  # fmt: skip
    db.session.commit()
    follow_up = fresh(submission).follow_up
    assert (follow_up.needs_met, follow_up.recorded_at, follow_up.recorded_by.email) == (
        "partly",
        now,
        "hub@demo.sail.example",
    )
    assert follow_up.helped == ["lfb-home-fire-safety", "nhs-falls-prevention"]
    assert follow_up.notes == "Smoke alarms fitted; still worried about falling"
    [row] = fresh(submission).wellbeing
    assert row.stage == "follow_up" and wellbeing.scores_of(row) == SCORES
    assert result.referrals == []


def test_recording_without_wellbeing_stores_no_scores(db, demo_hub, now):
    submission = received(now)
    record(submission, now, needs_met="yes", helped=(), notes=None)
    db.session.commit()
    assert fresh(submission).follow_up.helped == []
    assert count(WellbeingScore) == 0


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"wellbeing": {"life_satisfaction": 6, "happy": 5}}, ["wellbeing.worthwhile",
                                                               "wellbeing.anxious"]),
        ({"wellbeing": {**SCORES, "happy": 11}}, ["wellbeing.happy"]),
        ({"wellbeing": {**SCORES, "anxious": -1}}, ["wellbeing.anxious"]),
        ({"needs_met": "mostly"}, ["needs_met"]),
        ({"needs_met": None}, ["needs_met"]),
        ({"helped": ["age-uk-befriending", "southwark-carers"]}, ["helped"]),
        ({"notes": "x" * 2001}, ["notes"]),
        ({"needs_met": "maybe", "wellbeing": {"happy": 3}},
         ["needs_met", "wellbeing.life_satisfaction", "wellbeing.worthwhile",
          "wellbeing.anxious"]),
    ],
)  # fmt: skip
def test_bad_details_are_refused_all_at_once_and_nothing_is_recorded(
    db, demo_hub, now, changes, fields
):
    submission = received(now, yes=("smoke_alarms", "lonely"))
    arguments = {"needs_met": "partly", "helped": ["lfb-home-fire-safety"], **changes}
    with pytest.raises(follow_ups.FollowUpInvalid) as refused:
        record(submission, now, **arguments)
    assert sorted(refused.value.errors) == sorted(fields)
    db.session.rollback()
    assert count(FollowUp) == 0 and count(WellbeingScore) == 0


def test_a_second_follow_up_is_refused(db, demo_hub, now):
    submission = received(now)
    record(submission, now)
    db.session.commit()
    with pytest.raises(follow_ups.FollowUpRefused, match="already recorded"):
        record(submission, now + timedelta(hours=1), needs_met="yes")
    db.session.rollback()
    assert count(FollowUp) == 1 and fresh(submission).follow_up.needs_met == "partly"


def test_a_client_who_withdrew_consent_is_not_followed_up(db, demo_hub, now):
    submission = received(now)
    lifecycle.withdraw_consent(submission.client, user("hub"), now, "Asked us to stop")
    db.session.commit()
    with pytest.raises(follow_ups.FollowUpRefused, match="withdrew consent"):
        record(submission, now)


def test_wellbeing_at_the_questionnaire_and_the_follow_up_shows_the_change(db, demo_hub, now):
    submission = received(now)
    follow_ups.record_wellbeing(submission, "questionnaire", SCORES, user("frontline"), now)
    record(submission, now, wellbeing=LATER)
    db.session.commit()
    changes = {c.key: c for c in wellbeing.wellbeing_changes(fresh(submission))}
    assert (changes["life_satisfaction"].change, changes["life_satisfaction"].in_words) == (
        2,
        "Up 2",
    )
    assert changes["worthwhile"].in_words == "No change"
    assert changes["anxious"].in_words == "Down 2"
    with pytest.raises(follow_ups.FollowUpRefused):
        follow_ups.record_wellbeing(submission, "questionnaire", SCORES, user("hub"), now)


# --- Referring again --------------------------------------------------------------------------


def test_referring_again_creates_received_referrals_with_a_fresh_forwarding_deadline(
    db, demo_hub, now
):
    submission = received(now, yes=YES)
    for referral in submission.referrals:
        lifecycle.forward_referral(referral, user("hub"), now - timedelta(days=27))
    falls = next(r for r in submission.referrals if r.question_key == "falls")
    lifecycle.record_contact(falls, user("hub"), now - timedelta(days=20))
    lifecycle.close_referral(falls, user("hub"), now - timedelta(days=10), "client_declined")
    record(submission, now, needs_met="no")
    later = now + timedelta(minutes=5)
    created = follow_ups.refer_again(submission, ["falls", "smoking"], user("hub"), later)
    db.session.commit()

    assert [(r.reference, r.question_key, r.partner.slug, r.status) for r in created] == [
        (f"{submission.reference}-04", "falls", "nhs-falls-prevention", "received"),
        (f"{submission.reference}-05", "smoking", "stop-smoking-service", "received"),
    ]
    assert all(r.received_at == later and r.forward_due_at == later + timedelta(hours=24)
               for r in created)  # fmt: skip
    events = db.session.scalars(
        select(ReferralEvent).where(ReferralEvent.referral_id.in_([r.id for r in created]))
    ).all()
    assert {e.details.get("source") for e in events} == {"follow_up"}
    queue = queries.queue(queries.QueueFilters(), later)
    assert {row.referral.reference for row in queue.items} == {r.reference for r in created}


def test_a_question_still_open_is_not_referred_again(db, demo_hub, now):
    submission = received(now, yes=YES)
    record(submission, now, needs_met="partly")
    with pytest.raises(follow_ups.FollowUpInvalid) as refused:
        follow_ups.refer_again(submission, ["smoking", "falls"], user("hub"), now)
    assert "still open" in refused.value.errors["refer_again"]
    assert f"{submission.reference}-02" in refused.value.errors["refer_again"]
    with pytest.raises(follow_ups.FollowUpInvalid) as refused:
        follow_ups.refer_again(submission, ["no_such_question"], user("hub"), now)
    assert "not a question" in refused.value.errors["refer_again"]
    with pytest.raises(follow_ups.FollowUpInvalid):
        follow_ups.refer_again(submission, [], user("hub"), now)
    assert count(Referral) == 3


def test_referring_again_needs_a_no_or_partly_follow_up(db, demo_hub, now):
    submission = received(now)
    with pytest.raises(follow_ups.FollowUpRefused, match="Record the follow-up"):
        follow_ups.refer_again(submission, ["smoking"], user("hub"), now)
    record(submission, now, needs_met="yes")
    with pytest.raises(follow_ups.FollowUpRefused, match="needs were met"):
        follow_ups.refer_again(submission, ["smoking"], user("hub"), now)


def test_refer_again_goes_to_the_partner_for_the_clients_borough(db, demo_hub, now):
    submission = received(now, borough="southwark")
    record(submission, now, needs_met="no", helped=())
    [scams] = follow_ups.refer_again(submission, ["scams"], user("hub"), now)
    assert scams.partner.slug == "southwark-trading-standards"


# --- The pages --------------------------------------------------------------------------------


@pytest.fixture
def today():
    """The pages and the API ask the real clock, as they do in use."""
    return utcnow()


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def error_hrefs(response) -> list[str]:
    body = response.get_data(as_text=True).split('govuk-error-summary__list"', 1)[1]
    return re.findall(r'href="([^"]+)"', body.split("</ul>", 1)[0])


def form(**overrides) -> dict:
    data = {
        "needs_met": "partly",
        "helped": ["lfb-home-fire-safety"],
        "notes": "Alarms fitted",
        "wellbeing_agreed": "yes",
        **{key: str(value) for key, value in LATER.items()},
    }
    data.update(overrides)
    return data


def test_the_follow_up_list_shows_what_is_due(client, sign_in_as, today):
    sign_in_as("hub")
    due = received(today, days=30)
    received(today, days=1)
    _db.session.commit()
    page = html(client.get("/hub/follow-ups"))
    assert "1 questionnaire due a follow-up" in page
    assert due.reference in page and "Edna Clarke" in page and "020 7946 0123" in page
    assert f'href="/hub/follow-ups/{due.id}"' in page
    assert '3 <strong class="govuk-tag govuk-tag--blue">Received</strong>' in page
    assert "No follow-ups have been recorded yet" in page
    assert 'href="/hub/follow-ups"' in page  # the navigation
    assert client.get("/hub/follow-ups?page=9").status_code == 404


@pytest.mark.both_databases  # locks the questionnaire: FOR UPDATE OF
def test_recording_on_the_page_then_referring_again(client, sign_in_as, now):
    sign_in_as("hub")
    submission = received(now, days=30)
    follow_ups.record_wellbeing(submission, "questionnaire", SCORES, user("frontline"), now)
    _db.session.commit()
    url = f"/hub/follow-ups/{submission.id}"
    page = html(client.get(url))
    for text in (
        "Follow up with Edna Clarke",
        "Were the client’s needs met?",
        "Which agencies helped?",
        "London Fire Brigade",
        "Does the client agree to answer four questions about their wellbeing?",
        "Overall, how anxious did you feel yesterday?",
        f"{submission.reference}-02",
    ):
        assert text in page, text

    response = client.post(url, data=form())
    assert response.headers["Location"] == f"{url}/recorded"
    recorded = html(client.get(f"{url}/recorded"))
    assert "Follow-up recorded for questionnaire" in recorded
    assert "Partly" in recorded and "Alarms fitted" in recorded
    assert "Up 2" in recorded and "Down 2" in recorded and "No change" in recorded
    assert "Refer the client again" in recorded
    assert "Refers them to Stop Smoking" in recorded
    assert "Not offered, because a referral for them is still open" in recorded
    assert client.get(url).headers["Location"] == f"{url}/recorded"

    response = client.post(f"{url}/refer-again", data={"questions": ["smoking", "memory"]})
    assert response.headers["Location"] == f"{url}/recorded"
    flashed = html(client.get(f"{url}/recorded"))
    assert f"2 new referrals for the hub to forward: {submission.reference}-04" in flashed
    assert count(Referral) == 5

    refused = client.post(f"{url}/refer-again", data={"questions": ["smoking"]})
    assert refused.status_code == 200 and error_hrefs(refused) == ["#questions"]
    assert "still open" in html(refused)
    assert client.post(url, data=form()).status_code == 409  # a second follow-up


def test_the_record_page_explains_every_problem_and_keeps_every_answer(client, sign_in_as, now):
    sign_in_as("hub")
    submission = received(now, days=30)
    _db.session.commit()
    url = f"/hub/follow-ups/{submission.id}"
    response = client.post(
        url, data=form(needs_met="", happy="", anxious="", notes="Spoke to her daughter")
    )
    assert response.status_code == 200
    assert error_hrefs(response) == ["#needs_met", "#happy", "#anxious"]
    page = html(response)
    assert "<title>Error: Follow-up for" in page
    assert "Select whether the client’s needs were met" in page
    assert "Select a score from 0 to 10 for “Overall, how happy did you feel yesterday?”" in page
    assert "Spoke to her daughter</textarea>" in page
    assert 'value="lfb-home-fire-safety" checked' in page
    assert 'name="life_satisfaction" type="radio" value="8" checked' in page
    assert count(FollowUp) == 0

    response = client.post(url, data=form(wellbeing_agreed="no", happy="", anxious=""))
    assert response.headers["Location"] == f"{url}/recorded"
    assert count(WellbeingScore) == 0
    page = html(client.get(f"{url}/recorded"))
    assert "did not answer the wellbeing questions" in page


@pytest.mark.parametrize("role", ["frontline", "partner"])
def test_frontline_and_partner_users_may_not_see_follow_ups(client, sign_in_as, now, role):
    submission = received(now)
    _db.session.commit()
    sign_in_as(role)
    base = f"/hub/follow-ups/{submission.id}"
    for url in ("/hub/follow-ups", base, f"{base}/recorded"):
        assert client.get(url).status_code == 403, url
    assert client.post(base, data=form()).status_code == 403
    assert client.post(f"{base}/refer-again", data={"questions": ["smoking"]}).status_code == 403
    assert count(FollowUp) == 0


def test_managers_may_look_but_not_record(client, sign_in_as, now):
    submission = received(now)
    _db.session.commit()
    sign_in_as("manager")
    assert client.get("/hub/follow-ups").status_code == 200
    page = html(client.get(f"/hub/follow-ups/{submission.id}"))
    assert "Only hub staff can record a follow-up" in page and "Save follow-up" not in page
    assert client.post(f"/hub/follow-ups/{submission.id}", data=form()).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_hub):
    response = client.get("/hub/follow-ups")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/hub/follow-ups/1").headers["Location"].startswith("/login")


def test_an_unknown_questionnaire_is_not_found(client, sign_in_as):
    sign_in_as("hub")
    assert client.get("/hub/follow-ups/999").status_code == 404
    assert client.post("/hub/follow-ups/999", data=form()).status_code == 404


# --- The API ----------------------------------------------------------------------------------


def test_the_api_lists_due_follow_ups_a_page_at_a_time(client, demo_hub, today):
    now = today.replace(microsecond=0)
    received(now, days=1)  # not due yet
    first = received(now, days=100)
    second = received(now, days=90)
    third = received(now, days=80)
    record(third, now)
    _db.session.commit()
    headers = bearer("hub", now)
    answer = client.get("/api/v1/follow-ups?limit=1", headers=headers).get_json()
    [item] = answer["items"]
    assert item == {
        "id": first.id,
        "reference": first.reference,
        "received_at": (now - timedelta(days=100)).isoformat() + "Z",
        "follow_up_due_at": (now - timedelta(days=72)).isoformat() + "Z",
        "referrals": [
            {"reference": r.reference, "partner": r.partner.slug, "status": "received",
             "outcome": None}
            for r in first.referrals
        ],
    }  # fmt: skip
    assert answer["next"].endswith(f"/api/v1/follow-ups?limit=1&after={first.id}")
    answer = client.get(answer["next"], headers=headers).get_json()
    assert [i["reference"] for i in answer["items"]] == [second.reference]
    assert answer["next"] is None
    assert client.get("/api/v1/follow-ups?limit=0", headers=headers).status_code == 422


@pytest.mark.both_databases  # locks the questionnaire: FOR UPDATE OF
def test_the_api_records_a_follow_up_with_wellbeing_and_refers_again(client, demo_hub, now):
    submission = received(now)
    _db.session.commit()
    body = {
        "needs_met": "no",
        "helped": [],
        "notes": "Nobody came",
        "wellbeing": LATER,
        "refer_again": ["smoking"],
    }
    response = client.post(
        f"/api/v1/submissions/{submission.id}/follow-up", json=body, headers=bearer("hub", now)
    )
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["reference"] == submission.reference and answer["needs_met"] == "no"
    assert answer["helped"] == [] and answer["notes"] == "Nobody came"
    assert answer["wellbeing"] == LATER
    [new] = answer["referrals"]
    assert new["reference"] == f"{submission.reference}-04" and new["status"] == "received"
    assert new["question"] == "smoking"
    assert count(Referral) == 4 and count(WellbeingScore) == 1

    again = client.post(
        f"/api/v1/submissions/{submission.id}/follow-up", json=body, headers=bearer("hub", now)
    )
    assert again.status_code == 409
    assert "already recorded" in again.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"helped": []}, ["needs_met"]),
        ({"needs_met": "yes"}, ["helped"]),
        ({"needs_met": "sort of", "helped": ["nobody"]}, ["needs_met", "helped"]),
        ({"needs_met": "yes", "helped": [], "wellbeing": {"happy": 12}},
         ["wellbeing.life_satisfaction", "wellbeing.worthwhile", "wellbeing.happy",
          "wellbeing.anxious"]),
        ({"needs_met": "yes", "helped": [], "wellbeing": {}}, ["wellbeing"]),
        ({"needs_met": "yes", "helped": [], "refer_again": ["smoking"]}, ["refer_again"]),
        ({"needs_met": "no", "helped": [], "refer_again": ["falls"]}, ["refer_again"]),
        ({"needs_met": "no", "helped": [], "refer_again": "falls"}, ["refer_again"]),
        ({"needs_met": 1, "helped": [], "notes": 5}, ["needs_met", "notes"]),
    ],
)  # fmt: skip
def test_the_api_refuses_bad_follow_ups_and_changes_nothing(client, demo_hub, now, body, fields):
    submission = received(now)
    _db.session.commit()
    response = client.post(
        f"/api/v1/submissions/{submission.id}/follow-up", json=body, headers=bearer("hub", now)
    )
    assert response.status_code == 422, response.get_json()
    assert sorted(response.get_json()["error"]["fields"]) == sorted(fields)
    assert count(FollowUp) == 0 and count(WellbeingScore) == 0 and count(Referral) == 3


def test_the_api_answers_404_for_an_unknown_submission(client, demo_hub, now):
    response = client.post(
        "/api/v1/submissions/999/follow-up",
        json={"needs_met": "yes", "helped": []},
        headers=bearer("hub", now),
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["frontline", "partner", "manager", "admin"])
def test_only_hub_staff_use_the_follow_up_api(client, demo_hub, now, role):
    submission = received(now)
    _db.session.commit()
    headers = bearer(role, now)
    assert client.get("/api/v1/follow-ups", headers=headers).status_code == 403
    response = client.post(
        f"/api/v1/submissions/{submission.id}/follow-up",
        json={"needs_met": "yes", "helped": []},
        headers=headers,
    )
    assert response.status_code == 403
    assert client.get("/api/v1/follow-ups").status_code == 401
    assert count(FollowUp) == 0


def test_hub_staff_and_managers_find_the_follow_ups_in_the_navigation(client, sign_in_as):
    sign_in_as("manager")
    page = client.get("/hub/referrals").get_data(as_text=True)
    assert 'href="/hub/follow-ups"' in page

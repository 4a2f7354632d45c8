"""Changes made at the same moment, against a real server: gunicorn with four worker processes,
on a SQLite file and on PostgreSQL (docs/design.md, "Data": one rule for concurrent changes).

Each test lines its requests up behind a ``threading.Barrier`` and sends them at once through
the JSON API with bearer tokens (no CSRF), or through the signed-link page for one-time codes.
Whatever the order the server takes them in, a change is decided once: one wins, the others
answer 409 (or the page's refusal), never 500, and the rows carry only what the winners did.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from hub.clock import utcnow
from hub.extensions import db as _db
from hub.models import FollowUp, PartnerLinkCode, Referral, ReferralEvent
from hub.referrals import lifecycle
from partners import links
from tests.api_support import bearer
from tests.conftest import TEST_CONFIG
from tests.factories import submit, user

pytestmark = [pytest.mark.both_databases, pytest.mark.committed]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4


@pytest.fixture(scope="module")
def server(backend):
    """The hub under gunicorn (four worker processes) on this backend's committed database, one
    per test module and backend. Yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": backend.urls["plain"],
        "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "HUB_BASE_URL": TEST_CONFIG["HUB_BASE_URL"],
        "HUB_PASSWORD_HASH_METHOD": TEST_CONFIG["PASSWORD_HASH_METHOD"],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--preload",
            "--log-level",
            "info",
            "hub:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    booted, seen = 0, []
    for line in process.stderr:  # ready once every worker has said it booted
        seen.append(line)
        booted += "Booting worker" in line
        if booted == WORKERS:
            break
    else:
        pytest.fail("gunicorn did not start:\n" + "".join(seen[-30:]))
    # Keep reading its log, so a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


def at_once(requests_to_send: list) -> list[requests.Response]:
    """Send every request (a function of no arguments) at the same moment, one thread each."""
    barrier = threading.Barrier(len(requests_to_send))

    def send(request):
        barrier.wait(timeout=30)
        return request()

    # The test's own transaction would hold SQLite's write lock: end it before the server works.
    _db.session.commit()
    with ThreadPoolExecutor(max_workers=len(requests_to_send)) as pool:
        responses = list(pool.map(send, requests_to_send))
    _db.session.expire_all()
    return responses


def post(server: str, path: str, headers: dict, body: dict | None = None):
    return lambda: requests.post(f"{server}/api/v1{path}", json=body or {}, headers=headers)


def statuses(responses) -> Counter:
    return Counter(response.status_code for response in responses)


def events(referral: Referral, kind: str) -> int:
    return _db.session.scalar(
        select(func.count())
        .select_from(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id, ReferralEvent.kind == kind)
    )


def fresh(referral: Referral) -> Referral:
    return _db.session.scalar(
        select(Referral).where(Referral.id == referral.id).execution_options(populate_existing=True)
    )


@pytest.fixture
def received(db, demo_hub, now):
    """A fire-safety referral waiting at the hub."""
    submission = submit(user("frontline"), now, yes=("smoke_alarms",))
    db.session.commit()
    return submission.referrals[0]


@pytest.fixture
def forwarded(db, received, now):
    lifecycle.forward_referral(received, user("hub"), now)
    db.session.commit()
    return received


def test_twenty_forwards_at_once_forward_once(server, received, now):
    hub = bearer("hub", now)
    responses = at_once([post(server, f"/referrals/{received.id}/forward", hub)] * 20)
    assert statuses(responses) == {200: 1, 409: 19}, [r.text[:200] for r in responses]
    assert events(received, "forwarded") == 1
    assert fresh(received).status == "forwarded"


def test_twenty_re_routes_at_once_make_one_new_referral(server, forwarded, now):
    lifecycle.decline_referral(forwarded, user("partner"), now, "No capacity this month")
    hub = bearer("hub", now)
    body = {"partner": "age-uk-befriending"}
    responses = at_once([post(server, f"/referrals/{forwarded.id}/reroute", hub, body)] * 20)
    assert statuses(responses) == {201: 1, 409: 19}, [r.text[:200] for r in responses]
    rerouted = _db.session.scalars(
        select(Referral).where(Referral.rerouted_from_id == forwarded.id)
    ).all()
    assert len(rerouted) == 1
    assert events(forwarded, "rerouted") == 1
    refused = [r.json()["error"]["message"] for r in responses if r.status_code == 409]
    assert all("already been re-routed" in message for message in refused)


def test_decline_cancel_and_accept_at_once_leave_only_the_winners_stamps(server, forwarded, now):
    partner, hub = bearer("partner", now), bearer("hub", now)
    path = f"/referrals/{forwarded.id}"
    sent = (
        [post(server, path + "/accept", partner)] * 5
        + [post(server, path + "/decline", partner, {"reason": "No capacity"})] * 5
        + [post(server, path + "/cancel", hub, {"reason": "Client moved away"})] * 5
    )
    responses = at_once(sent)
    won = {
        action: sum(r.status_code == 200 for r in responses[i * 5 : i * 5 + 5])
        for i, action in enumerate(("accept", "decline", "cancel"))
    }
    assert set(statuses(responses)) <= {200, 409}, [r.text[:200] for r in responses]
    # Accepting may come before a decline or a cancel (both are allowed once accepted), but
    # each change happens at most once, and a decline and a cancel never both.
    assert max(won.values()) == 1 and won["decline"] + won["cancel"] == 1
    row = fresh(forwarded)
    assert row.status == ("declined" if won["decline"] else "cancelled")
    assert (row.accepted_at is not None, row.declined_at is not None) == (
        bool(won["accept"]),
        bool(won["decline"]),
    )
    assert (row.cancelled_at is not None) == bool(won["cancel"])
    for action, kind in (("accept", "accepted"), ("decline", "declined"), ("cancel", "cancelled")):
        assert events(forwarded, kind) == won[action]


def test_twenty_follow_ups_at_once_are_recorded_once(server, received, now):
    submission = received.submission
    hub = bearer("hub", now)
    body = {"needs_met": "no", "helped": [], "refer_again": ["falls"]}
    path = f"/submissions/{submission.id}/follow-up"
    responses = at_once([post(server, path, hub, body)] * 20)
    assert statuses(responses) == {201: 1, 409: 19}, [r.text[:200] for r in responses]
    assert (
        _db.session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .where(FollowUp.submission_id == submission.id)
        )
        == 1
    )
    references = _db.session.scalars(
        select(Referral.reference).where(Referral.submission_id == submission.id)
    ).all()
    assert sorted(references) == [f"{submission.reference}-01", f"{submission.reference}-02"]


def test_sixty_wrong_codes_at_once_check_no_more_than_the_limit(server, db, demo_hub):
    # Signed links and codes expire by the real clock, as the server reads it.
    moment = utcnow()
    submission = submit(user("frontline"), moment, yes=("falls",))
    (falls,) = submission.referrals
    lifecycle.forward_referral(falls, user("hub"), moment)
    code, plain = links.issue_code(falls, moment)
    db.session.commit()
    wrong = f"{(int(plain) + 1) % 10**links.CODE_DIGITS:0{links.CODE_DIGITS}d}"
    page = f"{server}{links.link_path(falls, moment)}/code"

    def visitor():
        browser = requests.Session()
        form = browser.get(page)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
        assert token, form.text[:500]
        return lambda: browser.post(page, data={"csrf_token": token[1], "code": wrong})

    responses = at_once([visitor() for _ in range(60)])
    assert all(response.status_code < 500 for response in responses)
    # Each checked guess is told how many tries are left: 4, 3, 2, 1, then locked.
    left = sorted(
        int(match[1])
        for response in responses
        for match in [re.search(r"You have (\d) more tr", response.text)]
        if match
    )
    assert left == [1, 2, 3, 4]
    row = db.session.get(PartnerLinkCode, code.id, populate_existing=True)
    assert row.failed_guesses == links.CODE_GUESSES and row.used_at is None


def test_a_re_route_and_a_follow_up_at_once_number_their_referrals_apart(server, db, demo_hub, now):
    """A re-route locks the declined referral, a follow-up the questionnaire: both add a
    referral to the same questionnaire, and each takes its own reference."""
    declined = []
    for _ in range(8):
        (referral,) = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals
        lifecycle.forward_referral(referral, user("hub"), now)
        lifecycle.decline_referral(referral, user("partner"), now, "No capacity this month")
        declined.append(referral)
    hub = bearer("hub", now)
    sent = []
    for referral in declined:
        sent.append(
            post(
                server, f"/referrals/{referral.id}/reroute", hub, {"partner": "age-uk-befriending"}
            )
        )
        sent.append(
            post(
                server,
                f"/submissions/{referral.submission_id}/follow-up",
                hub,
                {"needs_met": "no", "helped": [], "refer_again": ["falls"]},
            )
        )
    responses = at_once(sent)
    assert statuses(responses) == {201: 16}, [r.text[:200] for r in responses]
    for referral in declined:
        references = _db.session.scalars(
            select(Referral.reference).where(Referral.submission_id == referral.submission_id)
        ).all()
        base = referral.submission.reference
        assert sorted(references) == [f"{base}-01", f"{base}-02", f"{base}-03"]

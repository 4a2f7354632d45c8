"""Retention (``hub.people.anonymise``): past ``HUB_RETENTION_MONTHS`` after a person's last
referral ended, their personal details are gone from every table, and every figure managers see
is exactly what it was; stale drafts are deleted."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import JSON, String, Text, select

from hub.demo import history
from hub.extensions import db as _db
from hub.figures import exports, report, stored
from hub.figures.export_rows import referral_rows, referral_snapshot
from hub.figures.filters import Filters
from hub.frontline import drafts
from hub.jobs import schedule
from hub.models import Client, JobMark, QuestionnaireDraft
from hub.people import anonymise
from hub.referrals import questionnaire_versions
from hub.referrals.client_details import clean_client_details
from tests.factories import client_details, user

NOW = datetime(2026, 3, 2, 9, 0)
WHOLE = Filters(date(2022, 1, 1), date(2026, 3, 2))
EXPORT_KEY = b"export key for the test"


def _every_figure() -> dict:
    """Every managers' figure: the dashboard's (whole period, and by borough and by partner),
    the stats API's, the figures export's rows; and the pseudonymised referral rows but for
    their pseudonym."""
    figures = {}
    for name, filters in {
        "whole": WHOLE,
        "lambeth": Filters(WHOLE.start, WHOLE.end, borough="lambeth"),
        "2023": Filters(date(2023, 1, 1), date(2023, 12, 31)),
        "fire": Filters(WHOLE.start, WHOLE.end, partner="lfb-home-fire-safety"),
    }.items():
        shown = report.figures(_db.session, filters, NOW)
        figures[name] = shown
        figures[f"{name} csv"] = exports.figure_rows(shown)
        figures[f"{name} api"] = report.turnaround(_db.session, filters, NOW)
    snapshot = referral_snapshot(WHOLE)
    figures["rows"] = [row[:2] + row[3:] for row in referral_rows(WHOLE, NOW, EXPORT_KEY, snapshot)]
    return figures


def _texts(only: tuple[str, ...] = ()) -> list[str]:
    """Every value of every text column (JSON as its text) of every table (or these)."""
    found = []
    for table in _db.metadata.sorted_tables:
        if only and table.name not in only:
            continue
        columns = [c for c in table.c if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in _db.session.execute(select(*columns)):
            found += [str(value) for value in row if value is not None]
    return found


def _found(secrets: set[str], texts: list[str]) -> set[str]:
    """Those of ``secrets`` in any of ``texts`` as whole words ("John" is not in "Johnson")."""
    if not secrets:
        return set()
    longest_first = sorted(secrets, key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, longest_first))})(?!\w)")
    found = set()
    for text in texts:
        found.update(pattern.findall(text))
    return found


def _identifiers(client: Client) -> set[str]:
    return {
        client.given_name,
        client.family_name,
        client.full_name,
        client.address,
        client.postcode,
        client.phone,
        client.email,
        client.contact_times,
        client.date_of_birth.isoformat(),
        client.match_key,
    } - {None}


@pytest.mark.committed  # the pseudonymised rows are read on connections of their own
@pytest.mark.both_databases  # the figures' triggers and stored counts differ
def test_retention_leaves_every_figure_and_nothing_of_the_people_past_it(db, app):
    history.ensure_demo_hub(NOW - timedelta(days=40 * 31))
    history.generate_history(400, NOW, months=40, seed=3)
    stored.refresh(db.session)
    db.session.commit()
    cutoff = datetime(2024, 3, 2, 9, 0)  # 24 months before
    before = _every_figure()
    people = {client.id: _identifiers(client) for client in db.session.scalars(select(Client))}
    staff = _texts(("user", "organisation", "questionnaire_version"))

    summary = dict(schedule.run_due(NOW))["retention"]

    gone = set(db.session.scalars(select(Client.id).where(Client.anonymised_at.is_not(None))))
    kept = set(people) - gone
    assert summary["people anonymised"] == len(gone) > 20
    assert len(kept) > 20
    # Nothing of a person past the cut-off, but what they share with someone still kept (the
    # same first name, say).
    still_held = set().union(*(people[id] for id in kept))
    secrets = set().union(*(people[id] for id in gone)) - still_held
    secrets -= _found(secrets, staff)
    texts = _texts()
    left = _found(secrets, texts)
    assert left == set()
    # Nobody with a questionnaire or a referral ended since the cut-off, or still open, was
    # touched; and those kept are kept for one of those reasons.
    for client in db.session.scalars(select(Client)):
        submissions = _submissions(client)
        recent = [each for each in submissions if each.received_at > cutoff]
        referrals = [each for submission in submissions for each in submission.referrals]
        ends = [each.closed_at or each.cancelled_at or each.declined_at for each in referrals]
        waiting = [each for each in referrals if each.status == "declined"]  # for the hub
        active = recent or waiting or any(end is None or end > cutoff for end in ends)
        if client.id in gone:
            assert not active
        else:
            assert active or _same_person_kept(client)

    assert _every_figure() == before
    stored.refresh(db.session)  # any day a trigger marked stale counts again the same
    db.session.commit()
    assert _every_figure() == before

    # A second run the same day, or the next, does nothing more.
    assert dict(schedule.run_due(NOW))["retention"]["people anonymised"] == 0
    later = dict(schedule.run_due(NOW + timedelta(days=1)))["retention"]
    assert later["people anonymised"] == 0 or later["people anonymised"] < len(kept)


def _submissions(client: Client) -> list:
    from hub.models import Submission

    return list(_db.session.scalars(select(Submission).where(Submission.client_id == client.id)))


def _same_person_kept(client: Client) -> bool:
    """Kept because another questionnaire about the same person is recent."""
    others = _db.session.scalars(
        select(Client).where(Client.match_key == client.match_key, Client.id != client.id)
    )
    return any(_submissions(other) for other in others)


def test_drafts_unchanged_for_the_draft_days_are_deleted(db, demo_hub, now):
    frontline = user("frontline")
    version = questionnaire_versions.latest("sail")
    old = drafts.start_draft(frontline, version, now - timedelta(days=8))
    details, _ = clean_client_details(client_details(), now.date())
    drafts.save_client(old, details, now - timedelta(days=8))
    recent = drafts.start_draft(frontline, version, now - timedelta(days=8))
    drafts.save_client(recent, details, now - timedelta(days=6))
    db.session.commit()

    assert anonymise.drafts_job(now) == {"drafts deleted": 1}
    assert set(db.session.scalars(select(QuestionnaireDraft.id))) == {recent.id}


def test_a_shorter_draft_period_is_a_setting(app, db, demo_hub, now):
    app.config["HUB_DRAFT_DAYS"] = 1
    draft = drafts.start_draft(user("frontline"), questionnaire_versions.latest("sail"), now)
    db.session.commit()
    assert anonymise.drafts_job(now + timedelta(hours=23)) == {"drafts deleted": 0}
    assert anonymise.drafts_job(now + timedelta(hours=25)) == {"drafts deleted": 1}
    assert db.session.get(QuestionnaireDraft, draft.id) is None


def test_the_retention_job_runs_once_a_day(db, demo_hub, now):
    assert anonymise.retention_job(now)["people anonymised"] == 0
    assert db.session.get(JobMark, f"retention:{now.date()}") is not None


@pytest.mark.parametrize(
    ("born", "day", "band_birth"),
    [
        (date(1941, 5, 17), date(2024, 3, 1), date(1944, 3, 1)),  # 82: 80-84
        (date(1990, 1, 1), date(2024, 2, 29), date(1975, 2, 28)),  # 34: under 50
        (date(1920, 1, 1), date(2024, 6, 1), date(1934, 6, 1)),  # 104: 90+
    ],
)
def test_a_removed_birth_date_holds_only_the_age_band(born, day, band_birth):
    assert anonymise.anonymised_birth_date(born, day) == band_birth

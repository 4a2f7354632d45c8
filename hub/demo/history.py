"""Synthetic history for the demo hub: a year (or any span) of questionnaires and what became of
each flag, so the managers' figures have something realistic to show and to be timed against.

``flask --app hub demo generate --referrals 1000000`` calls ``generate_history``. For development
only (the command refuses with ``HUB_ENV=production``).

This is a backfill, not live work. The lifecycle (``hub.referrals.lifecycle``) owns every status
change a person makes; here the past is written straight into the tables, in bulk (SQLAlchemy Core
``insert`` with executemany, a chunk at a time), because a million referrals through the ORM one
by one would take hours. To stay faithful to what the lifecycle would have stored:

- every deadline comes from ``hub.referrals.sla`` (``forward_due``, ``contact_due``, ``chases_at``,
  ``follow_up_due``), so a change of setting or of clock (calendar or working time) shows;
- statuses are ``hub.models``' constants, with the time of each stage stamped as the lifecycle
  stamps it (``forwarded_at`` set iff the referral left the hub by forwarding, and so on), and a
  ``ReferralEvent`` for each transition with the details the lifecycle records;
- what the SLA watch would have done by ``now`` is written too: its warning, chase and breach
  events (with their unique keys), and each open referral's ``sla_check_at`` is where the watch
  would have left it (the next warning, chase or deadline after ``now``; NULL once breached), so
  the scheduler carries on from ``now`` without sending a flood of stale chases. No outbox
  messages are written: the history's messages went long ago.

Flows: receipt skewed to working days and office hours; the hub forwards most flags within hours,
some late; partners contact at their own pace (some past 14 days), a few decline (with a reason;
the hub re-routes most of those or closes them as no suitable service), a few close without
contact; some referrals are cancelled (duplicates, consent withdrawn); recent ones are still
open, some overdue. About 1 in 10 questionnaires is about someone seen before (same name and date
of birth). Follow-ups (with needs met) for most questionnaires past their follow-up date, and ONS
wellbeing scores for a share of them. The same seed and ``now`` on the same database give the same
history.
"""

from __future__ import annotations

import json
import math
import random
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from operator import itemgetter

from sqlalchemy import JSON, Date, DateTime, func, insert, select, text

from hub.auth import accounts
from hub.clock import LONDON, in_london, to_utc_naive
from hub.demo.load import HUB_ORGANISATION, PARTNERS_WITH_ACCOUNTS, REFERRERS, load_demo
from hub.demo.shapes import (
    CANCEL_REASONS,
    CONTACT_DAYS,
    CONTACT_TIMES,
    DECLINE_REASONS,
    DECLINE_SHARE,
    DISTRICTS,
    FAMILY_NAMES,
    FLAG_COUNTS,
    FLAG_CUMULATIVE,
    FLAG_WEIGHTS,
    GIVEN_NAMES,
    HOUR_CUMULATIVE,
    INWARD_LETTERS,
    OUTCOME_WEIGHTS,
    OUTCOMES_AFTER_CONTACT,
    QUESTION_WEIGHTS,
    REROUTES,
    STREETS,
    WITHDRAWAL_REASONS,
    cumulative,
)
from hub.extensions import db
from hub.models import (
    Client,
    ContactAttempt,
    FollowUp,
    Organisation,
    Referral,
    ReferralEvent,
    Submission,
    User,
    WellbeingScore,
    client_match_key,
)
from hub.referrals import sla
from hub.referrals.lifecycle import CONSENT_WITHDRAWN
from hub.referrals.questionnaire_versions import definition_of, latest
from hub.referrals.submissions import REFERENCE_ALPHABET
from hub.status import OPEN_STATUSES, WITH_PARTNER, Outcome, Status

CHUNK = 10_000  # referrals per executemany round
PROGRESS_EVERY = 500  # referrals between calls of ``progress``
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
PERSONS_REMEMBERED = 50_000  # who may come back for another questionnaire


class DemoHubMissing(LookupError):
    """The demo hub (the SAIL questionnaire, its partners, the referrers) is not loaded."""


@dataclass(frozen=True)
class Made:
    """What a run wrote."""

    questionnaires: int
    referrals: int
    follow_ups: int
    wellbeing: int
    events: int
    clients_seen_before: int


@dataclass
class _Person:
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    postcode: str
    borough: str | None
    phone: str
    email: str | None
    preferred_contact: str
    contact_times: str | None
    match_key: str
    # The person's referrals so far: (referral id, partner id, received at, left open at).
    referrals: list


@dataclass
class _Submission:
    id: int
    reference: str
    received_at: datetime
    submitter: int
    withdraw_at: datetime | None
    flag_count: int
    numbered: int = 0
    reroutes: int = 0


@dataclass
class _Step:
    """What one referral's steps write to: its row, its events and its contact attempts."""

    row: dict
    events: list
    attempts: list
    partner: str
    partner_actor: int | None


def submission_reference(number: int) -> str:
    """A reference in the hub's form (``SL-XXXX-XXXX``) that no other number maps to: the number
    is scrambled by an odd multiplier modulo 31^8, a one-to-one mapping, so generated references
    never collide with one another and look like the random ones live questionnaires get."""
    size = len(REFERENCE_ALPHABET) ** 8
    value = (number * 2_654_435_761 + 12_345) % size
    chars = []
    for _ in range(8):
        value, digit = divmod(value, len(REFERENCE_ALPHABET))
        chars.append(REFERENCE_ALPHABET[digit])
    return f"SL-{''.join(chars[:4])}-{''.join(chars[4:])}"


def ensure_demo_hub(now: datetime) -> bool:
    """Load the demo hub (``hub.demo.load.load_demo``) if its questionnaire or referrers are
    missing. Answers whether it loaded it."""
    slugs = [slug for slug, _ in REFERRERS]
    found = db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.slug.in_(slugs))
    )
    if latest("sail") is not None and found == len(slugs):
        return False
    load_demo(now)
    db.session.commit()
    return True


def generate_history(
    referrals: int,
    now: datetime,
    months: int = 12,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    events: bool = True,
) -> Made:
    """Write ``referrals`` referrals received over the ``months`` before ``now``, with their
    questionnaires, clients, events, follow-ups and wellbeing scores, in one transaction: a run
    that fails (or is stopped) leaves no half history. On SQLite the transaction takes the
    write lock first (waiting up to ``hub.extensions.JOB_WAIT_MS`` for it), so the ids it reads
    stay its own; meanwhile other writers (the hub's pages, the scheduler) wait for it.
    ``progress`` is called with the number of referrals made since it was last called, every
    ``PROGRESS_EVERY`` referrals."""
    if referrals < 1:
        raise ValueError("referrals must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    return _History(referrals, now, months, seed, progress, events).run()


class _History:
    def __init__(self, total, now, months, seed, progress, with_events):
        self.total = total
        self.now = now
        self.start = now - timedelta(days=months * 365.25 / 12)
        self.rng = random.Random(seed)
        self.progress = progress or (lambda count: None)
        self.with_events = with_events
        self.reported = 0
        version = latest("sail")
        organisations = {o.slug: o for o in db.session.scalars(select(Organisation))}
        if version is None or any(slug not in organisations for slug, _ in REFERRERS):
            raise DemoHubMissing(
                "The demo hub is not loaded: run `flask --app hub demo load` first"
            )
        self.version_id = version.id
        self.questionnaire = definition_of(version)
        self.questions = {q.key: q for q in self.questionnaire.questions}
        self.keys = list(self.questions)
        self.key_weights = list(cumulative(QUESTION_WEIGHTS.get(key, 4) for key in self.keys))
        self.partner_ids = {s: o.id for s, o in organisations.items() if o.kind == "partner"}
        self.partner_slugs = {id_: slug for slug, id_ in self.partner_ids.items()}
        missing = self.questionnaire.partner_slugs() - self.partner_ids.keys()
        if missing:
            raise DemoHubMissing("The hub lacks these partners: " + ", ".join(sorted(missing)))
        self.hub_user = self._user_of(organisations[HUB_ORGANISATION[0]], "hub")
        self.partner_users = {}
        for slug in PARTNERS_WITH_ACCOUNTS:
            user = self._user_of(organisations[slug], "partner")
            if user is not None:
                self.partner_users[self.partner_ids[slug]] = user
        submitters = self._submitters(organisations)
        self.submitters = [(user, organisation) for user, organisation, _ in submitters]
        self.submitter_weights = list(cumulative(weight for _, _, weight in submitters))
        _begin_writing()  # from here to the end, one transaction: the ids read are ours
        self.next_id = {
            table: (db.session.scalar(select(func.max(model.id))) or 0) + 1
            for table, model in (
                ("client", Client),
                ("submission", Submission),
                ("referral", Referral),
            )
        }
        self.rows = {
            "client": [],
            "submission": [],
            "referral": [],
            "event": [],
            "attempt": [],
            "follow_up": [],
            "wellbeing": [],
        }
        self.persons: deque[_Person] = deque(maxlen=PERSONS_REMEMBERED)
        self.made = dict(
            questionnaires=0,
            referrals=0,
            follow_ups=0,
            wellbeing=0,
            events=0,
            clients_seen_before=0,
        )
        self.days, self.day_weights = self._days()
        self.deadlines: dict = {}
        self.json_texts: dict[tuple, str] = {}

    # --- set-up -------------------------------------------------------------------------------

    @staticmethod
    def _user_of(organisation: Organisation, role: str) -> int | None:
        return db.session.scalar(
            select(User.id)
            .where(User.organisation_id == organisation.id, User.role == role)
            .order_by(User.id)
        )

    def _submitters(self, organisations) -> list[tuple[int, int, int]]:
        """(user id, organisation id, weight) for two frontline workers in each referrer
        organisation, created (with a random password nobody knows) if they are missing."""
        weights = (40, 25, 20, 15)  # social care refers most, the VCS group least
        found = []
        for (slug, _), weight in zip(REFERRERS, weights, strict=True):
            organisation = organisations[slug]
            for number in (1, 2):
                email = f"frontline{number}.{slug}@demo.sail.example"
                user = accounts.find_user(email)
                if user is None:
                    user = accounts.create_user(
                        email,
                        "frontline",
                        organisation,
                        secrets.token_urlsafe(24),
                        self.start - DAY,
                        name=f"Frontline worker {number}, {organisation.name}",
                    )
                    db.session.flush()
                found.append((user.id, organisation.id, weight))
        db.session.commit()
        return found

    def _days(self) -> tuple[list[date], list[float]]:
        """Each London day of the period, weighted: working days far busier, and the scheme
        growing over the period (the last month about half as busy again as the first)."""
        first = in_london(self.start).date()
        last = in_london(self.now).date()
        span = max((last - first).days, 1)
        days, weights = [], []
        day = first
        while day <= last:
            busy = 1.0 if sla.is_working_day(day) else 0.12
            days.append(day)
            weights.append(busy * (0.8 + 0.4 * (day - first).days / span))
            day += DAY
        return days, list(cumulative(weights))

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> Made:
        """Questionnaires in the order they were received, until there are ``total`` referrals.

        Half as many receipt moments again as needed are drawn, then thinned as they are
        taken, each kept with the chance that leaves the referrals still to make spread evenly
        over the moments left: the count comes out exact and the period stays full to the end,
        however many flags the questionnaires happen to have."""
        rng = self.rng
        mean_flags = sum(c * w for c, w in zip(FLAG_COUNTS, FLAG_WEIGHTS, strict=True)) / sum(
            FLAG_WEIGHTS
        )
        moments = sorted(
            self._receipt_moment() for _ in range(math.ceil(1.5 * self.total / mean_flags) + 10)
        )
        last = self.start
        for index, received in enumerate(moments):
            left = self.total - self.made["referrals"]
            if left <= 0:
                break
            made = self.made["questionnaires"]
            per_questionnaire = self.made["referrals"] / made if made >= 50 else mean_flags
            if rng.random() * (len(moments) - index) * per_questionnaire > left:
                continue
            self._questionnaire(received)
            last = received
            self._report()
            if len(self.rows["referral"]) >= CHUNK:
                self._write()
        while self.made["referrals"] < self.total:  # the last few, after the last one taken
            last = last + (self.now - last) * rng.random()
            self._questionnaire(last.replace(microsecond=0))
        self._write()
        self._report(final=True)
        if db.engine.dialect.name == "postgresql":
            for table in ("client", "submission", "referral"):
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        db.session.commit()
        return Made(**self.made)

    def _report(self, final: bool = False) -> None:
        """Tell ``progress`` how many referrals were made since it was last told."""
        made = self.made["referrals"]
        if final or made - self.reported >= PROGRESS_EVERY:
            if made > self.reported:
                self.progress(made - self.reported)
            self.reported = made

    def _receipt_moment(self) -> datetime:
        rng = self.rng
        while True:
            (day,) = rng.choices(self.days, cum_weights=self.day_weights)
            (hour,) = rng.choices(range(24), cum_weights=HOUR_CUMULATIVE)
            local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
            moment = to_utc_naive(local.replace(tzinfo=LONDON))
            if self.start <= moment <= self.now:
                return moment

    def _take_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def _write(self) -> None:
        """Insert what is buffered, parents first (in the run's one transaction).

        Each table's ``insert()`` is compiled once by SQLAlchemy for the database in use and
        run with the driver's executemany, the values already in the form SQLAlchemy's column
        types would give them (JSON text; on SQLite, times as SQLAlchemy's text form): the
        per-row work SQLAlchemy does for each parameter set costs more than the insert itself
        at millions of rows."""
        connection = db.session.connection()
        for name, model in (
            ("client", Client),
            ("submission", Submission),
            ("referral", Referral),
            ("event", ReferralEvent),
            ("attempt", ContactAttempt),
            ("follow_up", FollowUp),
            ("wellbeing", WellbeingScore),
        ):
            rows = self.rows[name]
            if not rows:
                continue
            table = model.__table__
            statement = insert(table).compile(dialect=connection.dialect, column_keys=list(rows[0]))
            for column in rows[0]:
                convert = self._converter(table.c[column].type)
                if convert is not None:
                    for row in rows:
                        value = row[column]
                        if value is not None:
                            row[column] = convert(value)
            if statement.positional:
                parameters = list(map(itemgetter(*statement.positiontup), rows))
            else:
                parameters = rows
            connection.exec_driver_sql(str(statement), parameters)
            rows.clear()

    def _converter(self, column_type) -> Callable | None:
        sqlite = db.engine.dialect.name == "sqlite"
        if isinstance(column_type, JSON):
            return self._json
        if isinstance(column_type, DateTime) and sqlite:
            return _sqlite_datetime
        if isinstance(column_type, Date) and sqlite:
            return date.isoformat
        return None

    def _json(self, value) -> str:
        """JSON text; the same small details (``{"partner": ...}``) are encoded once."""
        if not isinstance(value, dict) or len(value) > 3:
            return json.dumps(value)
        key = tuple(value.items())
        found = self.json_texts.get(key)
        if found is None:
            found = self.json_texts[key] = json.dumps(value)
        return found

    # --- one questionnaire --------------------------------------------------------------------

    def _questionnaire(self, received: datetime) -> None:
        rng = self.rng
        self.deadlines = {}  # by moment, for this questionnaire's referrals
        person, seen_before = self._person(received)
        submitter, referrer = rng.choices(self.submitters, cum_weights=self.submitter_weights)[0]
        count = rng.choices(FLAG_COUNTS, cum_weights=FLAG_CUMULATIVE)[0]
        room = self.total - self.made["referrals"]
        chosen = set()
        while len(chosen) < min(count, room):
            chosen.add(rng.choices(self.keys, cum_weights=self.key_weights)[0])
        flags = [key for key in self.keys if key in chosen]  # questionnaire order
        # About 1 in 100 people withdraws consent some days later (never someone seen again:
        # withdrawal cancels every open referral of the person, which these rows then show).
        withdraw_at = None
        if not seen_before and rng.random() < 0.01:
            withdraw_at = received + timedelta(hours=rng.uniform(2, 24 * 20))
            person.referrals = None  # forgotten: not chosen again
        submission_id = self._take_id("submission")
        sub = _Submission(
            submission_id,
            submission_reference(submission_id),
            received,
            submitter,
            withdraw_at,
            len(flags),
        )
        client_id = self._take_id("client")
        self.rows["client"].append(
            {
                "id": client_id,
                "match_key": person.match_key,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "date_of_birth": person.date_of_birth,
                "address": person.address,
                "postcode": person.postcode,
                "borough": person.borough,
                "phone": person.phone,
                "email": person.email,
                "preferred_contact": person.preferred_contact,
                "contact_times": person.contact_times,
                "created_at": received,
                "consent_withdrawn_at": withdraw_at
                if withdraw_at and withdraw_at <= self.now
                else None,
            }
        )
        self.rows["submission"].append(
            {
                "id": submission_id,
                "reference": sub.reference,
                "questionnaire_version_id": self.version_id,
                "client_id": client_id,
                "submitted_by_id": submitter,
                "referrer_organisation_id": referrer,
                "received_at": received,
                "follow_up_due_at": sla.follow_up_due(received),
                "answers": {key: key in chosen for key in self.keys},
                "notes": None,
                "consent_given": True,
                "consent_recorded_by_id": submitter,
                "consent_recorded_at": received,
                "idempotency_key": None,
            }
        )
        self.made["questionnaires"] += 1
        self.made["clients_seen_before"] += seen_before
        forward_at = self._forward_moment(received)
        outcomes = []
        reroutes = []
        for key in flags:
            # Most flags of a questionnaire go together; now and then one later on its own.
            at = forward_at if rng.random() < 0.85 else self._forward_moment(received)
            partner = self.questions[key].partner_for(person.borough)
            row = self._referral(sub, key, partner, received, at, person, reroutes)
            outcomes.append(row)
        while reroutes:
            declined, partner, at = reroutes.pop(0)
            row = self._referral(
                sub,
                declined["question_key"],
                partner,
                at,
                self._forward_moment(at),
                person,
                reroutes,
                rerouted_from=declined,
            )
            outcomes.append(row)
        if outcomes:
            self._follow_up(sub, outcomes)

    def _person(self, received: datetime) -> tuple[_Person, bool]:
        rng = self.rng
        if self.persons and rng.random() < 0.1:
            person = rng.choice(self.persons)
            if person.referrals is not None:
                return person, True
        borough = rng.choices(("lambeth", "southwark", None), weights=(52, 45, 3))[0]
        area = borough or rng.choice(("lambeth", "southwark"))
        age = rng.triangular(65, 101, 80) if rng.random() < 0.93 else rng.uniform(52, 65)
        born = in_london(received).date() - timedelta(days=int(age * 365.25))
        given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        preferred = rng.choices(("phone", "letter", "email"), weights=(76, 12, 12))[0]
        postcode = (
            f"{rng.choice(DISTRICTS[area])} {rng.randrange(1, 10)}"
            f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        )
        person = _Person(
            given_name=given,
            family_name=family,
            date_of_birth=born,
            address=f"{rng.randrange(1, 240)} {rng.choice(STREETS[area])}, London",
            postcode=postcode,
            borough=borough,
            # Ofcom's London numbers for drama (020 7946 0000 to 0999): never a real person's.
            phone=f"+442079460{rng.randrange(1000):03d}",
            email=(
                f"{given.lower()}.{family.lower().replace(' ', '').replace(chr(39), '')}"
                f"{rng.randrange(10, 99)}@example.com"
                if preferred == "email" or rng.random() < 0.1
                else None
            ),
            preferred_contact=preferred,
            contact_times=rng.choice(CONTACT_TIMES),
            match_key=client_match_key(given, family, born),
            referrals=[],
        )
        self.persons.append(person)
        return person, False

    def _forward_moment(self, received: datetime) -> datetime:
        """When hub staff forward a flag: within hours in office hours, the next working morning
        for one received out of hours, and now and then much later (a busy spell)."""
        rng = self.rng
        local = in_london(received)
        if sla.is_working_day(local.date()) and 9 <= local.hour < 17:
            start = received
        else:
            day = local.date() + (DAY if local.hour >= 9 else timedelta(0))
            while not sla.is_working_day(day):
                day += DAY
            opens = datetime.combine(day, time(9), tzinfo=LONDON)
            start = to_utc_naive(opens) + timedelta(minutes=rng.uniform(0, 90))
        delay = timedelta(hours=rng.lognormvariate(math.log(1.5), 0.9))
        if rng.random() < 0.05:
            delay += timedelta(hours=rng.uniform(18, 80))
        return (start + delay).replace(microsecond=0)

    # --- one referral -------------------------------------------------------------------------

    def _referral(
        self, sub, key, partner, received, forward_at, person, reroutes, rerouted_from=None
    ) -> dict:
        rng, now = self.rng, self.now
        referral_id = self._take_id("referral")
        sub.numbered += 1
        partner_id = self.partner_ids[partner]
        forward_due, _ = self._at_hub(received)
        duplicate = None
        if person.referrals:
            duplicate = next(
                (
                    id_
                    for id_, pid, at, until in person.referrals
                    if pid == partner_id and at < received and (until is None or until > received)
                ),
                None,
            )
        row = {
            "id": referral_id,
            "reference": f"{sub.reference}-{sub.numbered:02d}",
            "submission_id": sub.id,
            "partner_id": partner_id,
            "question_key": key,
            "status": Status.RECEIVED,
            "received_at": received,
            "forward_due_at": forward_due,
            "forwarded_at": None,
            "accepted_at": None,
            "contact_due_at": None,
            "contacted_at": None,
            "closed_at": None,
            "declined_at": None,
            "cancelled_at": None,
            "outcome": None,
            "status_reason": None,
            "possible_duplicate_of_id": duplicate,
            "rerouted_from_id": rerouted_from["id"] if rerouted_from else None,
            "sla_check_at": None,
        }
        events = [
            (
                received,
                "received",
                sub.submitter if rerouted_from is None else self.hub_user,
                {
                    "partner": partner,
                    "question": key,
                    "rerouted_from": rerouted_from["reference"] if rerouted_from else None,
                },
            ),
        ]
        attempts = []
        plan = self._plan(partner, key, received, forward_at)
        step = _Step(row, events, attempts, partner, self.partner_users.get(partner_id))
        for at, action, detail in plan:
            if sub.withdraw_at is not None and sub.withdraw_at <= at:
                break
            if at > now:
                break
            if action == "reroute" and rerouted_from is None:
                if not self._reroute(sub, row, detail, at, events, reroutes):
                    break
                continue
            self._apply(step, action, at, detail)
        withdraw_at = sub.withdraw_at
        if withdraw_at is not None and withdraw_at <= now and row["status"] in OPEN_STATUSES:
            reason = f"{CONSENT_WITHDRAWN}: {rng.choice(WITHDRAWAL_REASONS)}"
            row.update(status=Status.CANCELLED, cancelled_at=withdraw_at, status_reason=reason)
            events.append((withdraw_at, "cancelled", self.hub_user, {"reason": reason}))
        self._watch(row, received, events)
        if person.referrals is not None:
            person.referrals.append((referral_id, partner_id, received, _left_open(row)))
        self.rows["referral"].append(row)
        self.rows["attempt"].extend(attempts)
        if self.with_events:
            events.sort(key=lambda event: event[0])
            for at, kind, actor, details in events:
                key = details.pop("_key", None)
                self.rows["event"].append(
                    {
                        "referral_id": referral_id,
                        "actor_id": actor,
                        "kind": kind,
                        "at": at,
                        "details": {k: v for k, v in details.items() if v is not None},
                        "key": key,
                    }
                )
            self.made["events"] += len(events)
        self.made["referrals"] += 1
        return row

    def _apply(self, step: _Step, action: str, at: datetime, detail) -> None:
        """One step of a referral's plan, as the lifecycle would have stamped and recorded it."""
        row, events, partner_actor = step.row, step.events, step.partner_actor
        if action == "cancel":
            row.update(status=Status.CANCELLED, cancelled_at=at, status_reason=detail)
            events.append((at, "cancelled", self.hub_user, {"reason": detail}))
        elif action == "forward":
            row.update(
                status=Status.FORWARDED, forwarded_at=at, contact_due_at=self._with_partner(at)[0]
            )
            events.append((at, "forwarded", self.hub_user, {"partner": step.partner}))
        elif action == "accept":
            row.update(status=Status.ACCEPTED, accepted_at=at)
            events.append((at, "accepted", partner_actor, {}))
        elif action == "attempt":
            step.attempts.append(
                {
                    "referral_id": row["id"],
                    "attempted_at": at,
                    "method": detail,
                    "reached": False,
                    "notes": None,
                    "recorded_by_id": partner_actor,
                    "recorded_at": at,
                }
            )
            events.append(
                (
                    at,
                    "attempt",
                    partner_actor,
                    {"method": detail, "reached": False, "attempted_at": at.isoformat()},
                )
            )
        elif action == "contact":
            row.update(status=Status.CONTACTED, contacted_at=at)
            events.append((at, "contacted", partner_actor, {}))
        elif action == "close":
            row.update(status=Status.CLOSED, closed_at=at, outcome=detail)
            events.append((at, "closed", partner_actor, {"outcome": detail}))
        elif action == "decline":
            row.update(status=Status.DECLINED, declined_at=at, status_reason=detail)
            events.append((at, "declined", partner_actor, {"reason": detail}))
        elif action in ("close_declined", "reroute"):
            # "reroute" here is a re-routed referral declined again: the hub closes it rather
            # than try a third partner.
            row.update(status=Status.CLOSED, closed_at=at, outcome=Outcome.NO_SUITABLE_SERVICE)
            events.append((at, "closed", self.hub_user, {"outcome": Outcome.NO_SUITABLE_SERVICE}))

    def _reroute(self, sub, row: dict, partner: str, at: datetime, events, reroutes) -> bool:
        """Plan a declined referral's re-route to ``partner``; False when there is no room left
        for another referral (it then waits at the hub)."""
        # This referral and the flags after it still to come, and re-routes planned.
        coming = sub.flag_count - sub.numbered + 1 + sub.reroutes
        if self.made["referrals"] + coming >= self.total:
            return False
        sub.reroutes += 1
        # Numbered after the questionnaire's flags, as ``intake.add_referrals`` does.
        reroutes.append((row, partner, at))
        to = f"{sub.reference}-{sub.flag_count + sub.reroutes:02d}"
        events.append((at, "rerouted", self.hub_user, {"partner": partner, "to": to}))
        return True

    def _plan(self, partner, key, received, forward_at) -> list[tuple[datetime, str, object]]:
        """What will happen to one referral, in order, if nothing stops it first."""
        rng = self.rng
        if rng.random() < 0.012:
            at = received + timedelta(hours=rng.uniform(0.5, 20))
            if at < forward_at:
                return [(at, "cancel", rng.choice(CANCEL_REASONS))]
        plan = [(forward_at, "forward", None)]
        f = forward_at
        u = rng.random()
        decline_share = DECLINE_SHARE.get(partner, 0.04)
        if u < decline_share:
            declined = f + timedelta(days=rng.lognormvariate(math.log(1.5), 0.8))
            if rng.random() < 0.4:
                plan.append((f + (declined - f) * rng.uniform(0.1, 0.5), "accept", None))
            plan.append((declined, "decline", rng.choice(DECLINE_REASONS)))
            decided = declined + timedelta(days=rng.lognormvariate(math.log(0.8), 0.8))
            question = self.questions[key]
            others = [
                slug
                for slug in (
                    question.partner,
                    *question.partners_by_borough.values(),
                    *REROUTES.get(key, ()),
                )
                if slug != partner and slug in self.partner_ids
            ]
            if others and rng.random() < 0.7:
                plan.append((decided, "reroute", rng.choice(sorted(set(others)))))
            else:
                plan.append((decided, "close_declined", None))
        elif u < decline_share + 0.09:
            kind = rng.choices(
                ("unable_to_contact", "not_eligible", "referred_elsewhere"), weights=(55, 25, 20)
            )[0]
            if rng.random() < 0.7:
                plan.append((f + timedelta(hours=rng.uniform(2, 30)), "accept", None))
            at = f + timedelta(days=rng.uniform(1, 3))
            if kind == "unable_to_contact":
                for _ in range(max(3, sla.unable_to_contact_attempts())):
                    at += timedelta(days=rng.lognormvariate(math.log(2.5), 0.5))
                    plan.append((at, "attempt", rng.choice(("phone", "phone", "letter", "visit"))))
                at += timedelta(days=rng.uniform(0.5, 3))
            else:
                at += timedelta(days=rng.lognormvariate(math.log(3), 0.7))
            plan.append((at, "close", kind))
        else:
            median = CONTACT_DAYS.get(partner, 4.0)
            contacted = f + timedelta(days=rng.lognormvariate(math.log(median), 0.7))
            if rng.random() < 0.8:
                plan.append((f + (contacted - f) * rng.uniform(0.05, 0.6), "accept", None))
            plan.append((contacted, "contact", None))
            outcome = rng.choices(OUTCOMES_AFTER_CONTACT, weights=OUTCOME_WEIGHTS)[0]
            closed = contacted + timedelta(days=rng.lognormvariate(math.log(10), 0.8))
            plan.append((closed, "close", outcome))
        return [(at.replace(microsecond=0), action, detail) for at, action, detail in plan]

    def _watch(self, row: dict, received: datetime, events: list) -> None:
        """The SLA watch's events up to now, and where it would have left ``sla_check_at``."""
        now = self.now
        referral_id = row["id"]
        forward_due, warning_at = self._at_hub(received)
        left_hub = row["forwarded_at"] or row["cancelled_at"]
        if warning_at <= now and (left_hub is None or left_hub > warning_at):
            events.append(
                (warning_at, "forward_warning", None, {"_key": f"forward_warning:{referral_id}"})
            )
        if forward_due <= now and (left_hub is None or left_hub > forward_due):
            events.append(
                (forward_due, "forward_breach", None, {"_key": f"forward_breach:{referral_id}"})
            )
        status = row["status"]
        if status == Status.RECEIVED:
            later = [at for at in (warning_at, forward_due) if at > now]
            row["sla_check_at"] = later[0] if later else None
            return
        forwarded = row["forwarded_at"]
        if forwarded is None:
            return
        left_partner = min(
            (
                row[f]
                for f in ("contacted_at", "closed_at", "declined_at", "cancelled_at")
                if row[f] is not None
            ),
            default=None,
        )
        due, chases = self._with_partner(forwarded)
        for number, at in enumerate(chases, 1):
            if at <= now and (left_partner is None or left_partner > at):
                events.append(
                    (at, "chase", None, {"number": number, "_key": f"chase:{referral_id}:{number}"})
                )
        if due <= now and (left_partner is None or left_partner > due):
            events.append((due, "contact_breach", None, {"_key": f"contact_breach:{referral_id}"}))
        if status in WITH_PARTNER:
            later = [at for at in (*chases, due) if at > now]
            row["sla_check_at"] = later[0] if later else None

    def _at_hub(self, received: datetime) -> tuple[datetime, datetime]:
        """``sla.forward_due`` and ``sla.forward_warning_at``, worked out once per moment."""
        found = self.deadlines.get(received)
        if found is None:
            found = (sla.forward_due(received), sla.forward_warning_at(received))
            self.deadlines[received] = found
        return found

    def _with_partner(self, forwarded: datetime) -> tuple[datetime, list[datetime]]:
        """``sla.contact_due`` and ``sla.chases_at``, worked out once per moment (most flags of
        a questionnaire are forwarded together)."""
        found = self.deadlines.get(("partner", forwarded))
        if found is None:
            found = (sla.contact_due(forwarded), sla.chases_at(forwarded))
            self.deadlines[("partner", forwarded)] = found
        return found

    # --- the follow-up ------------------------------------------------------------------------

    def _follow_up(self, sub: _Submission, referrals: list[dict]) -> None:
        rng, now = self.rng, self.now
        received = sub.received_at
        baseline = None
        if rng.random() < 0.45:
            baseline = _wellbeing(rng)
            self._wellbeing(sub.id, "questionnaire", baseline, sub.submitter, received)
        due = sla.follow_up_due(received)
        if due > now or rng.random() > 0.7:
            return
        at = (due + timedelta(days=rng.lognormvariate(math.log(2), 0.9))).replace(microsecond=0)
        if at > now or (sub.withdraw_at is not None and sub.withdraw_at <= at):
            return
        helped = list(
            dict.fromkeys(
                self.partner_slugs[r["partner_id"]]
                for r in referrals
                if r["outcome"] == "service_provided" and r["closed_at"] <= at
            )
        )
        if helped:
            needs_met = rng.choices(("yes", "partly", "no"), weights=(70, 22, 8))[0]
        else:
            needs_met = rng.choices(("yes", "partly", "no"), weights=(25, 30, 45))[0]
        self.rows["follow_up"].append(
            {
                "submission_id": sub.id,
                "needs_met": needs_met,
                "helped": helped,
                "notes": None,
                "recorded_by_id": self.hub_user,
                "recorded_at": at,
            }
        )
        self.made["follow_ups"] += 1
        if rng.random() < (0.75 if baseline else 0.3):
            lift = {"yes": 0.9, "partly": 0.35, "no": -0.2}[needs_met]
            start = baseline or _wellbeing(rng)
            scores = {
                name: _score(value - lift if name == "anxious" else value + lift, rng)
                for name, value in start.items()
            }
            self._wellbeing(sub.id, "follow_up", scores, self.hub_user, at)

    def _wellbeing(self, submission_id, stage, scores, actor, at) -> None:
        self.rows["wellbeing"].append(
            {
                "submission_id": submission_id,
                "stage": stage,
                "recorded_by_id": actor,
                "recorded_at": at,
                **scores,
            }
        )
        self.made["wellbeing"] += 1


def _wellbeing(rng: random.Random) -> dict[str, int]:
    """ONS personal wellbeing answers (0-10) as older people referred for help tend to give
    them: a little below the national averages, anxiety a little above."""
    return {
        "life_satisfaction": _score(rng.gauss(5.8, 2.1), rng),
        "worthwhile": _score(rng.gauss(6.3, 2.0), rng),
        "happy": _score(rng.gauss(5.7, 2.3), rng),
        "anxious": _score(rng.gauss(4.3, 2.6), rng),
    }


def _score(value: float, rng: random.Random) -> int:
    return max(0, min(10, round(value + rng.uniform(-0.5, 0.5))))


def _begin_writing() -> None:
    """Start the run's transaction. On SQLite, by taking the write lock at once (``BEGIN
    IMMEDIATE``, waiting as long as the busy timeout lets it): otherwise the ids read next
    could be taken by a page's insert before the first chunk is written. PostgreSQL begins on
    its own."""
    db.session.commit()
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:  # (a test's own may be open)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's text form of a time on SQLite: ``2026-01-05 09:30:00.000000``."""
    return value.isoformat(" ", "microseconds")


def _left_open(row: dict) -> datetime | None:
    """When a referral stopped being open (closed, declined or cancelled), if it has."""
    return row["closed_at"] or row["declined_at"] or row["cancelled_at"]

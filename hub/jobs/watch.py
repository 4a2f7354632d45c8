"""The SLA watch: the scheduler's jobs that keep the scheme's promises without anyone watching a
spreadsheet (docs/design.md, "SLA clock" and "Scheduler").

- A flag still ``received`` at the warning moment (20 hours) warns hub staff, one message per
  questionnaire listing its flags; at its forwarding deadline (24 hours) a forwarding breach is
  recorded and hub staff are told.
- A forwarded referral whose client has not been contacted is chased at day 7 and day 12 (email
  and SMS to the partner); at its contact deadline (day 14) a contact breach is recorded and
  escalated to hub staff.
- Once a day, hub staff hear how many follow-ups are due, and each partner with open referrals
  gets a digest: how many are new, due this week and overdue.

Each job is a plain function of ``now``. Every warning, chase and breach is a ``ReferralEvent``
with a unique key (``chase:<referral>:<n>``) and each message has its own outbox key, so a
rerun, a crash and restart, or two schedulers on one database never send anything twice. The
referrals to look at are found by ``referral.sla_check_at`` (set by the lifecycle when a
referral enters a stage, moved on here after each look), so a run's work grows with what is
due now, not with every referral the hub has ever had.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from hub.clock import in_london, london_midnight
from hub.extensions import db, insert_or_skip
from hub.models import JobMark, Organisation, Referral
from hub.referrals import follow_ups, sla
from hub.referrals.events import record_sla_event
from hub.status import WITH_PARTNER, Status
from notifications.messages import to_hub_staff, to_partners

BATCH = 500
# Once-a-day messages go out at the first run on or after this hour, London time.
DAILY_HOUR = 8
DAILY_LIST = 25  # questionnaires listed by reference in hub staff's daily follow-up message


def _due_batch(now: datetime) -> list[Referral]:
    """The next referrals whose ``sla_check_at`` has come, locked for this run (other watchers
    on PostgreSQL skip them)."""
    chosen = db.session.scalars(
        select(Referral.id)
        .where(Referral.sla_check_at <= now)
        .order_by(Referral.sla_check_at, Referral.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not chosen:
        return []
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.id.in_(chosen))
            .order_by(Referral.sla_check_at, Referral.id)
            .options(joinedload(Referral.partner), joinedload(Referral.submission))
        )
    )


class _Look:
    """What one run found due, gathered so hub staff get one message per questionnaire."""

    def __init__(self, now: datetime):
        self.now = now
        self.summary = {"warned": 0, "not forwarded in time": 0, "chased": 0, "escalated": 0}
        self.warned: dict[int, list[Referral]] = defaultdict(list)
        self.breached: dict[int, list[Referral]] = defaultdict(list)

    def referral(self, referral: Referral) -> None:
        """Record what is due for one referral as of ``now`` and when to look at it next."""
        if referral.status == Status.RECEIVED:
            referral.sla_check_at = self._waiting_at_hub(referral)
        elif referral.status in WITH_PARTNER and referral.contacted_at is None:
            referral.sla_check_at = self._waiting_on_partner(referral)
        else:
            referral.sla_check_at = None  # contacted, closed, declined or cancelled: never chased

    def _waiting_at_hub(self, referral: Referral) -> datetime | None:
        now = self.now
        if now >= referral.forward_due_at:
            if record_sla_event(referral, "forward_breach", now):
                self.breached[referral.submission_id].append(referral)
                self.summary["not forwarded in time"] += 1
            return None  # overdue until forwarded; forwarding sets the next look
        warning_at = sla.forward_warning_at(referral.received_at)
        if now >= warning_at:
            if record_sla_event(referral, "forward_warning", now):
                self.warned[referral.submission_id].append(referral)
                self.summary["warned"] += 1
            return referral.forward_due_at
        return warning_at

    def _waiting_on_partner(self, referral: Referral) -> datetime | None:
        now = self.now
        if now >= referral.contact_due_at:
            if record_sla_event(referral, "contact_breach", now):
                to_hub_staff.contact_overdue(referral, now)
                self.summary["escalated"] += 1
            return None
        chases = sla.chases_at(referral.forwarded_at)
        passed = [number for number, at in enumerate(chases, 1) if at <= now]
        if passed:
            # After a pause (the scheduler was down), only the latest chase goes: two at once
            # would say nothing more.
            number = passed[-1]
            if record_sla_event(referral, "chase", now, number=number):
                to_partners.partner_chase(referral, number, now)
                self.summary["chased"] += 1
        later = [at for at in chases if at > now]
        return later[0] if later else referral.contact_due_at

    def finish(self) -> None:
        """One message to hub staff per questionnaire, listing its flags."""
        for flags in self.warned.values():
            to_hub_staff.forward_warning(flags, self.now)
        for flags in self.breached.values():
            to_hub_staff.forward_overdue(flags, self.now)
        self.warned.clear()
        self.breached.clear()


def watch_referrals(now: datetime) -> dict[str, int]:
    """Warn, chase and record breaches for every referral whose next look has come, in batches
    that each commit with their messages. A look always moves ``sla_check_at`` past ``now`` (or
    clears it), so no referral is looked at twice in a run."""
    look = _Look(now)
    while True:
        batch = _due_batch(now)
        # The new look times are written together at the end, not before every query.
        with db.session.no_autoflush:
            for referral in batch:
                look.referral(referral)
            look.finish()
        db.session.commit()
        if len(batch) < BATCH:
            return look.summary


# --- Once a day -------------------------------------------------------------------------------


def _today(now: datetime) -> str | None:
    """Today's date in London once the daily hour has come; None before it."""
    local = in_london(now)
    return local.date().isoformat() if local.hour >= DAILY_HOUR else None


def _end_of_day(now: datetime) -> datetime:
    """Midnight at the end of ``now``'s day in London, as naive UTC."""
    return london_midnight(in_london(now).date() + timedelta(days=1))


def _mark_done(key: str, now: datetime) -> bool:
    """Mark once-a-period work done, in the caller's transaction; False if it already was."""
    added = db.session.scalar(
        insert_or_skip(JobMark, "key").values(key=key, done_at=now).returning(JobMark.key)
    )
    return added is not None


def follow_ups_digest(now: datetime) -> dict[str, int]:
    """Once a day: tell hub staff how many questionnaires are due a follow-up."""
    today = _today(now)
    if today is None or not _mark_done(f"follow_ups_due:{today}", now):
        db.session.rollback()
        return {"questionnaires due": 0, "messages": 0}
    tonight = _end_of_day(now)  # due by tonight, so the day can be planned
    due = follow_ups.count_due(tonight)
    queued = []
    if due:
        listed = follow_ups.due_follow_ups(tonight, size=DAILY_LIST).items
        queued = to_hub_staff.follow_ups_due(due, listed, today, now)
    db.session.commit()
    return {"questionnaires due": due, "messages": len(queued)}


def partner_counts(now: datetime) -> list[tuple[Organisation, int, int, int]]:
    """Each partner with open referrals waiting on it: (partner, new, due this week, overdue)."""
    waiting = Referral.status.in_(WITH_PARTNER) & Referral.contacted_at.is_(None)
    week = now + timedelta(days=7)
    rows = db.session.execute(
        select(
            Referral.partner_id,
            func.count(case((Referral.status == Status.FORWARDED, 1))),
            func.count(
                case(((Referral.contact_due_at >= now) & (Referral.contact_due_at < week), 1))
            ),
            func.count(case((Referral.contact_due_at < now, 1))),
        )
        .where(waiting)
        .group_by(Referral.partner_id)
    ).all()
    partners = {
        partner.id: partner
        for partner in db.session.scalars(
            select(Organisation).where(Organisation.id.in_([row[0] for row in rows]))
        )
    }
    return sorted(
        ((partners[row[0]], row[1], row[2], row[3]) for row in rows),
        key=lambda item: item[0].name,
    )


def partner_digests(now: datetime) -> dict[str, int]:
    """Once a day: each partner with referrals waiting on it hears how many are new, due this
    week and overdue."""
    today = _today(now)
    if today is None or not _mark_done(f"partner_digests:{today}", now):
        db.session.rollback()
        return {"digests": 0}
    sent = 0
    for partner, new, due_this_week, overdue in partner_counts(now):
        if to_partners.partner_digest(partner, new, due_this_week, overdue, today, now):
            sent += 1
    db.session.commit()
    return {"digests": sent}

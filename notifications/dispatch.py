"""Sending what the outbox holds: claim due messages, send each outside any transaction, and
record what happened. Run by the scheduler (``hub.jobs.schedule``), never inside a web request.

A message is claimed by moving it from ``pending`` to ``sending`` and committing, so two
dispatchers never send the same one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite, with
one writer at a time, the claim takes only messages still ``pending``). The claim reads back
everything sending needs, so no query (and no transaction) is open while a provider is called.
While a message is ``sending``, its ``next_attempt_at`` is when the attempt began:
``sweep_stuck`` puts back any that a crashed dispatcher left behind. A retryable failure is
tried again after a growing pause; a permanent one, or one still failing a day after it was
queued, is marked ``failed`` (``outbox.mark_failed``); hub staff hear of it in the next failure
digest.

A channel that fails as a whole (``channels.ChannelDown``: a timeout, a refused connection or
login, Twilio failing) is paused (``notifications.channel_health``): the rest of its batch goes
back to ``pending`` until the pause ends, without an attempt counted against messages that were
never tried, and its messages are not claimed while it is paused. So a dead server costs one
timeout per pause. Email and SMS can be dispatched apart (``channel=``), as the scheduler does,
so one stalled channel holds up nothing else.

Results are recorded in small groups: one transaction for up to ``RECORD_EVERY`` messages or
``RECORD_SECONDS`` of sending, whichever comes first (checked after each send, and always at
the end of a batch, even one cut short), with one UPDATE for all the sent ones. A commit per
message was most of dispatch's own cost. The price: a dispatcher that dies after sending but
before recording leaves up to that many messages ``sending``, and the sweeper sends them again
after ``STUCK_AFTER``. A commit per message narrows that window to one message but never closes
it (the process can die between the provider's answer and the commit), so the window is kept
small rather than pretended away. A delivery receipt that arrives before its SID is recorded is
held and applied when the group is recorded (``notifications.receipts.apply_held``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Row, case, or_, select, update
from sqlalchemy.orm.util import identity_key

from hub.extensions import db
from hub.models import MESSAGE_CHANNELS, OutboxMessage
from notifications import channel_health, channels, outbox, receipts, sealed
from notifications.outbox import FAILED, PENDING, SENDING, SENT

log = logging.getLogger(__name__)

# Pause after the first, second, third and fourth failed attempt; then every RETRY_EVERY.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
RETRY_EVERY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(hours=24)  # from when the message was queued
STUCK_AFTER = timedelta(minutes=10)
# Record results at least this often: at most this many sent-but-unrecorded messages, or this
# long between the first of them being sent and its result being committed.
RECORD_EVERY = 50
RECORD_SECONDS = 1.0
# One dispatch run keeps claiming full batches for at most this long.
DISPATCH_SECONDS = 20.0

_OUTBOX = OutboxMessage.__table__
_SUMMARY_KEYS = {SENT: "sent", PENDING: "to retry", FAILED: "failed"}
NOT_TRIED = "not tried"  # put back untried: their channel failed earlier in the batch


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th attempt failed."""
    return BACKOFF[attempts - 1] if attempts <= len(BACKOFF) else RETRY_EVERY


def claim_due(now: datetime, limit: int, lanes: tuple[str, ...] = MESSAGE_CHANNELS) -> list[Row]:
    """Mark up to ``limit`` due messages of the channels ``lanes`` ``sending`` and commit: they
    are ours to send. Each is returned as its row just after the claim (``status`` is
    ``sending``), read-only."""
    due = db.session.scalars(
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.status == PENDING,
            _OUTBOX.c.next_attempt_at <= now,
            _OUTBOX.c.channel.in_(lanes),
        )
        # Only the indexed column (status, next_attempt_at): ordering by id as well would sort
        # every pending row on PostgreSQL at each claim, slow with a backlog.
        .order_by(_OUTBOX.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite leaves it out
    ).all()
    if not due:
        db.session.commit()
        return []
    # Still pending: on SQLite another dispatcher may have claimed some since we looked.
    claimed = db.session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(due), _OUTBOX.c.status == PENDING)
        .values(status=SENDING, attempts=_OUTBOX.c.attempts + 1, next_attempt_at=now)
        .returning(*_OUTBOX.c)
    ).all()
    db.session.commit()
    _forget_loaded(message.id for message in claimed)
    return sorted(claimed, key=lambda message: message.id)


def _forget_loaded(ids) -> None:
    """The rows were changed without the ORM: any of them this session holds is reloaded when
    next read (the session keeps objects across commits, ``hub.extensions``)."""
    for message_id in ids:
        held = db.session.identity_map.get(identity_key(OutboxMessage, message_id))
        if held is not None:
            db.session.expire(held)


def _send(message: Row, batch: channels.Channels) -> tuple[str | None, Exception | None]:
    """Send through the message's channel; no transaction is open while we wait on it."""
    try:
        # A one-time code or signed link is opened only here, for the channel, never stored.
        return batch.for_message(message).send(sealed.revealed(message)), None
    except sealed.SecretUnreadable as error:
        return None, channels.PermanentError(f"{error} (HUB_OUTBOX_KEY changed?)")
    except channels.ChannelError as error:
        return None, error
    except Exception as error:  # a fault of ours: log it, keep the message, try again later
        log.exception("Sending outbox message %s failed unexpectedly", message.id)
        return None, channels.RetryableError(f"{type(error).__name__}: {error}")


def _record(results: list[tuple[Row, str | None, Exception | None]], now: datetime) -> Counter:
    """Write the results of some attempts in one transaction and commit it; counts what became
    of the messages. The sent ones go in one UPDATE; a failure loads its message, to retry it
    later or to mark it failed. Each channel's health is noted on the way."""
    outcome = Counter()
    sent = {message.id: provider_id for message, provider_id, error in results if error is None}
    if sent:
        # One statement for them all. Sending, or pending again if the sweeper thought us
        # dead: either way it went.
        db.session.execute(
            update(_OUTBOX)
            .where(
                _OUTBOX.c.id.in_(list(sent)),
                or_(_OUTBOX.c.status == SENDING, _OUTBOX.c.status == PENDING),
            )
            .values(
                status=SENT,
                sent_at=now,
                provider_id=case(sent, value=_OUTBOX.c.id),
                last_error=None,
            )
        )
        _forget_loaded(sent)
        outcome[SENT] += len(sent)
        for channel in sorted({message.channel for message, _, error in results if not error}):
            channel_health.record_sent(channel, now)
        # A receipt that came before its SID was recorded here is applied now.
        receipts.apply_held([pid for pid in sent.values() if pid], now)
    for claimed, _, error in results:
        if error is None:
            continue
        message = db.session.get(OutboxMessage, claimed.id, populate_existing=True)
        message.last_error = str(error)[:2000]
        down = isinstance(error, channels.ChannelDown)
        channel_health.record_failure(message.channel, str(error), now, down=down)
        if isinstance(error, channels.PermanentError) or now - message.created_at >= GIVE_UP_AFTER:
            outbox.mark_failed(message, None, now)
        else:
            message.status = PENDING
            # Not before its channel's pause ends: it would not be claimed until then anyway.
            paused = channel_health.paused_until(message.channel, now) if down else None
            message.next_attempt_at = max(now + backoff(message.attempts), paused or now)
        log.warning("Outbox message %s (%s): %s", message.id, message.status, error)
        outcome[message.status] += 1
    db.session.commit()
    return outcome


def _put_back(skipped: list[Row], down: dict[str, Exception], now: datetime) -> Counter:
    """Messages never tried because their channel failed earlier in the batch: back to
    ``pending`` at the end of the channel's pause, the claim's attempt given back. One queued
    over a day ago is failed instead, as it would have been had it been tried."""
    outcome = Counter()
    for channel, error in down.items():
        mine = [message for message in skipped if message.channel == channel]
        if not mine:
            continue
        until = channel_health.paused_until(channel, now) or now
        stale = [m.id for m in mine if now - m.created_at >= GIVE_UP_AFTER]
        fresh = [m.id for m in mine if now - m.created_at < GIVE_UP_AFTER]
        untried = _OUTBOX.c.status == SENDING
        given_back = _OUTBOX.c.attempts - 1
        if fresh:
            db.session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(fresh), untried)
                .values(status=PENDING, attempts=given_back, next_attempt_at=until)
            )
        if stale:
            reason = f"Not tried: the {channel} channel was failing ({error})"[:2000]
            db.session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(stale), untried)
                .values(status=FAILED, attempts=given_back, failed_at=now, last_error=reason)
            )
        _forget_loaded(fresh + stale)
        outcome[NOT_TRIED] += len(fresh)
        outcome[FAILED] += len(stale)
    db.session.commit()
    return outcome


def dispatch_due(now: datetime, limit: int = 100, channel: str | None = None) -> dict[str, int]:
    """Send every due message of ``channel`` (both channels if None, as each message's
    ``channel`` says), claiming ``limit`` at a time while full batches keep coming, for up to
    ``DISPATCH_SECONDS`` (the scheduler's next run takes up the rest), skipping a paused
    channel: ``{"sent", "to retry", "failed"}``, with ``"not tried"`` and ``"channels paused"``
    when there were any."""
    outcome = Counter()
    started = time.monotonic()
    wanted = (channel,) if channel else MESSAGE_CHANNELS
    paused = [lane for lane in wanted if channel_health.paused_until(lane, now)]
    db.session.commit()  # the look at the pauses: no transaction stays open while sending
    lanes = tuple(lane for lane in wanted if lane not in paused)
    # One SMTP connection and one Twilio client for the whole run.
    with channels.Channels() as batch:
        while lanes:
            claimed = claim_due(now, limit, lanes)
            sent, down = _send_batch(claimed, batch, now)
            outcome += sent
            lanes = tuple(lane for lane in lanes if lane not in down)
            if len(claimed) < limit or time.monotonic() - started >= DISPATCH_SECONDS:
                break
    summary = {key: outcome[status] for status, key in _SUMMARY_KEYS.items()}
    if outcome[NOT_TRIED]:
        summary[NOT_TRIED] = outcome[NOT_TRIED]
    if paused:
        summary["channels paused"] = len(paused)
    return summary


def dispatch_email(now: datetime) -> dict[str, int]:
    """The scheduler's ``dispatch email`` job."""
    return dispatch_due(now, channel="email")


def dispatch_sms(now: datetime) -> dict[str, int]:
    """The scheduler's ``dispatch sms`` job."""
    return dispatch_due(now, channel="sms")


def _send_batch(
    claimed: list[Row], batch: channels.Channels, now: datetime
) -> tuple[Counter, dict[str, Exception]]:
    """Send the claimed messages, recording results a group at a time. After a channel fails
    as a whole, the rest of its messages are not tried but put back (``_put_back``); answers
    what became of them and which channels failed."""
    outcome = Counter()
    waiting: list[tuple[Row, str | None, Exception | None]] = []
    down: dict[str, Exception] = {}
    skipped: list[Row] = []
    oldest = 0.0  # when the first waiting result came (time.monotonic)
    try:
        for message in claimed:
            if message.channel in down:
                skipped.append(message)
                continue
            provider_id, error = _send(message, batch)
            if isinstance(error, channels.ChannelDown):
                down[message.channel] = error
            if not waiting:
                oldest = time.monotonic()
            waiting.append((message, provider_id, error))
            if len(waiting) >= RECORD_EVERY or time.monotonic() - oldest >= RECORD_SECONDS:
                results, waiting = waiting, []  # if recording fails, the sweeper has them
                outcome += _record(results, now)
    finally:
        if waiting:  # even when interrupted: what was sent is recorded as sent
            outcome += _record(waiting, now)
        if skipped:  # after the failure is recorded: the channel's pause is known
            outcome += _put_back(skipped, down, now)
    return outcome, down


def sweep_stuck(now: datetime) -> dict[str, int]:
    """Put back ``sending`` messages whose attempt began over ``STUCK_AFTER`` ago (a dispatcher
    died mid-send), and forget delivery receipts held a day for a message that never came:
    ``{"put back": n, "receipts dropped": m}``."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == SENDING,
            OutboxMessage.next_attempt_at <= now - STUCK_AFTER,
        )
        .values(status=PENDING, next_attempt_at=now)
        .execution_options(synchronize_session="fetch")
    )
    dropped = receipts.drop_stale_held(now)
    db.session.commit()
    return {"put back": result.rowcount, "receipts dropped": dropped}

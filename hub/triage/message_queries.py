"""What hub staff's page of channel health and failed messages (``/hub/messages``) reads from
the outbox and ``channel_health``: never a recipient, only references and words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import MESSAGE_CHANNELS, OutboxMessage, Referral
from hub.pagination import Page
from notifications import channel_health, kinds

FAILED_PAGE_SIZE = 25


@dataclass(frozen=True)
class ChannelState:
    """One channel as the page shows it."""

    channel: str  # "email", "sms"
    label: str  # "Email", "SMS"
    last_sent_at: datetime | None
    last_failed_at: datetime | None
    last_error: str | None  # scrubbed of addresses and numbers when recorded
    paused_until: datetime | None
    pending: int
    failed_last_day: int

    @property
    def working(self) -> bool:
        return self.paused_until is None


@dataclass(frozen=True)
class FailedMessage:
    """One failed message as the page lists it."""

    id: int
    reference: str | None
    about: str
    channel: str
    failed_at: datetime | None
    error: str


def channel_states(now: datetime) -> list[ChannelState]:
    pending = dict(
        db.session.execute(
            select(OutboxMessage.channel, func.count(OutboxMessage.id))
            .where(OutboxMessage.status.in_(("pending", "sending")))
            .group_by(OutboxMessage.channel)
        ).all()
    )
    failed = dict(
        db.session.execute(
            select(OutboxMessage.channel, func.count(OutboxMessage.id))
            .where(OutboxMessage.status == "failed")
            .where(OutboxMessage.failed_at > now - timedelta(days=1))
            .group_by(OutboxMessage.channel)
        ).all()
    )
    states = []
    for channel, row in channel_health.every_channel().items():
        states.append(
            ChannelState(
                channel=channel,
                label="Email" if channel == kinds.EMAIL else "SMS",
                last_sent_at=row.last_sent_at if row else None,
                last_failed_at=row.last_failed_at if row else None,
                last_error=row.last_error if row else None,
                paused_until=channel_health.paused_until(channel, now),
                pending=pending.get(channel, 0),
                failed_last_day=failed.get(channel, 0),
            )
        )
    return states


def failed_messages(number: int, size: int = FAILED_PAGE_SIZE) -> Page:
    """Failed messages, the latest failure first."""
    failed = OutboxMessage.status == "failed"
    total = db.session.scalar(select(func.count(OutboxMessage.id)).where(failed))
    page = Page.numbered(number, size, total)
    rows = db.session.execute(
        select(OutboxMessage, Referral.reference)
        .outerjoin(Referral, Referral.id == OutboxMessage.referral_id)
        .where(failed)
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .offset(page.offset)
        .limit(size)
    ).all()
    page.items = [
        FailedMessage(
            id=message.id,
            reference=reference,
            about=kinds.about(message.kind),
            channel=kinds.CHANNEL_LABELS.get(message.channel, message.channel),
            failed_at=message.failed_at,
            error=channel_health.scrubbed_error(message.last_error),
        )
        for message, reference in rows
    ]
    return page


__all__ = ["MESSAGE_CHANNELS", "channel_states", "failed_messages"]

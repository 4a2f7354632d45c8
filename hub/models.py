"""The hub's tables. Only services and the data layer use these; views call services."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.status import OPEN_STATUSES

ROLES = ("frontline", "hub", "partner", "manager", "admin")
ORGANISATION_KINDS = ("hub", "referrer", "partner")

CONTACT_PREFERENCES = ("phone", "sms", "email", "letter")
CONTACT_METHODS = ("phone", "sms", "email", "letter", "visit")
NEEDS_MET = ("yes", "partly", "no")
# The four ONS personal wellbeing questions, each scored 0 to 10.
WELLBEING_QUESTIONS = ("life_satisfaction", "worthwhile", "happy", "anxious")
WELLBEING_STAGES = ("questionnaire", "follow_up")
MESSAGE_CHANNELS = ("email", "sms")
MESSAGE_STATUSES = ("pending", "sending", "sent", "delivered", "failed")


# The areas a partner agency covers (its ORUK ``service_areas``).
partner_area = Table(
    "partner_area",
    db.metadata,
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True),
    Column("area_id", ForeignKey("area.id"), primary_key=True, index=True),
)


class Area(db.Model):
    """One of the hub's boroughs, with the postcode districts (``SE1``) and sectors (``SE1 7``)
    in it (docs/design.md, "Areas"). ``slug`` is the borough slug a questionnaire routes by."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]

    postcodes: Mapped[list[AreaPostcode]] = relationship(
        back_populates="area", cascade="all, delete-orphan", order_by="AreaPostcode.prefix"
    )


class AreaPostcode(db.Model):
    """A postcode district or sector of an area, upper case with one space (``SE1 7``); each
    belongs to one area."""

    __tablename__ = "area_postcode"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(8), unique=True)

    area: Mapped[Area] = relationship(back_populates="postcodes")


class Organisation(db.Model):
    """A referrer, a partner agency (with its referral channels) or the hub itself."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    referral_email: Mapped[str | None] = mapped_column(String(254))
    sms_number: Mapped[str | None] = mapped_column(String(20))
    # A partner without accounts may open a signed link with a one-time code sent to
    # ``referral_email``, if the hub allows it.
    allow_email_code: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # A partner's Open Referral UK service id (``directory import`` matches on it).
    oruk_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    url: Mapped[str | None] = mapped_column(String(300))
    # A paused partner (no capacity) is not forwarded new referrals: they wait at the hub,
    # marked for re-routing (``Referral.hold_reason``).
    taking_referrals: Mapped[bool] = mapped_column(default=True)
    # A private SMS duty number is never published (ORUK directory and API).
    sms_private: Mapped[bool] = mapped_column(default=True)

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    areas: Mapped[list[Area]] = relationship(secondary=partner_area, order_by="Area.name")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Set for the stand-in user of a partner that opened a signed link with a one-time code:
    # it sees that one referral only, and can never sign in with a password.
    link_referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", use_alter=True), index=True
    )

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active


class ApiToken(db.Model):
    """An API token, stored as its SHA-256: tokens are long and random, so a fast hash is safe."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Set at issue from ``HUB_TOKEN_DAYS``; the token answers 401 from then on.
    expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class QuestionnaireVersion(db.Model):
    """A published questionnaire, frozen: submissions point at the exact version they answered."""

    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON)
    published_at: Mapped[datetime]


class Client(db.Model):
    """The person a questionnaire is about, as recorded with that questionnaire."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Name and date of birth, case-folded: how the hub spots a possible duplicate with one lookup.
    match_key: Mapped[str] = mapped_column(String(230), index=True)
    # Searched by name in any case (``hub.referrals.search``): migration 0015 indexes
    # ``lower()`` of the given name, and of the family then the given name.
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(10), index=True)  # "SE1 7PB", as uk_postcode
    borough: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_contact: Mapped[str] = mapped_column(String(10))
    contact_times: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    consent_withdrawn_at: Mapped[datetime | None]
    # When ``hub.people.anonymise`` removed the personal details (retention or erasure).
    anonymised_at: Mapped[datetime | None]

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def client_match_key(given_name: str, family_name: str, date_of_birth: date) -> str:
    return f"{given_name.strip().casefold()}|{family_name.strip().casefold()}|{date_of_birth}"


class Submission(db.Model):
    """One completed questionnaire as the hub received it."""

    __table_args__ = (UniqueConstraint("submitted_by_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    referrer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    received_at: Mapped[datetime] = mapped_column(index=True)
    # When the hub asks the client whether their needs were met
    # (``hub.referrals.sla.follow_up_due``).
    follow_up_due_at: Mapped[datetime] = mapped_column(index=True)
    answers: Mapped[dict] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    consent_given: Mapped[bool]
    consent_recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    consent_recorded_at: Mapped[datetime]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the API body sent with the key, as canonical JSON: the same key with another
    # body is refused. None for pages' drafts and for submissions made before migration 0006.
    idempotency_body_hash: Mapped[str | None] = mapped_column(String(64))

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    client: Mapped[Client] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    consent_recorded_by: Mapped[User] = relationship(foreign_keys=[consent_recorded_by_id])
    referrer_organisation: Mapped[Organisation] = relationship()
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="submission", order_by="Referral.id"
    )
    follow_up: Mapped[FollowUp | None] = relationship(back_populates="submission")
    wellbeing: Mapped[list[WellbeingScore]] = relationship(
        back_populates="submission", order_by="WellbeingScore.id"
    )


class Referral(db.Model):
    """One flag of one submission, to one partner agency. Its status changes only in lifecycle."""

    __table_args__ = (
        Index("ix_referral_status_forward_due", "status", "forward_due_at"),
        Index("ix_referral_partner_status", "partner_id", "status"),
        # For the figures (``hub.figures.stored``): a day's referrals; the declines; and the few
        # whose deadline is still ahead (the only ones whose counts change with the clock).
        Index("ix_referral_received_at", "received_at"),
        Index(
            "ix_referral_declined_received",
            "received_at",
            sqlite_where=text("declined_at IS NOT NULL"),
            postgresql_where=text("declined_at IS NOT NULL"),
        ),
        Index(
            "ix_referral_forward_due_unforwarded",
            "forward_due_at",
            sqlite_where=text("forwarded_at IS NULL"),
            postgresql_where=text("forwarded_at IS NULL"),
        ),
        Index(
            "ix_referral_contact_due_uncontacted",
            "contact_due_at",
            sqlite_where=text("contacted_at IS NULL"),
            postgresql_where=text("contacted_at IS NULL"),
        ),
        Index("ix_referral_status_contact_due", "status", "contact_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    question_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime]
    forward_due_at: Mapped[datetime]
    forwarded_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    contact_due_at: Mapped[datetime | None]
    contacted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(40))
    status_reason: Mapped[str | None] = mapped_column(Text)
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    # Re-routed at most once (migration 0007): a second re-route at once is refused, not sent.
    rerouted_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id"), index=True, unique=True
    )
    # When the scheduler's SLA watch (``hub.jobs.watch``) next looks at this referral: its
    # forwarding warning or breach, a chase, or its contact breach. NULL when nothing more can fall
    # due.
    sla_check_at: Mapped[datetime | None] = mapped_column(index=True)
    # Why the hub holds this referral instead of forwarding it ("partner_paused": its partner
    # was not taking referrals when it arrived); NULL for the rest.
    hold_reason: Mapped[str | None] = mapped_column(String(40))

    submission: Mapped[Submission] = relationship(back_populates="referrals")
    partner: Mapped[Organisation] = relationship()
    possible_duplicate_of: Mapped[Referral | None] = relationship(
        remote_side=[id], foreign_keys=[possible_duplicate_of_id]
    )
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id"
    )
    attempts: Mapped[list[ContactAttempt]] = relationship(
        back_populates="referral", order_by="ContactAttempt.attempted_at"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralEvent(db.Model):
    """The history of a referral: who did what, when. ``key`` makes a recorded event unique."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    key: Mapped[str | None] = mapped_column(String(120), unique=True)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


def new_draft_id() -> str:
    return uuid.uuid4().hex


class QuestionnaireDraft(db.Model):
    """A questionnaire being completed, kept on the server so a long visit loses nothing."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_draft_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    submission: Mapped[Submission | None] = relationship()


class ContactAttempt(db.Model):
    """A partner's attempt to reach the client: when, how, and whether it reached them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    attempted_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(10))
    reached: Mapped[bool]
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime]

    referral: Mapped[Referral] = relationship(back_populates="attempts")
    recorded_by: Mapped[User | None] = relationship()


class FollowUp(db.Model):
    """The hub's call to the client about four weeks on: were their needs met?"""

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    needs_met: Mapped[str] = mapped_column(String(10))
    # Slugs of the partner agencies the client says helped.
    helped: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime]

    submission: Mapped[Submission] = relationship(back_populates="follow_up")
    recorded_by: Mapped[User] = relationship()


class WellbeingScore(db.Model):
    """The four ONS personal wellbeing answers (0-10), at the questionnaire or the follow-up."""

    __table_args__ = (UniqueConstraint("submission_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    stage: Mapped[str] = mapped_column(String(20))
    life_satisfaction: Mapped[int]
    worthwhile: Mapped[int]
    happy: Mapped[int]
    anxious: Mapped[int]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime]

    submission: Mapped[Submission] = relationship(back_populates="wellbeing")


class PartnerLinkCode(db.Model):
    """A one-time code, sent to a partner's registered email, that opens one signed link.
    Stored as its SHA-256 with a short life and a limited number of guesses."""

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failed_guesses: Mapped[int] = mapped_column(default=0)


class OutboxMessage(db.Model):
    """One email or SMS to send, written in the same transaction as the change that caused it.
    ``key`` is unique, so the same cause never queues the same message twice."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_next_attempt", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # when it failed for good
    digested_at: Mapped[datetime | None]  # when the failure digest told hub staff of it
    # The body's secrets (a one-time code, a signed link), encrypted; the stored texts hold
    # placeholders for them until the moment of sending (notifications.secrets).
    secrets: Mapped[str | None] = mapped_column(Text)


class ChannelHealth(db.Model):
    """How one channel (``email``, ``sms``) is faring, kept by ``notifications.dispatch``: its
    last success, its last failure, and the pause after the channel itself failed."""

    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_sent_at: Mapped[datetime | None]
    last_failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)  # without addresses or numbers
    down_count: Mapped[int] = mapped_column(default=0)  # channel failures in a row
    paused_until: Mapped[datetime | None]


class HeldReceipt(db.Model):
    """A delivery receipt that came before its message's provider id was recorded (dispatch
    records results a group at a time): kept until the id is recorded, then applied."""

    __tablename__ = "held_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(20))
    received_at: Mapped[datetime]


class JobMark(db.Model):
    """Work a job does once a period (e.g. ``partner_digest:2026-11-23``), marked done in the
    transaction that does it: the key is unique, so a rerun or a second scheduler finds it done."""

    __tablename__ = "job_mark"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    done_at: Mapped[datetime]


class ExportAudit(db.Model):
    """Who exported what, when, with which filter: every download of figures or of pseudonymised
    referral rows is recorded, in the same transaction that reads it."""

    __tablename__ = "export_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # What was exported: ``figures`` or ``referrals``; and in which format: ``csv`` or ``xlsx``.
    kind: Mapped[str] = mapped_column(String(20))
    file_format: Mapped[str] = mapped_column(String(10))
    # The filter as the user chose it (period, partner, referrer, borough, question).
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    rows: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()


# A table of its own module, to keep this one short; imported from here like every other.
from hub.export_job_model import ExportJob  # noqa: E402, F401

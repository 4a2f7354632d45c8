"""Signed links to one referral, and the one-time codes that open them, for partner agencies
without accounts.

A forwarding email to such an agency carries ``/partner/links/<token>``. The token is signed with
``SECRET_KEY`` (itsdangerous, salt ``partner-referral-link``) and carries the referral, the
partner it was sent to and when it was issued; it expires after ``HUB_PARTNER_LINK_DAYS``,
checked here against the caller's ``now`` (itsdangerous's own timestamp reads the clock).

The link alone shows the reference. To see the referral the visitor signs in, or, if the hub
allows it for that agency, asks for a six-digit code sent to the agency's registered email and
enters it; the code signs them in as a stand-in partner user that sees that one referral only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from hub.extensions import db
from hub.models import Organisation, PartnerLinkCode, Referral, User

SALT = "partner-referral-link"
CODE_GUESSES = 5  # wrong guesses before a code is dead
CODES_PER_HOUR = 5  # codes one referral may have sent in an hour
CODE_DIGITS = 6


# --- Links ------------------------------------------------------------------------------------


class LinkError(Exception):
    """A link that does not open a referral. ``status`` is the HTTP status of its page."""

    kind = "problem"
    status = 400
    title = "This link does not work"


class LinkTampered(LinkError):
    kind = "tampered"
    status = 400
    title = "This link is not complete"


class LinkExpired(LinkError):
    kind = "expired"
    status = 410
    title = "This link has expired"


class LinkUnknown(LinkError):
    kind = "unknown"
    status = 404
    title = "There is no referral at this link"


class LinkReassigned(LinkError):
    kind = "reassigned"
    status = 410
    title = "This referral is no longer with your agency"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _timestamp(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def make_link_token(referral: Referral, now: datetime) -> str:
    return _serializer().dumps([referral.id, referral.partner_id, _timestamp(now)])


def portal_referral_path(referral_id: int) -> str:
    """The partner portal's page for one referral (``partner_portal.referral``). A path, so it
    can be built outside a request, as messages are."""
    return f"/partner/referrals/{referral_id}"


def link_path(referral: Referral, now: datetime) -> str:
    return f"/partner/links/{make_link_token(referral, now)}"


def link_url(referral: Referral, now: datetime) -> str:
    return current_app.config["HUB_BASE_URL"] + link_path(referral, now)


def read_link_token(token: str, now: datetime) -> int:
    """The referral a token opens, or a ``LinkError`` saying why not."""
    try:
        referral_id, partner_id, issued = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise LinkTampered() from None
    if not all(isinstance(part, int) for part in (referral_id, partner_id, issued)):
        raise LinkTampered()
    lifetime = timedelta(days=current_app.config["HUB_PARTNER_LINK_DAYS"])
    if now - datetime.fromtimestamp(issued, UTC).replace(tzinfo=None) > lifetime:
        raise LinkExpired()
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.forwarded_at is None:
        raise LinkUnknown()
    if referral.partner_id != partner_id:
        raise LinkReassigned()
    return referral_id


# --- One-time codes ---------------------------------------------------------------------------


class TooManyCodes(Exception):
    """The referral has had ``CODES_PER_HOUR`` codes sent in the last hour."""


class CodeRefused(Exception):
    """The code entered does not open the link. ``reason`` is ``wrong`` (with ``left``
    guesses), ``locked`` (too many wrong guesses), ``expired`` or ``used``, or ``none``."""

    def __init__(self, reason: str, message: str, left: int = 0):
        self.reason = reason
        self.left = left
        super().__init__(message)


def codes_allowed(partner: Organisation) -> bool:
    """Whether the hub lets this agency open links with a code sent to its registered email."""
    return bool(partner.allow_email_code and partner.referral_email and partner.active)


def mask_email(address: str) -> str:
    """``r•••@example.org``: enough to recognise the address, not enough to harvest it."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def _code_hash(referral_id: int, code: str) -> str:
    return hashlib.sha256(f"{referral_id}:{code}".encode()).hexdigest()


def _lock(referral: Referral) -> None:
    """One code operation per referral at a time: a second waits, then sees what the first
    did (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite: ``hub.extensions``)."""
    db.session.execute(select(Referral.id).where(Referral.id == referral.id).with_for_update())


def issue_code(referral: Referral, now: datetime) -> tuple[PartnerLinkCode, str]:
    """A new code for the referral: the row (holding only its hash) and the code itself, which
    the caller sends and then forgets."""
    _lock(referral)
    recent = db.session.scalar(
        select(func.count(PartnerLinkCode.id)).where(
            PartnerLinkCode.referral_id == referral.id,
            PartnerLinkCode.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= CODES_PER_HOUR:
        raise TooManyCodes()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = PartnerLinkCode(
        referral_id=referral.id,
        code_hash=_code_hash(referral.id, code),
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["HUB_PARTNER_CODE_MINUTES"]),
        failed_guesses=0,
    )
    db.session.add(row)
    db.session.flush()
    return row, code


def confirm_code(referral: Referral, entered: str, now: datetime) -> PartnerLinkCode:
    """Use a code: the live code it matches, marked used, or ``CodeRefused``. A wrong guess
    counts against every live code of the referral (each was open to it); the caller commits
    either way, so wrong guesses are kept."""
    _lock(referral)
    codes = list(
        db.session.scalars(
            select(PartnerLinkCode)
            .where(PartnerLinkCode.referral_id == referral.id)
            .order_by(PartnerLinkCode.id.desc())
            .with_for_update()
            .execution_options(populate_existing=True)  # the guesses counted as locked
        )
    )
    live = [
        code
        for code in codes
        if code.used_at is None and code.expires_at > now and code.failed_guesses < CODE_GUESSES
    ]
    if not live:
        raise _why_none_live(codes[0] if codes else None, now)
    wanted = _code_hash(referral.id, entered)
    for code in live:
        if hmac.compare_digest(code.code_hash, wanted):
            # Used once only, even by two requests at the same moment.
            used = db.session.execute(
                update(PartnerLinkCode)
                .where(PartnerLinkCode.id == code.id, PartnerLinkCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if used.rowcount != 1:
                raise CodeRefused("used", "This code has already been used. Request a new code.")
            code.used_at = now
            return code
    for code in live:
        code.failed_guesses += 1
    db.session.flush()
    left = CODE_GUESSES - max(code.failed_guesses for code in live)
    if left <= 0:
        raise CodeRefused("locked", _LOCKED)
    tries = "1 more try" if left == 1 else f"{left} more tries"
    raise CodeRefused("wrong", f"The code is not correct. You have {tries}.", left=left)


_LOCKED = "You have entered a wrong code too many times. Request a new code."


def _why_none_live(latest: PartnerLinkCode | None, now: datetime) -> CodeRefused:
    if latest is None:
        return CodeRefused("none", "Request a code first: there is no code for this link.")
    if latest.used_at is not None:
        return CodeRefused("used", "This code has already been used. Request a new code.")
    if latest.failed_guesses >= CODE_GUESSES:
        return CodeRefused("locked", _LOCKED)
    return CodeRefused("expired", "The code has expired. Request a new code.")


# --- The stand-in user ------------------------------------------------------------------------


def stand_in_email(referral: Referral) -> str:
    """An address that can never receive email (``.invalid``) and names what the user is."""
    return f"link-{referral.id}@{referral.partner.slug}.link.invalid"


def stand_in_user(referral: Referral, now: datetime) -> User:
    """The partner user tied to this one referral, created the first time a code is confirmed.
    It has no usable password (``hub.auth.accounts`` refuses it password sign-in anyway), and
    ``hub.auth.access.referrals_visible_to`` limits it to ``link_referral_id``."""
    email = stand_in_email(referral)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user
    partner = referral.partner
    user = User(
        email=email,
        name=f"Signed link (code sent to {mask_email(partner.referral_email)})",
        # A hash of a random secret nobody keeps: no password can match it.
        password_hash=generate_password_hash(
            secrets.token_urlsafe(32), method=current_app.config["PASSWORD_HASH_METHOD"]
        ),
        role="partner",
        organisation=partner,
        link_referral_id=referral.id,
        active=True,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user

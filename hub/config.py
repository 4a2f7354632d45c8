"""Configuration from the environment (docs/design.md, "Configuration")."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import phonenumbers


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def _int_list(name: str, default: str) -> tuple[int, ...]:
    raw = os.environ.get(name) or default
    return tuple(int(part) for part in raw.split(",") if part.strip())


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value not in choices:
        raise RuntimeError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _uk_mobile(name: str) -> str | None:
    """An optional UK mobile number, in E.164; anything else stops the hub from starting."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or number.country_code != 44
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise RuntimeError(f"{name} must be a UK mobile number, like 07911 123456")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def instance_secret_key(instance_path: str) -> str:
    """A development key generated once into the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment(instance_path: str) -> dict:
    """Every setting the hub reads, with the defaults in docs/design.md."""
    production = os.environ.get("HUB_ENV", "development") == "production"
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise RuntimeError("SECRET_KEY must be set when HUB_ENV=production")
        secret_key = instance_secret_key(instance_path)
    outbox_key = os.environ.get("HUB_OUTBOX_KEY")
    if not outbox_key:
        # Production may leave it unset (an operator who set only SECRET_KEY still starts): the
        # key is then derived from SECRET_KEY, which is as secret; a key of its own is better.
        outbox_key = hashlib.sha256(f"hub-outbox:{secret_key}".encode()).hexdigest()
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "hub.db")
    )
    return {
        "HUB_ENV": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "HUB_BASE_URL": (os.environ.get("HUB_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": _int("SMTP_PORT", 587),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "sail-hub@localhost",
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER"),
        "TWILIO_API_BASE_URL": os.environ.get("TWILIO_API_BASE_URL"),
        # How long to wait on the mail server or Twilio (to connect, then for each answer)
        # before the channel counts as down and its batch waits for its next try.
        "SMTP_TIMEOUT_SECONDS": _float("SMTP_TIMEOUT_SECONDS", 10.0),
        "TWILIO_TIMEOUT_SECONDS": _float("TWILIO_TIMEOUT_SECONDS", 10.0),
        "HUB_FORWARD_SLA_HOURS": _int("HUB_FORWARD_SLA_HOURS", 24),
        "HUB_FORWARD_WARN_HOURS": _int("HUB_FORWARD_WARN_HOURS", 20),
        "HUB_CONTACT_SLA_DAYS": _int("HUB_CONTACT_SLA_DAYS", 14),
        "HUB_CHASE_DAYS": _int_list("HUB_CHASE_DAYS", "7,12"),
        "HUB_FOLLOW_UP_DAYS": _int("HUB_FOLLOW_UP_DAYS", 28),
        # Whether SLA deadlines count calendar time or working time (hub/referrals/sla.py).
        "HUB_SLA_CLOCK": _choice("HUB_SLA_CLOCK", ("calendar", "working"), "calendar"),
        # How often `flask --app hub scheduler` runs the jobs (sending messages among them).
        "HUB_SCHEDULER_SECONDS": _int("HUB_SCHEDULER_SECONDS", 30),
        "HUB_UNABLE_TO_CONTACT_ATTEMPTS": _int("HUB_UNABLE_TO_CONTACT_ATTEMPTS", 3),
        # ... made on at least this many different days (UK dates): three calls in three
        # minutes are not a real try at reaching the client (hub/referrals/contact_attempts.py).
        "HUB_UNABLE_TO_CONTACT_DAYS": _int("HUB_UNABLE_TO_CONTACT_DAYS", 2),
        # Signed links to one referral, for partners without accounts, and their one-time codes.
        "HUB_PARTNER_LINK_DAYS": _int("HUB_PARTNER_LINK_DAYS", 28),
        "HUB_PARTNER_CODE_MINUTES": _int("HUB_PARTNER_CODE_MINUTES", 15),
        # Personal details are removed this many months after a person's last referral ended,
        # and unfinished questionnaire drafts deleted this many days after their last change.
        "HUB_RETENTION_MONTHS": _int("HUB_RETENTION_MONTHS", 24),
        "HUB_DRAFT_DAYS": _int("HUB_DRAFT_DAYS", 7),
        # The hub team's shared mailbox for alerts (e.g. a message that failed for good); several
        # addresses may be separated by commas. Unset: every active hub user gets them.
        "HUB_ALERT_EMAIL": os.environ.get("HUB_ALERT_EMAIL") or None,
        # The hub's duty mobile: the failure digest goes there by SMS when email is not working.
        "HUB_ALERT_SMS": _uk_mobile("HUB_ALERT_SMS"),
        # The secret behind the client pseudonyms in exports (hub/figures/export_rows.py); unset,
        # one is derived from SECRET_KEY, so changing SECRET_KEY would change every pseudonym.
        "HUB_PSEUDONYM_KEY": os.environ.get("HUB_PSEUDONYM_KEY") or None,
        # Seals one-time codes and signed links in the outbox (notifications/sealed.py); any long
        # random string; derived from SECRET_KEY when unset.
        "HUB_OUTBOX_KEY": outbox_key,
        # How long a new API token lasts; and an emailed link to set a password, for an
        # invitation and for a reset (hub/auth/account_life.py).
        "HUB_TOKEN_DAYS": _int("HUB_TOKEN_DAYS", 365),
        "HUB_INVITE_LINK_HOURS": _int("HUB_INVITE_LINK_HOURS", 72),
        "HUB_RESET_LINK_HOURS": _int("HUB_RESET_LINK_HOURS", 2),
        # A visit can take an hour or more: the CSRF token lives as long as the session does.
        "WTF_CSRF_TIME_LIMIT": None,
        # A session not used for this long ends on the server (hub/auth/sessions.py); a fraction
        # is allowed (tests use seconds). Pages warn 2 minutes before.
        "HUB_IDLE_MINUTES": _float("HUB_IDLE_MINUTES", 30.0),
        "PERMANENT_SESSION_LIFETIME": _int("HUB_SESSION_HOURS", 12) * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Flask's own limit on a request's body: larger ones answer 413 (docs/design.md, "Limits
        # on input").
        "MAX_CONTENT_LENGTH": _int("HUB_MAX_REQUEST_BYTES", 1048576),
        "API_PAGE_SIZE": _int("HUB_API_PAGE_SIZE", 50),
        # Sign-in throttling (hub/auth/throttle.py): this many failures for one account within
        # the minutes lock it for as many minutes; as many failures from one address, that
        # address (docs/design.md, "Sign-in").
        "HUB_SIGNIN_LOCK_ATTEMPTS": _int("HUB_SIGNIN_LOCK_ATTEMPTS", 10),
        "HUB_SIGNIN_LOCK_MINUTES": _int("HUB_SIGNIN_LOCK_MINUTES", 15),
        "HUB_SIGNIN_ADDRESS_ATTEMPTS": _int("HUB_SIGNIN_ADDRESS_ATTEMPTS", 100),
        # Hub, manager and admin users must sign in with a second factor (hub/auth/two_factor.py):
        # on by default in production, off in development.
        "HUB_REQUIRE_2FA": _bool("HUB_REQUIRE_2FA", production),
        # How many proxies in front of the hub set X-Forwarded-For and -Proto (0: none, and the
        # client's address is the connection's).
        "HUB_PROXY_COUNT": _int("HUB_PROXY_COUNT", 0),
        # werkzeug's default (scrypt); tests choose a cheaper one to stay quick.
        "PASSWORD_HASH_METHOD": os.environ.get("HUB_PASSWORD_HASH_METHOD") or "scrypt",
    }

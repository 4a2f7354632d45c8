"""Sessions on the server: each sign-in is a row, and a browser's cookie works only while its row
is live (docs/design.md, "Sessions").

Flask's signed cookie still carries CSRF tokens, flashes and Flask-Login's user id; it also
carries a random session id, stored here only as its SHA-256. ``load_user`` accepts the cookie
only while that row is live: not ended (sign-out, a password change, deactivation), not idle
for longer than ``HUB_IDLE_MINUTES``, and its user active. So a copied cookie stops working the
moment its session ends, which a signed cookie alone cannot do.

``last_seen_at`` is written at most once a ``TOUCH_EVERY`` (not on every request); the pages'
timeout warning is told how long is really left (``seconds_left``), so the lag never signs
anyone out earlier than the page said.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    request,
    session,
    url_for,
)
from flask_login import current_user, user_logged_in, user_logged_out
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from hub import clock
from hub.extensions import db
from hub.models import User

SESSION_KEY = "hub_session"  # in Flask's signed cookie: the plain session id
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_CHARS = 200
# Requests that are not a person doing something: they neither load the user nor keep a session
# alive (a page's stylesheet is fetched whether or not anyone is there).
NOT_ACTIVITY = frozenset({"static", "health.govuk_assets", "health.healthz"})


class UserSession(db.Model):
    """One sign-in on one browser, from sign-in until it ends or goes idle."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_CHARS), default="")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["HUB_IDLE_MINUTES"])


def warning_lead() -> timedelta:
    """How long before the idle limit the page warns: 2 minutes, or half the limit if shorter."""
    return min(timedelta(minutes=2), idle_limit() / 2)


def idle_wording() -> str:
    """The idle limit in words, as the sign-in page says it: "30 minutes", "1 minute"."""
    seconds = round(idle_limit().total_seconds())
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    return f"{seconds} second" + ("" if seconds == 1 else "s")


def start(user: User, now: datetime, user_agent: str = "") -> str:
    """A new session for ``user``: the plain id, to go in the cookie (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:USER_AGENT_CHARS],
        )
    )
    db.session.flush()
    return token


def find(token: str | None) -> UserSession | None:
    if not token:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))


def is_idle(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= idle_limit()


def touch(row: UserSession, now: datetime, force: bool = False) -> bool:
    """Record activity, at most once a ``TOUCH_EVERY`` unless forced; whether it wrote."""
    if not force and now - row.last_seen_at < min(TOUCH_EVERY, idle_limit() / 4):
        return False
    row.last_seen_at = now
    return True


def seconds_left(row: UserSession, now: datetime) -> int:
    return max(0, int((row.last_seen_at + idle_limit() - now).total_seconds()))


def end(row: UserSession, now: datetime) -> None:
    if row.ended_at is None:
        row.ended_at = now


def end_all(user: User, now: datetime, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` (but ``keep``): after a password change, or when the
    user is deactivated. How many were ended."""
    condition = (UserSession.user_id == user.id) & UserSession.ended_at.is_(None)
    if keep is not None:
        condition &= UserSession.id != keep.id
    result = db.session.execute(
        update(UserSession).where(condition).values(ended_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount


def current() -> UserSession | None:
    """This request's live session row, once ``load_user`` has accepted it."""
    return g.get("user_session")


# --- Flask-Login's side -------------------------------------------------------------------------


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only while the cookie's session row is live. An idle
    session is ended here, and the sign-in page will say why."""
    now = clock.utcnow()
    row = find(session.get(SESSION_KEY))
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if row is None or user is None or row.user_id != user.id or row.ended_at is not None:
        return _refuse()
    if not user.active:
        end(row, now)
        return _refuse()
    if is_idle(row, now):
        end(row, now)
        flash(f"You were signed out because you did not do anything for {idle_wording()}", "info")
        return _refuse()
    if request.endpoint not in NOT_ACTIVITY:
        touch(row, now)
    g.user_session = row
    return user


def _refuse() -> None:
    session.pop("_user_id", None)
    session.pop(SESSION_KEY, None)
    g.session_changed = True
    return None


# Sign-in and sign-out commit at once: the sign-in view has nothing else to write, and a partner's
# signed link has committed its stand-in user before signing it in.


def _signed_in(app, user: User) -> None:
    token = start(user, clock.utcnow(), request.headers.get("User-Agent", ""))
    db.session.commit()
    session[SESSION_KEY] = token
    g.user_session = find(token)


def _signed_out(app, user) -> None:
    row = find(session.pop(SESSION_KEY, None))
    if row is not None:
        end(row, clock.utcnow())
        db.session.commit()


def _load_first() -> None:
    """Load the user before the view runs, and commit what loading wrote (a touch, an ended
    idle session) on its own: a view's changes must not be committed half-way by it."""
    # Each request judges its own cookie. (``g`` is new for each request, except where a test's
    # app context outlives its requests; Flask-Login keeps the user it loaded there.)
    g.pop("_login_user", None)
    g.pop("user_session", None)
    if request.endpoint in NOT_ACTIVITY or "_user_id" not in session:
        return
    current_user._get_current_object()
    if db.session.dirty or g.get("session_changed"):
        db.session.commit()


def _timeout_warning() -> dict:
    """What the pages' timeout warning needs (templates/_timeout_warning.html), for a signed-in
    page; ``None`` when no one is signed in."""
    if not has_request_context():  # an email, rendered by a job
        return {"idle_timeout": None}
    row = current() if current_user.is_authenticated else None
    if row is None:
        return {"idle_timeout": None}
    return {
        "idle_timeout": {
            "seconds_left": seconds_left(row, clock.utcnow()),
            "idle_seconds": int(idle_limit().total_seconds()),
            "warning_seconds": int(warning_lead().total_seconds()),
            "signed_out_url": url_for("auth.login", next=request.full_path.rstrip("?")),
        }
    }


def init_app(app: Flask) -> None:
    app.before_request(_load_first)
    app.context_processor(_timeout_warning)
    user_logged_in.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)

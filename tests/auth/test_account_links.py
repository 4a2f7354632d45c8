"""Invitation and password reset by an emailed single-use link: the email goes through the
outbox with the link sealed, the link sets a password once, and an expired or used link is
refused with words that say so."""

import re
from datetime import timedelta

from sqlalchemy import select

from hub.audit import AuditEvent
from hub.auth import account_life, accounts
from hub.extensions import db
from hub.models import OutboxMessage
from notifications import sealed
from tests.support import page_text, sign_in

NEW_PASSWORD = "correct horse battery staple"


def link_sent_to(email: str, kind: str) -> str:
    """The link in the email queued for ``email``, as the channel would send it."""
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == email, OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    assert "/account/set-password/" not in message.body + message.html  # sealed at rest
    assert sealed.placeholder("link") in message.body and message.secrets
    body = sealed.revealed(message).body
    return re.search(r"http://hub\.test(/account/set-password/\S+)", body).group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def test_an_invited_user_sets_a_password_by_the_link_once(runner, client, demo_hub):
    result = runner.invoke(
        args=["users", "invite", "New.Nurse@example.org", "--role", "frontline",
              "--org", "Camberwell Nurses", "--name", "Nia Nurse"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    invited = accounts.find_user("new.nurse@example.org")
    assert invited.name == "Nia Nurse" and invited.role == "frontline"
    # No password works before the link is used.
    assert accounts.authenticate("new.nurse@example.org", "!no-password") is None

    path = link_sent_to("new.nurse@example.org", "account_invite")
    page = client.get(path)
    assert page.status_code == 200 and "Set your password to start" in page_text(page)
    done = set_password(client, path)
    assert done.status_code == 302 and done.location.endswith("/login")
    sign_in(client, "new.nurse@example.org", NEW_PASSWORD)

    again = client.get(path)
    assert again.status_code == 410 and "already been used" in page_text(again)
    reused = set_password(client, path, "another-long-password")
    assert reused.status_code == 410
    assert accounts.authenticate("new.nurse@example.org", NEW_PASSWORD) == invited
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject == "new.nurse@example.org")
    ).all()
    assert actions == ["invited", "password_set"]


def test_a_reset_link_sets_a_new_password_and_the_old_one_stops_working(runner, client, demo_hub):
    hub = demo_hub["hub"]
    result = runner.invoke(args=["users", "reset-password", hub.email])
    assert result.exit_code == 0, result.output
    path = link_sent_to(hub.email, "password_reset")
    assert "Set a new password" in page_text(client.get(path))
    assert set_password(client, path).status_code == 302
    assert accounts.authenticate(hub.email, hub.password) is None
    assert accounts.authenticate(hub.email, NEW_PASSWORD).email == hub.email


def test_an_expired_link_is_refused_and_changes_nothing(app, client, db, demo_hub, now):
    hub = demo_hub["hub"]
    account_life.send_reset(hub.email, None, now - timedelta(hours=2))  # lasts 2 hours
    db.session.commit()
    path = link_sent_to(hub.email, "password_reset")
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page_text(page)
    assert set_password(client, path).status_code == 410
    assert accounts.authenticate(hub.email, hub.password).email == hub.email


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(
    runner, client, demo_hub
):
    hub = demo_hub["hub"]
    runner.invoke(args=["users", "reset-password", hub.email])
    path = link_sent_to(hub.email, "password_reset")
    short = set_password(client, path, "short")
    assert short.status_code == 200 and "at least 12" in page_text(short)
    mismatched = set_password(client, path, NEW_PASSWORD, "something else entirely")
    assert "The passwords do not match" in page_text(mismatched)
    assert set_password(client, path).status_code == 302


def test_an_unknown_link_says_so(client, demo_hub):
    page = client.get("/account/set-password/not-a-real-token")
    assert page.status_code == 410 and "not valid" in page_text(page)


def test_setting_a_password_voids_the_other_links(runner, client, demo_hub):
    hub = demo_hub["hub"]
    runner.invoke(args=["users", "reset-password", hub.email])
    first = link_sent_to(hub.email, "password_reset")
    runner.invoke(args=["users", "reset-password", hub.email])
    second = link_sent_to(hub.email, "password_reset")
    assert first != second
    assert set_password(client, second).status_code == 302
    assert set_password(client, first, "yet another long password").status_code == 410


def test_a_deactivated_user_is_not_sent_a_reset(runner, demo_hub):
    runner.invoke(args=["users", "deactivate", "hub@demo.sail.example"])
    result = runner.invoke(args=["users", "reset-password", "hub@demo.sail.example"])
    assert result.exit_code != 0 and "deactivated" in result.output


def test_inviting_an_existing_email_is_refused(runner, demo_hub):
    result = runner.invoke(
        args=["users", "invite", "hub@demo.sail.example", "--role", "hub", "--org", "SAIL hub"]
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_setting_a_password_by_a_reset_link_ends_the_users_sessions(
    runner, client, app, sign_in_as
):
    hub_user = sign_in_as("hub")
    assert client.get("/hub/referrals").status_code == 200
    assert runner.invoke(args=["users", "reset-password", hub_user.email]).exit_code == 0
    path = link_sent_to(hub_user.email, "password_reset")
    done = set_password(app.test_client(), path)
    assert done.status_code == 302
    # The browser signed in with the old password is signed out.
    assert client.get("/hub/referrals").status_code == 302

"""An account's life from the command line: deactivate, activate, revoke API tokens, tokens
that expire; each change recorded in the audit trail."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.audit import CLI, AuditEvent
from hub.auth import accounts
from hub.auth.sessions import UserSession
from hub.extensions import db
from hub.models import ApiToken
from tests.api_support import bearer
from tests.factories import user
from tests.support import sign_in


def audit_actions(subject: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject == subject).order_by(AuditEvent.id)
        )
    )


def test_deactivate_refuses_sign_in_and_the_api_and_activate_restores_both(
    runner, client, demo_hub, now
):
    hub = demo_hub["hub"]
    headers = bearer("hub", now)
    assert client.get("/api/v1/questionnaires", headers=headers).status_code == 200

    result = runner.invoke(args=["users", "deactivate", "HUB@demo.sail.example"])
    assert result.exit_code == 0, result.output
    response = client.get("/api/v1/questionnaires", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "account_deactivated"
    refused = client.post("/login", data={"email": hub.email, "password": hub.password})
    assert refused.status_code == 200 and "Enter a correct email" in refused.get_data(True)

    result = runner.invoke(args=["users", "activate", hub.email])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/questionnaires", headers=headers).status_code == 200
    sign_in(client, hub.email, hub.password)
    assert audit_actions(hub.email) == ["user_deactivated", "user_activated"]
    event = db_event(hub.email)
    assert (event.actor, event.actor_id) == (CLI, None)


def db_event(subject: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.subject == subject)).first()


def test_a_signed_in_user_is_signed_out_when_deactivated(runner, client, sign_in_as):
    hub_user = sign_in_as("hub")
    assert client.get("/hub/referrals").status_code == 200
    assert runner.invoke(args=["users", "deactivate", "hub@demo.sail.example"]).exit_code == 0
    # Ended on the server at once, not only refused at the next request: activating again
    # does not bring the old session back.
    db.session.expire_all()
    assert live_sessions(hub_user) == []
    assert runner.invoke(args=["users", "activate", "hub@demo.sail.example"]).exit_code == 0
    assert client.get("/hub/referrals").status_code == 302


def live_sessions(demo_user) -> list:
    found = accounts.find_user(demo_user.email)
    return db.session.scalars(
        select(UserSession).where(UserSession.user_id == found.id, UserSession.ended_at.is_(None))
    ).all()


def test_revoke_tokens_makes_every_token_of_the_user_answer_401(runner, client, demo_hub, now):
    first, second = bearer("partner", now), bearer("partner", now)
    other = bearer("hub", now)
    result = runner.invoke(args=["users", "revoke-tokens", "partner@demo.sail.example"])
    assert result.exit_code == 0, result.output
    assert "Revoked 2 API tokens" in result.output
    for headers in (first, second):
        response = client.get("/api/v1/referrals", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "token_revoked"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/referrals", headers=other).status_code == 200
    # A token issued afterwards works: revoking is of the tokens there were.
    assert client.get("/api/v1/referrals", headers=bearer("partner", now)).status_code == 200
    assert audit_actions("partner@demo.sail.example") == ["tokens_revoked"]


@pytest.mark.parametrize("command", ["deactivate", "activate", "revoke-tokens", "reset-password"])
def test_an_unknown_email_is_a_clear_error(runner, demo_hub, command):
    result = runner.invoke(args=["users", command, "nobody@example.org"])
    assert result.exit_code != 0
    assert "No user with the email nobody@example.org" in result.output


def test_the_last_active_admin_cannot_be_deactivated(runner, demo_hub):
    result = runner.invoke(args=["users", "deactivate", "admin@demo.sail.example"])
    assert result.exit_code != 0 and "last active admin" in result.output
    assert user("admin").active
    assert audit_actions("admin@demo.sail.example") == []
    # With a second admin, the first may go.
    created = runner.invoke(
        args=["users", "create", "second@example.org", "--role", "admin", "--org", "SAIL hub",
              "--password-stdin"],
        input="a-long-enough-password\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    result = runner.invoke(args=["users", "deactivate", "admin@demo.sail.example"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "deactivate", "second@example.org"])
    assert again.exit_code != 0 and "last active admin" in again.output
    assert audit_actions("second@example.org") == ["user_created"]


def test_deactivating_twice_says_so(runner, demo_hub):
    assert runner.invoke(args=["users", "deactivate", "hub@demo.sail.example"]).exit_code == 0
    again = runner.invoke(args=["users", "deactivate", "hub@demo.sail.example"])
    assert again.exit_code != 0 and "already deactivated" in again.output


def test_a_token_expires_after_hub_token_days(app, client, demo_hub, now):
    app.config["HUB_TOKEN_DAYS"] = 30
    token = accounts.issue_token(user("hub"), now)
    stored = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    assert stored.expires_at == now + timedelta(days=30)
    assert accounts.user_for_token(token, now + timedelta(days=29)) == user("hub")
    with pytest.raises(accounts.TokenRefused) as refused:
        accounts.user_for_token(token, now + timedelta(days=30))
    assert refused.value.code == "token_expired"
    db.session.commit()
    # Through the API, against the real clock: long past 30 days after 2 March 2026.
    response = client.get("/api/v1/questionnaires", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"
    assert "expired" in response.json["error"]["message"]


def test_a_token_from_before_expiry_existed_works_until_revoked(client, demo_hub, now):
    token = accounts.issue_token(user("hub"), now)
    stored = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    stored.expires_at = None  # as a token issued before 0009 would be, had it no expiry
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/questionnaires", headers=headers).status_code == 200


def test_users_token_is_recorded(runner, demo_hub):
    result = runner.invoke(args=["users", "token", "hub@demo.sail.example"])
    assert result.exit_code == 0, result.output
    assert audit_actions("hub@demo.sail.example") == ["token_issued"]


def test_upgrading_gives_tokens_already_issued_a_year(tmp_path):
    """Migration 0009 sets the expiry of tokens issued before it to now + HUB_TOKEN_DAYS, so
    their callers keep working that long and no token is left without one."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from hub import create_app
    from hub.clock import utcnow
    from tests.conftest import TEST_CONFIG

    app = create_app(
        {
            **TEST_CONFIG,
            "HUB_TOKEN_DAYS": 365,
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "old.db"),
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisation (slug, name, kind, created_at, allow_email_code,"
                    " active) VALUES ('hub', 'Hub', 'hub', '2026-03-02 09:00:00', 0, 1)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO user (email, name, password_hash, role, organisation_id, active,"
                    " created_at) VALUES ('h@example.org', 'H', 'x', 'hub', 1, 1,"
                    " '2026-03-02 09:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_token (user_id, token_hash, prefix, created_at) "
                    "VALUES (1, 'abc', 'sail_abc', '2026-03-02 09:00:00')"
                )
            )
        before = utcnow()
        upgrade()
        expires_at = db.session.scalar(select(ApiToken.expires_at))
        assert before + timedelta(days=365) <= expires_at <= utcnow() + timedelta(days=365)
        db.session.remove()

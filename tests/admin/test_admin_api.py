"""The admin API (``/api/v1/admin/users``, ``/api/v1/admin/organisations``): what the pages do,
for an admin's token only, with the same rules, the same audit trail, and 422 naming the field
for a refusal that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.audit import AuditEvent
from hub.auth import accounts, sessions
from hub.models import ApiToken, Organisation, OutboxMessage, User
from tests.api_support import bearer, count, fresh


@pytest.fixture
def admin(db, demo_hub, now):
    return bearer("admin", now)


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager"])
def test_only_an_admin_token_may_use_it(client, demo_hub, now, role):
    headers = bearer(role, now)
    assert client.get("/api/v1/admin/users", headers=headers).status_code == 403
    assert client.get("/api/v1/admin/organisations", headers=headers).status_code == 403
    refused = client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={"email": "x@example.org", "name": "X", "role": "hub",
              "organisation": "age-uk-lambeth-southwark"},
    )  # fmt: skip
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert accounts.find_user("x@example.org") is None


def test_lists_searches_and_pages_users(client, admin, db, demo_hub, now):
    hub_user = accounts.find_user(demo_hub["hub"].email)
    sessions.start(hub_user, now)
    db.session.commit()
    everyone = client.get("/api/v1/admin/users", headers=admin).json
    assert everyone["total"] == 5 and everyone["page"] == 1 and everyone["next"] is None
    (found,) = client.get("/api/v1/admin/users?q=HUB@", headers=admin).json["items"]
    assert found == {
        "id": hub_user.id,
        "email": "hub@demo.sail.example",
        "name": "Demo hub user",
        "role": "hub",
        "organisation": "age-uk-lambeth-southwark",
        "active": True,
        "password_set": True,
        "created_at": "2026-03-02T09:00:00Z",
        "last_sign_in_at": "2026-03-02T09:00:00Z",
    }
    beyond = client.get("/api/v1/admin/users?page=2", headers=admin)
    assert beyond.status_code == 404 and beyond.json["error"]["code"] == "not_found"
    bad = client.get("/api/v1/admin/users?page=0", headers=admin)
    assert bad.status_code == 422 and "page" in bad.json["error"]["fields"]


def test_invites_a_user_with_a_location_and_an_email(client, admin, db, demo_hub):
    response = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"email": "kim@example.org", "name": "Kim", "role": "hub",
              "organisation": "age-uk-lambeth-southwark"},
    )  # fmt: skip
    assert response.status_code == 201, response.json
    body = response.json
    assert body["role"] == "hub" and body["last_sign_in_at"] is None
    assert body["password_set"] is False
    assert response.headers["Location"] == f"http://hub.test/api/v1/admin/users/{body['id']}"
    assert [event["action"] for event in body["history"]] == ["invited"]
    assert body["history"][0]["actor"] == "admin@demo.sail.example"
    assert (
        db.session.scalar(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "kim@example.org")
        )
        == "account_invite"
    )


def test_a_bad_invitation_names_every_field_and_creates_nothing(client, admin, db):
    before = count(User)
    response = client.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"email": "nope", "role": "partner", "organisation": "lambeth-adult-social-care"},
    )
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert set(fields) == {"email", "name", "organisation"}
    assert "must belong to a partner agency" in fields["organisation"]
    wrong_type = client.post("/api/v1/admin/users", headers=admin, json={"email": 7})
    assert wrong_type.status_code == 422 and "email" in wrong_type.json["error"]["fields"]
    assert count(User) == before


def test_patch_changes_role_and_organisation_with_before_and_after(client, admin, db, demo_hub):
    frontline = accounts.find_user(demo_hub["frontline"].email)
    response = client.patch(
        f"/api/v1/admin/users/{frontline.id}",
        headers=admin,
        json={"role": "manager", "organisation": "age-uk-lambeth-southwark"},
    )
    assert response.status_code == 200, response.json
    assert response.json["role"] == "manager"
    (event,) = response.json["history"]
    assert event["action"] == "role_changed"
    assert event["details"] == {
        "before": {"role": "frontline", "organisation": "lambeth-adult-social-care"},
        "after": {"role": "manager", "organisation": "age-uk-lambeth-southwark"},
    }
    again = client.patch(f"/api/v1/admin/users/{frontline.id}", headers=admin,
                         json={"role": "manager"})  # fmt: skip
    assert again.status_code == 200 and len(again.json["history"]) == 1  # nothing to change


def test_patch_refuses_a_mismatched_organisation_and_unknown_fields(client, admin, demo_hub):
    frontline = accounts.find_user(demo_hub["frontline"].email)
    wrong = client.patch(f"/api/v1/admin/users/{frontline.id}", headers=admin,
                         json={"role": "partner"})  # fmt: skip
    assert wrong.status_code == 422
    assert "organisation" in wrong.json["error"]["fields"]
    unknown = client.patch(f"/api/v1/admin/users/{frontline.id}", headers=admin,
                           json={"email": "other@example.org"})  # fmt: skip
    assert unknown.status_code == 422 and "email" in unknown.json["error"]["fields"]
    empty = client.patch(f"/api/v1/admin/users/{frontline.id}", headers=admin, json={})
    assert empty.status_code == 422
    not_bool = client.patch(f"/api/v1/admin/users/{frontline.id}", headers=admin,
                            json={"active": "no"})  # fmt: skip
    assert not_bool.status_code == 422 and "active" in not_bool.json["error"]["fields"]
    assert fresh(frontline).role == "frontline" and fresh(frontline).active


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(client, admin, demo_hub):
    me = accounts.find_user(demo_hub["admin"].email)
    off = client.patch(f"/api/v1/admin/users/{me.id}", headers=admin, json={"active": False})
    assert off.status_code == 422
    assert "last active admin" in off.json["error"]["fields"]["active"]
    demoted = client.patch(f"/api/v1/admin/users/{me.id}", headers=admin, json={"role": "hub"})
    assert demoted.status_code == 422 and "role" in demoted.json["error"]["fields"]
    assert fresh(me).active and fresh(me).role == "admin"


def test_deactivate_reactivate_revoke_and_reset(client, admin, db, demo_hub, now):
    hub_user = accounts.find_user(demo_hub["hub"].email)
    hub_token = bearer("hub", now)
    off = client.patch(f"/api/v1/admin/users/{hub_user.id}", headers=admin,
                       json={"active": False})  # fmt: skip
    assert off.status_code == 200 and off.json["active"] is False
    assert client.get("/api/v1/referrals", headers=hub_token).status_code == 401
    refused = client.post(f"/api/v1/admin/users/{hub_user.id}/password-reset", headers=admin)
    assert refused.status_code == 422 and "active" in refused.json["error"]["fields"]
    on = client.patch(f"/api/v1/admin/users/{hub_user.id}", headers=admin, json={"active": True})
    assert on.json["active"] is True and on.json["live_tokens"] == 1
    revoked = client.post(f"/api/v1/admin/users/{hub_user.id}/revoke-tokens", headers=admin)
    assert revoked.status_code == 200 and revoked.json["revoked"] == 1
    assert revoked.json["user"]["live_tokens"] == 0
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == hub_user.id))
    reset = client.post(f"/api/v1/admin/users/{hub_user.id}/password-reset", headers=admin)
    assert reset.status_code == 202 and reset.json["sent"] is True
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject == hub_user.email)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["user_deactivated", "user_activated", "tokens_revoked",
                       "password_reset_sent"]  # fmt: skip


def test_unknown_and_out_of_range_ids_are_404(client, admin):
    for path in ("/api/v1/admin/users/99999", "/api/v1/admin/users/99999999999",
                 "/api/v1/admin/organisations/99999"):  # fmt: skip
        response = client.get(path, headers=admin)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_organisations_listed_added_renamed_and_deactivated(client, admin, db, demo_hub):
    listed = client.get("/api/v1/admin/organisations", headers=admin).json["items"]
    assert {item["slug"] for item in listed} == {
        "lambeth-adult-social-care",
        "southwark-community-nursing",
        "brixton-hill-gp-practice",
        "peckham-good-neighbours",
    }
    added = client.post("/api/v1/admin/organisations", headers=admin,
                        json={"name": "Walworth Surgery"})  # fmt: skip
    assert added.status_code == 201 and added.json["slug"] == "walworth-surgery"
    assert added.headers["Location"].endswith(f"/api/v1/admin/organisations/{added.json['id']}")
    taken = client.post("/api/v1/admin/organisations", headers=admin,
                        json={"name": "walworth surgery"})  # fmt: skip
    assert taken.status_code == 422 and "name" in taken.json["error"]["fields"]
    lambeth = accounts.find_organisation("lambeth-adult-social-care")
    changed = client.patch(
        f"/api/v1/admin/organisations/{lambeth.id}",
        headers=admin,
        json={"name": "Lambeth Adult Social Care", "active": False},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["active"] is False and changed.json["active_users"] == 0
    assert [event["action"] for event in changed.json["history"]] == [
        "organisation_deactivated",
        "organisation_renamed",
    ]
    assert not fresh(accounts.find_user(demo_hub["frontline"].email)).active
    hub = accounts.find_organisation("age-uk-lambeth-southwark")
    assert client.get(f"/api/v1/admin/organisations/{hub.id}", headers=admin).status_code == 404
    referrers = db.session.query(Organisation).filter_by(kind="referrer").count()
    assert referrers == 5


ODD_VALUES = ["", " ", "\u200b", "a\x00b", "x\udfffy", "x" * 2001, 2**63, -1, 1.5, True, None,
              [], {}, "lfb-home-fire-safety", "admin", "9" * 30]  # fmt: skip


@pytest.mark.both_databases
@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_in_any_field_are_refused_never_a_500(client, db, demo_hub, now, value):
    admin = bearer("admin", now)
    frontline = accounts.find_user(demo_hub["frontline"].email)
    lambeth = accounts.find_organisation("lambeth-adult-social-care")
    users_before, organisations_before = count(User), count(Organisation)
    requests = [
        *(("post", "/api/v1/admin/users", {"email": "odd@example.org", "name": "Odd",
           "role": "hub", "organisation": "age-uk-lambeth-southwark", field: value})
          for field in ("email", "name", "role", "organisation")),
        *(("patch", f"/api/v1/admin/users/{frontline.id}", {field: value})
          for field in ("role", "organisation", "active")),
        ("post", "/api/v1/admin/organisations", {"name": value}),
        *(("patch", f"/api/v1/admin/organisations/{lambeth.id}", {field: value})
          for field in ("name", "active")),
    ]  # fmt: skip
    for method, path, body in requests:
        response = getattr(client, method)(path, headers=admin, json=body)
        assert response.status_code < 500 and response.is_json, (path, body, response.status)
        if response.status_code >= 400:
            assert response.json["error"]["code"], (path, body)
    if not isinstance(value, str):  # no name but text makes an organisation
        assert count(Organisation) == organisations_before
    assert count(User) - users_before <= 1
    assert fresh(frontline).active or value is False

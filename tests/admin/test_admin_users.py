"""``/admin`` and ``/admin/users``: the admins' index, and user accounts: search and paging,
inviting, changing a role or organisation, deactivating and reactivating (never the last active
admin), a password reset, revoking API tokens; each change recorded with before and after, and
shown on the user's page as its history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.audit import AuditEvent
from hub.auth import account_life, accounts, sessions
from hub.models import ApiToken, OutboxMessage, User
from tests.support import fresh, page_text, sign_in


def events_about(db, subject: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject == subject).order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize("role", ["frontline", "hub", "partner", "manager"])
def test_only_admins_reach_the_admin_pages(client, sign_in_as, demo_hub, role):
    sign_in_as(role)
    target = demo_hub["frontline"]
    found = accounts.find_user(target.email)
    for path in (
        "/admin",
        "/admin/users",
        "/admin/users/invite",
        f"/admin/users/{found.id}",
        f"/admin/users/{found.id}/role",
        f"/admin/users/{found.id}/deactivate",
        "/admin/organisations",
        "/admin/organisations/new",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/admin/users/{found.id}/deactivate").status_code == 403
    assert fresh(found).active


def test_the_index_links_every_admin_page_and_the_header_links_the_index(client, sign_in_as):
    sign_in_as("admin")
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/admin"' in home
    index = client.get("/admin").get_data(as_text=True)
    for path in (
        "/admin/users",
        "/admin/organisations",
        "/admin/partners",
        "/admin/areas",
        "/admin/people",
        "/admin/audit",
        "/admin/messages",
        "/admin/mailbox",
    ):
        assert f'href="{path}"' in index, path


def test_the_list_shows_each_user_and_searches_by_name_or_email(
    client, sign_in_as, db, demo_hub, now
):
    hub_user = accounts.find_user(demo_hub["hub"].email)
    sessions.start(hub_user, now)
    db.session.commit()
    sign_in_as("admin")
    shown = page_text(client.get("/admin/users"))
    assert "hub@demo.sail.example" in shown and "Hub officer" in shown
    assert "Age UK Lambeth and Southwark (SAIL hub)" in shown
    assert "2 Mar 2026, 09:00" in shown  # the hub user's last sign-in, UK time
    assert "Active" in shown

    found = page_text(client.get("/admin/users?q=PARTNER@demo"))
    assert "partner@demo.sail.example" in found and "hub@demo.sail.example" not in found
    by_name = page_text(client.get("/admin/users?q=demo+manager"))
    assert "manager@demo.sail.example" in by_name and "admin@demo.sail.example" not in by_name
    assert "No users match" in page_text(client.get("/admin/users?q=nobody-at-all"))
    assert client.get("/admin/users?page=9").status_code == 404


def test_the_list_pages_through_many_users(client, sign_in_as, db, demo_hub, now):
    referrer = accounts.find_organisation("peckham-good-neighbours")
    for number in range(30):
        account_life.invite(f"volunteer{number:02}@example.org", "frontline", referrer, None, now,
                            name=f"Volunteer {number:02}")  # fmt: skip
    db.session.commit()
    sign_in_as("admin")
    first = page_text(client.get("/admin/users?q=volunteer"))
    assert "Showing 1 to 25 of 30 users" in first
    second = client.get("/admin/users?q=volunteer&page=2")
    assert "Showing 26 to 30 of 30 users" in page_text(second)
    assert "q=volunteer" in second.get_data(as_text=True)  # the search kept in the page links


def test_an_admin_invites_a_hub_officer_and_it_is_recorded(client, sign_in_as, db, demo_hub):
    admin = sign_in_as("admin")
    response = client.post(
        "/admin/users/invite",
        data={
            "email": " Kim.Officer@Example.org ",
            "name": "Kim Officer",
            "role": "hub",
            "organisation": "age-uk-lambeth-southwark",
        },
    )
    assert response.status_code == 302
    kim = accounts.find_user("kim.officer@example.org")
    assert kim.role == "hub" and kim.name == "Kim Officer"
    assert kim.password_hash == account_life.NO_PASSWORD
    page = page_text(client.get(response.location))
    assert "kim.officer@example.org is invited" in page
    assert "Invited: has not set a password yet" in page
    assert "Send a new link to set a password" in page
    assert "Invited a user" in page and admin.email in page  # the history, and who
    invited = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == kim.email))
    assert invited.kind == "account_invite"


def test_a_bad_invitation_shows_every_problem_and_the_answers_again(client, sign_in_as, db):
    sign_in_as("admin")
    users_before = db.session.query(User).count()
    response = client.post(
        "/admin/users/invite",
        data={"email": "not-an-email", "name": "", "role": "partner",
              "organisation": "age-uk-lambeth-southwark"},
    )  # fmt: skip
    assert response.status_code == 422
    text = page_text(response)
    assert "There is a problem" in text
    assert "Enter an email address in the correct format" in text
    assert "Enter their name" in text
    assert "A partner user must belong to a partner agency" in text
    html = response.get_data(as_text=True)
    assert 'value="not-an-email"' in html
    assert 'value="partner" checked' in html
    assert db.session.query(User).count() == users_before


@pytest.mark.parametrize(
    ("role", "organisation", "words"),
    [
        ("frontline", "age-uk-lambeth-southwark", "must belong to an organisation that refers"),
        ("hub", "lambeth-adult-social-care", "must belong to the hub"),
        ("admin", "lfb-home-fire-safety", "must belong to the hub"),
        ("partner", "lambeth-adult-social-care", "must belong to a partner agency"),
        ("hub", "no-such-organisation", "Select an organisation from the list"),
        ("", "age-uk-lambeth-southwark", "Select a role"),
    ],
)
def test_a_role_needs_its_kind_of_organisation(client, sign_in_as, role, organisation, words):
    sign_in_as("admin")
    response = client.post(
        "/admin/users/invite",
        data={"email": "new@example.org", "name": "New", "role": role,
              "organisation": organisation},
    )  # fmt: skip
    assert response.status_code == 422 and words in page_text(response)
    assert accounts.find_user("new@example.org") is None


def test_inviting_an_existing_email_is_refused(client, sign_in_as):
    sign_in_as("admin")
    response = client.post(
        "/admin/users/invite",
        data={"email": "HUB@demo.sail.example", "name": "Again", "role": "hub",
              "organisation": "age-uk-lambeth-southwark"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "There is already a user with the email hub@demo.sail.example" in page_text(response)


def test_changing_the_role_records_before_and_after_and_signs_them_out(
    client, sign_in_as, db, demo_hub, now
):
    frontline = accounts.find_user(demo_hub["frontline"].email)
    sessions.start(frontline, now)
    db.session.commit()
    sign_in_as("admin")
    response = client.post(
        f"/admin/users/{frontline.id}/role",
        data={"role": "hub", "organisation": "age-uk-lambeth-southwark"},
    )
    assert response.status_code == 302
    assert "is now a hub officer of Age UK" in page_text(client.get(response.location))
    changed = fresh(frontline)
    assert changed.role == "hub" and changed.organisation.slug == "age-uk-lambeth-southwark"
    (event,) = [e for e in events_about(db, frontline.email) if e.action == "role_changed"]
    assert event.details == {
        "before": {"role": "frontline", "organisation": "lambeth-adult-social-care"},
        "after": {"role": "hub", "organisation": "age-uk-lambeth-southwark"},
    }
    assert db.session.scalar(
        select(sessions.UserSession.ended_at).where(sessions.UserSession.user_id == frontline.id)
    )
    history = page_text(client.get(f"/admin/users/{frontline.id}"))
    assert "Role: frontline to hub" in history


def test_moving_a_user_to_another_organisation_keeps_their_role(client, sign_in_as, db, demo_hub):
    frontline = accounts.find_user(demo_hub["frontline"].email)
    sign_in_as("admin")
    page = client.get(f"/admin/users/{frontline.id}/role").get_data(as_text=True)
    assert 'value="frontline" checked' in page
    response = client.post(
        f"/admin/users/{frontline.id}/role",
        data={"role": "frontline", "organisation": "peckham-good-neighbours"},
    )
    assert response.status_code == 302
    assert [e.action for e in events_about(db, frontline.email)] == ["organisation_changed"]
    wrong = client.post(
        f"/admin/users/{frontline.id}/role",
        data={"role": "frontline", "organisation": "age-uk-lambeth-southwark"},
    )
    assert wrong.status_code == 422
    assert "must belong to an organisation that refers" in page_text(wrong)
    assert fresh(frontline).organisation.slug == "peckham-good-neighbours"


def test_the_last_active_admin_keeps_the_role_and_stays_active(client, sign_in_as, db, demo_hub):
    admin = sign_in_as("admin")
    admin_id = accounts.find_user(admin.email).id
    demoted = client.post(
        f"/admin/users/{admin_id}/role",
        data={"role": "hub", "organisation": "age-uk-lambeth-southwark"},
    )
    assert demoted.status_code == 422 and "last active admin" in page_text(demoted)
    refused = client.post(f"/admin/users/{admin_id}/deactivate")
    assert refused.status_code == 422
    assert "is the last active admin: make another admin first" in page_text(refused)
    assert fresh(accounts.find_user(admin.email)).active
    assert fresh(accounts.find_user(admin.email)).role == "admin"


def test_deactivate_and_reactivate_after_a_confirmation(client, sign_in_as, db, demo_hub):
    hub_user = accounts.find_user(demo_hub["hub"].email)
    sign_in_as("admin")
    confirm = client.get(f"/admin/users/{hub_user.id}/deactivate")
    assert "Deactivate this user?" in page_text(confirm) and fresh(hub_user).active
    done = client.post(f"/admin/users/{hub_user.id}/deactivate")
    assert done.status_code == 302
    assert "is deactivated" in page_text(client.get(done.location))
    assert not fresh(hub_user).active
    listed = page_text(client.get("/admin/users?q=hub@demo"))
    assert "Deactivated" in listed
    client.post(f"/admin/users/{hub_user.id}/activate")
    assert fresh(hub_user).active
    assert [e.action for e in events_about(db, hub_user.email)] == [
        "user_deactivated",
        "user_activated",
    ]


def test_a_password_reset_and_revoking_tokens(client, sign_in_as, db, demo_hub, now):
    hub_user = accounts.find_user(demo_hub["hub"].email)
    accounts.issue_token(hub_user, now)
    db.session.commit()
    sign_in_as("admin")
    assert "Live API tokens 1" in page_text(client.get(f"/admin/users/{hub_user.id}"))
    sent = client.post(f"/admin/users/{hub_user.id}/password-reset")
    assert "emailed a link to set a new password" in page_text(client.get(sent.location))
    assert db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.recipient == hub_user.email, OutboxMessage.kind == "password_reset"
        )
    )
    assert "cannot be undone" in page_text(client.get(f"/admin/users/{hub_user.id}/revoke-tokens"))
    revoked = client.post(f"/admin/users/{hub_user.id}/revoke-tokens")
    assert "Revoked 1 API token of hub@demo.sail.example" in page_text(client.get(revoked.location))
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == hub_user.id))


def test_an_unknown_user_is_404(client, sign_in_as):
    sign_in_as("admin")
    assert client.get("/admin/users/99999").status_code == 404
    assert client.get("/admin/users/99999999999").status_code == 404
    assert client.post("/admin/users/99999/deactivate").status_code == 404


def test_the_command_line_refuses_the_last_admin_with_the_same_rule(runner, demo_hub):
    result = runner.invoke(args=["users", "deactivate", demo_hub["admin"].email])
    assert result.exit_code != 0 and "last active admin" in result.output


def test_a_second_admin_can_be_deactivated(client, db, demo_hub, now):
    hub_org = accounts.find_organisation("age-uk-lambeth-southwark")
    accounts.create_user("second.admin@example.org", "admin", hub_org,
                         "a long admin password here", now, name="Second Admin")  # fmt: skip
    db.session.commit()
    sign_in(client, "second.admin@example.org", "a long admin password here")
    first = accounts.find_user(demo_hub["admin"].email)
    assert client.post(f"/admin/users/{first.id}/deactivate").status_code == 302
    assert not fresh(first).active


def test_the_command_line_invitation_follows_the_same_organisation_rule(runner, demo_hub):
    result = runner.invoke(
        args=["users", "invite", "nurse@example.org", "--role", "frontline",
              "--org", "age-uk-lambeth-southwark"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "A frontline user must belong to an organisation that refers" in result.output
    assert accounts.find_user("nurse@example.org") is None

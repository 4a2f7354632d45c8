"""Discarding an unfinished questionnaire: listed with its draft, asked for again, a POST with
CSRF, and only the worker's own unfinished draft."""

from __future__ import annotations

from hub.auth import accounts
from hub.extensions import db as _db
from hub.models import QuestionnaireDraft
from tests.api_support import count
from tests.frontline.test_frontline import client_form, complete_to_check, draft_url, page, start
from tests.support import sign_in


def a_named_draft(client) -> str:
    client_url = start(client)
    client.post(client_url, data=client_form(given_name="Winifred"))
    return draft_url(client_url)


def test_a_worker_discards_an_unfinished_questionnaire_after_confirming(client, sign_in_as, db):
    sign_in_as("frontline")
    base = a_named_draft(client)
    start_page = page(client.get("/questionnaires/"))
    assert f'href="{base}/discard"' in start_page
    assert 'Discard<span class="govuk-visually-hidden"> the questionnaire for Winifred' in (
        start_page
    )

    confirm = page(client.get(f"{base}/discard"))  # asking changes nothing
    assert "Discard the questionnaire for Winifred Clarke?" in confirm
    assert "This cannot be undone" in confirm
    assert f'href="{base}"' in confirm  # or carry on with it
    assert count(QuestionnaireDraft) == 1

    response = client.post(f"{base}/discard")
    assert response.status_code == 302 and response.headers["Location"] == "/questionnaires/"
    assert count(QuestionnaireDraft) == 0
    after = page(client.get("/questionnaires/"))
    assert "Questionnaire for Winifred Clarke discarded." in after
    assert "Questionnaires you have not finished" not in after
    assert client.get(f"{base}/client").status_code == 404


def test_discarding_needs_the_forms_csrf_token(app, client, sign_in_as, db):
    sign_in_as("frontline")
    base = a_named_draft(client)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"{base}/discard", data={})
    assert response.status_code == 400  # refused without the form's token
    assert count(QuestionnaireDraft) == 1


def test_a_submitted_questionnaire_cannot_be_discarded(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client)
    client.post(f"{base}/check")
    for response in (client.get(f"{base}/discard"), client.post(f"{base}/discard")):
        assert response.headers["Location"] == f"{base}/confirmation"
    assert count(QuestionnaireDraft) == 1


def test_another_workers_draft_cannot_be_discarded(client, sign_in_as, db, now):
    sign_in_as("frontline")
    base = a_named_draft(client)
    client.post("/logout")
    colleague = accounts.create_user(
        "colleague@demo.sail.example",
        "frontline",
        accounts.find_organisation("lambeth-adult-social-care"),
        "colleague-password",
        now,
    )
    _db.session.commit()
    sign_in(client, colleague.email, "colleague-password")
    assert client.get(f"{base}/discard").status_code == 404
    assert client.post(f"{base}/discard").status_code == 404
    assert count(QuestionnaireDraft) == 1

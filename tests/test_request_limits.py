"""Bad input on the web pages: ids beyond the database's integer, oversized requests, NUL and
text over its limit in forms, and periods for figures (docs/design.md, "Limits on input")."""

from __future__ import annotations

import pytest

from hub.models import ReferralEvent
from tests.api_support import count, fresh
from tests.factories import submit, user
from tests.support import page_text

LARGEST_ID = 2**31 - 1


@pytest.fixture
def received(db, demo_hub, now):
    referral = submit(user("frontline"), now, yes=("smoke_alarms",)).referrals[0]
    db.session.commit()
    return referral


@pytest.mark.both_databases  # PostgreSQL's integer ends at 2**31 - 1: these were 500s there
@pytest.mark.parametrize("id_", [LARGEST_ID, LARGEST_ID + 1, 2**63, 10**30])
@pytest.mark.parametrize(
    "path", ["/hub/referrals/{}", "/hub/referrals/{}/cancel", "/partner/referrals/{}"]
)
def test_ids_beyond_the_integer_range_are_404_on_pages(client, sign_in_as, path, id_):
    sign_in_as("partner" if path.startswith("/partner") else "hub")
    response = client.get(path.format(id_))
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_the_converter_matches_only_ids_from_1(client, sign_in_as):
    sign_in_as("hub")
    for text in ("0", "-1", "007"):
        assert client.get(f"/hub/referrals/{text}").status_code == 404


def test_a_page_number_beyond_any_page_is_404(client, sign_in_as):
    sign_in_as("hub")
    assert client.get(f"/hub/referrals?page={2**70}").status_code == 404


def test_a_form_over_a_mebibyte_is_a_413_page(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(
        f"/hub/referrals/{received.id}/cancel", data={"reason": "x" * (1024 * 1024 + 10)}
    )
    assert response.status_code == 413
    assert "too large" in page_text(response)
    assert fresh(received).status == "received"


@pytest.mark.both_databases  # PostgreSQL cannot store NUL
def test_a_reason_with_nul_is_a_form_error_and_not_stored(client, sign_in_as, received):
    sign_in_as("hub")
    events = count(ReferralEvent)
    response = client.post(f"/hub/referrals/{received.id}/cancel", data={"reason": "No\x00 way"})
    assert response.status_code == 200
    text = page_text(response)
    assert "There is a problem" in text
    assert "Reason must not contain control characters" in text
    assert fresh(received).status == "received"
    assert count(ReferralEvent) == events


def test_a_reason_over_2000_characters_is_a_form_error_shown_again(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{received.id}/cancel", data={"reason": "y" * 2001})
    assert response.status_code == 200
    assert "Reason must be 2,000 characters or fewer" in page_text(response)
    assert "y" * 2001 in response.get_data(as_text=True)  # the answer is shown again
    assert fresh(received).status == "received"


def test_a_reason_of_zero_width_spaces_is_refused_as_missing(client, sign_in_as, received):
    sign_in_as("hub")
    response = client.post(f"/hub/referrals/{received.id}/cancel", data={"reason": "\u200b"})
    assert response.status_code in (200, 422)
    assert fresh(received).status == "received"


@pytest.mark.both_databases  # a NUL in the sign-in email was a 500 on PostgreSQL
def test_signing_in_with_nul_in_the_email_is_a_form_error(client, demo_hub):
    response = client.post("/login", data={"email": "hub\x00@x", "password": "secret"})
    assert response.status_code in (200, 400)
    assert "Email must not contain control characters" in page_text(response)


@pytest.mark.both_databases
def test_a_query_parameter_with_nul_is_400_on_a_page(client, sign_in_as):
    sign_in_as("hub")
    assert client.get("/hub/referrals?partner=%00").status_code == 400


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=0001-01-01&to=2026-01-31", "The start date must be from 1 January 2000"),
        ("from=2026-01-01&to=9999-12-31", "The end date must be from 1 January 2000"),
        ("from=2000-01-01&to=2026-01-31", "The period must be 10 years or shorter"),
    ],
)
def test_the_dashboard_says_when_a_period_is_out_of_bounds(client, sign_in_as, query, message):
    sign_in_as("manager")
    response = client.get(f"/manage?{query}")
    assert response.status_code in (200, 400, 422)
    assert message in page_text(response)


def test_the_exports_page_refuses_a_period_out_of_bounds(client, sign_in_as):
    sign_in_as("manager")
    response = client.get("/manage/exports?from=2026-01-01&to=9999-12-31")
    assert response.status_code == 400
    assert "The end date must be from 1 January 2000" in page_text(response)

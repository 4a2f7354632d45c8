"""Short labels where a question appears in a list: "Your questionnaires" tells two referrals
to one agency apart by what each is about."""

from __future__ import annotations

from html import unescape

from tests.factories import submit, user


def test_your_questionnaires_shows_what_each_referral_to_one_agency_is_about(
    client, sign_in_as, db, now
):
    sign_in_as("frontline")
    submission = submit(user("frontline"), now, yes=("benefits", "money_worries"))
    db.session.commit()

    listing = unescape(client.get("/questionnaires/submitted/").get_data(as_text=True))
    assert listing.count("Age UK Information and Advice") == 2
    assert "Benefits check" in listing and "Money or debt" in listing
    # The short label leads each row, the agency under it.
    assert listing.index("Benefits check") < listing.index("Money or debt")

    one = unescape(client.get(f"/questionnaires/submitted/{submission.id}").get_data(as_text=True))
    assert "Benefits check: Age UK Information and Advice" in one
    assert "Money or debt: Age UK Information and Advice" in one
    assert "Would you like a free benefits check" in one  # the question as it was asked

"""Short labels where a question appears in a list: "Your questionnaires" tells two referrals
to one agency apart by what each is about."""

from __future__ import annotations

from html import unescape

from notifications.messages import to_partners
from questionnaires import load_bank
from tests.factories import submit, user
from tests.support import forwarded_smoke_alarm


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


def test_the_hub_queue_and_the_partner_inbox_name_the_question_by_its_short_label(
    client, sign_in_as, db
):
    referral = forwarded_smoke_alarm(hours=2)
    db.session.commit()
    question = load_bank("sail").question("smoke_alarms")

    sign_in_as("hub")
    queue = unescape(client.get("/hub/referrals?status=forwarded").get_data(as_text=True))
    row = queue.split(referral.reference, 1)[1].split("</tr>", 1)[0]
    assert "Fire safety visit" in row and question.text not in row
    # The referral's own page keeps the question as the client was asked it.
    assert question.text in unescape(
        client.get(f"/hub/referrals/{referral.id}").get_data(as_text=True)
    )
    client.post("/logout")

    sign_in_as("partner")  # the fire brigade's
    inbox = unescape(client.get("/partner/referrals").get_data(as_text=True))
    row = inbox.split(referral.reference, 1)[1].split("</tr>", 1)[0]
    assert "Fire safety visit" in row and question.text not in row


def test_the_partners_new_referral_email_says_what_it_is_about_in_short(db, demo_hub, now):
    referral = forwarded_smoke_alarm(hours=2)
    [email] = [m for m in to_partners.referral_forwarded(referral, now) if m.channel == "email"]
    body = email.body  # only the link is sealed: what it is about is plain
    assert "What it is about: Fire safety visit" in body
    assert "The client said yes to: Would you like a free home fire safety visit" in body


def test_the_partners_reminders_name_the_referral_by_its_short_label(db, demo_hub, now):
    referral = forwarded_smoke_alarm(hours=2)
    referral.partner.sms_number = "+447911123101"
    [email, sms] = sorted(to_partners.partner_chase(referral, 1, now), key=lambda m: m.channel)
    assert f"a reminder about SAIL referral {referral.reference} (Fire safety visit)." in email.body
    assert f"SAIL referral {referral.reference} (Fire safety visit) has no contact" in sms.body

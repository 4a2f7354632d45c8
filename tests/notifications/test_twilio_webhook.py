"""Twilio's delivery receipts: signed ones move a message forward, anything else changes nothing."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from hub.extensions import db as _db
from hub.models import HeldReceipt, OutboxMessage
from tests.api_support import fresh

TOKEN = "test-twilio-auth-token"
PATH = "/webhooks/twilio/status"
SID = "SM" + "a" * 32


@pytest.fixture
def signed_app(app):
    app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    return app


@pytest.fixture
def sms(db, signed_app, now):
    """An SMS Twilio has accepted: ``sent``, with its SID."""
    message = OutboxMessage(
        key="test:sms",
        kind="referral_forwarded",
        channel="sms",
        recipient="+447700900123",
        subject=None,
        body="A referral was forwarded to you.",
        status="sent",
        attempts=1,
        provider_id=SID,
        created_at=now,
        next_attempt_at=now,
        sent_at=now + timedelta(minutes=1),
    )
    db.session.add(message)
    db.session.commit()
    return message


def receipt(status: str, sid: str = SID, **extra) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "MessageStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": "+447700900123",
        **extra,
    }


def signature(params: dict, url: str = "http://hub.test" + PATH, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post(client, params, sign=True, url=PATH, **headers):
    if sign:
        headers.setdefault("X-Twilio-Signature", signature(params, "http://hub.test" + url))
    return client.post(url, data=params, headers=headers)


def snapshot(message: OutboxMessage) -> tuple:
    row = fresh(message)
    return row.status, row.last_error, row.sent_at, row.attempts


@pytest.mark.both_databases  # locks the message: FOR UPDATE
def test_a_signed_delivered_receipt_moves_sent_to_delivered(client, sms):
    response = post(client, receipt("delivered"))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert fresh(sms).status == "delivered"
    assert fresh(sms).last_error is None


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},  # made up
        {"X-Twilio-Signature": signature(receipt("delivered"), token="another-account")},
        # signed for other parameters than the ones sent
        {"X-Twilio-Signature": signature(receipt("sent"))},
    ],
    ids=["missing", "made-up", "wrong-token", "other-parameters"],
)
def test_a_forged_or_missing_signature_is_403_and_changes_nothing(client, sms, headers):
    before = snapshot(sms)
    response = post(client, receipt("delivered"), sign=False, **headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert snapshot(sms) == before


def test_without_an_auth_token_configured_every_receipt_is_refused(client, signed_app, sms):
    signed_app.config["TWILIO_AUTH_TOKEN"] = None
    before = snapshot(sms)
    response = post(client, receipt("delivered"))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert snapshot(sms) == before


def test_a_late_sent_never_undoes_delivered_and_repeats_change_nothing(client, sms):
    assert post(client, receipt("delivered")).status_code == 204
    delivered = snapshot(sms)
    for status in ("sent", "delivered", "queued", "sending"):
        assert post(client, receipt(status)).status_code == 204
        assert snapshot(sms) == delivered, status


def test_undelivered_fails_the_message_with_twilios_error_code(client, sms):
    response = post(client, receipt("undelivered", ErrorCode="30003"))
    assert response.status_code == 204
    row = fresh(sms)
    assert row.status == "failed"
    assert row.last_error == "Twilio error 30003: undelivered"


def test_failed_after_delivered_is_ignored(client, sms):
    post(client, receipt("delivered"))
    delivered = snapshot(sms)
    assert post(client, receipt("failed", ErrorCode="30008")).status_code == 204
    assert snapshot(sms) == delivered


def test_a_second_failure_keeps_the_first_error(client, sms):
    post(client, receipt("undelivered", ErrorCode="30003"))
    post(client, receipt("failed", ErrorCode="30008"))
    assert fresh(sms).last_error == "Twilio error 30003: undelivered"


def test_a_receipt_for_an_unknown_message_is_200_and_changes_nothing(client, sms):
    before = snapshot(sms)
    response = post(client, receipt("delivered", sid="SM" + "b" * 32))
    assert response.status_code == 200
    assert snapshot(sms) == before
    assert _db.session.query(OutboxMessage).count() == 1


def test_a_signed_receipt_without_its_sid_and_status_is_422(client, sms):
    params = {"AccountSid": "AC" + "0" * 32}
    response = post(client, params)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"MessageSid", "MessageStatus"}


def test_the_signature_is_for_the_public_url_behind_a_proxy(client, sms):
    """Twilio signs the public URL (HUB_BASE_URL); the app behind the proxy sees another host.
    A signature for the URL the app sees is not Twilio's, so it is refused."""
    params = receipt("delivered")
    seen_by_the_app = signature(params, "http://10.0.0.7:8000" + PATH)
    refused = client.post(
        PATH,
        data=params,
        base_url="http://10.0.0.7:8000",
        headers={"X-Twilio-Signature": seen_by_the_app},
    )
    assert refused.status_code == 403
    assert fresh(sms).status == "sent"
    accepted = client.post(
        PATH,
        data=params,
        base_url="http://10.0.0.7:8000",
        headers={"X-Twilio-Signature": signature(params, "http://hub.test" + PATH)},
    )
    assert accepted.status_code == 204
    assert fresh(sms).status == "delivered"


def test_a_query_string_is_part_of_the_signed_url(client, sms):
    url = PATH + "?" + urlencode({"source": "hub"})
    params = receipt("delivered")
    unsigned_query = client.post(
        url, data=params, headers={"X-Twilio-Signature": signature(params)}
    )
    assert unsigned_query.status_code == 403
    assert post(client, params, url=url).status_code == 204
    assert fresh(sms).status == "delivered"


def test_a_receipt_for_an_unknown_message_is_logged(client, sms, caplog):
    with caplog.at_level("WARNING", logger="notifications.receipts"):
        post(client, receipt("delivered", sid="SM" + "c" * 32))
    assert "SM" + "c" * 32 in caplog.text


# --- A receipt that comes before its SID is recorded ------------------------------------------


@pytest.mark.both_databases  # locks the held receipts: FOR UPDATE
def test_a_receipt_before_its_sid_is_recorded_is_held_then_applied(
    client, db, signed_app, demo_hub, now
):
    """Dispatch records SIDs a group at a time: a quick "failed" receipt must not be lost."""
    from notifications import dispatch, outbox

    outbox.queue(
        key="test:early",
        kind="referral_forwarded",
        channel="sms",
        recipient="+447911123456",
        subject=None,
        body="A referral was forwarded to you.",
        now=now,
    )
    db.session.commit()
    (claimed,) = dispatch.claim_due(now, 10)
    early_sid = "SM" + "e" * 32
    # Twilio took it and its receipt arrives before dispatch records the SID.
    response = post(client, receipt("undelivered", sid=early_sid, ErrorCode="30003"))
    assert response.status_code == 200
    assert _db.session.query(HeldReceipt).count() == 1
    dispatch._record([(claimed, early_sid, None)], now)
    db.session.expire_all()
    message = _db.session.query(OutboxMessage).filter_by(key="test:early").one()
    assert (message.status, message.last_error) == ("failed", "Twilio error 30003: undelivered")
    assert _db.session.query(HeldReceipt).count() == 0
    # Hub staff hear of it in the next failure digest, as of any failed message.
    assert message.failed_at == now and message.digested_at is None


def test_held_receipts_that_never_find_their_message_are_dropped_after_a_day(client, sms, now):
    from notifications import dispatch

    post(client, receipt("delivered", sid="SM" + "f" * 32))
    assert _db.session.query(HeldReceipt).count() == 1
    held_at = _db.session.query(HeldReceipt).one().received_at
    assert dispatch.sweep_stuck(held_at + timedelta(hours=23))["receipts dropped"] == 0
    assert dispatch.sweep_stuck(held_at + timedelta(days=1, seconds=1))["receipts dropped"] == 1
    assert _db.session.query(HeldReceipt).count() == 0


def test_a_receipt_with_a_status_that_says_nothing_is_not_held(client, sms):
    post(client, receipt("queued", sid="SM" + "9" * 32))
    assert _db.session.query(HeldReceipt).count() == 0

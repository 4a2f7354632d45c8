"""The baseline for bench/submissions.py: a bare endpoint that writes the same rows a submission
writes (a client, a submission, one referral and one event per "yes") with plain SQL in one
transaction: no authentication, no validation, no ORM. What the hub adds is measured against it."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, jsonify, request

from hub.extensions import _sqlite_pragmas  # noqa: F401  (the same WAL and busy-timeout pragmas)

engine = sa.create_engine(os.environ["DATABASE_URL"])
app = Flask(__name__)

with engine.connect() as connection:
    QV, USER = connection.execute(
        sa.text(
            "SELECT (SELECT id FROM questionnaire_version ORDER BY id LIMIT 1),"
            " (SELECT id FROM \"user\" WHERE role = 'frontline' ORDER BY id LIMIT 1)"
        )
    ).one()
    PARTNERS = dict(connection.execute(sa.text("SELECT slug, id FROM organisation")).all())
    ORG = connection.execute(
        sa.text("SELECT organisation_id FROM \"user\" WHERE role = 'frontline' LIMIT 1")
    ).scalar()
ROUTE = {"smoke_alarms": "lfb-home-fire-safety", "falls": "nhs-falls-prevention",
         "lonely": "age-uk-befriending"}  # fmt: skip


@app.post("/baseline/submissions")
def submit():
    body = request.get_json()
    client = body["client"]
    now = datetime.now(UTC).replace(tzinfo=None)
    reference = "BL-" + secrets.token_hex(5).upper()
    with engine.begin() as connection:
        client_id = connection.execute(
            sa.text(
                "INSERT INTO client (match_key, given_name, family_name, date_of_birth, address,"
                " postcode, borough, phone, email, preferred_contact, contact_times, created_at)"
                " VALUES"
                " (:m, :g, :f, :d, :a, :p, :b, :ph, :e, :pc, NULL, :now) RETURNING id"
            ),
            {"m": "|".join((client["given_name"].casefold(), client["family_name"].casefold(),
                            client["date_of_birth"])),
             "g": client["given_name"], "f": client["family_name"],
             "d": client["date_of_birth"], "a": client["address"], "p": client["postcode"],
             "b": client.get("borough"), "ph": client["phone"], "e": client.get("email"),
             "pc": client["preferred_contact"], "now": now},
        ).scalar()  # fmt: skip
        submission_id = connection.execute(
            sa.text(
                "INSERT INTO submission (reference, questionnaire_version_id, client_id,"
                " submitted_by_id, referrer_organisation_id, received_at, follow_up_due_at,"
                " answers, notes, consent_given, consent_recorded_by_id, consent_recorded_at,"
                " idempotency_key) VALUES (:r, :qv, :c, :u, :o, :now, :follow, :answers, NULL,"
                " TRUE, :u, :now, NULL)"
                " RETURNING id"
            ),
            {"r": reference, "qv": QV, "c": client_id, "u": USER, "o": ORG, "now": now,
             "follow": now + timedelta(days=28), "answers": json.dumps(body["answers"])},
        ).scalar()  # fmt: skip
        yes = [key for key, value in body["answers"].items() if value]
        for number, key in enumerate(yes, start=1):
            referral_id = connection.execute(
                sa.text(
                    "INSERT INTO referral (reference, submission_id, partner_id, question_key,"
                    " status, received_at, forward_due_at) VALUES (:r, :s, :p, :q, 'received',"
                    " :now, :due) RETURNING id"
                ),
                {"r": f"{reference}-{number:02d}", "s": submission_id,
                 "p": PARTNERS[ROUTE.get(key, "age-uk-befriending")], "q": key, "now": now,
                 "due": now + timedelta(hours=24)},
            ).scalar()  # fmt: skip
            connection.execute(
                sa.text(
                    "INSERT INTO referral_event (referral_id, actor_id, kind, at, details)"
                    " VALUES (:r, :u, 'received', :now, :d)"
                ),
                {"r": referral_id, "u": USER, "now": now, "d": json.dumps({"question": key})},
            )
    return jsonify(id=submission_id, reference=reference), 201

"""``POST /api/v1/submissions``: a completed questionnaire from another system.

Every problem with the body is reported at once, keyed like ``client.phone`` or
``answers.falls``; nothing is created unless the whole submission is acceptable. A retry with
the same ``Idempotency-Key`` and body answers with the first submission; the same key with
another body is refused (422 ``idempotency_key_reused``). A client sent without a ``borough``
gets the borough of their postcode, if the hub's areas cover it (``hub.areas``).
"""

from __future__ import annotations

from dataclasses import replace

from flask import jsonify, request

from hub import areas, audit, limits
from hub.api import api, serialise
from hub.api.auth import api_roles
from hub.api.parsing import ApiError, invalid, json_object, not_found, optional_text
from hub.auth.access import acting_user
from hub.clock import utcnow
from hub.extensions import db
from hub.models import QuestionnaireVersion, Submission
from hub.referrals.client_details import ClientDetails, clean_client_details
from hub.referrals.questionnaire_versions import definition_of, latest
from hub.referrals.submissions import IdempotencyKeyReused, body_hash, submit_questionnaire
from hub.referrals.wellbeing import clean_wellbeing
from hub.urls import external_url
from questionnaires import AnswersInvalid

IDEMPOTENCY_KEY = "Idempotency-Key"
CLIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "address",
    "postcode",
    "borough",
    "phone",
    "email",
    "preferred_contact",
    "contact_times",
)


@api.post("/submissions")
@api_roles("frontline", "hub")
def create_submission():
    user = acting_user()
    key = _idempotency_key()
    body = json_object()
    now = utcnow()
    version, details, answers, notes, wellbeing = _read_submission(body, now)
    try:
        received = submit_questionnaire(
            version,
            details,
            answers,
            user,
            now,
            notes=notes,
            idempotency_key=key,
            idempotency_body_hash=body_hash(body) if key else None,
            wellbeing=wellbeing,
        )
    except IdempotencyKeyReused:
        db.session.rollback()
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was sent before with a different body, so nothing was "
            "created. Send each new questionnaire with a new key; resend the same body to retry.",
        ) from None
    db.session.commit()
    return _created(received.submission, now, user)


@api.get("/submissions/<int:submission_id>")
@api_roles("frontline", "hub")
def show_submission(submission_id: int):
    """Where ``Location`` points: the submission and its referrals, for the one who sent it."""
    user = acting_user()
    row = db.session.get(Submission, submission_id)
    if row is None or (user.role == "frontline" and row.submitted_by_id != user.id):
        raise not_found("There is no submission with that id.")
    now = utcnow()
    response = jsonify(serialise.submission(row, now, referrer=_is_referrer(user)))
    audit.viewed(user, "GET /api/v1/submissions/{id}", now, submission=row)
    return response


def _is_referrer(user) -> bool:
    """A frontline user reads their questionnaires as their pages show them: no partner's or
    hub's reasons. Hub staff who submitted one read it as hub staff."""
    return user.role == "frontline"


def _created(submission: Submission, now, user):
    response = jsonify(serialise.submission(submission, now, referrer=_is_referrer(user)))
    response.status_code = 201
    response.headers["Location"] = external_url("api.show_submission", submission_id=submission.id)
    return response


def _idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > limits.IDEMPOTENCY_KEY or not key.isprintable():
        raise invalid(
            {
                IDEMPOTENCY_KEY: f"{IDEMPOTENCY_KEY} must be 1 to {limits.IDEMPOTENCY_KEY} "
                "printable characters, with no control characters"
            }
        )
    return key


def _read_submission(
    body: dict, now
) -> tuple[QuestionnaireVersion, ClientDetails, dict[str, bool], str | None, dict | None]:
    """Everything the service needs, or ApiError(422) naming every field that is wrong."""
    errors: dict[str, str] = {}
    version = _questionnaire(body.get("questionnaire"), errors)
    definition = definition_of(version) if version else None
    boroughs = serialise.boroughs_of(definition) if definition else ()
    details = _client(body.get("client"), now, boroughs, errors)
    _consent(body.get("consent"), errors)
    answers = body.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = "Send the answers as an object of question key to true or false"
    elif definition is not None:
        try:
            answers = definition.validate(answers)
        except AnswersInvalid as problem:
            errors.update({f"answers.{key}": message for key, message in problem.errors.items()})
    try:
        notes = optional_text(body, "notes")
    except ApiError as problem:
        notes = None
        errors.update(problem.fields or {})
    wellbeing = _wellbeing(body.get("wellbeing"), errors)
    if errors:
        raise invalid(errors)
    return version, details, answers, notes, wellbeing


def _wellbeing(data, errors: dict) -> dict[str, int] | None:
    """The optional ONS wellbeing answers: an object of the four questions, 0 to 10 each."""
    if data is None:
        return None
    if not isinstance(data, dict):
        errors["wellbeing"] = "Send the wellbeing answers as an object of four whole numbers"
        return None
    scores, problems = clean_wellbeing(data)
    errors.update({f"wellbeing.{key}": message for key, message in problems.items()})
    if scores is None and not problems:
        errors["wellbeing"] = "Send all four wellbeing answers, or leave wellbeing out"
    return scores


def _questionnaire(slug, errors: dict) -> QuestionnaireVersion | None:
    version = latest(slug) if isinstance(slug, str) and slug else None
    if version is None:
        errors["questionnaire"] = (
            "Name a published questionnaire by its slug, like sail"
            if slug
            else "Name the questionnaire by its slug, like sail"
        )
    return version


def _client(data, now, boroughs, errors: dict) -> ClientDetails | None:
    if not isinstance(data, dict):
        errors["client"] = "Send the client’s details as an object"
        return None
    # Anything but text (or nothing) is refused here, so the cleaner only ever sees strings.
    wrong_type = {
        field: f"{field.replace('_', ' ').capitalize()} must be text"
        for field in CLIENT_FIELDS
        if data.get(field) is not None and not isinstance(data[field], str)
    }
    texts = {field: data.get(field) for field in CLIENT_FIELDS if field not in wrong_type}
    details, problems = clean_client_details(texts, now.date(), boroughs)
    problems.update(wrong_type)
    errors.update({f"client.{field}": message for field, message in problems.items()})
    if details is None:
        return None
    # Without a borough, the client's is the one their postcode is in, if the hub has it.
    chosen = (texts.get("borough") or "").strip().lower() or None
    return replace(details, borough=areas.borough_for(chosen, details.postcode).slug)


def _consent(consent, errors: dict) -> None:
    if not (isinstance(consent, dict) and consent.get("given") is True):
        errors["consent.given"] = (
            "Confirm the client agreed to be referred: send consent.given as true"
        )

"""The public Open Referral UK API: the active partner agencies as ORUK v3 services, valid against
the required parts of the ORUK v3 schema (written here: it cannot be fetched at test time), with
ORUK's paging; never a client, a referral or a private SMS duty number."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from partners import agencies
from tests.support import partner

# The required parts of ORUK v3 (Open Referral's HSDS 3.0 ``schema/service.json`` and the
# schemas it refers to, and the API's ``Page``): what every consumer may rely on.
_ID = {"type": "string", "minLength": 1}
PHONE = {
    "type": "object",
    "required": ["id", "number"],
    "properties": {"id": _ID, "number": {"type": "string"}, "type": {"type": "string"}},
}
SERVICE = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": _ID,
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "email": {"type": "string", "format": "email"},
        "status": {"enum": ["active", "inactive", "defunct", "temporarily closed"]},
        "organization": {
            "type": "object",
            "required": ["id", "name", "description"],
            "properties": {"id": _ID, "name": {"type": "string"}},
        },
        "phones": {"type": "array", "items": PHONE},
        "contacts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": _ID, "phones": {"type": "array", "items": PHONE}},
            },
        },
        "service_areas": {
            "type": "array",
            "items": {"type": "object", "required": ["id"], "properties": {"id": _ID}},
        },
    },
}
PAGE = {
    "type": "object",
    "required": [
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    ],
    "properties": {
        "total_items": {"type": "integer"},
        "total_pages": {"type": "integer"},
        "page_number": {"type": "integer"},
        "size": {"type": "integer"},
        "first_page": {"type": "boolean"},
        "last_page": {"type": "boolean"},
        "empty": {"type": "boolean"},
        "contents": {"type": "array", "items": SERVICE},
    },
}


def valid(schema: dict, document) -> None:
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(document)]
    assert errors == []


@pytest.fixture
def private_and_public_numbers(db, demo_hub, now):
    agencies.update(partner("nhs-falls-prevention"), {"sms_number": "07911 123456"}, None, now)
    agencies.update(
        partner("carers-support"),
        {"sms_number": "07911 123457", "sms_private": False},
        None,
        now,
    )
    agencies.update(partner("drug-alcohol-service"), {"active": False}, None, now)
    agencies.update(partner("stop-smoking-service"), {"taking_referrals": False}, None, now)
    db.session.commit()


def test_the_root_says_the_version(client):
    response = client.get("/openreferral/")
    assert response.status_code == 200
    assert response.json["version"] == "3.0"


def test_services_are_an_oruk_page_of_active_partners(client, private_and_public_numbers):
    response = client.get("/openreferral/services?per_page=100")
    assert response.status_code == 200
    page = response.json
    valid(PAGE, page)
    names = [service["name"] for service in page["contents"]]
    assert "Drug and Alcohol Service" not in names  # inactive
    assert names == sorted(names)
    assert page["total_items"] == len(names) == 21
    assert page["first_page"] and page["last_page"] and not page["empty"]
    smoking = next(item for item in page["contents"] if item["name"] == "Stop Smoking Service")
    assert smoking["status"] == "temporarily closed"


def test_paging(client, demo_hub):
    first = client.get("/openreferral/services?per_page=10").json
    third = client.get("/openreferral/services?per_page=10&page=3").json
    beyond = client.get("/openreferral/services?per_page=10&page=9").json
    assert (first["total_pages"], first["size"], first["last_page"]) == (3, 10, False)
    assert (third["size"], third["first_page"], third["last_page"]) == (2, False, True)
    assert beyond["empty"] and beyond["contents"] == []
    valid(PAGE, beyond)
    seen = {s["id"] for n in (1, 2, 3) for s in _page(client, n)["contents"]}
    assert len(seen) == 22


def _page(client, number):
    return client.get(f"/openreferral/services?per_page=10&page={number}").json


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=abc", "per_page=0", "per_page=1000", "page=99999999999999999999", "page=-1"],
)
def test_bad_paging_is_a_422_in_json(client, query):
    response = client.get(f"/openreferral/services?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert set(response.json["error"]["fields"]) <= {"page", "per_page"}


def test_one_service_with_its_organization_phones_and_areas(client, private_and_public_numbers):
    carers = partner("carers-support")
    response = client.get(f"/openreferral/services/{carers.oruk_id}")
    assert response.status_code == 200
    shown = response.json
    valid(SERVICE, shown)
    assert shown["organization"]["name"] == "Carers Support Service"
    assert [phone["number"] for phone in shown["phones"]] == ["+447911123457"]
    assert shown["contacts"][0]["email"] == "referrals@carers-support.example.org"
    assert [area["name"] for area in shown["service_areas"]] == ["Lambeth", "Southwark"]
    assert "sail_slug" not in shown


def test_never_a_private_number_a_client_or_a_referral(
    client, private_and_public_numbers, referral
):
    everything = json.dumps(
        [
            client.get("/openreferral/services?per_page=200").json,
            client.get(f"/openreferral/services/{partner('nhs-falls-prevention').oruk_id}").json,
            client.get(f"/openreferral/services/{partner('lfb-home-fire-safety').oruk_id}").json,
        ]
    )
    assert "7911123456" not in everything and "07911 123456" not in everything
    submission = referral.submission
    for private in (
        referral.reference,
        submission.reference,
        submission.client.family_name,
        submission.client.postcode,
    ):
        assert private not in everything


def test_unknown_or_inactive_services_are_404_in_json(client, private_and_public_numbers):
    for ident in ("no-such-service", partner("drug-alcohol-service").oruk_id, "x" * 500):
        response = client.get(f"/openreferral/services/{ident}")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


def test_other_errors_under_openreferral_are_json_too(client):
    assert client.get("/openreferral/nothing-here").json["error"]["code"] == "not_found"
    refused = client.post("/openreferral/services")
    assert refused.status_code == 405 and refused.json["error"]["code"] == "method_not_allowed"

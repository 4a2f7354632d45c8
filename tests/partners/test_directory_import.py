"""``directory import`` and ``directory export``: Open Referral UK v3 services become partner
agencies (matched by the service's id), all or nothing, each change in the audit trail; and an
export imported again changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hub import areas as hub_areas
from hub.audit import AuditEvent
from hub.models import Organisation
from partners import agencies, oruk
from tests.support import partner


@pytest.fixture
def areas(db, now):
    """Lambeth and Southwark: the demo hub's areas (``hub.areas``), made here without it."""
    hub_areas.ensure_demo_areas(now)
    db.session.flush()
    return [hub_areas.find_area("lambeth"), hub_areas.find_area("southwark")]


def service(ident="svc-1", name="Camberwell Befriending", **fields) -> dict:
    return {"id": ident, "name": name, "status": "active", **fields}


def write(tmp_path, data) -> str:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def run_import(runner, tmp_path, data):
    return runner.invoke(args=["directory", "import", write(tmp_path, data)])


def partner_count(db) -> int:
    return db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.kind == "partner")
    )


def audit_events(db, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def test_import_creates_partners_from_services(runner, db, tmp_path, areas):
    data = [
        service(
            "a1",
            "Camberwell Befriending",
            description="Weekly calls.",
            url="https://befriending.example.org",
            email="Referrals@Befriending.example.org",
            phones=[
                {"id": "p1", "number": "020 7946 0000", "type": "voice"},
                {"id": "p2", "number": "07911 123456", "type": "text"},
            ],
            service_areas=[{"id": "x", "name": "Southwark"}, {"id": "y", "name": "lambeth"}],
        ),
        service("a2", "Peckham Lunch Club", status="temporarily closed"),
        service(
            "a3",
            "Old Kent Road Handyperson",
            status="defunct",
            phones=[{"id": "p3", "number": "07911 123457", "type": "text", "private": False}],
        ),
    ]
    result = run_import(runner, tmp_path, {"contents": data})
    assert result.exit_code == 0, result.output
    assert "3 partner agencies added" in result.output

    befriending = partner("camberwell-befriending")
    assert befriending.oruk_id == "a1"
    assert befriending.description == "Weekly calls."
    assert befriending.url == "https://befriending.example.org"
    assert befriending.referral_email == "referrals@befriending.example.org"
    assert befriending.sms_number == "+447911123456" and befriending.sms_private
    assert [area.slug for area in befriending.areas] == ["lambeth", "southwark"]
    assert befriending.active and befriending.taking_referrals

    lunch = partner("peckham-lunch-club")
    assert lunch.active and not lunch.taking_referrals
    handyperson = partner("old-kent-road-handyperson")
    assert not handyperson.active
    assert handyperson.sms_number == "+447911123457" and not handyperson.sms_private

    created = audit_events(db, "partner_created")
    assert [event.subject for event in created] == [
        "camberwell-befriending",
        "peckham-lunch-club",
        "old-kent-road-handyperson",
    ]
    assert created[0].actor == "command line"
    assert created[0].details["after"]["sms_number"] == "+447911123456"


def test_a_new_partners_slug_is_made_unique(db, now, demo_hub):
    oruk.import_services([service("n1", "Carers Support Service")], None, now)
    oruk.import_services([service("n2", "Carers: Support Service!")], None, now)
    assert partner("carers-support-service").oruk_id == "n1"
    assert partner("carers-support-service-2").oruk_id == "n2"
    oruk.import_services([service("n3", "Café Crème – Lunch Club")], None, now)
    assert partner("cafe-creme-lunch-club").oruk_id == "n3"


def test_import_updates_the_partner_with_that_id(runner, db, tmp_path, areas, now):
    oruk.import_services([service("u1", "Walworth Warm Homes", email="a@example.org")], None, now)
    db.session.commit()
    renamed = service(
        "u1",
        "Walworth Warm Homes CIC",
        email="a@example.org",
        status="temporarily closed",
        service_areas=[{"id": "s", "name": "southwark"}],
    )
    result = run_import(runner, tmp_path, [renamed])
    assert result.exit_code == 0, result.output
    assert "0 partner agencies added, 1 changed" in result.output
    found = partner("walworth-warm-homes")  # the slug never changes
    assert found.name == "Walworth Warm Homes CIC" and not found.taking_referrals
    (changed,) = audit_events(db, "partner_changed")
    assert changed.subject == "walworth-warm-homes"
    assert changed.details == {
        "before": {"name": "Walworth Warm Homes", "areas": [], "taking_referrals": True},
        "after": {
            "name": "Walworth Warm Homes CIC",
            "areas": ["southwark"],
            "taking_referrals": False,
        },
    }


def test_a_field_left_out_is_left_as_it_is(db, now, areas):
    oruk.import_services(
        [
            service(
                "k1",
                "Kennington Carers",
                email="k@example.org",
                phones=[{"id": "p", "number": "07911 123456", "type": "text"}],
                service_areas=[{"id": "s", "name": "Lambeth"}],
            )
        ],
        None,
        now,
    )
    oruk.import_services([service("k1", "Kennington Carers")], None, now)
    kept = partner("kennington-carers")
    assert kept.referral_email == "k@example.org"
    assert kept.sms_number == "+447911123456"
    assert [area.slug for area in kept.areas] == ["lambeth"]
    oruk.import_services([service("k1", "Kennington Carers", phones=[])], None, now)
    assert partner("kennington-carers").sms_number is None


@pytest.mark.both_databases
def test_a_bad_file_is_refused_whole_naming_service_and_field(runner, db, tmp_path, areas):
    before = partner_count(db)
    data = [
        service("ok-1", "A Good Service"),
        {"id": "b1", "status": "active"},
        service("b2", "Unknown Status", status="open"),
        service("b3", "Bad Email", email="not-an-email"),
        service(
            "b4", "Bad Mobile", phones=[{"id": "p", "number": "020 7946 0000", "type": "text"}]
        ),
        service("ok-1", "Twice"),
        service("b5", "Nowhere", service_areas=[{"id": "z", "name": "Atlantis"}]),
    ]
    result = run_import(runner, tmp_path, data)
    assert result.exit_code != 0
    output = result.output
    assert "nothing changed" in output
    assert "Service 'b1': name: Enter the partner agency’s name" in output
    assert "Service 'b2' (Unknown Status): status: must be one of" in output
    assert "Service 'b3' (Bad Email): email: Enter a referral email address" in output
    assert (
        "Service 'b4' (Bad Mobile): phones: '020 7946 0000' cannot receive text messages" in output
    )
    assert "Service 'ok-1' (Twice): id: the same id as Service 'ok-1' (A Good Service)" in output
    assert "Service 'b5' (Nowhere): service_areas: The hub has no area called 'Atlantis'" in output
    assert "A Good Service" not in output.split("nothing changed")[1].replace(
        "Service 'ok-1' (A Good Service)", ""
    )
    db.session.expire_all()
    assert partner_count(db) == before
    assert audit_events(db) == []


def test_a_file_that_is_not_a_directory_is_refused(runner, tmp_path, db):
    assert run_import(runner, tmp_path, {"services": []}).exit_code != 0
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code != 0 and "is not JSON" in result.output


@pytest.mark.both_databases
def test_export_then_import_changes_nothing(runner, db, demo_hub, tmp_path, areas, now):
    # Some of every kind of field, so the round trip carries each.
    agencies.update(
        partner("lambeth-carers-hub"),
        {"areas": ["lambeth"], "sms_number": "07911 123456", "url": "https://carers.example.org"},
        None,
        now,
    )
    agencies.update(partner("stop-smoking-service"), {"taking_referrals": False}, None, now)
    agencies.update(
        partner("handyperson-service"),
        {"active": False, "sms_number": "07911 123457", "sms_private": False},
        None,
        now,
    )
    db.session.commit()
    before = {row.slug: agencies.snapshot(row) for row in agencies.partners()}
    events = len(audit_events(db))

    exported = tmp_path / "export.json"
    result = runner.invoke(args=["directory", "export", str(exported)])
    assert result.exit_code == 0, result.output
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert len(data["contents"]) == len(before)
    again = runner.invoke(args=["directory", "import", str(exported)])
    assert again.exit_code == 0, again.output
    assert "0 partner agencies added, 0 changed" in again.output

    db.session.expire_all()
    assert {row.slug: agencies.snapshot(row) for row in agencies.partners()} == before
    assert len(audit_events(db)) == events


def test_export_writes_to_standard_output(runner, db, demo_hub):
    result = runner.invoke(args=["directory", "export"])
    assert result.exit_code == 0
    contents = json.loads(result.output)["contents"]
    fire = next(item for item in contents if item["sail_slug"] == "lfb-home-fire-safety")
    assert fire["email"] == "referrals@lfb-home-fire-safety.example.org"
    assert fire["status"] == "active"


def test_the_hubs_slug_extension_is_kept_and_adopts_a_partner_without_an_id(db, now):
    from hub.auth import accounts

    older = accounts.ensure_organisation("falls-team", "partner", now, name="Falls Team")
    data = [
        service("f1", "NHS Falls Prevention", sail_slug="falls-team"),
        service("m1", "Memory Service", sail_slug="memory"),
    ]
    summary = oruk.import_services(data, None, now)
    assert summary.created == ["memory"] and summary.changed == ["falls-team"]
    assert older.oruk_id == "f1" and older.name == "NHS Falls Prevention"
    assert partner("memory").oruk_id == "m1"
    with pytest.raises(oruk.ImportRefused) as refused:
        oruk.import_services([service("f1", "NHS Falls Prevention", sail_slug="falls")], None, now)
    assert "sail_slug: the partner's slug is 'falls-team', and never changes" in str(refused.value)


def test_a_production_hub_is_set_up_from_the_directory_and_the_bank(app, runner, db, tmp_path):
    """On an empty database, in production mode: the directory, then the questionnaire."""
    from pathlib import Path

    from hub.referrals import questionnaire_versions
    from questionnaires import bank_path

    app.config["HUB_ENV"] = "production"
    for slug, postcodes in (("lambeth", "SW9"), ("southwark", "SE17")):  # the services' areas
        made = runner.invoke(args=["areas", "set", slug, "--name", slug.title(),
                                   "--postcodes", postcodes])  # fmt: skip
        assert made.exit_code == 0, made.output
    directory = Path(oruk.__file__).resolve().parent / "demo_directory.json"
    imported = runner.invoke(args=["directory", "import", str(directory)])
    assert imported.exit_code == 0, imported.output
    assert "22 partner agencies added" in imported.output
    published = runner.invoke(args=["questionnaires", "publish", str(bank_path("sail"))])
    assert published.exit_code == 0, published.output
    assert questionnaire_versions.latest("sail").version == 1
    assert len(audit_events(db, "partner_created")) == 22

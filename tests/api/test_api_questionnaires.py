"""GET /api/v1/questionnaires: what can be submitted, and which partner each "yes" goes to."""

from hub.referrals import questionnaire_versions
from questionnaires import load_bank
from tests.api_support import bearer
from tests.factories import SAIL_KEYS


def test_the_published_sail_questionnaire_with_each_questions_partners(client, demo_hub, now):
    response = client.get("/api/v1/questionnaires", headers=bearer("frontline", now))
    assert response.status_code == 200
    bank = load_bank("sail")
    [sail] = response.json
    assert (sail["slug"], sail["version"], sail["title"]) == ("sail", bank.version, bank.title)
    assert sorted(sail["boroughs"]) == ["lambeth", "southwark"]
    questions = {question["key"]: question for question in sail["questions"]}
    assert [question["key"] for question in sail["questions"]] == list(SAIL_KEYS)
    assert questions["smoke_alarms"] == {
        "key": "smoke_alarms",
        "text": bank.question("smoke_alarms").text,
        "short": "Fire safety visit",  # added in issue 17: for tables and messages
        "partner": "lfb-home-fire-safety",
    }
    assert questions["low_mood"]["partner"] == "talking-therapies"
    assert questions["low_mood"]["partners_by_borough"] == {
        "lambeth": "lambeth-talking-therapies",
        "southwark": "southwark-talking-therapies",
    }
    borough_routed = {
        key for key, question in questions.items() if "partners_by_borough" in question
    }
    assert borough_routed == {"scams", "caring", "low_mood"}


def test_only_the_latest_version_is_listed(client, db, demo_hub, now):
    bank = load_bank("sail")
    newer = bank.to_dict()
    newer["version"] = bank.version + 1
    newer["title"] = "SAIL checklist (revised)"
    questionnaire_versions.publish(type(bank).from_dict(newer), now)
    db.session.commit()
    [sail] = client.get("/api/v1/questionnaires", headers=bearer("hub", now)).json
    assert (sail["version"], sail["title"]) == (bank.version + 1, "SAIL checklist (revised)")

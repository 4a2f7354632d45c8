"""Receiving a questionnaire: one referral per yes, idempotency, possible duplicates, versions."""

import pytest
from sqlalchemy import func, select

from hub.models import Referral, Submission
from hub.referrals import questionnaire_versions
from hub.referrals.client_details import clean_client_details
from hub.referrals.submissions import submit_questionnaire
from questionnaires import AnswersInvalid, load_bank
from tests.factories import client_details, sail_answers, submit, user


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_each_yes_becomes_one_received_referral_to_its_partner(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("smoke_alarms", "caring", "benefits"))
    db.session.commit()
    assert [(r.question_key, r.partner.slug, r.status) for r in submission.referrals] == [
        ("smoke_alarms", "lfb-home-fire-safety", "received"),
        ("caring", "lambeth-carers-hub", "received"),
        ("benefits", "age-uk-information-advice", "received"),
    ]
    assert [r.reference for r in submission.referrals] == [
        f"{submission.reference}-0{n}" for n in (1, 2, 3)
    ]
    assert submission.referrer_organisation.slug == "lambeth-adult-social-care"
    assert submission.consent_recorded_by == user("frontline")


def test_without_a_borough_flags_go_to_the_default_partner(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=("caring",), borough=None)
    assert submission.referrals[0].partner.slug == "carers-support"


def test_all_no_is_kept_as_a_record_with_no_referrals(db, demo_hub, now):
    submission = submit(user("frontline"), now, yes=())
    db.session.commit()
    assert submission.referrals == []
    assert count(db, Submission) == 1


def test_bad_answers_create_nothing(db, demo_hub, now):
    details, _ = clean_client_details(client_details(), now.date(), ("lambeth", "southwark"))
    answers = sail_answers("falls")
    del answers["memory"]
    with pytest.raises(AnswersInvalid) as invalid:
        submit_questionnaire(
            questionnaire_versions.latest("sail"), details, answers, user("hub"), now
        )
    assert "memory" in invalid.value.errors
    db.session.rollback()
    assert count(db, Submission) == count(db, Referral) == 0


def test_the_same_idempotency_key_returns_the_first_submission(db, demo_hub, now):
    details, _ = clean_client_details(client_details(), now.date(), ("lambeth", "southwark"))
    version = questionnaire_versions.latest("sail")
    first = submit_questionnaire(
        version, details, sail_answers("falls"), user("frontline"), now, idempotency_key="k1"
    )
    db.session.commit()
    again = submit_questionnaire(
        version, details, sail_answers("falls"), user("frontline"), now, idempotency_key="k1"
    )
    assert (first.created, again.created) == (True, False)
    assert again.submission.id == first.submission.id
    assert count(db, Submission) == 1
    other_user = submit_questionnaire(
        version, details, sail_answers("falls"), user("hub"), now, idempotency_key="k1"
    )
    assert other_user.created


def test_a_possible_duplicate_is_created_and_flagged_not_merged(db, demo_hub, now):
    first = submit(user("frontline"), now, yes=("falls", "lonely"))
    db.session.commit()
    second = submit(
        user("hub"), now, yes=("falls", "memory"), given_name="EDNA", family_name="clarke"
    )
    db.session.commit()
    falls, memory = second.referrals
    assert falls.possible_duplicate_of == first.referrals[0]
    assert memory.possible_duplicate_of is None
    assert count(db, Referral) == 4


def test_a_closed_referral_is_not_a_duplicate(db, demo_hub, now):
    from hub.referrals import lifecycle

    first = submit(user("frontline"), now, yes=("falls",))
    lifecycle.cancel_referral(first.referrals[0], None, now, "Entered in error")
    db.session.commit()
    second = submit(user("frontline"), now, yes=("falls",))
    assert second.referrals[0].possible_duplicate_of is None


def test_a_different_birthday_is_a_different_person(db, demo_hub, now):
    submit(user("frontline"), now, yes=("falls",))
    db.session.commit()
    second = submit(user("frontline"), now, yes=("falls",), date_of_birth="1941-05-18")
    assert second.referrals[0].possible_duplicate_of is None


def test_publishing_a_new_version_never_changes_an_old_submission(db, demo_hub, now):
    old = submit(user("frontline"), now, yes=("falls",))
    db.session.commit()
    bank = load_bank("sail")
    changed = bank.to_dict()
    changed["version"] = bank.version + 1
    changed["title"] = "SAIL (revised)"
    changed["sections"][0]["questions"][0]["text"] = "Reworded question"
    new_version = questionnaire_versions.publish(type(bank).from_dict(changed), now)
    db.session.commit()
    assert questionnaire_versions.latest("sail") == new_version
    assert old.questionnaire_version.version == bank.version
    definition = questionnaire_versions.definition_of(old.questionnaire_version)
    assert definition.questions[0].text == bank.questions[0].text
    fresh = submit(user("frontline"), now, yes=("falls",))
    assert fresh.questionnaire_version == new_version


def test_republishing_a_version_with_other_questions_is_refused(db, demo_hub, now):
    bank = load_bank("sail")
    changed = bank.to_dict()
    changed["title"] = "Sneaky edit"
    with pytest.raises(questionnaire_versions.VersionConflict):
        questionnaire_versions.publish(type(bank).from_dict(changed), now)


def test_a_questionnaire_cannot_be_published_with_partners_the_hub_lacks(db, demo_hub, now):
    bank = load_bank("sail")
    changed = bank.to_dict()
    changed["version"] = bank.version + 1
    changed["sections"][0]["questions"][0]["partner"] = "no-such-agency"
    with pytest.raises(questionnaire_versions.UnknownPartners) as refused:
        questionnaire_versions.publish(type(bank).from_dict(changed), now)
    assert "no-such-agency" in str(refused.value)
    assert questionnaire_versions.latest("sail").version == bank.version

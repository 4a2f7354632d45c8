"""Search (``hub.referrals.search``): a reference, a whole name in any case, a date of birth or a
postcode in any case and spacing finds the referrals hub staff mean, and nothing else; with the
queue's other filters too. On both databases: the names are compared with SQL ``lower()``,
which folds letters differently on each."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.extensions import db as _db
from hub.models import Referral
from hub.referrals import lifecycle, search
from hub.triage import queries
from tests.factories import submit, user

pytestmark = pytest.mark.both_databases


@pytest.fixture
def people(db, demo_hub, now):
    """Edna Clarke (SW2 5SG, born 17 May 1941) with three flags; Edna Clarkson; Mary Ann
    Smith-Jones; and Zoë Öztürk."""
    frontline = user("frontline")
    return {
        "clarke": submit(frontline, now),
        "clarkson": submit(
            frontline,
            now,
            yes=("falls",),
            family_name="Clarkson",
            date_of_birth="1950-01-02",
            postcode="SE17 1AA",
            borough="southwark",
        ),
        "smith": submit(
            frontline,
            now,
            yes=("lonely",),
            given_name="Mary Ann",
            family_name="Smith-Jones",
            date_of_birth="1938-12-25",
            postcode="SW9 8AB",
        ),
        "ozturk": submit(
            frontline,
            now,
            yes=("scams",),
            given_name="Zoë",
            family_name="Öztürk",
            date_of_birth="1944-07-07",
            postcode="SW9 7AA",
        ),
    }


def found(text: str) -> set[str]:
    condition = search.referral_condition(text)
    return set(_db.session.scalars(select(Referral.reference).where(condition)))


def references(*submissions) -> set[str]:
    return {referral.reference for each in submissions for referral in each.referrals}


def test_a_referral_reference_finds_that_referral_as_typed_or_read_out(people):
    wanted = people["clarke"].referrals[1].reference  # SL-ABCD-EFGH-02
    assert found(wanted) == {wanted}
    assert found(wanted.lower()) == {wanted}
    assert found(wanted.replace("-", " ")[3:]) == {wanted}  # "ABCD EFGH 02"


def test_a_questionnaire_reference_finds_each_of_its_referrals(people):
    reference = people["clarke"].reference
    assert found(reference) == references(people["clarke"])
    assert len(found(reference)) == 3
    assert found(f" {reference.lower()} ") == references(people["clarke"])


def test_a_name_matches_whole_names_in_any_case(people):
    assert found("clarke") == references(people["clarke"])
    assert found("CLARKE") == references(people["clarke"])
    assert found("clar") == set()  # a whole name, not a part of one
    assert found("Edna") == references(people["clarke"], people["clarkson"])
    assert found("smith-jones") == references(people["smith"])


def test_one_word_of_a_name_of_several_finds_it(people):
    assert found("jones") == references(people["smith"])  # Smith-Jones
    assert found("SMITH") == references(people["smith"])
    assert found("ann") == references(people["smith"])  # Mary Ann
    assert found("an") == set()  # whole words only
    assert found("ith") == set()


def test_given_and_family_name_together_in_either_order(people):
    assert found("edna clarke") == references(people["clarke"])
    assert found("Clarke  Edna") == references(people["clarke"])
    assert found("Edna Smith-Jones") == set()
    assert found("mary ann") == references(people["smith"])
    assert found("Mary Ann Smith-Jones") == references(people["smith"])


def test_names_with_accents_in_any_case(people):
    for typed in ("Öztürk", "öztürk", "ÖZTÜRK", "zoë", "Zoë Öztürk"):
        assert found(typed) == references(people["ozturk"]), typed


def test_a_date_of_birth_as_iso_or_as_said(people):
    assert found("1941-05-17") == references(people["clarke"])
    assert found("17/05/1941") == references(people["clarke"])
    assert found("1941-02-30") == set()  # no such day: nothing, not an error


def test_a_postcode_in_any_case_and_spacing(people):
    for typed in ("SW2 5SG", "sw25sg", "Sw2  5sg"):
        assert found(typed) == references(people["clarke"]), typed
    assert found("se17 1aa") == references(people["clarkson"])
    assert found("SW9") == set()  # a full postcode, not a district


def test_a_text_that_is_none_of_these_finds_nothing(people):
    assert found("12 Acre Lane") == set()
    assert found("%") == set()
    assert found("' OR 1=1 --") == set()


def test_an_empty_search_is_no_search_and_a_long_one_is_refused(people):
    assert search.referral_condition("") is None
    assert search.referral_condition("   ") is None
    with pytest.raises(search.SearchTooLong):
        search.referral_condition("x" * (search.MAX_LENGTH + 1))


def test_the_queue_combines_search_with_its_filters(people, now):
    clarke = people["clarke"]
    lifecycle.forward_referral(clarke.referrals[0], user("hub"), now + timedelta(hours=1))
    _db.session.flush()
    everything = queries.queue(queries.QueueFilters(status=queries.ALL, q="clarke"), now)
    assert {row.referral.reference for row in everything.items} == references(clarke)
    waiting = queries.queue(queries.QueueFilters(q="clarke"), now)  # "waiting to be forwarded"
    assert {row.referral.reference for row in waiting.items} == {
        clarke.referrals[1].reference,
        clarke.referrals[2].reference,
    }
    falls = clarke.referrals[1].partner
    one = queries.queue(queries.QueueFilters(status=queries.ALL, partner=falls, q="Edna"), now)
    assert {row.referral.reference for row in one.items} == {
        referral.reference
        for each in (clarke, people["clarkson"])
        for referral in each.referrals
        if referral.partner_id == falls.id
    }

"""The client's borough from their postcode on the frontline pages: found when not chosen, said
to the worker, correctable; a postcode outside the hub's areas uses the default services."""

from __future__ import annotations

from tests.frontline.test_frontline import (
    answer_sections,
    client_form,
    complete_to_check,
    draft_url,
    error_summary,
    page,
    start,
    submissions,
)

NOT_FOUND = "so the referrals go to the hub’s default services. Choose the borough if you know it."


def test_a_lambeth_postcode_without_a_borough_finds_lambeth(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(client_url, data=client_form(borough="", postcode="sw9 8aa"))
    assert response.status_code == 302, error_summary(response)
    section = page(client.get(response.headers["Location"]))
    assert "Borough: Lambeth (found from the postcode SW9 8AA)" in section
    assert "Refers them to Lambeth Trading Standards" in section
    assert "Change the borough" in section

    answer_sections(client, client_url, yes=("scams",))
    client.post(draft_url(client_url, "consent"), data={"consent": "y"})
    check = page(client.get(draft_url(client_url, "check")))
    assert "Lambeth (found from the postcode SW9 8AA)" in check
    assert "Lambeth Trading Standards" in check

    client.post(draft_url(client_url, "check"))
    [submission] = submissions()
    assert submission.client.borough == "lambeth"
    assert [r.partner.slug for r in submission.referrals] == ["lambeth-trading-standards"]


def test_a_sector_beats_its_district(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client, yes=("scams",), borough="", postcode="SE1 7PB")
    assert "Lambeth (found from the postcode SE1 7PB)" in page(client.get(f"{base}/check"))
    base = complete_to_check(client, yes=("scams",), borough="", postcode="SE1 9GF")
    assert "Southwark (found from the postcode SE1 9GF)" in page(client.get(f"{base}/check"))


def test_a_postcode_outside_the_areas_uses_the_default_services_and_says_so(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(client_url, data=client_form(borough="", postcode="N1 9GU"))
    section = page(client.get(response.headers["Location"]))
    assert "We could not find a borough for the postcode N1 9GU" in section
    assert NOT_FOUND in section
    assert "Refers them to London Trading Standards" in section
    # The worker corrects it: the chosen borough wins over the postcode.
    form = page(client.get(client_url))
    assert 'value="southwark"' in form and "checked" not in form.split('name="borough"')[1][:80]
    response = client.post(client_url, data=client_form(borough="southwark", postcode="N1 9GU"))
    section = page(client.get(response.headers["Location"]))
    assert "Borough: Southwark" in section and NOT_FOUND not in section
    assert "Refers them to Southwark Trading Standards" in section


def test_a_chosen_borough_wins_over_the_postcode(client, sign_in_as, db):
    sign_in_as("frontline")
    base = complete_to_check(client, yes=("scams",), borough="southwark", postcode="SW9 8AA")
    check = page(client.get(f"{base}/check"))
    assert "found from the postcode" not in check and "Southwark Trading Standards" in check
    client.post(f"{base}/check")
    [submission] = submissions()
    assert submission.client.borough == "southwark"


def test_a_bad_postcode_is_refused_and_nothing_typed_is_lost(client, sign_in_as, db):
    sign_in_as("frontline")
    client_url = start(client)
    response = client.post(client_url, data=client_form(borough="", postcode="SW99 ZZZ"))
    assert response.status_code == 200
    assert ("#postcode", "Enter a real postcode, like SE1 7PB") in error_summary(response)
    html = page(response)
    assert 'value="SW99 ZZZ"' in html and 'value="Edna"' in html

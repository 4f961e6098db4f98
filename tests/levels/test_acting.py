"""Acting in one district at a time: the scope, the workflow's seats, the pages' picker and the API header."""

from __future__ import annotations

from shaobao.intake import people
from shaobao.org import acting, scoping
from shaobao.org.models import Unit
from shaobao.org.scoping import district_of, scope_of, units_for
from tests.levels.conftest import fresh


def test_a_single_district_user_is_never_filtered(city):
    user = fresh(city.users["lead_handler"])
    assert scope_of(user).unit_ids == {city.world.lead_unit.pk}
    assert scoping.acting_key(user) == "110117"
    assert [a.key for a in scoping.areas_of(user)] == ["110117"]


def test_a_two_county_unit_acts_in_the_first_district_by_default_and_in_the_chosen_one(city):
    user = fresh(city.users["two_counties"])
    # Default: the lowest code — and only that district's unit, never both mixed on one page.
    assert scope_of(user).unit_ids == {city.world.lead_unit.pk}
    assert people.unit_ids(user) == {city.world.lead_unit.pk}
    assert district_of(user) == city.world.district
    areas = scoping.areas_of(user)
    assert [(a.key, a.current) for a in areas] == [("110117", True), ("110118", False)]

    acting.request_area(user, "110118")
    assert scope_of(user).unit_ids == {city.my_cg.pk}
    assert people.unit_ids(user) == {city.my_cg.pk}
    assert district_of(user) == city.miyun
    assert set(units_for(user).values_list("code", flat=True)) == {"MY-CG"}
    assert set(Unit.objects.visible_to(user).values_list("code", flat=True)) == {"MY-CG", "MY-SW"}


def test_a_stale_or_foreign_choice_falls_back_to_the_default(city):
    user = fresh(city.users["two_counties"])
    acting.request_area(user, "110105")  # Chaoyang: no membership there
    assert scoping.acting_key(user) == "110117"
    assert scope_of(user).unit_ids == {city.world.lead_unit.pk}


def test_the_city_coordinator_acts_in_the_city_first_then_in_a_district(city):
    user = fresh(city.users["city_coordinator"])
    assert [a.key for a in scoping.areas_of(user)] == ["1101", "110117", "110118"]
    assert scope_of(user).roles == {"city_coordinator"}
    assert district_of(user) is None  # the city is no district: district pages do not pick one silently
    acting.request_area(user, "110118")
    assert scope_of(user).roles == {"district_coordinator"}
    assert district_of(user) == city.miyun
    assert people.district_prefixes(user) == {"110118"}


def test_check_accepts_short_and_full_codes_and_names_the_field(city):
    pairs = [("110117000000", "district"), ("110118001000", "street")]
    assert acting.check("110118", pairs) == "110118"
    assert acting.check("110118000000", pairs) == "110118"
    assert acting.check("", pairs) is None
    import pytest

    from shaobao.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        acting.check("110105", pairs)
    assert "acting_in" in exc.value.fields


# --- pages ---------------------------------------------------------------------------------------------


def test_the_top_bar_shows_the_picker_only_to_multi_area_users(city, web_for):
    page = web_for("two_counties").get("/whistles/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="acting-area"' in html and "密云区" in html and "平谷区" in html
    single = web_for("lead_handler").get("/whistles/inbox/").content.decode()
    assert 'id="acting-area"' not in single


def test_choosing_a_district_in_the_top_bar_sticks_for_the_session(city, web_for):
    client = web_for("two_counties")
    response = client.post("/org/acting/", {"area": "110118", "next": "/whistles/inbox/"})
    assert response.status_code == 302 and response["Location"] == "/whistles/inbox/"
    assert client.session[acting.SESSION_KEY] == "110118"
    html = client.get("/whistles/inbox/").content.decode()
    assert 'value="110118" lang="zh-Hans" data-user selected' in html
    # A district the user does not belong to is refused and changes nothing.
    client.post("/org/acting/", {"area": "110105", "next": "/"})
    assert client.session[acting.SESSION_KEY] == "110118"
    # An outside `next` is not followed.
    assert client.post("/org/acting/", {"area": "110117", "next": "https://evil.example/"})["Location"] == "/"


def test_the_chosen_district_decides_what_a_multi_district_coordinator_sees(city, web_for):
    from shaobao.intake.models import Demand

    Demand.objects.create(street=city.street_m, subject="密云的诉求", channel="hotline", tracking_code="MY-1")
    Demand.objects.create(
        street=city.world.street_a, subject="平谷的诉求", channel="hotline", tracking_code="PG-1"
    )
    client = web_for("city_coordinator")
    client.post("/org/acting/", {"area": "110117"})
    user = fresh(city.users["city_coordinator"])
    acting.request_area(user, "110117")
    assert set(Demand.objects.visible_to(user).values_list("tracking_code", flat=True)) == {"PG-1"}
    acting.request_area(user, "110118")
    assert set(Demand.objects.visible_to(user).values_list("tracking_code", flat=True)) == {"MY-1"}


# --- API ------------------------------------------------------------------------------------------------


def test_the_api_acts_in_the_header_s_district(city, api_for):
    api = api_for("two_counties")
    me = api.get("/api/v1/me").json()
    assert [u["code"] for u in me["units"]] == ["CGZF"]
    me = api.get("/api/v1/me", **{"X-Acting-In": "110118"}).json()
    assert [u["code"] for u in me["units"]] == ["MY-CG"]
    me = api.get("/api/v1/me", {"acting_in": "110118000000"}).json()
    assert [u["code"] for u in me["units"]] == ["MY-CG"]


def test_the_api_refuses_a_foreign_district_with_400_naming_acting_in(city, api_for):
    for persona in ("two_counties", "lead_handler"):
        response = api_for(persona).get("/api/v1/me", **{"X-Acting-In": "110105"})
        assert response.status_code == 400, response.content
        assert "acting_in" in response.json()["error"]["fields"]


def test_the_api_lists_the_areas_and_sets_the_session_choice(city, api_for, web_for):
    body = api_for("city_coordinator").get("/api/v1/acting").json()
    assert [(a["key"], a["current"]) for a in body["areas"]] == [
        ("1101", True),
        ("110117", False),
        ("110118", False),
    ]
    assert body["current"] == "1101"
    client = web_for("two_counties")
    response = client.post("/api/v1/acting", {"area": "110118"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["current"] == "110118"
    assert client.session[acting.SESSION_KEY] == "110118"
    bad = client.post("/api/v1/acting", {"area": "999999"}, content_type="application/json")
    assert bad.status_code == 400 and "area" in bad.json()["error"]["fields"]

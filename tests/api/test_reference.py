"""Divisions, units and matters: scoping, pagination, search with lead and supporting units."""

from __future__ import annotations

from tests.api.conftest import assert_error
from tests.factories import UnitFactory


def test_units_outside_the_district_are_404(world, api_as):
    assert_error(api_as("dispatcher").get("/api/v1/units/CY-CG"), 404, "not_found")
    assert api_as("outsider").get("/api/v1/units/CY-CG").status_code == 200
    assert_error(api_as("outsider").get("/api/v1/units/CGZF"), 404)


def test_unit_detail(world, api_as):
    body = api_as("dispatcher").get("/api/v1/units/BH-CG").json()
    assert body["code"] == "BH-CG"
    assert body["kind"] == "street_section"
    assert body["division"] == {"code": "110117001000", "name": "滨河街道"}


def test_unit_list_is_scoped_and_filtered_by_division(world, api_as):
    codes = {u["code"] for u in api_as("dispatcher").get("/api/v1/units").json()["results"]}
    assert codes == {"CGZF", "ZJW", "BH-CG"}
    body = api_as("dispatcher").get("/api/v1/units", {"division": "110117001"}).json()
    assert [u["code"] for u in body["results"]] == ["BH-CG"]


def test_unit_list_for_a_division_elsewhere_is_404(world, api_as):
    assert_error(api_as("dispatcher").get("/api/v1/units", {"division": "110105"}), 404)


def test_user_without_any_role_is_403(world, api_as):
    assert_error(api_as("nobody").get("/api/v1/units"), 403, "forbidden")


def test_divisions_by_parent(world, api_as):
    body = api_as("dispatcher").get("/api/v1/divisions", {"parent": "110117"}).json()
    assert [d["code"] for d in body["results"]] == ["110117001000", "110117002000"]
    assert body["results"][0]["parent"] == "110117000000"


def test_divisions_of_another_district_are_hidden(world, api_as):
    codes = {d["code"] for d in api_as("dispatcher").get("/api/v1/divisions").json()["results"]}
    assert "110117001001" in codes
    assert "110105000000" not in codes
    assert_error(api_as("dispatcher").get("/api/v1/divisions", {"parent": "110105"}), 404)


def test_pagination_pages_through_every_unit_once(world, api_as):
    for n in range(25):
        UnitFactory(code=f"X{n:03d}", division=world.district)
    client = api_as("coordinator")
    first = client.get("/api/v1/units", {"page_size": 10}).json()
    assert first["count"] == 28
    assert first["previous"] is None
    assert len(first["results"]) == 10
    seen = [u["code"] for u in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [u["code"] for u in page["results"]]
    assert len(seen) == 28 == len(set(seen))
    assert page["previous"] is not None


def test_page_size_above_100_is_400_naming_the_field(world, api_as):
    error = assert_error(api_as("dispatcher").get("/api/v1/units", {"page_size": 101}), 400, "invalid")
    assert set(error["fields"]) == {"page_size"}


def test_page_that_is_not_a_number_is_400(world, api_as):
    error = assert_error(api_as("dispatcher").get("/api/v1/units", {"page": "x"}), 400)
    assert "page" in error["fields"]


def test_matter_search_by_keyword_returns_lead_and_supporting_units(world, api_as):
    body = api_as("dispatcher").get("/api/v1/matters", {"q": "私搭"}).json()
    assert body["count"] == 1
    matter = body["results"][0]
    assert matter["code"] == "CG-001"
    assert matter["lead_unit"]["code"] == "CGZF"
    assert [u["code"] for u in matter["supporting_units"]] == ["ZJW"]
    assert matter["duty_list"]["version"] == 1


def test_matter_search_by_name_and_code(world, api_as):
    client = api_as("lead_handler")
    assert client.get("/api/v1/matters", {"q": "违法建设"}).json()["count"] == 1
    assert client.get("/api/v1/matters", {"q": "cg-001"}).json()["count"] == 1
    assert client.get("/api/v1/matters", {"q": "噪音"}).json()["count"] == 0


def test_matters_of_another_district_are_not_visible(world, api_as):
    assert api_as("outsider").get("/api/v1/matters").json()["count"] == 0
    assert_error(api_as("outsider").get("/api/v1/matters/CG-001"), 404)


def test_matter_detail_with_street_rule(world, api_as):
    body = api_as("dispatcher").get("/api/v1/matters/CG-001", {"street": "110117001"}).json()
    assert body["lead_unit"]["code"] == "CGZF"
    assert body["rule"]["street"]["code"] == "110117001000"
    assert body["rule"]["lead_unit"]["code"] == "CGZF"
    assert body["rule"]["time_limit_unit"] == "working_days"


def test_unknown_matter_is_404(world, api_as):
    assert_error(api_as("dispatcher").get("/api/v1/matters/NOPE"), 404)


def test_unknown_api_path_is_json_404(world, api_as):
    assert_error(api_as("dispatcher").get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(world, api_as):
    response = api_as("dispatcher").client.delete("/api/v1/units", headers=api_as("dispatcher").headers)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_me_tells_the_callers_roles_and_organisations(world, api_as):
    body = api_as("lead_handler").get("/api/v1/me").json()
    assert body["username"] == "lead_handler"
    assert body["roles"] == ["unit_handler"]
    assert body["district"]["code"] == "110117000000"
    assert [u["code"] for u in body["units"]] == ["CGZF"]
    dispatcher = api_as("dispatcher").get("/api/v1/me").json()
    assert [s["code"] for s in dispatcher["streets"]] == ["110117001000"]

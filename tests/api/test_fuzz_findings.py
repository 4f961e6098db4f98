"""What fuzzing the API against its own OpenAPI schema (schemathesis) found: each case is a request that
answered 500, or an answer the schema did not document, reproduced with the test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.api.conftest import assert_error
from tests.api.test_workflow import blow, receive, summons_of

NUL = "不能包含 NUL 字符 / Must not contain NUL characters"
# A 1×1 grey PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c63600000000200014873a47a0000000049454e44ae426082"
)
LISTS = ["/api/v1/divisions", "/api/v1/units", "/api/v1/matters", "/api/v1/demands", "/api/v1/whistles"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", [10**6, 830045103064396288, 10**24])
def test_a_page_far_past_the_end_is_empty_not_a_500(world, api_as, path, page):
    # An OFFSET over 64 bits was a database error (SQLite "datatype mismatch", PostgreSQL "bigint out of range").
    client = api_as("dispatcher")
    receive(client)
    response = client.get(path, {"page": page, "page_size": 23})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"] == []
    assert body["next"] is None
    assert f"page={page - 1}&" in body["previous"]
    assert body["count"] == client.get(path).json()["count"]


def test_the_last_page_still_has_its_items(world, api_as):
    client = api_as("coordinator")
    count = client.get("/api/v1/units").json()["count"]
    last = client.get("/api/v1/units", {"page": count, "page_size": 1}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert client.get("/api/v1/units", {"page": count + 1, "page_size": 1}).json()["results"] == []


def photo_url(world, api_as) -> str:
    dispatcher = api_as("dispatcher")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    return f"/api/v1/summons/{summons['id']}/progress/photo"


def test_multipart_without_a_boundary_is_400(world, api_as):
    url = photo_url(world, api_as)
    handler = api_as("lead_handler")
    body = b'--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nn\r\n--x--\r\n'
    response = handler.client.post(url, body, content_type="multipart/form-data", headers=handler.headers)
    error = assert_error(response, 400, "invalid")
    assert "multipart" in error["message"]


def test_a_body_over_the_upload_limit_is_400(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"channel": "hotline_12345", "subject": "太长", "body": "长" * 2000}
    error = assert_error(api_as("dispatcher").post("/api/v1/demands", body), 400, "invalid")
    assert "too large" in error["message"]


def test_too_many_form_fields_is_400(world, api_as, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    url = photo_url(world, api_as)
    handler = api_as("lead_handler")
    data = "&".join(f"f{n}=1" for n in range(10))
    response = handler.client.post(
        url, data, content_type="application/x-www-form-urlencoded", headers=handler.headers
    )
    error = assert_error(response, 400, "invalid")
    assert "Too many" in error["message"]


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/demands?q=a%00b", "q"),
        ("/api/v1/demands?street=a%00b", "street"),
        ("/api/v1/whistles?q=a%00b", "q"),
        ("/api/v1/matters?q=a%00b", "q"),
        ("/api/v1/units?kind=a%00b", "kind"),
        ("/api/v1/divisions?level=a%00b", "level"),
        ("/api/v1/units/a%00b", "code"),
        ("/api/v1/matters/a%00b", "code"),
        ("/api/v1/matters/CG-001?street=a%00b", "street"),
        ("/api/v1/evaluation/units?month=2026-11%00", "month"),
        ("/api/v1/evaluation/streets?from=2026-11-01%00&to=2026-11-02", "from"),
    ],
)
def test_a_nul_character_in_the_query_or_path_is_400_naming_it(world, api_as, path, field):
    # PostgreSQL refuses NUL in a text parameter (psycopg DataError): that was a 500 there, and SQLite
    # answered 200 or 404. Now it is one 400 on both.
    error = assert_error(api_as("dispatcher").get(path), 400, "invalid")
    assert error["fields"] == {field: NUL}


def test_a_nul_character_in_the_public_tracking_code_is_400(world, anon):
    error = assert_error(anon.get("/api/v1/track/SB%00"), 400, "invalid")
    assert error["fields"] == {"code": NUL}


def test_without_a_token_a_nul_character_is_still_401(world, anon):
    assert_error(anon.get("/api/v1/demands?q=a%00b"), 401, "not_authenticated")


def test_a_nul_character_in_a_json_body_is_400_naming_each_field(world, api_as):
    from shaobao.intake.models import Demand

    before = Demand.objects.count()
    body = {"channel": "hotline_12345", "subject": "a\x00b", "body": "c\x00d", "address": "ok"}
    error = assert_error(api_as("dispatcher").post("/api/v1/demands", body), 400, "invalid")
    assert error["fields"] == {"subject": NUL, "body": NUL}
    assert Demand.objects.count() == before


def test_a_nul_character_in_a_list_item_or_header_is_400(world, api_as):
    dispatcher = api_as("dispatcher")
    demand = receive(dispatcher)
    whistle = {
        "demands": [demand["id"]],
        "type": "routine",
        "matter": "CG-001",
        "supporting_units": ["ZJW", "X\x00"],
    }
    error = assert_error(dispatcher.post("/api/v1/whistles", whistle), 400, "invalid")
    assert error["fields"] == {"supporting_units.1": NUL}
    body = {"channel": "hotline_12345", "subject": "s", "body": "b"}
    error = assert_error(dispatcher.post("/api/v1/demands", body, **{"Idempotency-Key": "k\x00"}), 400)
    assert error["fields"] == {"Idempotency-Key": NUL}


def test_a_nul_character_in_a_form_field_is_400(world, api_as):
    url = photo_url(world, api_as)
    handler = api_as("lead_handler")
    photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    response = handler.client.post(url, {"note": "a\x00", "photo": photo}, headers=handler.headers)
    assert assert_error(response, 400, "invalid")["fields"] == {"note": NUL}


def test_an_empty_idempotency_key_is_400_and_documented(world, api_as):
    body = {"channel": "hotline_12345", "subject": "空键", "body": "内容"}
    error = assert_error(api_as("dispatcher").post("/api/v1/demands", body, **{"Idempotency-Key": ""}), 400)
    assert set(error["fields"]) == {"Idempotency-Key"}
    schema = Client().get("/api/v1/openapi.json").json()
    params = schema["paths"]["/api/v1/demands"]["post"]["parameters"]
    key = next(p for p in params if p["name"] == "Idempotency-Key")
    assert key["schema"].get("minLength") == 1 or any(
        s.get("minLength") == 1 for s in key["schema"].get("anyOf", [])
    )


@pytest.mark.parametrize("value", [False, True, "12.5"])
def test_coordinates_must_be_numbers(world, api_as, value):
    body = {"channel": "hotline_12345", "subject": "坐标", "body": "内容", "lat": 40.1, "lng": value}
    error = assert_error(api_as("dispatcher").post("/api/v1/demands", body), 400, "invalid")
    assert set(error["fields"]) == {"lng"}


def test_integer_coordinates_are_numbers(world, api_as):
    body = {"channel": "hotline_12345", "subject": "坐标", "body": "内容", "lat": 40, "lng": 117}
    assert api_as("dispatcher").post("/api/v1/demands", body).status_code == 201


def operations():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_error_status_an_operation_can_answer_is_documented(db):
    for path, method, operation in operations():
        documented = set(operation["responses"])
        name = f"{method.upper()} {path}"
        if operation.get("security"):
            assert "401" in documented, name
        params = operation.get("parameters", [])
        if (params or "requestBody" in operation) and path != "/api/v1/track/{code}":
            assert "400" in documented, name  # a number, a flag, a page or a body can be malformed
        if any(p["in"] == "path" for p in params) and path != "/api/v1/track/{code}":
            assert {"403", "404"} <= documented, name
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert "ErrorOut" in str(response), (name, status)


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/divisions?page_size=0", 400),
        ("/api/v1/divisions?parent=nowhere", 404),
        ("/api/v1/units?division=nowhere", 404),
        ("/api/v1/units/nowhere", 404),
        ("/api/v1/matters?page=0", 400),
        ("/api/v1/matters/nowhere", 404),
        ("/api/v1/matters/CG-001?street=nowhere", 404),
        ("/api/v1/demands?overdue=maybe", 400),
        ("/api/v1/demands/abc", 400),
        ("/api/v1/demands/1?reveal=maybe", 400),
        ("/api/v1/whistles?page_size=101", 400),
        ("/api/v1/whistles/abc", 400),
        ("/api/v1/summons/abc", 400),
        ("/api/v1/inbox?limit=x", 400),
    ],
)
def test_the_statuses_reads_answer_are_in_the_schema(world, api_as, path, status):
    assert_error(api_as("dispatcher").get(path), status)
    schema_path = path.split("?")[0]
    schema = Client().get("/api/v1/openapi.json").json()
    candidates = [p for p in schema["paths"] if _matches(p, schema_path)]
    assert candidates, schema_path
    assert str(status) in schema["paths"][candidates[0]]["get"]["responses"], path


def _matches(template: str, path: str) -> bool:
    a, b = template.split("/"), path.split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


def test_extension_days_are_documented_as_the_action_allows_them(world, api_as):
    # The schema said ≤ 365 while the action refuses more than 30: schema-valid 93 days was a 400.
    from shaobao.whistles.actions import MAX_EXTENSION_DAYS

    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]["ExtensionIn"]
    assert (schema["properties"]["days"]["minimum"], schema["properties"]["days"]["maximum"]) == (
        1,
        MAX_EXTENSION_DAYS,
    )
    dispatcher, lead = api_as("dispatcher"), api_as("lead_handler")
    summons = summons_of(blow(dispatcher, receive(dispatcher)["id"]), "CGZF")
    url = f"/api/v1/summons/{summons['id']}/extension"
    lead.post(f"/api/v1/summons/{summons['id']}/report-in")
    error = assert_error(lead.post(url, {"days": MAX_EXTENSION_DAYS + 1, "reason": "r"}), 400, "invalid")
    assert set(error["fields"]) == {"days"}
    assert lead.post(url, {"days": MAX_EXTENSION_DAYS, "reason": "r"}).status_code == 201


def test_the_photo_note_is_documented_like_the_json_note(world, api_as):
    # `note` of the multipart form had no length limits in the schema, so an empty note was schema-valid.
    operation = (
        Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/summons/{summons_id}/progress/photo"]
    )
    form = operation["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert (form["properties"]["note"]["minLength"], form["properties"]["note"]["maxLength"]) == (1, 5000)
    assert set(form["required"]) == {"note", "photo"}
    url = photo_url(world, api_as)
    handler = api_as("lead_handler")
    photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    response = handler.client.post(url, {"note": "", "photo": photo}, headers=handler.headers)
    assert set(assert_error(response, 400, "invalid")["fields"]) == {"note"}

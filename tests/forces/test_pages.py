"""The forces pages: who gets what, the forms, the cadre's one-tap presence, the reports and export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from shaobao.forces.models import AssessmentRound, Deployment, PresenceLog
from shaobao.intake import actions as intake
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


PAGES = [
    "/forces/",
    "/forces/tasks/",
    "/forces/quotas/",
    "/forces/reserve/",
    "/forces/posts/",
    "/forces/assessments/",
    "/forces/assessments/new/",
    "/forces/reports/",
]


def test_staff_pages_answer_staff_and_refuse_residents_and_cadres(forces, world):
    for persona in ("coordinator", "dispatcher", "lead_handler"):
        c = client_for(world.users[persona])
        for url in PAGES:
            assert c.get(url).status_code == 200, (persona, url)
    for user in (world.users["resident"], world.users["nobody"], forces.users["plain_cadre"]):
        c = client_for(user)
        for url in PAGES:
            assert c.get(url).status_code == 403, (user, url)
    assert Client().get("/forces/").status_code == 302


def test_deployment_page_scoped_by_host(forces, world):
    url = f"/forces/{forces.deployment.pk}/"
    assert client_for(world.users["dispatcher"]).get(url).status_code == 200
    assert client_for(world.users["dispatcher_b"]).get(url).status_code == 404
    assert client_for(forces.cadre.user).get(url).status_code == 403  # the cadre has their own page


def test_new_deployment_form_names_the_bad_field_and_writes_nothing(forces, world):
    c = client_for(world.users["coordinator"])
    before = Deployment.objects.count()
    r = c.post(
        "/forces/new/",
        {
            "cadre": forces.reserve.pk,
            "mode": "key_task",
            "host": world.street_a.code,
            "starts_on": "2026-05-02",
            "ends_on": "2026-05-01",
        },
    )
    assert r.status_code == 400 and Deployment.objects.count() == before
    assert "ends_on" in r.context["form"].errors
    r = c.post(
        "/forces/new/",
        {
            "cadre": forces.reserve.pk,
            "mode": "key_task",
            "host": world.street_a.code,
            "starts_on": "2026-05-02",
        },
    )
    assert r.status_code == 302 and Deployment.objects.count() == before + 1
    assert client_for(world.users["dispatcher"]).get("/forces/new/").status_code == 403


def test_cadre_taps_present_once_a_day(forces, world):
    c = client_for(forces.cadre.user)
    page = c.get("/forces/me/")
    assert page.status_code == 200 and "present-button" in page.content.decode()
    assert c.post("/forces/me/presence/", {"note": "巡查"}).status_code == 302
    assert c.post("/forces/me/presence/", {"note": "再巡查"}).status_code == 302
    assert PresenceLog.objects.filter(cadre=forces.cadre).count() == 1
    assert "present-status" in c.get("/forces/me/").content.decode()
    # A staff member without a deployment sees the page, but cannot log.
    staff = client_for(world.users["dispatcher"])
    assert staff.post("/forces/me/presence/", {"note": ""}).status_code == 403
    assert client_for(world.users["resident"]).get("/forces/me/").status_code == 403


def test_dispatcher_gives_a_demand_and_the_cadre_finishes_it(forces, world):
    demand = new_demand(world)
    intake.do_self_handle(
        actor=world.users["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code
    )
    d = client_for(world.users["dispatcher"])
    r = d.post(f"/forces/{forces.deployment.pk}/tasks/", {"demand": demand.pk, "details": "现场核实"})
    assert r.status_code == 302
    task = forces.deployment.tasks.get()
    cadre = client_for(forces.cadre.user)
    assert cadre.get(f"/forces/tasks/{task.pk}/").status_code == 200
    assert client_for(forces.cadre_b.user).get(f"/forces/tasks/{task.pk}/").status_code == 404
    assert cadre.post(f"/forces/tasks/{task.pk}/finish/", {"note": "已处理"}).status_code == 400  # no confirm
    assert (
        cadre.post(f"/forces/tasks/{task.pk}/finish/", {"note": "已处理", "confirm": "on"}).status_code == 302
    )
    demand.refresh_from_db()
    assert demand.state == "handled"


def test_assessment_page_refuses_too_few_grassroots_and_names_the_field(forces, world):
    c = client_for(world.users["street_leader"])
    today = forces.today
    base = {
        "host": world.street_a.code,
        "title": "考核",
        "starts_on": today - dt.timedelta(days=10),
        "ends_on": today,
    }
    shown = c.get("/forces/assessments/new/", base)
    assert shown.status_code == 200 and f"score_{forces.deployment.pk}" in shown.content.decode()
    post = {
        **base,
        "assessor_name_0": "甲",
        "assessor_kind_0": "street_official",
        "assessor_name_1": "乙",
        "assessor_kind_1": "street_official",
        "assessor_name_2": "丙",
        "assessor_kind_2": "unit_representative",
        "assessor_name_3": "丁",
        "assessor_kind_3": "village_party_secretary",
        f"score_{forces.deployment.pk}": "90",
    }
    r = c.post("/forces/assessments/new/", post)
    assert r.status_code == 400 and "assessors-error" in r.content.decode()
    assert not AssessmentRound.objects.exists()
    post["assessor_kind_2"] = "peoples_congress_deputy"
    r = c.post("/forces/assessments/new/", post)
    assert r.status_code == 302 and AssessmentRound.objects.get().scores.get().score == 90


def test_assessment_refusal_speaks_the_pages_language_and_keeps_the_scores(forces, world):
    today = forces.today
    post = {
        "host": world.street_a.code,
        "title": "考核",
        "starts_on": today - dt.timedelta(days=10),
        "ends_on": today,
        "assessor_name_0": "甲",
        "assessor_kind_0": "street_official",
        "assessor_name_1": "乙",
        "assessor_kind_1": "village_party_secretary",
        "assessor_name_2": "丙",
        "assessor_kind_2": "other",
        "assessor_name_3": "丁",
        "assessor_kind_3": "other",
        f"score_{forces.deployment.pk}": "87.5",
        f"comment_{forces.deployment.pk}": "认真",
    }
    for language, wanted, foreign in (
        ("en", "At least one third of the assessors", "基层评议人"),
        ("zh-hans", "基层评议人", "At least one third"),
    ):
        c = client_for(world.users["street_leader"])
        c.cookies["django_language"] = language
        html = c.post("/forces/assessments/new/", post).content.decode()
        assert wanted in html and foreign not in html, language
        assert 'value="87.5"' in html and 'value="认真"' in html  # nothing to type again
    assert not AssessmentRound.objects.exists()


def test_an_assessors_error_stands_by_the_row_typed_with_an_empty_row_above(forces, world):
    today = forces.today
    post = {
        "host": world.street_a.code,
        "title": "考核",
        "starts_on": today - dt.timedelta(days=10),
        "ends_on": today,
        "assessor_name_0": "甲",
        "assessor_kind_0": "village_party_secretary",
        # row 1 left empty
        "assessor_name_2": "",
        "assessor_kind_2": "street_official",
        f"score_{forces.deployment.pk}": "90",
    }
    r = client_for(world.users["street_leader"]).post("/forces/assessments/new/", post)
    assert r.status_code == 400
    rows = {row["i"]: row["error"] for row in r.context["assessor_rows"]}
    assert rows[2] and not rows[1] and not rows[0]
    assert not AssessmentRound.objects.exists()


def test_date_fields_carry_iso_values_in_chinese(forces, world):
    """A date input drops a value it cannot read (2026/12/01): the period must come as 2026-12-01."""
    c = client_for(world.users["street_leader"])
    c.cookies["django_language"] = "zh-hans"
    html = c.get("/forces/assessments/new/").content.decode()
    first = forces.today.replace(day=1).isoformat()
    assert f'name="starts_on" value="{first}"' in html
    assert f'name="ends_on" value="{forces.today.isoformat()}"' in html
    # The period's labels: 起/止, not the audit record's "原状态" (from state).
    assert ">起<" in html.replace("<span", "<") and "原状态" not in html


def test_reports_and_export(forces, world):
    PresenceLog.objects.create(deployment=forces.deployment, cadre=forces.cadre, day=forces.today)
    c = client_for(world.users["coordinator"])
    r = c.get("/forces/reports/")
    assert r.status_code == 200 and r.context["coverage"]["total"] == 2
    x = c.get("/forces/reports.xlsx")
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.sheetnames) == 4
    rows = list(wb.worksheets[1].iter_rows(min_row=3, values_only=True))
    assert ("enforcement" in {r[1] for r in rows}) and sum(r[2] for r in rows) == 2


def test_board_forces_view_for_the_district_only(forces, world):
    r = client_for(world.users["coordinator"]).get("/platform/forces/")
    assert r.status_code == 200 and 'id="forces-panel"' in r.content.decode()
    # The village work teams' and the check-ins' panels are on the same view.
    assert 'id="workteams-panel"' in r.content.decode() and 'id="checkin-panel"' in r.content.decode()
    assert r.context["panels"][0]["context"]["forces_coverage"]["total"] == 2
    assert r.context["panels"][0]["context"]["forces_vacant_posts"] == 1
    assert client_for(world.users["dispatcher"]).get("/platform/forces/").status_code == 403

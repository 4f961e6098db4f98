"""The 双报到 pages through the Django test client: who may open what, the check-in form's refusal, the needs
board's flow, the member's page, the grid helpers' report page, the reports and their xlsx."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from shaobao.checkin import actions
from shaobao.checkin.models import MemberCheckin, Need, ServiceRecord
from shaobao.intake.models import Demand

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/checkin/", "/checkin/organisations/", "/checkin/needs/", "/checkin/reports/"]


def client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "who", ["dispatcher", "grid_worker", "committee_handler", "lead_handler", "coordinator"]
)
def test_staff_open_every_page(client, ci, who):
    c = client_for(client, ci.users[who])
    for url in [*STAFF_PAGES, "/checkin/posts/"]:
        assert c.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["resident", "nobody"])
def test_residents_and_users_without_a_role_get_403(client, ci, who):
    c = client_for(client, ci.users[who])
    for url in [*STAFF_PAGES, "/checkin/me/", "/checkin/posts/"]:
        assert c.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login(client, ci):
    response = client.get("/checkin/me/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_member_has_their_page_but_not_the_staff_pages(client, ci):
    c = client_for(client, ci.users["member_user"])
    assert c.get("/checkin/me/").status_code == 200
    assert c.get("/checkin/posts/").status_code == 200
    for url in ["/checkin/", "/checkin/organisations/", "/checkin/reports/", "/checkin/reports/export.xlsx"]:
        assert c.get(url).status_code == 403, url
    assert c.get("/checkin/needs/").status_code == 302  # their board is their own page
    assert c.get(f"/checkin/members/{ci.member.pk}/").status_code == 200
    assert c.get(f"/checkin/members/{ci.rider.pk}/").status_code == 404


def test_another_streets_member_page_is_not_found(client, ci):
    c = client_for(client, ci.users["dispatcher_b"])
    assert c.get(f"/checkin/members/{ci.member.pk}/").status_code == 404


def test_double_check_in_on_the_page_is_refused_with_400(client, ci):
    c = client_for(client, ci.users["dispatcher"])
    response = c.post(
        "/checkin/",
        {"community": ci.community_a1.code, "name": "李红梅", "phone": "13900001111", "kind": "party_member"},
    )
    assert response.status_code == 400
    assert "已报到" in response.content.decode()
    assert MemberCheckin.objects.count() == 2


def test_phones_in_the_member_list_are_masked(client, ci):
    body = client_for(client, ci.users["dispatcher"]).get("/checkin/").content.decode()
    assert "139****1111" in body and "13900001111" not in body and "李红梅" in body
    client.logout()
    body = client_for(client, ci.users["lead_handler"]).get("/checkin/").content.decode()
    assert "139****1111" in body and "李红梅" not in body and "李**" in body


def test_the_dispatcher_reveals_a_phone_on_the_member_page(client, ci):
    c = client_for(client, ci.users["dispatcher"])
    body = c.post(f"/checkin/members/{ci.member.pk}/", {"action": "reveal"}).content.decode()
    assert "13900001111" in body
    client.logout()
    response = client_for(client, ci.users["grid_worker"]).post(
        f"/checkin/members/{ci.member.pk}/", {"action": "reveal"}
    )
    assert response.status_code == 403


def test_publish_take_record_confirm_through_the_pages(client, ci):
    staff = client_for(client, ci.users["committee_handler"])
    response = staff.post(
        "/checkin/needs/",
        {
            "action": "publish",
            "community": ci.community_a1.code,
            "title": "帮老人修水龙头",
            "kind": "small_wish",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get()
    client.logout()
    member = client_for(client, ci.users["member_user"])
    assert "帮老人修水龙头" in member.get("/checkin/me/").content.decode()
    assert member.post("/checkin/me/", {"action": "take", "need": need.pk}).status_code == 302
    response = member.post(
        "/checkin/me/", {"action": "record", "need": need.pk, "what": "修好水龙头", "hours": "1"}
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert record.state == "recorded"
    client.logout()
    staff = client_for(client, ci.users["dispatcher"])
    assert "修好水龙头" in staff.get("/checkin/needs/").content.decode()
    assert staff.post("/checkin/needs/", {"action": "confirm", "record": record.pk}).status_code == 302
    record.refresh_from_db()
    assert record.state == "confirmed"
    # a second confirmation: the state changed (409), nothing else happens
    assert staff.post("/checkin/needs/", {"action": "confirm", "record": record.pk}).status_code == 409


def test_a_member_cannot_publish_or_confirm(client, ci):
    c = client_for(client, ci.users["member_user"])
    response = c.post(
        "/checkin/needs/", {"action": "publish", "community": ci.community_a1.code, "title": "x"}
    )
    assert response.status_code == 403
    assert not Need.objects.exists()


def test_the_rider_reports_through_the_mobile_page(client, ci):
    c = client_for(client, ci.users["rider_user"])
    assert c.get("/checkin/me/report/").status_code == 200
    response = c.post(
        "/checkin/me/report/",
        {"subject": "路灯不亮", "body": "承平里3号楼门口路灯坏了好几天", "lat": "40.145", "lng": "117.105"},
    )
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert (demand.channel, demand.street, demand.created_by) == (
        "new_employment",
        ci.street_a,
        ci.users["rider_user"],
    )
    assert demand.tracking_code in c.get("/checkin/me/").content.decode()
    client.logout()
    assert client_for(client, ci.users["member_user"]).get("/checkin/me/report/").status_code == 403


def test_reports_and_their_xlsx(client, ci):
    r = actions.do_record_service(
        actor=ci.users["dispatcher"], member_id=ci.member.pk, what="义诊", hours="2"
    )
    actions.do_confirm_service(actor=ci.users["dispatcher"], record_id=r.pk)
    c = client_for(client, ci.users["coordinator"])
    body = c.get("/checkin/reports/").content.decode()
    assert 'id="total-person-times">1<' in body
    response = c.get("/checkin/reports/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert (ci.community_a1.name, ci.street_a.name, 1, 2.0) in rows
    members = list(wb.worksheets[2].iter_rows(values_only=True))
    assert members[2][0] == "李红梅" and members[2][2] == 1  # after the month and the headings


def test_the_board_panel_renders(client, ci):
    from django.template.loader import render_to_string

    from shaobao.checkin.selectors import board_panel

    html = render_to_string("checkin/_board_panel.html", {"panel": board_panel(ci.users["coordinator"])})
    assert 'id="checkin-panel"' in html and "/checkin/reports/" in html


def test_service_posts_schedule_on_the_page(client, ci):
    c = client_for(client, ci.users["dispatcher"])
    c.post(
        "/checkin/posts/",
        {"action": "add_post", "community": ci.community_a1.code, "name": "承平里党群服务站"},
    )
    post = ci.community_a1.service_posts.get()
    response = c.post(
        "/checkin/posts/",
        {
            "action": "add_shift",
            "post": post.pk,
            "member": ci.member.pk,
            "weekday": "5",
            "starts_at": "09:00",
            "ends_at": "11:00",
        },
    )
    assert response.status_code == 302
    body = client_for(client, ci.users["member_user"]).get("/checkin/posts/").content.decode()
    assert "承平里党群服务站" in body and "09:00" in body


def test_the_check_in_forms_offer_the_managed_communities_and_organisations(client, ci):
    c = client_for(client, ci.users["dispatcher"])
    body = c.get("/checkin/").content.decode()
    assert f'<option value="{ci.community_a1.code}">{ci.community_a1.name}</option>' in body
    assert f'<option value="{ci.org.pk}">{ci.org.name}</option>' in body
    assert (
        f'value="{ci.community_b1.code}">'
        not in body.split('name="community" required')[1].split("</select>")[0]
    )

"""The demo's forces sent down and 双报到 are Pinggu-sized (issue 11, "Demo"): a reserve pool of 500, deployments
in all six modes, 51 village posts filled, quotas, a month of presence, one assessment round with a third of
grassroots assessors; a few hundred checked-in organisations, a few thousand members with a month of service
records; and the pages and charts of the coordinator show those figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shaobao.checkin.models import (
    MemberCheckin,
    MemberKind,
    Need,
    NeedKind,
    OrganisationCheckin,
    PostShift,
    RecordState,
    ServiceRecord,
)
from shaobao.forces import selectors
from shaobao.forces.models import (
    AssessmentRound,
    Cadre,
    CadreTask,
    Deployment,
    DeploymentMode,
    PresenceLog,
    Quota,
    active_on_q,
)
from shaobao.org.models import User

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_demo_forces_are_pinggu_sized(demo):
    today = timezone.localdate()
    reserve = Cadre.objects.filter(district=demo, in_reserve=True)
    assert reserve.count() == 500 and not reserve.filter(skills="").exists()
    running = Deployment.objects.filter(active_on_q(today))
    assert set(running.values_list("mode", flat=True)) == set(DeploymentMode.values)
    assert running.filter(host__level="community").exists() and running.exclude(host_enterprise="").exists()
    posts = selectors.village_posts(User.objects.get(username="coordinator"))
    filled = [p for p in posts if p["deployment"] is not None]
    assert len(filled) >= 51 and len(filled) < len(posts)  # Pinggu's 51 (and the teams' posts), some vacant
    assert Quota.objects.filter(unit__division=demo).count() >= 3
    days = set(PresenceLog.objects.values_list("day", flat=True))
    assert len(days) >= 15 and min(days) <= today - dt.timedelta(days=20)

    (round_,) = AssessmentRound.objects.all()
    kinds = [a.is_grassroots for a in round_.assessors.all()]
    assert 3 * sum(kinds) >= len(kinds) and round_.scores.count() >= 10

    cadre = Cadre.objects.get(user__username="cadre")
    assert cadre.deployments.filter(active_on_q(today)).exists()
    assert CadreTask.objects.filter(deployment__cadre=cadre, state="open").exists()


def test_demo_check_ins_have_a_month_of_services(demo):
    today = timezone.localdate()
    assert 100 <= OrganisationCheckin.objects.count() <= 1000
    members = MemberCheckin.objects.all()
    assert members.count() >= 2000
    assert set(members.values_list("kind", flat=True)) == set(MemberKind.values)
    confirmed = ServiceRecord.objects.filter(state=RecordState.CONFIRMED)
    assert confirmed.count() >= 3000
    served = set(confirmed.values_list("served_on", flat=True))
    assert min(served) <= today - dt.timedelta(days=25) and max(served) <= today and len(served) >= 25
    assert ServiceRecord.objects.filter(state=RecordState.RECORDED).exists()  # some await the community
    assert {NeedKind.SERVICE_TASK, NeedKind.SMALL_WISH} <= set(Need.objects.values_list("kind", flat=True))
    assert PostShift.objects.exists()


@pytest.mark.parametrize(
    ("username", "url", "words"),
    [
        ("coordinator", "/forces/reports/", ["执法力量下沉", "到村任职下沉", 'id="forces-charts"']),
        ("coordinator", "/forces/assessments/", ["滨河街道"]),
        ("coordinator", "/forces/quotas/", ["区城管执法局"]),
        ("coordinator", "/checkin/reports/", ["echarts.min.js"]),
        ("coordinator", "/platform/forces/", ['id="forces-panel"']),
        ("cadre", "/forces/me/", ["present-button"]),
        ("member", "/checkin/me/", ["need-card"]),
    ],
)
def test_demo_pages_show_the_figures(demo, username, url, words):
    client = logged_in(username)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    for word in words:
        assert word in html, (url, word)


def test_demo_puts_the_cadre_in_the_whistle_chain(demo):
    """After the month, the demo cadre has a self-handled demand of 滨河街道 from its dispatcher and the demand's
    community publishes it as a need for its members (the month is left out here: one demand stands for it)."""
    from shaobao.demo.forces import load_forces_in_the_chain
    from shaobao.intake import actions as intake

    dispatcher = User.objects.get(username="dispatcher")
    demand = intake.do_receive_demand(
        actor=dispatcher,
        channel="grid_patrol",
        kind="complaint",
        subject="滨河路占道经营",
        body="早市摊位占用人行道",
        lat=40.1406,
        lng=117.1143,
        street_code="110117001000",
    )
    intake.do_self_handle(actor=dispatcher, demand_id=demand.pk, unit_code="110117001-ZFD")
    demand.refresh_from_db()
    assert demand.community_id is not None
    assert "forces in the chain" in load_forces_in_the_chain(demo)
    task = CadreTask.objects.get(deployment__cadre__user__username="cadre", demand=demand)
    assert task.kind == "demand" and task.state == "open"
    need = Need.objects.get(demand=demand)
    assert need.kind == NeedKind.SELF_HANDLED_DEMAND and need.community_id == demand.community_id
    cadre = logged_in("cadre")
    assert demand.tracking_code in cadre.get("/forces/me/").content.decode()
    assert "早市摊位占用人行道" in cadre.get(f"/forces/tasks/{task.pk}/").content.decode()  # works it there
    load_forces_in_the_chain(demo)  # a second load adds nothing
    assert (
        CadreTask.objects.filter(demand=demand).count() == 1
        and Need.objects.filter(demand=demand).count() == 1
    )

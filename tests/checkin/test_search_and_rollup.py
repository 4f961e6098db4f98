"""The member search (phone digits by the indexed `phone_tail`, words by trigram indexes on PostgreSQL), the
capped count of a search's pages, and the reports' roll-ups kept by the actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from shaobao.checkin import actions, rollup, selectors
from shaobao.checkin.models import MemberCheckin, MemberMonthCount, ServiceDayCount

pytestmark = pytest.mark.django_db


def _ids(rows):
    return sorted(m.pk for m in rows)


def test_the_phone_key_is_the_digits_reversed_and_kept_on_save(ci):
    assert ci.member.phone_tail == "11110000931"
    ci.member.phone = "13700009876"
    ci.member.save(update_fields=["phone"])
    assert MemberCheckin.objects.get(pk=ci.member.pk).phone_tail == "67890000731"


def test_digits_find_a_phone_by_its_last_or_first_digits(ci):
    staff = ci.users["dispatcher"]
    assert _ids(selectors.members_for(staff, q="1111")) == [ci.member.pk]
    assert _ids(selectors.members_for(staff, q="2222")) == [ci.rider.pk]
    assert _ids(selectors.members_for(staff, q="139 0000 2222")) == [ci.rider.pk]
    assert _ids(selectors.members_for(staff, q="13900001111")) == [ci.member.pk]
    assert _ids(selectors.members_for(staff, q="139")) == [ci.member.pk, ci.rider.pk]  # the first digits
    assert _ids(selectors.members_for(staff, q="0000")) == []  # the middle: neither end
    # digits search phones only, never skills or names, and only where the phone may be seen
    assert _ids(selectors.members_for(ci.users["grid_worker"], q="1111")) == []


def test_words_search_skills_resources_and_names_where_names_may_be_seen(ci):
    staff = ci.users["dispatcher"]
    assert _ids(selectors.members_for(staff, q="理发")) == [ci.member.pk]
    assert _ids(selectors.members_for(staff, q="小骑")) == [ci.rider.pk]
    assert _ids(selectors.members_for(ci.users["grid_worker"], q="小骑")) == []
    assert _ids(selectors.members_for(ci.users["grid_worker"], q="理发")) == [ci.member.pk]


def test_a_search_counts_its_matches_up_to_a_cap(ci, client, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 1)
    client.force_login(ci.users["dispatcher"])
    page = client.get(reverse("checkin:members"), {"q": "139"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["page"].paginator.capped
    assert "more than 1 members: refine the search" in page.content.decode()
    page = client.get(reverse("checkin:members"), {"q": "1111"}, HTTP_ACCEPT_LANGUAGE="en")
    assert not page.context["page"].paginator.capped
    assert page.context["page"].paginator.count == 1


def test_the_search_indexes_exist_on_postgresql_only():
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'checkin_membercheckin'")
            defs = dict(c.fetchall())
            assert "gin_trgm_ops" in defs["checkin_member_name_trgm"]
            assert "gin_trgm_ops" in defs["checkin_member_skills_trgm"]
            assert "varchar_pattern_ops" in defs["checkin_member_tail_like"]
        else:
            c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm%'")
            assert c.fetchall() == []


def _serve(ci, member, hours, *, days_ago=0, confirm=True):
    staff = ci.users["dispatcher"]
    record = actions.do_record_service(
        actor=staff,
        member_id=member.pk,
        what="助老",
        hours=hours,
        served_on=timezone.localdate() - dt.timedelta(days=days_ago),
    )
    if confirm:
        actions.do_confirm_service(actor=staff, record_id=record.pk)
    return record


def _cells():
    days = sorted(
        ServiceDayCount.objects.values_list("day", "community_id", "organisation_id", "person_times", "hours")
    )
    months = sorted(MemberMonthCount.objects.values_list("month", "member_id", "person_times", "hours"))
    return days, months


def test_the_rollups_follow_the_confirmations_and_equal_a_rebuild(ci):
    _serve(ci, ci.member, "1.5")
    _serve(ci, ci.member, "2")
    _serve(ci, ci.rider, "1", days_ago=40)
    pending = _serve(ci, ci.rider, "3", confirm=False)
    rejected = _serve(ci, ci.rider, "1", confirm=False)
    actions.do_confirm_service(actor=ci.users["dispatcher"], record_id=rejected.pk, confirmed=False)
    today = timezone.localdate()
    days, months = _cells()
    assert (today, ci.community_a1.pk, ci.org.pk, 2, Decimal("3.5")) in days
    assert sum(d[3] for d in days) == 3  # the pending and the rejected do not count
    assert (today.replace(day=1), ci.member.pk, 2, Decimal("3.5")) in months
    assert rollup.rebuild() == {"days": len(days), "member_months": len(months)}
    assert _cells() == (days, months)
    actions.do_confirm_service(actor=ci.users["dispatcher"], record_id=pending.pk)
    period = selectors.default_period()
    assert selectors.totals(ci.users["dispatcher"], period)["person_times"] == 3
    assert selectors.totals(ci.users["dispatcher_b"], period)["person_times"] == 0  # another street's


def test_the_reports_page_reads_the_rollups(ci, client):
    _serve(ci, ci.member, "2")
    client.force_login(ci.users["dispatcher"])
    page = client.get(reverse("checkin:reports"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["totals"]["person_times"] == 1
    assert page.context["members_who_served"] == 1
    assert [r["id"] for r in page.context["by_member"]] == [ci.member.pk]
    assert f"members who served in {timezone.localdate():%Y-%m}" in page.content.decode()


def test_the_rollup_command_rebuilds(ci):
    from io import StringIO

    from django.core.management import call_command

    _serve(ci, ci.member, "2")
    ServiceDayCount.objects.all().delete()
    out = StringIO()
    call_command("rollup_checkin", stdout=out)
    assert "1 day cells, 1 member-months" in out.getvalue()
    assert ServiceDayCount.objects.get().person_times == 1


def test_the_ids_first_pages_are_the_pages_of_the_list(ci):
    from django.core.paginator import Paginator

    staff = ci.users["dispatcher"]
    for i in range(5):
        actions.do_check_in_member(
            actor=staff, community_code=ci.community_a1.code, name=f"成员{i}", phone=f"1380000000{i}"
        )
    qs = selectors.members_for(staff)
    plain, ids_first = Paginator(qs, 2, orphans=1), selectors.IdsFirstPaginator(qs, 2, orphans=1)
    assert ids_first.num_pages == plain.num_pages == 3
    for n in (1, 2, 3):
        assert [m.pk for m in ids_first.page(n)] == [m.pk for m in plain.page(n)]
        assert all(m.community.name for m in ids_first.page(n))  # with their joins

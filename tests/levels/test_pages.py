"""The calls pages as each level sees them: board, list, detail with its step forms, and the 403s."""

from __future__ import annotations

import datetime as dt

from shaobao.calls import actions
from shaobao.calls.models import Call


def _call(city):
    return actions.do_raise_call(
        actor=city.users["dispatcher"],
        caller_code=city.world.street_a.code,
        subject="跨区河道污染",
        body="无法处置",
    )


def test_the_street_raises_a_call_from_its_page(city, web_for):
    client = web_for("dispatcher")
    page = client.get("/calls/new/")
    assert page.status_code == 200 and "滨河街道" in page.content.decode()
    response = client.post(
        "/calls/new/",
        {
            "caller": city.world.street_a.code,
            "type": "routine",
            "subject": "跨区河道污染",
            "body": "无法处置",
        },
    )
    call = Call.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/calls/{call.pk}/"
    # Another township's call cannot be forged through the form (not among the choices).
    bad = client.post(
        "/calls/new/", {"caller": city.world.street_b.code, "type": "routine", "subject": "x", "body": "y"}
    )
    assert bad.status_code == 400 and Call.objects.count() == 1


def test_each_level_sees_its_queue_and_the_levels_below(city, web_for):
    call = _call(city)
    county = web_for("coordinator").get("/calls/")
    html = county.content.decode()
    assert county.status_code == 200 and 'data-section="to_assign"' in html and f"/calls/{call.pk}/" in html
    assert 'id="below"' in html and "滨河街道" in html
    city_page = web_for("only_city").get("/calls/").content.decode()
    assert 'id="levels-below"' in city_page and "平谷区" in city_page
    assert web_for("miyun_coordinator").get(f"/calls/{call.pk}/").status_code == 404
    assert web_for("dispatcher_b").get(f"/calls/{call.pk}/").status_code == 404
    assert web_for("resident").get("/calls/").status_code == 403
    detail = web_for("coordinator").get(f"/calls/{call.pk}/").content.decode()
    assert 'id="assign-form"' in detail and 'id="call-up-form"' in detail
    assert 'id="assign-form"' not in web_for("dispatcher").get(f"/calls/{call.pk}/").content.decode()


def test_the_chain_through_the_pages(city, web_for):
    call = _call(city)
    county = web_for("coordinator")
    r = county.post(f"/calls/{call.pk}/assign/", {"lead_unit": "CGZF", "supporting_units": [], "note": ""})
    assert r.status_code == 302
    a = call.assignments.get()
    assert web_for("supporting_handler").post(f"/calls/assignments/{a.pk}/report-in/").status_code == 404
    handler = web_for("lead_handler")
    assert handler.post(f"/calls/assignments/{a.pk}/report-in/").status_code == 302
    assert handler.post(f"/calls/assignments/{a.pk}/finish/", {"note": "已封堵"}).status_code == 302
    street = web_for("dispatcher")
    # Without the confirmation box nothing is recorded.
    assert street.post(f"/calls/{call.pk}/verify/", {"passed": "1", "rating_CGZF": "4"}).status_code == 400
    assert (
        street.post(
            f"/calls/{call.pk}/verify/", {"passed": "1", "rating_CGZF": "4", "confirm": "on"}
        ).status_code
        == 302
    )
    call.refresh_from_db()
    assert call.state == "closed" and call.ratings.get().score == 4
    assert list(Call.objects.filter(state="closed")) == [call]
    listing = web_for("coordinator").get("/calls/all/", {"state": "closed"}).content.decode()
    assert f"/calls/{call.pk}/" in listing


def test_an_extension_is_asked_and_decided_on_the_call_page_with_confirmation(city, web_for):
    from shaobao.calls.supervision import sweep

    call = _call(city)
    actions.do_assign(actor=city.users["coordinator"], call_id=call.pk, lead_unit_code="CGZF")
    a = call.assignments.get()
    handler = web_for("lead_handler")
    page = handler.get(f"/calls/{call.pk}/").content.decode()
    assert f'id="extension-form-{a.pk}"' in page
    url = f"/calls/assignments/{a.pk}/extension/"
    assert handler.post(url, {"days": "5", "reason": "需协调"}).status_code == 400  # not confirmed
    assert not a.extension_requests.exists()
    assert handler.post(url, {"days": "5", "reason": "需协调", "confirm": "on"}).status_code == 302
    ext = a.extension_requests.get()
    assert (
        web_for("supporting_handler").post(url, {"days": "5", "reason": "x", "confirm": "on"}).status_code
        == 404
    )
    # The county centre sees it on its board and decides on the call page; another county cannot.
    board = web_for("coordinator").get("/calls/", {"section": "extensions"}).content.decode()
    assert f"#assignment-{a.pk}" in board
    detail = web_for("coordinator").get(f"/calls/{call.pk}/").content.decode()
    assert f'id="decide-extension-{ext.pk}"' in detail
    assert f'id="decide-extension-{ext.pk}"' not in page
    decide = f"/calls/extensions/{ext.pk}/decide/"
    assert web_for("miyun_coordinator").post(decide, {"grant": "1", "confirm": "on"}).status_code == 404
    assert web_for("dispatcher").post(decide, {"grant": "1", "confirm": "on"}).status_code == 403
    assert web_for("coordinator").post(decide, {"grant": "0"}).status_code == 400
    assert (
        web_for("coordinator").post(decide, {"grant": "0", "note": "不同意", "confirm": "on"}).status_code
        == 302
    )
    ext.refresh_from_db()
    assert ext.state == "refused"
    # Overdue: marked on the call page and the board, once.
    a.refresh_from_db()
    sweep(a.report_in_due + dt.timedelta(minutes=1))
    detail = web_for("coordinator").get(f"/calls/{call.pk}/").content.decode()
    assert "data-supervised" in detail and "督办" in detail

"""The duty-list admin: view-only published versions, publish / new-draft actions, import and export."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shaobao.duties.models import DutyList, Matter
from tests.duties.helpers import matter_row, xlsx_bytes, xlsx_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, world):
    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def test_published_list_and_its_matters_are_view_only(staff, world):
    page = staff.get(reverse("admin:duties_dutylist_change", args=[world.duty_list.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b"CG-001" in page.content
    page = staff.get(reverse("admin:duties_matter_change", args=[world.matter.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    staff.post(reverse("admin:duties_matter_change", args=[world.matter.pk]), {"name": "改"})
    assert Matter.objects.get(pk=world.matter.pk).name == "违法建设"
    delete = staff.get(reverse("admin:duties_dutylist_delete", args=[world.duty_list.pk]))
    assert delete.status_code == 403


def test_new_draft_then_publish_through_the_actions(staff, world):
    changelist = reverse("admin:duties_dutylist_changelist")
    response = staff.post(
        changelist, {"action": "new_draft_from_selected", "_selected_action": [world.duty_list.pk]}
    )
    draft = DutyList.objects.get(version=2)
    assert response.status_code == 302 and response["Location"].endswith(f"/{draft.pk}/change/")
    assert draft.matters.get().code == "CG-001"
    assert b'name="_save"' in staff.get(reverse("admin:duties_dutylist_change", args=[draft.pk])).content
    staff.post(changelist, {"action": "publish_selected", "_selected_action": [draft.pk]})
    assert DutyList.objects.in_force(world.district) == draft


def test_add_form_creates_a_numbered_draft_copy(staff, world):
    response = staff.post(
        reverse("admin:duties_dutylist_add"),
        {"district": world.district.pk, "name": "新清单", "copy_in_force": "on"},
    )
    assert response.status_code == 302
    draft = DutyList.objects.get(name="新清单")
    assert (draft.version, draft.status, draft.matters.count()) == (2, "draft", 1)


def test_import_form_shows_every_error_and_writes_nothing(staff, world):
    bad = xlsx_bytes([matter_row(lead_unit="XYZ"), matter_row(time_limit=0)])
    response = staff.post(
        reverse("admin:duties_dutylist_import"),
        {"district": world.district.pk, "file": SimpleUploadedFile("bad.xlsx", bad)},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "unknown unit XYZ" in text and "must be above zero" in text
    assert DutyList.objects.count() == 1


def test_import_form_creates_a_draft(staff, world):
    good = xlsx_bytes([matter_row(code="NEW-1")])
    response = staff.post(
        reverse("admin:duties_dutylist_import"),
        {"district": world.district.pk, "file": SimpleUploadedFile("2027.xlsx", good)},
    )
    draft = DutyList.objects.get(version=2)
    assert response.status_code == 302 and draft.status == "draft" and draft.name == "2027"
    assert list(draft.matters.values_list("code", flat=True)) == ["NEW-1"]


def test_export_link_downloads_the_version(staff, world):
    response = staff.get(reverse("admin:duties_dutylist_export", args=[world.duty_list.pk, "xlsx"]))
    assert response.status_code == 200
    assert xlsx_values(response.content)["matters"][1][0] == "CG-001"
    csv = staff.get(reverse("admin:duties_dutylist_export", args=[world.duty_list.pk, "csv"]))
    assert "CG-001" in csv.content.decode("utf-8-sig")


def test_matter_search_finds_keywords(staff, world):
    page = staff.get(reverse("admin:duties_matter_changelist"), {"q": "私搭"})
    assert page.status_code == 200 and "违法建设" in page.content.decode()
    page = staff.get(reverse("admin:duties_matter_changelist"), {"q": "噪声"})
    assert "违法建设" not in page.content.decode()


def test_changelist_offers_import_and_the_import_page_renders(staff, world):
    page = staff.get(reverse("admin:duties_dutylist_changelist")).content.decode()
    assert reverse("admin:duties_dutylist_import") in page
    assert reverse("admin:duties_dutylist_export", args=[world.duty_list.pk, "xlsx"]) in page
    form = staff.get(reverse("admin:duties_dutylist_import"))
    assert form.status_code == 200 and b'type="file"' in form.content


def test_check_only_reports_counts_and_imports_nothing(staff, world):
    good = xlsx_bytes([matter_row(), matter_row(code="CG-002")])
    response = staff.post(
        reverse("admin:duties_dutylist_import"),
        {"district": world.district.pk, "file": SimpleUploadedFile("x.xlsx", good), "check_only": "on"},
    )
    assert response.status_code == 200 and "success" in response.content.decode()
    assert DutyList.objects.count() == 1


def test_staff_without_a_district_role_cannot_publish(client, world):
    clerk = world.users["dispatcher"]
    clerk.is_staff = True
    clerk.save()
    from django.contrib.auth.models import Permission

    clerk.user_permissions.set(Permission.objects.filter(content_type__app_label="duties"))
    client.force_login(clerk)
    draft = DutyList.objects.create(district=world.district, name="v2", version=2)
    Matter.objects.create(
        duty_list=draft, code="A", name="a", domain=world.matter.domain, lead_unit=world.lead_unit,
        time_limit=1, time_limit_unit="hours",
    )  # fmt: skip
    client.post(
        reverse("admin:duties_dutylist_changelist"),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )
    assert DutyList.objects.get(pk=draft.pk).status == "draft"


def test_staff_see_only_their_own_districts_lists(client, world):
    other = DutyList.objects.create(district=world.other_district, name="朝阳清单", version=1)
    user = world.users["coordinator"]
    user.is_staff = True
    user.save()
    from django.contrib.auth.models import Permission

    user.user_permissions.set(Permission.objects.filter(content_type__app_label="duties"))
    client.force_login(user)
    page = client.get(reverse("admin:duties_dutylist_changelist")).content.decode()
    assert "平谷区街乡吹哨事项清单" in page and "朝阳清单" not in page
    assert client.get(reverse("admin:duties_dutylist_export", args=[other.pk, "csv"])).status_code == 404


def test_a_long_list_links_to_its_matters_instead_of_inlining_them(staff, world):
    draft = DutyList.objects.create(district=world.district, name="大清单", version=2)
    Matter.objects.bulk_create(
        [
            Matter(
                duty_list=draft,
                code=f"M{i:03d}",
                name=f"事项{i}",
                domain=world.matter.domain,
                lead_unit=world.lead_unit,
                time_limit=1,
                time_limit_unit="hours",
            )  # fmt: skip
            for i in range(150)
        ]
    )
    page = staff.get(reverse("admin:duties_dutylist_change", args=[draft.pk])).content.decode()
    assert "M149" not in page
    assert f"duty_list__id__exact={draft.pk}" in page
    matters = staff.get(reverse("admin:duties_matter_changelist"), {"duty_list__id__exact": draft.pk})
    assert "150" in matters.content.decode()


def test_import_form_takes_a_csv_with_its_overrides_file(staff, world):
    from tests.duties.helpers import OVERRIDE_HEADER, csv_bytes, override_row

    response = staff.post(
        reverse("admin:duties_dutylist_import"),
        {
            "district": world.district.pk,
            "file": SimpleUploadedFile("v2.csv", csv_bytes([matter_row()])),
            "overrides": SimpleUploadedFile(
                "v2.overrides.csv", csv_bytes([override_row()], header=OVERRIDE_HEADER)
            ),
            "publish": "on",
        },
    )
    assert response.status_code == 302
    in_force = DutyList.objects.in_force(world.district)
    assert in_force.version == 2 and in_force.matters.get().overrides.get().street == world.street_a


def test_new_matters_can_only_be_added_to_a_draft(staff, world):
    data = {
        "code": "NEW",
        "name": "新事项",
        "domain": world.matter.domain.pk,
        "lead_unit": world.lead_unit.pk,
        "time_limit": 3,
        "time_limit_unit": "hours",
        "default_urgency": "normal",
        "keywords": "占道、 摆摊\n夜市",
        "overrides-TOTAL_FORMS": 0,
        "overrides-INITIAL_FORMS": 0,
    }
    page = staff.post(reverse("admin:duties_matter_add"), {**data, "duty_list": world.duty_list.pk})
    assert page.status_code == 200  # the form comes back: a published list is not a choice
    assert not Matter.objects.filter(code="NEW").exists()
    draft = DutyList.objects.create(district=world.district, name="v2", version=2)
    response = staff.post(reverse("admin:duties_matter_add"), {**data, "duty_list": draft.pk})
    assert response.status_code == 302
    assert Matter.objects.get(code="NEW").duty_list == draft
    assert Matter.objects.get(code="NEW").keywords == ["占道", "摆摊", "夜市"]
    page = staff.get(reverse("admin:duties_matter_change", args=[Matter.objects.get(code="NEW").pk]))
    assert "占道、摆摊、夜市" in page.content.decode()


def test_every_duties_admin_page_renders(staff, world):
    from shaobao.duties.models import MatterOverride

    draft = DutyList.objects.create(district=world.district, name="v2", version=2)
    matter = Matter.objects.create(
        duty_list=draft, code="D1", name="d", domain=world.matter.domain, lead_unit=world.lead_unit,
        time_limit=1, time_limit_unit="hours",
    )  # fmt: skip
    MatterOverride.objects.create(matter=matter, street=world.street_a, time_limit=2)
    urls = [
        reverse("admin:duties_dutylist_changelist"),
        reverse("admin:duties_dutylist_add"),
        reverse("admin:duties_dutylist_change", args=[draft.pk]),
        reverse("admin:duties_dutylist_change", args=[world.duty_list.pk]),
        reverse("admin:duties_dutylist_delete", args=[draft.pk]),
        reverse("admin:duties_matter_changelist"),
        reverse("admin:duties_matter_add"),
        reverse("admin:duties_matter_change", args=[matter.pk]),
        reverse("admin:duties_matter_change", args=[world.matter.pk]),
        reverse("admin:duties_domain_changelist"),
        reverse("admin:duties_dutylist_export", args=[draft.pk, "overrides.csv"]),
    ]
    for url in urls:
        assert staff.get(url).status_code == 200, url


def test_deleting_a_draft_in_the_admin_is_an_audited_discard(staff, world):
    from shaobao.core.models import Event

    draft = DutyList.objects.create(district=world.district, name="v2", version=2)
    response = staff.post(reverse("admin:duties_dutylist_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not DutyList.objects.filter(pk=draft.pk).exists()
    assert Event.objects.filter(action="duty_list.discarded", subject_id=draft.pk).exists()


def test_a_drafts_page_shows_its_changes_against_the_version_in_force(staff, world):
    changelist = reverse("admin:duties_dutylist_changelist")
    staff.post(changelist, {"action": "new_draft_from_selected", "_selected_action": [world.duty_list.pk]})
    draft = DutyList.objects.get(version=2)
    assert (
        "no changes" in staff.get(reverse("admin:duties_dutylist_change", args=[draft.pk])).content.decode()
    )
    draft.matters.update(time_limit=1)
    page = staff.get(reverse("admin:duties_dutylist_change", args=[draft.pk])).content.decode()
    assert "changed</strong> (1): CG-001" in page


def test_bulk_delete_discards_drafts_and_refuses_published_versions(staff, world):
    from shaobao.core.models import Event

    draft = DutyList.objects.create(district=world.district, name="v2", version=2)
    changelist = reverse("admin:duties_dutylist_changelist")
    both = {"action": "delete_selected", "_selected_action": [draft.pk, world.duty_list.pk], "post": "yes"}
    assert staff.post(changelist, both).status_code == 403
    assert DutyList.objects.count() == 2
    only_draft = {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"}
    assert staff.post(changelist, only_draft).status_code == 302
    assert not DutyList.objects.filter(pk=draft.pk).exists()
    assert Event.objects.filter(action="duty_list.discarded", subject_id=draft.pk).exists()

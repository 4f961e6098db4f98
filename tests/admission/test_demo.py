"""The demo district's admission data: Yunnan's 52 / 54 / 2 / 34 and 6 outside signboards, requests decided
both ways and pending, marks the department sees; a second load changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from shaobao.admission import selectors
from shaobao.admission.access import marks_visible_to
from shaobao.admission.models import AdmissionRequest, CatalogueEntry, NotAdmittedMark
from shaobao.org.models import Division, User

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue_requests_and_marks():
    call_command("load_demo", "--no-month", stdout=StringIO())
    district = Division.objects.get(code="110117000000")
    counts = selectors.catalogue_counts(CatalogueEntry.objects.filter(district=district, origin="seeded"))
    assert (
        counts["duty"],
        counts["assisting_duty"],
        counts["certificate"],
        counts["certificate_abolished"],
    ) == (
        52,
        54,
        2,
        34,
    )
    community = (
        Division.objects.filter(level="community", code__startswith="110117001").order_by("code").first()
    )
    assert selectors.outside_signboards_of(district, community) == 6
    states = set(AdmissionRequest.objects.values_list("state", flat=True))
    assert states == {"approved", "refused", "pending"}
    assert (
        CatalogueEntry.objects.filter(origin="request").count()
        == AdmissionRequest.objects.filter(state="approved").count()
    )
    assert all(r.decision_note for r in AdmissionRequest.objects.filter(state="refused"))
    assert NotAdmittedMark.objects.count() >= 2
    assert (
        marks_visible_to(User.objects.get(username="dispatcher")).count() == NotAdmittedMark.objects.count()
    )
    before = (
        CatalogueEntry.objects.count(),
        AdmissionRequest.objects.count(),
        NotAdmittedMark.objects.count(),
    )
    call_command("load_demo", "--no-month", stdout=StringIO())
    assert (
        CatalogueEntry.objects.count(),
        AdmissionRequest.objects.count(),
        NotAdmittedMark.objects.count(),
    ) == before

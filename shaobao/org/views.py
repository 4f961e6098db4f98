"""Web endpoints of the org app: the district's boundaries for the maps (no tile server needed)."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shaobao.org.boundaries import district_boundaries, single_district
from shaobao.org.models import Division, DivisionLevel
from shaobao.org.scoping import district_of


@require_GET
def boundaries(request):
    """GeoJSON of the streets, communities/villages and grids of a district: `?district=<code>`, else the
    user's district, else the only district. Public, like the territory it describes (the resident's form
    draws it too); `names` gives the layers' names in the page's language."""
    code = request.GET.get("district", "")
    district = None
    if code:
        district = Division.objects.filter(
            code=Division.full_code(code)[:12], level=DivisionLevel.DISTRICT
        ).first()
    elif request.user.is_authenticated:
        district = district_of(request.user)
    district = district or (None if code else single_district())
    if district is None:
        raise Http404("no such district")
    data = dict(district_boundaries(district))
    data["names"] = {"street": _("Streets"), "community": _("Communities and villages"), "grid": _("Grids")}
    response = JsonResponse(data)
    response["Cache-Control"] = "private, max-age=300"
    return response

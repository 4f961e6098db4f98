"""Web endpoints of the org app: the district's boundaries for the maps (no tile server needed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shaobao.core.errors import ValidationFailed
from shaobao.org import acting as acting_areas
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


@login_required
@require_POST
def acting(request):
    """The top bar's picker: act in another of the user's districts (or the city) from now on."""
    from shaobao.org.models import Membership

    pairs = Membership.objects.filter(user=request.user).values_list("division__code", "division__level")
    try:
        key = acting_areas.check(request.POST.get("area"), pairs)
    except ValidationFailed:
        key = None
    if key is None:
        messages.error(request, _("You do not belong to that district."))
    else:
        request.session[acting_areas.SESSION_KEY] = key
        acting_areas.request_area(request.user, key)
        messages.success(request, _("You now act in the district chosen in the top bar."))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)

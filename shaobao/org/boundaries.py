"""The district's boundaries as GeoJSON, from our own data: every grid's polygon, and each community/village
and street/township as the union of its grids (divisions have no polygon of their own), so that a map can be
drawn without any tile server.

`district_boundaries(district)` is cached (Django's cache) under a key that changes whenever a grid is added,
changed or removed, so the unions (shapely) are computed once per change of the grids, not per request.
"""

from __future__ import annotations

import shapely
from django.core.cache import cache
from django.db.models import Count, Max
from shapely.geometry import mapping, shape

from shaobao.org.models import Division, DivisionLevel, Grid

LEVELS = ("street", "community", "grid")
PRECISION = 6  # decimal places of lng/lat: about 0.1 m
CACHE_SECONDS = 24 * 3600


def single_district() -> Division | None:
    """The district of a one-district deployment: the only district, or the only one with grids (None when
    several have grids or none exists)."""
    districts = list(Division.objects.filter(level=DivisionLevel.DISTRICT)[:2])
    if len(districts) < 2:
        return districts[0] if districts else None
    prefixes = {code[:6] for code in Grid.objects.values_list("community__code", flat=True).distinct()[:1000]}
    with_grids = list(
        Division.objects.filter(level=DivisionLevel.DISTRICT, code__in=[p + "000000" for p in prefixes])[:2]
    )
    return with_grids[0] if len(with_grids) == 1 else None


def _grids_of(district: Division):
    return Grid.objects.filter(community__code__startswith=district.prefix)


def _cache_key(district: Division) -> str:
    stamp = _grids_of(district).aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    last = stamp["last"].timestamp() if stamp["last"] else 0
    return f"org:boundaries:v1:{district.pk}:{stamp['n']}:{stamp['top']}:{last}"


def _rounded(geometry) -> dict:
    return mapping(shapely.set_precision(geometry, 10**-PRECISION))


def _feature(level: str, code: str, name: str, geometry) -> dict:
    return {
        "type": "Feature",
        "properties": {"level": level, "code": code, "name": name},
        "geometry": _rounded(geometry),
    }


def build_boundaries(district: Division) -> dict:
    """GeoJSON FeatureCollection: streets, then communities/villages, then grids (property `level`)."""
    grids = list(_grids_of(district).select_related("community__parent").order_by("code"))
    shapes = {g.pk: shape(g.geometry) for g in grids}
    by_community: dict[int, list] = {}
    by_street: dict[int, list] = {}
    communities: dict[int, Division] = {}
    streets: dict[int, Division] = {}
    for grid in grids:
        community = grid.community
        communities[community.pk] = community
        by_community.setdefault(community.pk, []).append(shapes[grid.pk])
        street = community.parent if community.parent and community.parent.level == "street" else None
        if street is not None:
            streets[street.pk] = street
            by_street.setdefault(street.pk, []).append(shapes[grid.pk])
    features = []
    for pk, parts in sorted(by_street.items(), key=lambda kv: streets[kv[0]].code):
        s = streets[pk]
        features.append(_feature("street", s.code, s.name, shapely.union_all(parts)))
    for pk, parts in sorted(by_community.items(), key=lambda kv: communities[kv[0]].code):
        c = communities[pk]
        features.append(_feature("community", c.code, c.name, shapely.union_all(parts)))
    for grid in grids:
        features.append(_feature("grid", grid.code, grid.name, shapes[grid.pk]))
    return {"type": "FeatureCollection", "features": features}


def district_boundaries(district: Division) -> dict:
    key = _cache_key(district)
    data = cache.get(key)
    if data is None:
        data = build_boundaries(district)
        cache.set(key, data, CACHE_SECONDS)
    return data

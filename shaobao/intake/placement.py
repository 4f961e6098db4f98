"""Placing a demand, in order: coordinates (point in a grid's polygon) → the street the channel gave →
the address → the text (streets, communities/villages and the gazetteer's places, `shaobao.org.places`).

Each placement records its source and a confidence; when the words name two places equally (a road that
crosses two streets, a village name two townships share), the demand stays unplaced with the candidates,
for the coordinator to pick one (`actions.do_correct_placement`). A wrong street is worse than asking.

A bounding-box prefilter (an indexed range query on the grid's bbox columns) keeps the candidates to a
handful even with 100,000 grids; shapely then tests the exact polygon. If the org app provides
`shaobao.org.geo.locate(lat, lng)`, that is used instead, so there is one placement rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from shapely.geometry import Point, shape
from shapely.prepared import prep

from shaobao.core.db import hot_cursor
from shaobao.org import places
from shaobao.org.models import Division, Grid


@dataclass(frozen=True)
class Placement:
    street: Division | None
    community: Division | None
    grid: Grid | None
    source: str  # PlacementSource value
    confidence: float | None = None
    candidates: tuple = ()  # dicts (street_code, street_name, community_code, community_name, words, score)


UNPLACED = Placement(None, None, None, "")


@lru_cache(maxsize=4096)
def _prepared(grid_id: int, geometry_key: str):
    import json

    return prep(shape(json.loads(geometry_key)))


def grid_at(lat: float, lng: float) -> Grid | None:
    """The grid containing the point, or None. Smallest bbox first when grids overlap (micro-grids)."""
    try:
        from shaobao.org import geo  # type: ignore[attr-defined]

        found = geo.locate(lat, lng)
        if isinstance(found, Grid):
            return found
        if found is not None and isinstance(getattr(found, "grid", None), Grid):
            return found.grid
        if found is None:
            return None
    except (ImportError, AttributeError):
        pass
    import json

    candidates = (
        Grid.objects.filter(min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat)
        .select_related("community", "community__parent")
        .order_by("code")[:50]
    )
    point = Point(lng, lat)
    hits = []
    for grid in candidates:
        try:
            poly = _prepared(grid.pk, json.dumps(grid.geometry, sort_keys=True))
        except Exception:  # noqa: BLE001 - a broken polygon must not stop intake
            continue
        if poly.contains(point) or poly.intersects(point):
            hits.append(grid)
    if not hits:
        return None
    return min(hits, key=lambda g: ((g.max_lng - g.min_lng) * (g.max_lat - g.min_lat), g.code))


def place(*, lat: float | None, lng: float | None, street_code: str | None) -> Placement:
    """Coordinates in a grid win; else the street code the channel gave; else unplaced."""
    if lat is not None and lng is not None:
        grid = grid_at(lat, lng)
        if grid is not None:
            community = grid.community
            street = community.ancestor("street") if community else None
            return Placement(street, community, grid, "coordinates")
    if street_code:
        street = street_by_code(street_code)
        if street is not None:
            return Placement(street, None, None, "street_code")
    return UNPLACED


_STREET_FIELDS = ("id", "code", "name", "level", "parent_id")


def street_by_code(code: str) -> Division | None:
    code = (code or "").strip()
    if not code.isdigit():
        return None
    # A plain SELECT: every demand from a channel that knows its street asks this, and building the ORM
    # query cost several times what the database spends on it.
    with hot_cursor() as cursor:
        cursor.execute(_street_sql(), [Division.full_code(code), "street"])
        row = cursor.fetchone()
    return Division.from_db(connection.alias, _STREET_FIELDS, row) if row else None


@lru_cache(maxsize=1)
def _street_sql() -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {', '.join(qn(c) for c in _STREET_FIELDS)} FROM {qn(Division._meta.db_table)} "
        f"WHERE {qn('code')} = %s AND {qn('level')} = %s"
    )


def place_demand(
    *,
    lat: float | None,
    lng: float | None,
    street: Division | None,
    address: str = "",
    text: str = "",
    community: Division | None = None,
    grid: Grid | None = None,
) -> Placement:
    """Where a demand is: coordinates in a grid; else the street given (with the community or grid the
    channel gave inside it, else its community read from the words); else the address; else the address
    with the text. Ambiguous words give candidates, not a street."""
    if lat is not None and lng is not None:
        grid = grid_at(lat, lng)
        if grid is not None:
            community = grid.community
            street_of = community.ancestor("street") if community else None
            return Placement(street_of, community, grid, "coordinates", 1.0)
    if street is not None:
        if community is not None or grid is not None:
            return Placement(street, community or grid.community, grid, "street_code", 1.0)
        if address or text:
            guess = places.index_for_prefix(street.code[:6]).guess(
                f"{address} {text}", street_id=street.pk, fuzzy=False
            )
            community = _division(guess.community_id)
        return Placement(street, community, None, "street_code", 1.0)
    if not address and not text:
        return UNPLACED
    by_address = places.guess_anywhere(address) if address else places.PlaceGuess()
    if by_address.street_id is not None:
        if text:  # the text may name the community the address left out
            refined = places.index_for_prefix(by_address.street_code[:6]).guess(
                f"{address} {text}", street_id=by_address.street_id
            )
            if by_address.community_id is None and refined.community_id is not None:
                by_address.community_id = refined.community_id
        return _placed(by_address, "address")
    if not text:
        return _unplaced(by_address)
    both = places.guess_anywhere(address, text)
    if both.street_id is not None:
        return _placed(both, "text")
    return _unplaced(both if both.candidates else by_address)


def _placed(guess: places.PlaceGuess, source: str) -> Placement:
    street = _division(guess.street_id)
    community = _division(guess.community_id) if guess.community_id else None
    if community is not None:
        community.parent = street
    return Placement(street, community, None, source, guess.confidence)


def _unplaced(guess: places.PlaceGuess) -> Placement:
    if not guess.candidates:
        return UNPLACED
    return Placement(None, None, None, "", 0.0, tuple(c.as_dict() for c in guess.candidates))


def _division(pk: int | None) -> Division | None:
    return Division.objects.filter(pk=pk).first() if pk else None

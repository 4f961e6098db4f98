"""Organisation: administrative divisions, grids, units, people and their roles.

Division codes are the 12-digit statistical codes, so "everything under a division" is a code prefix
(see `Division.prefix`), which is how scoping stays one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    DISTRICT = "district", _("district/county")
    STREET = "street", _("street/township")
    COMMUNITY = "community", _("community/village")


# How many leading digits of the 12-digit code identify a division of each level.
LEVEL_PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}


class DivisionQuerySet(models.QuerySet):
    def visible_to(self, user) -> DivisionQuerySet:
        """Reference data: everyone with a role sees the divisions of their district (and those above it)."""
        scope = scope_of(user)
        if scope.is_superuser:
            return self
        if not scope.roles:
            return self.none()
        above = [Division.full_code(p[:n]) for p in scope.district_prefixes for n in (2, 4, 6)]
        return self.filter(scope.code_q("code", district_wide=True) | models.Q(code__in=above))


class Division(models.Model):
    objects = DivisionQuerySet.as_manager()

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=DivisionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The leading digits shared by this division and everything below it."""
        return self.code[: LEVEL_PREFIX_LENGTH[self.level]]

    @staticmethod
    def full_code(code: str) -> str:
        """Pad a short code (`110117`, `110117001`) to the 12-digit form."""
        return code.ljust(12, "0")

    def ancestor(self, level: str) -> Division | None:
        node: Division | None = self
        while node is not None and node.level != level:
            node = node.parent
        return node


class Grid(models.Model):
    """The smallest territory unit, with a polygon (GeoJSON geometry in WGS84 lng/lat)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community/village")
    )
    geometry = models.JSONField(_("geometry"))
    # Bounding box, kept in step with `geometry`, for the placement prefilter.
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()
    is_sample = models.BooleanField(_("sample geometry"), default=False)
    # Placement's in-memory index compares max(id) and max(updated_at) to know when to rebuild.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        indexes = [models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        # The bbox columns are derived data: keep them in step with the geometry on every save.
        if self.geometry:
            self.min_lng, self.min_lat, self.max_lng, self.max_lat = geometry_bbox(self.geometry)
        super().save(*args, **kwargs)


def geometry_bbox(geometry: dict) -> tuple[float, float, float, float]:
    """(min_lng, min_lat, max_lng, max_lat) of a GeoJSON geometry, from its coordinates."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(node) -> None:
        if node and isinstance(node[0], int | float):
            xs.append(float(node[0]))
            ys.append(float(node[1]))
        else:
            for child in node:
                walk(child)

    walk(geometry.get("coordinates") or [])
    if not xs:
        raise ValueError("geometry without coordinates")
    return min(xs), min(ys), max(xs), max(ys)


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("district department")
    STATIONED_OFFICE = "stationed_office", _("stationed office")
    STREET_SECTION = "street_section", _("street section")
    COMMUNITY_COMMITTEE = "community_committee", _("community committee")
    ENFORCEMENT_TEAM = "enforcement_team", _("comprehensive enforcement team")
    CITY_DEPARTMENT = "city_department", _("city department")


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user) -> UnitQuerySet:
        """Units of the user's district: anyone with a role may see who is responsible for what."""
        scope = scope_of(user)
        if scope.is_superuser:
            return self
        if not scope.roles:
            return self.none()
        return self.filter(scope.code_q("division__code", district_wide=True))

    def serving(self, street) -> UnitQuerySet:
        """Active units a street may summon: the district's own units (departments, district-wide
        stationed offices) and the units inside the street (its sections, teams, communities, the
        stationed offices serving it); never another street's own units."""
        near = models.Q(division_id=street.parent_id) | models.Q(division__code__startswith=street.prefix)
        return self.filter(near, is_active=True)


class Unit(models.Model):
    """Who acts: a district department, a stationed office, a street's section or team, a community."""

    objects = UnitQuerySet.as_manager()

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=UnitKind.choices)
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="units", verbose_name=_("division")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    GRID_WORKER = "grid_worker", _("grid worker")
    STREET_DISPATCHER = "street_dispatcher", _("street dispatcher")
    STREET_LEADER = "street_leader", _("street leader")
    UNIT_HANDLER = "unit_handler", _("unit handler")
    UNIT_LEADER = "unit_leader", _("unit leader")
    DISTRICT_COORDINATOR = "district_coordinator", _("district coordinator")
    # The city's social-governance centre (shaobao.calls): receives the districts' calls up.
    CITY_COORDINATOR = "city_coordinator", _("city coordinator")
    ADMINISTRATOR = "administrator", _("administrator")
    # Forces sent down (shaobao.forces) and 双报到 (shaobao.checkin): the division is the host / community.
    DEPLOYED_CADRE = "deployed_cadre", _("deployed cadre")
    CHECKIN_MEMBER = "checkin_member", _("checked-in member")


STREET_ROLES = {Role.GRID_WORKER, Role.STREET_DISPATCHER, Role.STREET_LEADER}
UNIT_ROLES = {Role.UNIT_HANDLER, Role.UNIT_LEADER}
DISTRICT_ROLES = {Role.DISTRICT_COORDINATOR, Role.ADMINISTRATOR}


class Membership(models.Model):
    """A user's role in one organisation: a unit (handlers, leaders) or a division (streets, district)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="memberships")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "division", "unit"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit or self.division}"


# --- scope: what a user's memberships let them see (used through org.scoping) ---------------------


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    division_prefixes: tuple[str, ...]  # the divisions the user belongs to, as code prefixes
    district_prefixes: tuple[str, ...]  # the districts (deployments) the user works in
    street_ids: frozenset[int]  # streets the user works for (street roles)
    unit_ids: frozenset[int]  # units the user works for (unit roles)
    is_superuser: bool = False

    @property
    def is_district(self) -> bool:
        return self.is_superuser or bool(self.roles & DISTRICT_ROLES)

    @property
    def is_street(self) -> bool:
        return bool(self.roles & STREET_ROLES)

    @property
    def is_unit(self) -> bool:
        return bool(self.roles & UNIT_ROLES)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles & set(roles))

    def code_q(self, field: str, *, district_wide: bool = False) -> models.Q:
        """Q matching rows whose division code (in `field`) lies in the user's territory."""
        if self.is_superuser:
            return models.Q()
        prefixes = self.district_prefixes if (district_wide or self.is_district) else self.division_prefixes
        if not prefixes:
            return models.Q(pk__in=[])
        return reduce(or_, (models.Q(**{f"{field}__startswith": p}) for p in prefixes))


EMPTY_SCOPE = Scope(frozenset(), (), (), frozenset(), frozenset())


def scope_of(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return EMPTY_SCOPE
    cached = getattr(user, "_shaobao_scope", None)
    if cached is not None:
        return cached
    memberships = list(Membership.objects.filter(user=user).select_related("division", "unit"))
    # A user in several districts (or the city and its districts) acts in one of them per request.
    from shaobao.org import acting

    chosen = acting.resolve(user, [(m.division.code, m.division.level) for m in memberships])
    memberships = [m for m in memberships if acting.keeps(chosen, m.division.code, m.division.level)]
    roles = frozenset(m.role for m in memberships)
    division_prefixes = tuple(sorted({m.division.prefix for m in memberships}))
    district_prefixes = tuple(
        sorted({m.division.code[: LEVEL_PREFIX_LENGTH["district"]] for m in memberships})
    )
    street_ids = frozenset(
        m.division_id
        for m in memberships
        if m.role in STREET_ROLES | {Role.RESIDENT} and m.division.level == "street"
    )
    unit_ids = frozenset(m.unit_id for m in memberships if m.unit_id and m.role in UNIT_ROLES | STREET_ROLES)
    scope = Scope(roles, division_prefixes, district_prefixes, street_ids, unit_ids, user.is_superuser)
    user._shaobao_scope = scope
    return scope


class PlaceKind(models.TextChoices):
    ROAD = "road", _("road/street")
    LANDMARK = "landmark", _("landmark")
    ESTATE = "estate", _("residential estate")
    VILLAGE = "village", _("village/hamlet")
    OTHER = "other", _("other place")


class GazetteerEntry(models.Model):
    """A place the district knows by name (a road, landmark, estate, hamlet) and the division it lies in.

    Place recognition (`shaobao.org.places`) reads these beside the divisions' own names. A road that
    crosses two streets is two entries with the same name, one per street: a text naming only that road
    is then ambiguous and goes to the coordinator with both candidates.
    """

    name = models.CharField(_("name"), max_length=100, db_index=True)
    aliases = models.CharField(
        _("aliases"),
        max_length=400,
        blank=True,
        help_text=_("Other names and common misspellings, separated by commas or spaces."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PlaceKind.choices, default=PlaceKind.LANDMARK)
    street = models.ForeignKey(
        Division,
        on_delete=models.CASCADE,
        related_name="gazetteer_entries",
        verbose_name=_("street/township"),
    )
    community = models.ForeignKey(
        Division,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gazetteer_community_entries",
        verbose_name=_("community/village"),
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Place recognition's in-memory index compares count, max(id) and max(updated_at) to know when to rebuild.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("gazetteer entry")
        verbose_name_plural = _("gazetteer")
        ordering = ["street__code", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.street.name})" if self.street_id else self.name

    def alias_list(self) -> list[str]:
        import re

        return [a for a in re.split(r"[,，、;；\s]+", self.aliases or "") if a]

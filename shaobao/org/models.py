"""Organisation: administrative divisions, grids, units, people and their roles.

Division codes are the 12-digit statistical codes, so "everything under a division" is a code prefix
(see `Division.prefix`), which is how scoping stays one indexed query.
"""

from __future__ import annotations

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
        from shaobao.org.scoping import scope_of

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


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user) -> UnitQuerySet:
        """Units of the user's district: anyone with a role may see who is responsible for what."""
        from shaobao.org.scoping import scope_of

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
    ADMINISTRATOR = "administrator", _("administrator")


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

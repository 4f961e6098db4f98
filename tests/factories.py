"""factory_boy factories, one per model, shared by every test module."""

from __future__ import annotations

import factory

from shaobao.duties.models import Domain, DutyList, Matter
from shaobao.org.models import Division, Grid, Membership, Unit, User


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ("code",)

    # Twelve digits always: the street part wraps after 999 (one worker's sequence runs past it in a full run;
    # each test's rows are rolled back, and get_or_create reuses a code a test already holds).
    code = factory.Sequence(lambda n: f"110117{n % 999 + 1:03d}000")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    level = "street"


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    code = factory.Sequence(lambda n: f"G{n:06d}")
    name = factory.Sequence(lambda n: f"网格{n}")
    geometry = factory.LazyFunction(lambda: square(117.0, 40.0))
    min_lng = factory.LazyAttribute(lambda o: min(p[0] for p in o.geometry["coordinates"][0]))
    max_lng = factory.LazyAttribute(lambda o: max(p[0] for p in o.geometry["coordinates"][0]))
    min_lat = factory.LazyAttribute(lambda o: min(p[1] for p in o.geometry["coordinates"][0]))
    max_lat = factory.LazyAttribute(lambda o: max(p[1] for p in o.geometry["coordinates"][0]))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = "department"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试"
    password = factory.PostGenerationMethodCall("set_password", "pass-12345")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"领域{n}")


class DutyListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DutyList

    name = "测试清单"
    version = factory.Sequence(lambda n: n + 1)
    status = "draft"


class MatterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Matter

    code = factory.Sequence(lambda n: f"M{n:03d}")
    name = factory.Sequence(lambda n: f"事项{n}")
    domain = factory.SubFactory(DomainFactory)
    time_limit = 7
    time_limit_unit = "working_days"

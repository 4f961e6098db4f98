import pytest

from shaobao.core.errors import NotFound
from shaobao.org.access import access_unit
from shaobao.org.models import Unit


def test_units_of_another_district_are_invisible(world):
    codes = set(Unit.objects.visible_to(world.users["dispatcher"]).values_list("code", flat=True))
    assert "CGZF" in codes and "BH-CG" in codes
    assert "CY-CG" not in codes


def test_access_unit_outside_the_organisation_raises_not_found(world):
    with pytest.raises(NotFound):
        access_unit(world.users["dispatcher"], "CY-CG")
    assert access_unit(world.users["outsider"], "CY-CG").name == "朝阳区城管委"


def test_user_without_role_sees_nothing(world):
    assert not Unit.objects.visible_to(world.users["nobody"]).exists()

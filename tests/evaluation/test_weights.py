"""Weights are versioned: the admin never edits a version in place, so a published month stays reproducible."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.test import RequestFactory

from shaobao.evaluation.indicators import current_weights
from shaobao.evaluation.models import WeightSet


def test_admin_saves_a_changed_weight_set_as_the_next_version(world):
    first = current_weights()
    admin = site._registry[WeightSet]
    request = RequestFactory().post("/")
    request.user = world.users["admin"]
    first.street_response = 0.5
    admin.save_model(request, first, form=None, change=True)
    versions = list(WeightSet.objects.order_by("version").values_list("version", "street_response"))
    assert versions == [(1, 0.30), (2, 0.5)]
    assert current_weights().version == 2


def test_defaults_follow_the_reform(world):
    w = current_weights()
    assert (round(w.unit_bottom_up, 4), round(w.unit_objective, 4)) == (0.3333, 0.6667)
    assert (w.street_response, w.street_resolution, w.street_satisfaction) == (0.30, 0.35, 0.35)

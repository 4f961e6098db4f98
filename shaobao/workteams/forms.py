"""Forms of the work-team pages. They only parse input; `workteams.actions` decides what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.intake.forms import confirm_field
from shaobao.workteams.models import MeasureState, VillageKind

_ROWS2 = forms.Textarea(attrs={"rows": 2})
_ROWS3 = forms.Textarea(attrs={"rows": 3})


class TeamFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=60)
    street = forms.ChoiceField(label=_("street/township"), required=False)
    kind = forms.ChoiceField(label=_("village kind"), required=False)
    overdue = forms.BooleanField(label=_("overdue for review"), required=False)

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", _("all"))] + [(s.code, s.name) for s in streets]
        self.fields["kind"].choices = [("", _("all")), *VillageKind.choices]


class MeasureForm(forms.Form):
    title = forms.CharField(label=_("measure"), max_length=200)
    owner = forms.TypedChoiceField(label=_("owner"), coerce=int)
    working_days = forms.IntegerField(
        label=_("deadline in working days"), min_value=1, max_value=250, initial=10
    )
    detail = forms.CharField(label=_("detail"), required=False, widget=_ROWS2)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(m.pk, m.cadre.name) for m in members]


class MeasureStateForm(forms.Form):
    state = forms.ChoiceField(label=_("state"), choices=MeasureState.choices)


class VisitForm(forms.Form):
    household = forms.CharField(label=_("household"), max_length=60)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    visited_on = forms.DateField(label=_("date of the visit"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("notes"), required=False, widget=_ROWS2)


class ReviewForm(forms.Form):
    progress = forms.CharField(label=_("progress"), widget=_ROWS3)
    problems = forms.CharField(label=_("problems"), required=False, widget=_ROWS2)
    next_measures = forms.CharField(label=_("next measures"), required=False, widget=_ROWS2)
    confirm = confirm_field(_("I have checked: a recorded review cannot be changed"))


class CloseTeamForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=200)
    confirm = confirm_field(_("I have checked: the team is withdrawn and its deployments end today"))

"""Forms of the 双报到 pages. They only parse the input's shape; the actions decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.checkin.models import MemberKind, NeedKind, NeedState, RecordState, Weekday


def _every():
    return [("", _("all"))]


class _Territory(forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=60)
    street = forms.ChoiceField(label=_("street/township"), required=False)
    community = forms.ChoiceField(label=_("community/village"), required=False)

    def __init__(self, *args, streets=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = _every() + [(s.code, s.name) for s in streets]
        self.fields["community"].choices = _every() + [(c.code, c.name) for c in communities]


class OrganisationFilterForm(_Territory):
    pass


class MemberFilterForm(_Territory):
    organisation = forms.ChoiceField(label=_("organisation"), required=False)
    kind = forms.ChoiceField(label=_("kind"), required=False)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = _every() + [(str(o.pk), o.name) for o in organisations]
        self.fields["kind"].choices = (
            _every() + [("new_employment", _("new employment groups"))] + list(MemberKind.choices)
        )


class NeedFilterForm(forms.Form):
    community = forms.ChoiceField(label=_("community/village"), required=False)
    state = forms.ChoiceField(label=_("state"), required=False)
    kind = forms.ChoiceField(label=_("kind"), required=False)

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = _every() + [(c.code, c.name) for c in communities]
        self.fields["state"].choices = _every() + list(NeedState.choices)
        self.fields["kind"].choices = _every() + list(NeedKind.choices)


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("until"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    street = forms.ChoiceField(label=_("street/township"), required=False)

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = _every() + [(s.code, s.name) for s in streets]


MEMBER_KINDS = MemberKind.choices
NEED_KINDS = NeedKind.choices
RECORD_STATES = RecordState.choices
WEEKDAYS = Weekday.choices

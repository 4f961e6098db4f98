"""Forms of the admission pages. They only parse input; `admission.actions` decides what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.admission.models import EntryKind, MarkGround, RequestKind, RequestState
from shaobao.intake.forms import confirm_field

_ROWS2 = forms.Textarea(attrs={"rows": 2})
# ISO values in every language: a date input drops 2026/12/01, which zh-Hans formats would write.
_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _every(choices) -> list:
    return [("", _("all")), *choices]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    kind = forms.ChoiceField(label=_("kind"), required=False)
    unit = forms.ChoiceField(label=_("department concerned"), required=False)
    in_force = forms.ChoiceField(
        label=_("in force"),
        required=False,
        choices=[("", _("all")), ("yes", _("in force")), ("no", _("not in force"))],
    )
    community = forms.ChoiceField(label=_("community/village"), required=False)

    def __init__(self, *args, units=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _every(EntryKind.choices)
        self.fields["unit"].choices = _every([(u.code, u.name) for u in units])
        self.fields["community"].choices = _every([(c.code, c.name) for c in communities])


class RequestFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    state = forms.ChoiceField(label=_("state"), required=False)
    kind = forms.ChoiceField(label=_("kind"), required=False)
    unit = forms.ChoiceField(label=_("department"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _every(RequestState.choices)
        self.fields["kind"].choices = _every(RequestKind.choices)
        self.fields["unit"].choices = _every([(u.code, u.name) for u in units])


class RequestForm(forms.Form):
    unit = forms.ChoiceField(label=_("department"))
    kind = forms.ChoiceField(label=_("kind"), choices=RequestKind.choices)
    name = forms.CharField(label=_("what is to be put on the communities"), max_length=200)
    outside = forms.BooleanField(label=_("signboard on the outside of the building"), required=False)
    basis = forms.CharField(label=_("legal or policy basis"), widget=_ROWS2, max_length=1000)
    reason = forms.CharField(label=_("reason"), widget=_ROWS2, max_length=2000)
    communities = forms.MultipleChoiceField(
        label=_("communities concerned (none chosen: all)"), required=False
    )
    valid_from = forms.DateField(label=_("from"), widget=_DATE)
    valid_until = forms.DateField(label=_("until (empty: no end)"), required=False, widget=_DATE)

    def __init__(self, *args, units=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["communities"].choices = [(c.code, f"{c.parent.name} {c.name}") for c in communities]


class DecideForm(forms.Form):
    # No preset decision: radio buttons, none checked; a refusal needs a reason (the action checks).
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("approve: enters the catalogue")), ("refuse", _("refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("reason (required for a refusal)"), required=False, widget=_ROWS2)
    confirm = confirm_field(_("I have checked: this decision is final"))


class MarkFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    unit = forms.ChoiceField(label=_("department"), required=False)
    ground = forms.ChoiceField(label=_("ground"), required=False)
    open_only = forms.BooleanField(label=_("not yet acknowledged"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _every([(u.code, u.name) for u in units])
        self.fields["ground"].choices = _every(MarkGround.choices)


class MarkForm(forms.Form):
    community = forms.ChoiceField(label=_("community/village"))
    unit = forms.ChoiceField(label=_("department that sent the task"))
    task = forms.CharField(label=_("task received"), max_length=200)
    received_on = forms.DateField(label=_("received on"), widget=_DATE)
    ground = forms.ChoiceField(label=_("ground"), choices=MarkGround.choices)
    entry = forms.ChoiceField(label=_("catalogue entry quoted"), required=False)
    note = forms.CharField(label=_("note"), required=False, widget=_ROWS2)

    def __init__(self, *args, communities=(), units=(), entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.code, f"{c.parent.name} {c.name}") for c in communities]
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["entry"].choices = [("", _("none: absent from the catalogue"))] + [
            (str(e.pk), f"{e.code} {e.name}") for e in entries
        ]


class AcknowledgeForm(forms.Form):
    answer = forms.CharField(label=_("answer"), required=False, widget=_ROWS2)


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=EntryKind.choices)
    name = forms.CharField(label=_("name"), max_length=200)
    outside = forms.BooleanField(label=_("signboard on the outside of the building"), required=False)
    basis = forms.CharField(label=_("legal or policy basis"), widget=_ROWS2, max_length=1000)
    unit = forms.ChoiceField(label=_("department concerned"), required=False)
    communities = forms.MultipleChoiceField(
        label=_("communities concerned (none chosen: all)"), required=False
    )
    valid_from = forms.DateField(label=_("from"), widget=_DATE)
    valid_until = forms.DateField(label=_("until (empty: no end)"), required=False, widget=_DATE)

    def __init__(self, *args, units=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("none"))] + [(u.code, u.name) for u in units]
        self.fields["communities"].choices = [(c.code, f"{c.parent.name} {c.name}") for c in communities]

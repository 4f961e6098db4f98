"""Forms of the calls pages (the rules stay in `calls.actions`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.calls.models import CallLevel, CallState
from shaobao.intake.forms import confirm_field
from shaobao.whistles.actions import MAX_EXTENSION_DAYS
from shaobao.whistles.models import WhistleType


class RaiseCallForm(forms.Form):
    caller = forms.ChoiceField(label=_("Calling for"))
    type = forms.ChoiceField(label=_("Urgency"), choices=WhistleType.choices, initial=WhistleType.ROUTINE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("What cannot be solved at our level, and what was tried"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, callers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caller"].choices = [(d.code, d.name) for d in callers]


class AssignForm(forms.Form):
    lead_unit = forms.ChoiceField(label=_("Lead department"))
    supporting_units = forms.MultipleChoiceField(
        label=_("Supporting departments"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(u.code, u.name) for u in units]
        self.fields["lead_unit"].choices = choices
        self.fields["supporting_units"].choices = choices


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class CallUpForm(forms.Form):
    note = forms.CharField(label=_("Why the city is needed"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = confirm_field()


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ArbitrateForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("uphold", _("Dispute upheld")), ("reject", _("Dispute rejected"))]
    )
    reassign_to = forms.ChoiceField(label=_("Reassign to"), required=False)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].choices = [("", "—"), *((u.code, u.name) for u in units)]


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=MAX_EXTENSION_DAYS)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = confirm_field(_("Send the request to the centre"))


class DecideExtensionForm(forms.Form):
    grant = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Grant: move the finish deadline")), ("0", _("Refuse"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), required=False)
    confirm = confirm_field()


SCORES = [(str(n), str(n)) for n in range(5, 0, -1)]


class VerifyForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Solved: close and rate")), ("0", _("Not solved: send back"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = confirm_field()

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = list(departments)
        for unit in self.departments:
            self.fields[f"rating_{unit.code}"] = forms.ChoiceField(
                label=unit.name, choices=SCORES, required=False, initial="5"
            )

    def ratings(self) -> dict[str, str]:
        return {u.code: self.cleaned_data.get(f"rating_{u.code}") for u in self.departments}


class CallFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", "—"), *CallState.choices])
    level = forms.ChoiceField(label=_("Level"), required=False, choices=[("", "—"), *CallLevel.choices])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

"""Forms of the whistle pages: blowing a whistle, the unit's answers, arbitration, extensions, filters.

They only parse input; the `do_*` actions in `whistles.actions` decide what is allowed.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shaobao.duties.selectors import rule_for
from shaobao.intake.forms import confirm_field
from shaobao.whistles.models import SummonsState, WhistleState, WhistleType

_ROWS2 = forms.Textarea(attrs={"rows": 2})


class BlowWhistleForm(forms.Form):
    type = forms.ChoiceField(
        label=_("whistle type"), choices=WhistleType.choices, initial=WhistleType.ROUTINE
    )
    matter_code = forms.ChoiceField(label=_("matter"))
    lead_unit_code = forms.ChoiceField(label=_("lead unit"))
    supporting_unit_codes = forms.MultipleChoiceField(
        label=_("supporting units"), required=False, widget=forms.CheckboxSelectMultiple
    )
    demand_ids = forms.TypedMultipleChoiceField(
        label=_("demands covered"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("note"), required=False, widget=_ROWS2)

    def __init__(self, *args, matters=(), units=(), demands=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter_code"].choices = [(m.code, f"{m.code} {m.name}") for m in matters]
        unit_choices = [(u.code, u.name) for u in units]
        self.fields["lead_unit_code"].choices = unit_choices
        self.fields["supporting_unit_codes"].choices = unit_choices
        self.fields["demand_ids"].choices = [(d.pk, f"{d.tracking_code} {d.subject}") for d in demands]


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("why is it not yours?"), widget=_ROWS2)


class ArbitrateForm(forms.Form):
    # No preset decision (radio buttons, none checked) and a confirmation: arbitration is final.
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("uphold", _("uphold: withdraw the summons")), ("reject", _("reject: the unit must act"))],
        widget=forms.RadioSelect,
    )
    # A unit code, typed with suggestions (`whistles:unit_search`, scoped to what the street may summon);
    # the action checks it (`whistles.steps.check_summonable`).
    reassign_to = forms.CharField(label=_("summon instead"), required=False, max_length=40)
    note = forms.CharField(label=_("note"), required=False, widget=_ROWS2)
    confirm = confirm_field(_("I have checked: this decision is final"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units

    def clean_reassign_to(self) -> str:
        # A suggestion reads "CODE name": keep the code.
        value = (self.cleaned_data.get("reassign_to") or "").strip()
        return value.split()[0] if value else ""


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("what was done"), widget=_ROWS2)
    # Type and size are checked by the action (`intake.uploads`), by content, not by name.
    photo = forms.FileField(
        label=_("photo"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("extra working days"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("reason"), widget=_ROWS2)


class DecideExtensionForm(forms.Form):
    grant = forms.TypedChoiceField(
        label=_("decision"), choices=[("1", _("grant")), ("0", _("refuse"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("note"), required=False)


class FinishForm(forms.Form):
    note = forms.CharField(label=_("result"), widget=_ROWS2)


class UnitPicker(forms.TextInput):
    """A unit typed with suggestions (no framework, no CDN): a <datalist> that lists the user's units when
    they are few, and is refilled by htmx from `whistles:unit_search` (scoped to the user) as one types,
    when they are many (a district coordinator picks among hundreds). Without JavaScript a code typed
    by hand still works."""

    SHORT_LIST = 40

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "placeholder": _("type a unit name or code"), **(attrs or {})}
        )
        self.options = ()

    def render(self, name, value, attrs=None, renderer=None):
        from django.urls import reverse
        from django.utils.html import format_html, format_html_join

        list_id = f"{(attrs or {}).get('id') or name}-options"
        attrs = {
            **(attrs or {}),
            "list": list_id,
            "hx-get": reverse("whistles:unit_search"),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML",
            "hx-select": "unset",  # pages may set hx-select="main" for their forms: not for this
        }
        units = list(self.options[: self.SHORT_LIST + 1]) if self.options else []
        shown = units if len(units) <= self.SHORT_LIST else []
        options = format_html_join(
            "", '<option value="{} {}">{}</option>', ((u.code, u.name, u.name) for u in shown)
        )
        return format_html(
            '{}<datalist id="{}">{}</datalist>',
            super().render(name, value, attrs, renderer),
            list_id,
            options,
        )


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    state = forms.ChoiceField(label=_("state"), required=False)
    type = forms.ChoiceField(label=_("whistle type"), required=False)
    street = forms.ChoiceField(label=_("street/township"), required=False)
    unit = forms.CharField(label=_("unit"), required=False, max_length=140, widget=UnitPicker())
    matter = forms.ChoiceField(label=_("matter"), required=False)
    overdue = forms.BooleanField(label=_("overdue only"), required=False)

    def __init__(self, *args, streets=(), units=(), matters=(), states=None, **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("all"))]
        if states is None:
            states = list(WhistleState.choices) + list(SummonsState.choices)
        self.fields["state"].choices = every + list(states)
        self.fields["type"].choices = every + list(WhistleType.choices)
        self.fields["street"].choices = every + [(s.code, s.name) for s in streets]
        self.fields["unit"].widget.options = units
        self.fields["matter"].choices = every + [(m.code, f"{m.code} {m.name}") for m in matters]

    def clean_unit(self) -> str:
        # A suggestion reads "CODE name": filter on the code.
        value = (self.cleaned_data.get("unit") or "").strip()
        return value.split()[0] if value else ""


def blow_form_for(demand, matters, units, matter_code: str, lead: str, supporting, duplicates=()):
    """The whistle form: lead and supporting units from the proposal, else from the duty list in force
    for the matter (with the street's override, `duties.selectors.rule_for`). The demand page (intake)
    gets it through `intake.extensions.whistle_form`, installed by WhistlesConfig.ready()."""
    matter = next((m for m in matters if m.code == matter_code), None)
    if matter is not None and not lead:
        rule = rule_for(matter, demand.street)
        lead, supporting = rule.lead_unit.code, [u.code for u in rule.supporting_units]
    chosen = {lead, *supporting}
    units = sorted(units, key=lambda u: (u.code not in chosen, u.code))  # the proposed ones first
    form = BlowWhistleForm(
        initial={
            "type": "routine",
            "matter_code": matter_code,
            "lead_unit_code": lead,
            "supporting_unit_codes": [c for c in supporting if c],
            "demand_ids": [demand.pk],
        },
        matters=matters,
        units=units,
        demands=[demand, *duplicates],
    )
    # Choosing another matter reloads the units from the duty list (htmx).
    form.fields["matter_code"].widget.attrs.update(
        {
            "hx-get": reverse("whistles:blow_units") + f"?demand={demand.pk}",
            "hx-trigger": "change",
            "hx-target": "#blow-units",
            "hx-select": "#blow-units",
            "hx-swap": "outerHTML",
        }
    )
    if not matter_code:
        form.fields["matter_code"].choices = [("", "---------"), *form.fields["matter_code"].choices]
    return form

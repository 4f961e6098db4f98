"""Forms of the forces pages: they parse input; the rules are in `forces.actions`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.forces.models import AssessorKind, DeploymentMode

# ISO values whatever the language: a date input drops a value in the zh format (2026/12/01).
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
ACTIVE_CHOICES = [("", _("all")), ("active", _("deployed now")), ("ended", _("ended"))]


class DeploymentFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    host = forms.ChoiceField(label=_("host"), required=False)
    unit = forms.ChoiceField(label=_("unit"), required=False)
    mode = forms.ChoiceField(label=_("mode"), required=False)
    starts = forms.DateField(label=_("from"), required=False, widget=DATE)
    ends = forms.DateField(label=_("until"), required=False, widget=DATE)
    active = forms.ChoiceField(label=_("state"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, hosts=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [("", _("all"))] + [(h.code, h.name) for h in hosts]
        self.fields["unit"].choices = [("", _("all")), ("reserve", _("reserve pool"))] + [
            (u.code, u.name) for u in units
        ]
        self.fields["mode"].choices = [("", _("all")), *DeploymentMode.choices]


class DeploymentForm(forms.Form):
    cadre = forms.ChoiceField(label=_("cadre"))
    mode = forms.ChoiceField(label=_("mode"), choices=DeploymentMode.choices)
    host = forms.ChoiceField(label=_("host"))
    host_enterprise = forms.CharField(
        label=_("enterprise"),
        required=False,
        max_length=100,
        help_text=_("For a cadre serving an enterprise: its name; the host is then its street."),
    )
    village_post = forms.ChoiceField(label=_("village post"), required=False)
    post = forms.CharField(label=_("post"), required=False, max_length=100)
    duties = forms.CharField(label=_("duties"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("from"), widget=DATE)
    ends_on = forms.DateField(label=_("until"), required=False, widget=DATE)

    def __init__(self, *args, cadres=(), hosts=(), posts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].choices = [("", "—")] + [
            (str(c.pk), f"{c.name} · {c.unit.name if c.unit else _('reserve pool')}") for c in cadres
        ]
        self.fields["host"].choices = [("", "—")] + [(h.code, h.name) for h in hosts]
        self.fields["village_post"].choices = [("", "—")] + [
            (str(r["post"].pk), f"{r['post'].village.name} · {r['post'].title}") for r in posts
        ]


class EndForm(forms.Form):
    ends_on = forms.DateField(label=_("last day"), required=False, widget=DATE)
    note = forms.CharField(label=_("reason for ending"), required=False, max_length=200)
    confirm = forms.BooleanField(label=_("I confirm: the cadre goes back to their unit."), required=True)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), required=False, max_length=200)
    details = forms.CharField(label=_("details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    demand = forms.ChoiceField(label=_("a demand the street handles itself"), required=False)
    whistle = forms.ChoiceField(label=_("or a whistle to lend a hand on"), required=False)

    def __init__(self, *args, demands=(), whistles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demand"].choices = [("", "—")] + [
            (str(d.pk), f"{d.tracking_code} {d.subject}") for d in demands
        ]
        self.fields["whistle"].choices = [("", "—")] + [
            (str(w.pk), f"#{w.pk} {w.matter.name if w.matter_id else ''}") for w in whistles
        ]


class PresenceForm(forms.Form):
    note = forms.CharField(
        label=_("what I did today"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class FinishForm(NoteForm):
    confirm = forms.BooleanField(label=_("I confirm the task is done."), required=True)


class QuotaForm(forms.Form):
    unit = forms.ChoiceField(label=_("unit"))
    staff = forms.IntegerField(label=_("staff"), min_value=1)
    share = forms.DecimalField(
        label=_("share in the field (%)"), min_value=1, max_value=100, decimal_places=1
    )
    starts_on = forms.DateField(label=_("from"), widget=DATE)
    ends_on = forms.DateField(label=_("until"), widget=DATE)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—")] + [(u.code, u.name) for u in units]


ASSESSOR_ROWS = 6


class AssessmentForm(forms.Form):
    host = forms.ChoiceField(label=_("host"))
    title = forms.CharField(label=_("title"), max_length=100)
    starts_on = forms.DateField(label=_("from"), widget=DATE)
    ends_on = forms.DateField(label=_("until"), widget=DATE)

    def __init__(self, *args, hosts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [("", "—")] + [(h.code, h.name) for h in hosts]


ASSESSOR_KIND_CHOICES = [("", "—"), *AssessorKind.choices]

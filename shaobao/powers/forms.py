"""Forms of the powers pages: filters, a power, withdrawal, import, notes and recommendations."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.powers.models import NoteKind, PowerCategory, RecommendationKind

STATUS_CHOICES = [
    ("", _("all")),
    ("in_force", _("in force")),
    ("pending", _("not yet effective")),
    ("withdrawn", _("withdrawn")),
]


class PowerFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    category = forms.ChoiceField(label=_("category"), required=False)
    department = forms.ChoiceField(label=_("department"), required=False)
    street = forms.ChoiceField(label=_("street/township"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args, departments=(), streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("all")), *PowerCategory.choices]
        self.fields["department"].choices = [("", _("all")), *((u.code, u.name) for u in departments)]
        self.fields["street"].choices = [("", _("all")), *((s.code, s.name) for s in streets)]


class PowerForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=200)
    category = forms.ChoiceField(label=_("category"), choices=PowerCategory.choices)
    legal_basis = forms.CharField(label=_("legal basis"), widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.ChoiceField(label=_("department"))
    streets = forms.MultipleChoiceField(label=_("streets/townships"), widget=forms.CheckboxSelectMultiple)
    effective_date = forms.DateField(
        label=_("effective date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    matters = forms.MultipleChoiceField(
        label=_("matters covered"), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    note = forms.CharField(label=_("note on this change"), required=False)

    def __init__(self, *args, departments=(), streets=(), matters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(u.code, u.name) for u in departments]
        self.fields["streets"].choices = [(s.code, s.name) for s in streets]
        self.fields["matters"].choices = [(m.code, f"{m.code} {m.name}") for m in matters]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("reason for withdrawal"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("I understand the power stops acting at once"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("file (.xlsx)"))


class NoteForm(forms.Form):
    summons = forms.ChoiceField(label=_("summons"))
    kind = forms.ChoiceField(label=_("kind"), choices=NoteKind.choices)
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, summonses=(), kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summons"].choices = [
            (s.pk, f"#{s.whistle_id} {s.whistle.matter.name} → {s.unit.name}") for s in summonses
        ]
        if kinds is not None:
            self.fields["kind"].choices = [c for c in NoteKind.choices if c[0] in kinds]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("The answer is final"))


class RecommendForm(forms.Form):
    staff = forms.ChoiceField(label=_("stationed staff member"))
    kind = forms.ChoiceField(label=_("recommendation"), choices=RecommendationKind.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [
            (s.pk, f"{s.name} · {s.position} · {s.department.name}") for s in staff
        ]


class DecideForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("accept")), ("0", _("decline"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("The answer is final"))

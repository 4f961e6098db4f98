"""Forms of the work-team pages. They only parse input; `workteams.actions` decides what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shaobao.intake.forms import confirm_field
from shaobao.workteams.models import POSTS_OF_FORCE, MeasureState, MemberPost, TeamForce, VillageKind

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
    visited_on = forms.DateField(
        label=_("date of the visit"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=_ROWS2)


class ReviewForm(forms.Form):
    progress = forms.CharField(label=_("progress"), widget=_ROWS3)
    problems = forms.CharField(label=_("problems"), required=False, widget=_ROWS2)
    next_measures = forms.CharField(label=_("next measures"), required=False, widget=_ROWS2)
    confirm = confirm_field(_("I have checked: a recorded review cannot be changed"))


class CloseTeamForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=200)
    confirm = confirm_field(_("I have checked: the team is withdrawn and its deployments end today"))


TEAM_ROWS = 5  # the form's member rows (a team has 4 or 5)


def force_of(post: str) -> str:
    """The force a post belongs to (each post is of exactly one force)."""
    return next((str(f) for f, posts in POSTS_OF_FORCE.items() if post in posts), "")


def post_choices():
    return [("", "—")] + [
        (str(p), f"{TeamForce(force_of(p)).label} · {p.label}") for p in MemberPost if force_of(p)
    ]


class TeamForm(forms.Form):
    """Send a team: the village, its kind, and up to five members (cadre and post; the post gives the force).
    Empty rows are left out; the size and the three forces are the action's rules, shown on `members`."""

    village = forms.ChoiceField(label=_("village"))
    kind = forms.ChoiceField(label=_("village kind"), choices=VillageKind.choices)
    name = forms.CharField(label=_("team name (optional)"), required=False, max_length=100)
    starts_on = forms.DateField(
        label=_("from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args, villages=(), cadres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "—")] + [
            (v.code, f"{v.parent.name} · {v.name}") for v in villages
        ]
        cadre_choices = [("", "—")] + [(str(c.pk), c.label) for c in cadres]
        for i in range(1, TEAM_ROWS + 1):
            self.fields[f"cadre_{i}"] = forms.ChoiceField(
                label=_("member %(n)s") % {"n": i}, choices=cadre_choices, required=False
            )
            self.fields[f"post_{i}"] = forms.ChoiceField(
                label=_("post"), choices=post_choices(), required=False
            )

    def rows(self):
        """(cadre field, post field) per row, for the template."""
        return [(self[f"cadre_{i}"], self[f"post_{i}"]) for i in range(1, TEAM_ROWS + 1)]

    def members(self) -> list[tuple[int, str, str, int]]:
        """(cadre id, force, post, form row) of the filled rows."""
        out = []
        for i in range(1, TEAM_ROWS + 1):
            cadre, post = self.cleaned_data.get(f"cadre_{i}"), self.cleaned_data.get(f"post_{i}")
            if cadre or post:
                out.append((int(cadre) if cadre else 0, force_of(post or ""), post or "", i))
        return out


class AddMemberForm(forms.Form):
    cadre = forms.ChoiceField(label=_("cadre"))
    post = forms.ChoiceField(label=_("post"))

    def __init__(self, *args, cadres=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].choices = [("", "—")] + [(str(c.pk), c.label) for c in cadres]
        self.fields["post"].choices = post_choices()


class RemoveMemberForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    confirm = confirm_field(_("I have checked: the member leaves the team and their deployment ends today"))

"""Forms of the demand pages: the resident's public form, the staff form, triage and callback.

Forms only parse and check the shape of the input; whether a step is allowed is decided by the
`do_*` actions, which raise `shaobao.core.errors.*`.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from shaobao.core.choices import Urgency
from shaobao.intake.models import Channel, DemandKind, DemandState, Satisfaction
from shaobao.intake.selectors import DEFAULT_SEARCH_WINDOW, SEARCH_WINDOWS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several image files; their type and size are checked by `intake.uploads` in the action."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})

    def clean(self, data, initial=None):
        return [f for f in (data if isinstance(data, list | tuple) else [data]) if f]


class _DemandFields(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=DemandKind.choices, initial=DemandKind.COMPLAINT)
    subject = forms.CharField(label=_("subject"), max_length=200)
    body = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}))
    reporter_name = forms.CharField(label=_("your name"), max_length=60, required=False)
    reporter_phone = forms.RegexField(
        label=_("phone"),
        max_length=30,
        required=False,
        regex=r"^[0-9+\- ]{5,30}$",
        error_messages={"invalid": _("Enter a phone number (digits only).")},
    )
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    lat = forms.FloatField(
        label=_("latitude"), required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    lng = forms.FloatField(
        label=_("longitude"), required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    photos = PhotosField(label=_("photos"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise forms.ValidationError(_("Give both coordinates or none."))
        return data


class PublicDemandForm(_DemandFields):
    """The resident's form. `website` is a honeypot: hidden from people, filled by bots."""

    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_phone"].required = True
        self.fields["reporter_phone"].help_text = _("Only the street's dispatcher sees it, to call you back.")

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class StaffDemandForm(_DemandFields):
    """Dispatchers and hotline staff record a demand from any channel."""

    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.HOTLINE_12345)
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    street_code = forms.ChoiceField(label=_("street/township"), required=False)

    field_order = ["channel", "kind", "urgency", "subject", "body", "reporter_name", "reporter_phone"]

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].label = _("reporter name")
        # The intake desk: the caller's earlier demands appear under the form as the number is typed.
        self.fields["reporter_phone"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("intake:caller_lookup"),
                "hx-trigger": "input changed delay:500ms, load",
                "hx-target": "#caller-history-slot",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["street_code"].choices = [("", _("place from the address / coordinates"))] + [
            (s.code, s.name) for s in streets
        ]


class TrackLookupForm(forms.Form):
    code = forms.CharField(label=_("tracking code"), max_length=20)


# The search's periods (`selectors.SEARCH_WINDOWS`), as the list's form shows them and its count names them.
SEARCH_WINDOW_LABELS = {
    "30": _("last 30 days"),
    "90": _("last 90 days"),
    "365": _("last year"),
    "all": _("all time"),
}
assert SEARCH_WINDOW_LABELS.keys() == SEARCH_WINDOWS.keys()  # noqa: S101 - one label per period


class DemandFilterForm(forms.Form):
    q = forms.CharField(label=_("search"), required=False)
    within = forms.ChoiceField(
        label=_("search in"),
        choices=list(SEARCH_WINDOW_LABELS.items()),
        initial=DEFAULT_SEARCH_WINDOW,
        required=False,
    )
    state = forms.ChoiceField(label=_("state"), required=False)
    street = forms.ChoiceField(label=_("street/township"), required=False)
    matter = forms.ChoiceField(label=_("matter"), required=False)
    channel = forms.ChoiceField(label=_("channel"), required=False)
    overdue = forms.BooleanField(label=_("overdue only"), required=False)

    def __init__(self, *args, streets=(), matters=(), **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("within"):  # shown as what it is: the default period
            self.data = self.data.copy()
            self.data["within"] = DEFAULT_SEARCH_WINDOW
        every = [("", _("all"))]
        self.fields["state"].choices = every + list(DemandState.choices)
        self.fields["channel"].choices = every + list(Channel.choices)
        self.fields["street"].choices = every + [(s.code, s.name) for s in streets]
        self.fields["matter"].choices = every + [(m.code, f"{m.code} {m.name}") for m in matters]


class PlacementForm(forms.Form):
    street_code = forms.CharField(label=_("street/township code"), required=False, max_length=12)
    community_code = forms.CharField(label=_("community/village code"), required=False, max_length=12)
    grid_code = forms.CharField(label=_("grid code"), required=False, max_length=40)


class SelfHandleForm(forms.Form):
    unit_code = forms.ChoiceField(label=_("unit"))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_code"].choices = [(u.code, u.name) for u in units]


class TransferForm(forms.Form):
    street_code = forms.ChoiceField(label=_("to street/township"))
    note = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, streets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street_code"].choices = [(s.code, s.name) for s in streets]


class MergeForm(forms.Form):
    into_id = forms.IntegerField(label=_("merge into demand no."), min_value=1)
    note = forms.CharField(label=_("note"), required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}))


def confirm_field(label=None) -> forms.BooleanField:
    """The confirmation of an irreversible step: a required box, unticked, checked by the browser and
    again by the form on the server, so the step cannot be sent by accident, with or without JavaScript."""
    return forms.BooleanField(
        label=label or _("I have checked my answers: this step cannot be undone"), required=True
    )


class VerifyForm(forms.Form):
    # No preset answer: radio buttons with none checked, required.
    passed = forms.TypedChoiceField(
        label=_("result"),
        choices=[("1", _("passed")), ("0", _("failed, send back"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = confirm_field()


class CallbackForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("solved?"),
        choices=[("1", _("yes")), ("0", _("no"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = confirm_field()

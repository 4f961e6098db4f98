"""The resident's pages (no login): report a problem, and follow it with the tracking code.

Abuse protection without a CAPTCHA: a honeypot field (a filled one gets a fake success and nothing is
stored) and a per-IP limit on submissions kept in Django's cache. The tracking page shows progress
and replies only — never a name, a phone, an address or who did what.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shaobao.core.errors import DomainError, NotFound
from shaobao.intake import actions, codes, selectors
from shaobao.intake.forms import PublicDemandForm, TrackLookupForm
from shaobao.intake.models import Channel
from shaobao.intake.views import add_action_error
from shaobao.intake.views_support import map_context


def rate_limit(name: str = "PUBLIC_FORM_RATE") -> tuple[int, int]:
    """(requests, seconds) allowed per IP address: PUBLIC_FORM_RATE (default 5 submissions per 10 minutes),
    PUBLIC_TRACK_RATE (default 60 look-ups per 10 minutes: tracking codes are short, guessing is limited)."""
    default = {"PUBLIC_FORM_RATE": (5, 600), "PUBLIC_TRACK_RATE": (60, 600)}[name]
    return tuple(getattr(settings, name, default))  # type: ignore[return-value]


def client_ip(request) -> str:
    # Behind a reverse proxy, set it to put the client's address in REMOTE_ADDR (we do not trust headers).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request, name: str = "PUBLIC_FORM_RATE") -> bool:
    """Count this request for the IP; True when it is beyond the limit for the window."""
    limit, window = rate_limit(name)
    key = f"{name}:{client_ip(request)}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def public_form(request):
    form = PublicDemandForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if over_limit(request):
            limit, window = rate_limit()
            return render(
                request, "intake/public_too_many.html", {"limit": limit, "minutes": window // 60}, status=429
            )
        if form.is_bot:
            # A bot filled the hidden field: it sees a success, nothing is stored.
            return _thanks_redirect(request, codes.new_tracking_code())
        if form.is_valid():
            data = form.cleaned_data
            try:
                demand = actions.do_receive_demand(
                    actor=request.user if request.user.is_authenticated else None,
                    channel=Channel.RESIDENT_WEB,
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    address=data["address"],
                    lat=data["lat"],
                    lng=data["lng"],
                    photos=data["photos"],
                )
            except DomainError as exc:
                add_action_error(form, exc)
            else:
                return _thanks_redirect(request, demand.tracking_code)
    return render(request, "intake/public_form.html", {"form": form, **map_context()})


THANKS_SESSION_KEY = "intake_public_thanks"


def _thanks_redirect(request, code: str):
    request.session[THANKS_SESSION_KEY] = code
    return redirect("intake:public_thanks")


@require_GET
def public_thanks(request):
    """The page after a filed demand (GET, so a reload repeats nothing); without one, the form."""
    code = request.session.get(THANKS_SESSION_KEY)
    if not code:
        return redirect("intake:public_form")
    return render(request, "intake/public_thanks.html", {"code": code})


@require_GET
def track_lookup(request):
    form = TrackLookupForm(request.GET or None)
    if form.is_valid():
        return redirect("intake:track", code=codes.normalise(form.cleaned_data["code"]))
    return render(request, "intake/track_lookup.html", {"form": form})


@require_GET
def track(request, code: str):
    if over_limit(request, "PUBLIC_TRACK_RATE"):
        limit, window = rate_limit("PUBLIC_TRACK_RATE")
        return render(
            request,
            "intake/public_too_many.html",
            {"limit": limit, "minutes": window // 60, "track": True},
            status=429,
        )
    try:
        info = selectors.track(code)
    except NotFound:
        form = TrackLookupForm(initial={"code": code})
        return render(
            request,
            "intake/track_lookup.html",
            {"form": form, "not_found": _("No demand with this tracking code.")},
            status=404,
        )
    return render(request, "intake/track.html", {"t": info})

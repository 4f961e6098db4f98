"""Strings this app adds to pages of other apps (the menu in core, the triage proposal in intake's
templates): marked here so that they are in this app's catalog with the rest."""

from django.utils.translation import gettext_noop

EXTERNAL = [
    gettext_noop("Street's powers"),
    gettext_noop("Self-handling"),
    gettext_noop("The street's own unit"),
    gettext_noop(
        "The street holds the enforcement power: delegated power %(code)s %(name)s since %(since)s."
    ),
]

"""API tokens: the credential other systems send as `Authorization: Bearer <token>`.

Only a SHA-256 hash of the token is stored, so a database leak does not leak usable tokens; the
`prefix` (the first characters) lets people tell their tokens apart in the admin and in logs.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "sb_"
PREFIX_LENGTH = 10  # "sb_" + 7 random characters, shown for identification


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}{', ' + self.name if self.name else ''})"


# Open311's records (shaobao/api/open311/ uses them); imported here so that Django registers them.
from shaobao.api.models_open311 import (  # noqa: E402, F401
    Open311Request,
    Open311Token,
    ServiceAttribute,
    ServiceAttributeValue,
)


class IdempotentCreate(models.Model):
    """A create request sent with an `Idempotency-Key`: the same caller sending the same key to the same
    endpoint again gets the first object back (`shaobao.api.idempotency`), as `POST /demands` does with its
    key on the demand. The unique key decides when two requests race; the loser reads the winner's row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)  # the endpoint, e.g. "powers"
    key = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="api_idempotent_create_once")
        ]

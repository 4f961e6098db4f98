"""Issuing and revoking API tokens (the only writes the API app owns)."""

from __future__ import annotations

from django.db import transaction

from shaobao.api.models import PREFIX_LENGTH, ApiToken, hash_token, new_raw_token
from shaobao.core import audit


def do_issue_token(*, user, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """Create a token for `user`; the raw token is returned once and never stored."""
    raw = new_raw_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, key_hash=hash_token(raw), prefix=raw[:PREFIX_LENGTH]
        )
        audit.record(token, "api_token.issued", actor=actor or user, data={"prefix": token.prefix})
    return token, raw


def do_revoke_token(*, token_id: int, actor=None) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id)
        if not token.revoked:
            token.revoked = True
            token.save(update_fields=["revoked"])
            audit.record(token, "api_token.revoked", actor=actor, data={"prefix": token.prefix})
    return token

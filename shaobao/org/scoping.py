"""Who may see what: the one place that turns a user's memberships into a scope.

Lists are filtered with `Model.objects.visible_to(user)`; single objects are fetched with the
`access_*(user, ...)` functions, which raise `NotFound` for objects outside the user's organisation
(we do not reveal that they exist) and `Forbidden` when the user is anonymous or has no role.
"""

from __future__ import annotations

# The scope itself is computed next to the memberships it is made of (org.models), so that the
# querysets' visible_to can use it without org.models and org.scoping importing each other.
from shaobao.org.models import EMPTY_SCOPE, Division, Scope, scope_of

__all__ = ["EMPTY_SCOPE", "Scope", "district_of", "scope_of"]


def district_of(user) -> Division | None:
    scope = scope_of(user)
    if not scope.district_prefixes:
        return (
            Division.objects.filter(level="district").order_by("code").first() if scope.is_superuser else None
        )
    return Division.objects.filter(code=Division.full_code(scope.district_prefixes[0])).first()

"""Domain errors shared by every app.

Services raise these; the web views and the JSON API turn them into a message or into
`{"error": {"code", "message", "fields"}}` with the status below.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", *, fields: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """An illegal state transition or a concurrent change: nothing was written."""

    status = 409
    code = "conflict"

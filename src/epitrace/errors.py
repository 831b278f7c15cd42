"""Domain exceptions, raised by services and mapped once to problem details or error pages.

Messages are English msgids marked with `N_`; they are translated when rendered, in the
language of the request.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when shown."""
    return message


class DomainError(Exception):
    """Base class: an HTTP status, a stable code and a translatable message."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        params: dict[str, Any] | None = None,
        fields: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}
        # field name -> msgid, for forms that show an error beside each field
        self.fields = fields or {}
        if code is not None:
            self.code = code

    def details(self) -> dict[str, Any]:
        """Extra members of the problem document, built in the request's language."""
        return {}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries, on the API and on pages alike."""
        return {}


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class SignInRequired(Unauthorized):
    """Nobody is signed in. `audience` names the sign-in page that helps: citizens sign in
    with a phone number and a one-time code, staff with a username and password."""

    code = "unauthenticated"

    def __init__(self, message: str, *, audience: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.audience = audience  # "citizen" | "staff" | "any"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Gone(DomainError):
    status_code = 410
    code = "gone"


class TooManyRequests(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, retry_after)

    def details(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class ServiceBusy(TooManyRequests):
    """The database stayed busy with other writes for longer than a request may wait."""

    status_code = 503
    code = "busy"

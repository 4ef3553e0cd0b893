"""Domain errors. Each class name is the stable ``Code`` of the API contract.

They derive from :class:`chalice.ChaliceUnhandledError` so that Chalice hands them to the
``errors_to_http`` middleware in ``app.py`` — the one place that turns them into responses
(Chalice's own view-error path cannot carry headers such as ``Retry-After``).
"""

from __future__ import annotations

from chalice import ChaliceUnhandledError


class SidenoteError(ChaliceUnhandledError):
    """Base of every error a client may see. ``STATUS_CODE`` is the HTTP status."""

    STATUS_CODE = 400

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    @property
    def code(self) -> str:
        return type(self).__name__


class InvalidRequest(SidenoteError):
    """The request is malformed (bad JSON, bad query parameter)."""


class InvalidComment(SidenoteError):
    """A comment field is missing or invalid; the message names the field."""


class InvalidThread(SidenoteError):
    """The ``thread`` key is missing or not acceptable."""


class InvalidCursor(SidenoteError):
    """The pagination cursor was not issued by this API."""


class Unauthorized(SidenoteError):
    STATUS_CODE = 401


class Forbidden(SidenoteError):
    """A valid moderator key of another site."""

    STATUS_CODE = 403


class Banned(SidenoteError):
    STATUS_CODE = 403


class ThreadLocked(SidenoteError):
    STATUS_CODE = 403


class OriginNotAllowed(SidenoteError):
    STATUS_CODE = 403


class EditNotAllowed(SidenoteError):
    STATUS_CODE = 403


class SiteNotFound(SidenoteError):
    STATUS_CODE = 404


class ParentNotFound(SidenoteError):
    STATUS_CODE = 404


class CommentNotFound(SidenoteError):
    STATUS_CODE = 404


class NotFound(SidenoteError):
    STATUS_CODE = 404


class BanNotFound(SidenoteError):
    STATUS_CODE = 404


class InvalidTransition(SidenoteError):
    """A moderation action that cannot apply (e.g. restoring a comment its author erased)."""

    STATUS_CODE = 409


class SiteExists(SidenoteError):
    STATUS_CODE = 409


class CommentTooLarge(SidenoteError):
    STATUS_CODE = 413


class RequestTooLarge(SidenoteError):
    STATUS_CODE = 413


class IdempotencyKeyReused(SidenoteError):
    STATUS_CODE = 422


class RateLimited(SidenoteError):
    STATUS_CODE = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ReadOnly(SidenoteError):
    STATUS_CODE = 503

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Unavailable(SidenoteError):
    """The database cannot serve this read right now (no fallback answered)."""

    STATUS_CODE = 503

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})

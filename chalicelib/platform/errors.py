"""Domain errors. Each class name is the stable ``Code`` of the API contract.

They derive from :class:`chalice.ChaliceUnhandledError` so that Chalice hands them to the
``edge`` middleware (``chalicelib/routes/middleware.py``), the one place that turns them
into responses (Chalice's own view-error path cannot carry headers such as ``Retry-After``).
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
    """No moderator key, or one that is unknown or revoked."""

    STATUS_CODE = 401


class Forbidden(SidenoteError):
    """A valid moderator key of another site."""

    STATUS_CODE = 403


class Banned(SidenoteError):
    """The author (e-mail, IP address or range) is banned from this site."""

    STATUS_CODE = 403


class ThreadLocked(SidenoteError):
    """A moderator has closed this thread to new comments."""

    STATUS_CODE = 403


class OriginNotAllowed(SidenoteError):
    """A public write from an origin the site does not allow."""

    STATUS_CODE = 403


class EditNotAllowed(SidenoteError):
    """A wrong edit token, or the time to edit or delete has passed."""

    STATUS_CODE = 403


class SiteNotFound(SidenoteError):
    """No site has this id."""

    STATUS_CODE = 404


class ParentNotFound(SidenoteError):
    """The comment replied to does not exist or is not approved."""

    STATUS_CODE = 404


class CommentNotFound(SidenoteError):
    """No comment of this site has this id (or its author deleted it)."""

    STATUS_CODE = 404


class NotFound(SidenoteError):
    """Nothing at this address (a page, a report, a note)."""

    STATUS_CODE = 404


class BanNotFound(SidenoteError):
    """This site has no ban with this id."""

    STATUS_CODE = 404


class InvalidTransition(SidenoteError):
    """A moderation action that cannot apply (e.g. restoring a comment its author erased)."""

    STATUS_CODE = 409


class SiteExists(SidenoteError):
    """A site with this id exists already."""

    STATUS_CODE = 409


class CommentTooLarge(SidenoteError):
    """The comment (or its request body) is longer than the site allows."""

    STATUS_CODE = 413


class RequestTooLarge(SidenoteError):
    """The request body is larger than the API accepts."""

    STATUS_CODE = 413


class IdempotencyKeyReused(SidenoteError):
    """The Idempotency-Key was used before with another body."""

    STATUS_CODE = 422


class RateLimited(SidenoteError):
    """Too many requests from here; wait Retry-After seconds."""

    STATUS_CODE = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ReadOnly(SidenoteError):
    """Writes are refused for now (read-only switch, or the store refuses them)."""

    STATUS_CODE = 503

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Unavailable(SidenoteError):
    """The database cannot serve this read right now (no fallback answered)."""

    STATUS_CODE = 503

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class SecretUnavailable(SidenoteError):
    """The deployment secret is missing or can't be read: nothing that needs it (posting,
    editing, deleting, moderation) can be done; reads still work."""

    STATUS_CODE = 503

    def __init__(self, message: str, *, retry_after: int = 30) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})

"""Query parameters shared by the blueprints."""

from __future__ import annotations

from chalice.app import Request

from chalicelib.platform.validation import normalize_thread_key


def query(request: Request, name: str) -> str | None:
    """A query parameter's (first) value, or None."""
    return (request.query_params or {}).get(name)


def thread_key(request: Request) -> str:
    """The normalised ``thread`` parameter (InvalidThread when missing or unacceptable)."""
    return normalize_thread_key(query(request, "thread"))


def optional_thread_key(request: Request) -> str | None:
    """The normalised ``thread`` parameter, or None when the request names no thread."""
    return thread_key(request) if query(request, "thread") is not None else None

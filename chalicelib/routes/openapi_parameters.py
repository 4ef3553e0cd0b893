"""The query, header and path parameters of the OpenAPI document, written by hand with the
limits of the modules that enforce them (read at call time)."""

from __future__ import annotations

from typing import Any

from chalicelib.moderation import service as moderation
from chalicelib.platform import validation as v
from chalicelib.routes import threads
from chalicelib.routes.openapi_types import (
    Schema,
    array,
    comment_id,
    ecma,
    integer,
    string,
    thread_key,
)
from chalicelib.store import comments


def _param(name: str, where: str, schema: Schema, description: str = "", **extra: Any) -> Schema:
    found: Schema = {"name": name, "in": where, "required": False, "schema": schema, **extra}
    if description:
        found["description"] = description
    return found


def parameters() -> dict[str, Schema]:
    """Query and header parameters, by the name operations use for them."""
    page = {"minimum": v.PAGE_MIN, "maximum": v.PAGE_MAX}
    return {
        "thread": _param("thread", "query", thread_key(), required=True),
        "thread-optional": _param(
            "thread", "query", thread_key(), "Only this thread (default: the whole site)."
        ),
        "threads": _param(
            "thread", "query",
            array(thread_key(), minItems=1, maxItems=comments.MAX_COUNT_THREADS),
            "Repeat for each thread: `?thread=A&thread=B`.",
            required=True, style="form", explode=True,
        ),
        "cursor": _param("cursor", "query", string(), "The cursor of the previous page."),
        "limit": _param("limit", "query", integer(**page, default=v.PAGE_DEFAULT)),
        "moderation-limit": _param(
            "limit", "query", integer(**page, default=moderation.PAGE_DEFAULT)
        ),
        "sort": _param("sort", "query", string(enum=list(threads.SORTS), default=threads.SORTS[0])),
        "moderation-sort": _param(
            "sort", "query", string(enum=list(threads.SORTS), default="newest")
        ),
        "status": _param(
            "status", "query", string(enum=list(moderation.STATUSES), default="pending")
        ),
        "day": _param(
            "day", "query", string(format="date"),
            "A UTC day, today or earlier (default: the latest digest).",
        ),
        "v": _param(
            "v", "query", string(),
            "The asset's content version: with the current one it is cached for good.",
        ),
        "Idempotency-Key": _param(
            "Idempotency-Key", "header", string(pattern=ecma(v.IDEMPOTENCY_KEY)),
            "A retry with the same key and body returns the first response; another body "
            "with the same key is refused.",
        ),
        "X-Edit-Token": _param(
            "X-Edit-Token", "header", string(), "The edit_token of the posted comment.",
            required=True,
        ),
        "If-None-Match": _param(
            "If-None-Match", "header", string(), "An earlier ETag: 304 if unchanged."
        ),
    }  # fmt: skip


def path_parameters() -> dict[str, Schema]:
    """Path parameters, by their name in the route table."""
    site = ecma(v.SITE_ID)
    return {
        "site": string(pattern=site, description="The site's id."),
        "comment_id": comment_id(),
        "ban_id": string(description="The id of a ban."),
        "name": string(pattern=site.removesuffix("$") + r"\.js$", description="`<site id>.js`"),
        "page": string(pattern=r"^[a-z0-9][a-z0-9-]*$", description="A demo page's name."),
    }

"""The OpenAPI 3.1 document of every route in ``app.py``, served at ``GET /openapi.json``.

The contract itself is ``API.md``; this is its machine-readable form. ``tests/test_openapi.py``
checks that the (path, method) pairs here are exactly the app's route table, so adding a route
without describing it fails the tests.

Adding a route is a few lines in :data:`PATHS`::

    "/sites/{site}/moderation/threads": {
        "patch": moderation(
            "lockThread", "Lock or unlock a thread",
            params=["thread"], body="ThreadLock", ok=json_ok("ThreadView"),
            errors={400: ["InvalidRequest", "InvalidThread"], 404: ["SiteNotFound"]},
        ),
    },

``op``/``moderation`` add the responses every such route shares (the site's 404, storage
503, 415 for non-JSON bodies, 401/403 for moderator keys); ``errors`` names the stable
``Code`` values per status. Schemas, parameters and headers are declared once in the
``components`` below and referenced by name.

Imported lazily (only by the ``/openapi.json`` route), so its size costs no cold start.
"""

from __future__ import annotations

import copy
from typing import Any

VERSION = "1.0.0"
ULID_PATTERN = "^[0-9A-HJKMNP-TV-Z]{26}$"
SITE_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$"
JSON = "application/json"

Schema = dict[str, Any]


# --- small helpers ------------------------------------------------------------------------


def ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def nullable(schema: Schema) -> Schema:
    """JSON Schema 2020-12 (OpenAPI 3.1): ``type: [T, "null"]``."""
    return {**schema, "type": [schema["type"], "null"]}


def obj(required: list[str] | None = None, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def content(schema: Schema, media: str = JSON) -> dict[str, Any]:
    return {media: {"schema": schema}}


def json_ok(
    schema_name: str, description: str = "OK", headers: list[str] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": content(ref(schema_name)),
    }
    if headers:
        response["headers"] = {name: ref(name, "headers") for name in headers}
    return response


def cacheable_ok(schema: Schema, media: str = JSON, description: str = "OK") -> dict[str, Any]:
    """A cacheable 200: ``ETag`` + ``Cache-Control`` (max-age, stale-while-revalidate,
    stale-if-error); ``If-None-Match`` with the same ETag gives 304."""
    return {
        "description": description,
        "headers": {
            "ETag": ref("ETag", "headers"),
            "Cache-Control": ref("CacheControl", "headers"),
        },
        "content": content(schema, media),
    }


def error(codes: list[str], description: str | None = None) -> dict[str, Any]:
    """An error response: ``{"Code", "Message"}`` with ``Code`` one of ``codes``."""
    headers = sorted({h for code in codes for h in ERROR_HEADERS.get(code, ())})
    response: dict[str, Any] = {
        "description": description or ", ".join(codes),
        "content": content({"allOf": [ref("Error")], "properties": {"Code": {"enum": codes}}}),
    }
    if headers:
        response["headers"] = {name: ref(name.replace("-", ""), "headers") for name in headers}
    return response


def _merge_errors(*tables: dict[int, list[str]]) -> dict[int, list[str]]:
    merged: dict[int, list[str]] = {}
    for table in tables:
        for status, codes in table.items():
            merged.setdefault(status, [])
            merged[status] += [c for c in codes if c not in merged[status]]
    return merged


def op(
    operation_id: str,
    summary: str,
    *,
    tag: str = "public",
    params: tuple[str, ...] | list[str] = (),
    body: str | None = None,
    ok: dict[str, Any] | None = None,
    status: int = 200,
    extra: dict[int, dict[str, Any]] | None = None,
    errors: dict[int, list[str]] | None = None,
    site: bool = True,
    write: bool = False,
    cacheable: bool = False,
    storage: bool = True,
    description: str | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """One operation. ``params`` name components/parameters; ``body`` a components/schemas
    request body (JSON: adds 415); ``site`` adds the ``{site}`` parameter and 404
    ``SiteNotFound``; ``write`` adds 403 ``OriginNotAllowed`` (public writes from an origin
    the site does not allow); ``cacheable`` adds ``If-None-Match`` and 304; ``storage`` adds
    503 ``Unavailable``."""
    shared: dict[int, list[str]] = {}
    names = list(params)
    if site:
        names.insert(0, "site")
        shared[404] = ["SiteNotFound"]
    if write:
        shared[403] = ["OriginNotAllowed"]
    if body:
        shared[413] = ["RequestTooLarge"]
        shared[415] = ["UnsupportedMediaType"]
    if storage:
        shared[503] = ["Unavailable"]
    if cacheable:
        names.append("If-None-Match")
    responses: dict[str, Any] = {str(status): ok or {"description": "OK"}}
    for code, response in (extra or {}).items():
        responses[str(code)] = response
    if cacheable:
        responses["304"] = ref("NotModified", "responses")
    for code, codes in sorted(_merge_errors(errors or {}, shared).items()):
        responses[str(code)] = error(codes)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if names:
        operation["parameters"] = [ref(name, "parameters") for name in names]
    if body:
        operation["requestBody"] = {"required": True, "content": content(ref(body))}
    if security is not None:
        operation["security"] = security
    return operation


def moderation(operation_id: str, summary: str, **kwargs: Any) -> dict[str, Any]:
    """A moderation route: ``Authorization: Bearer <moderator key>``; 401 for a missing or
    unknown key, 403 for a key of another site. No CORS grant, no origin check."""
    kwargs["errors"] = _merge_errors(
        kwargs.get("errors") or {}, {401: ["Unauthorized"], 403: ["Forbidden"]}
    )
    return op(operation_id, summary, tag="moderation", security=[{"moderatorKey": []}], **kwargs)


def static_get(operation_id: str, summary: str, media: str, **kwargs: Any) -> dict[str, Any]:
    """A static asset or page: cacheable, no site, no storage."""
    return op(
        operation_id, summary, tag="static", site=False, storage=False, cacheable=True,
        ok=cacheable_ok(string(), media), **kwargs,
    )  # fmt: skip


# --- components ---------------------------------------------------------------------------

#: Response headers that come with an error ``Code``.
ERROR_HEADERS = {
    "RateLimited": ["Retry-After"],
    "ReadOnly": ["Retry-After"],
    "Unavailable": ["Retry-After"],
}

TIME = string(format="date-time", description="RFC 3339 UTC, e.g. 2026-11-25T16:00:00Z")
NULLABLE_TIME = nullable(TIME)
COMMENT_ID = string(pattern=ULID_PATTERN, description="A ULID (26 characters, time-ordered).")
THREAD_KEY = string(
    minLength=1,
    maxLength=512,
    description="A thread key chosen by the blog: a post id (`post-123`) or the page path "
    "(`/2009/02/outage.html`). Normalised: trimmed, NFC, a trailing `/` is not significant, "
    "no control characters.",
)
PUBLIC_COMMENT_FIELDS: dict[str, Schema] = {
    "id": COMMENT_ID,
    "parent": nullable({**COMMENT_ID, "description": "The id of the comment replied to."}),
    "author": string(description="Empty for a deleted comment."),
    "website": nullable(string(format="uri")),
    "avatar": nullable(string(description="A short hash for a generated avatar.")),
    "html": string(description="Sanitised HTML, rendered once at write time."),
    "created": TIME,
    "edited": NULLABLE_TIME,
    "deleted": {
        "type": "boolean",
        "description": "A tombstone: a deleted comment kept because it has replies.",
    },
}
STATUS = string(enum=["approved", "pending", "queued"])

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["Code", "Message"],
        Code=string(description="Stable machine-readable code."),
        Message=string(description="A sentence a person can act on."),
    ),
    "Thread": obj(
        ["key", "title", "url", "locked", "count"],
        key=THREAD_KEY,
        title=nullable(string()),
        url=nullable(string()),
        locked={"type": "boolean"},
        count={
            "type": "integer",
            "minimum": 0,
            "description": "Approved, not deleted comments.",
        },
    ),
    "PublicComment": obj(list(PUBLIC_COMMENT_FIELDS), **PUBLIC_COMMENT_FIELDS),
    "CommentWithStatus": {
        "allOf": [ref("PublicComment")],
        "properties": {"status": STATUS},
        "required": ["status"],
    },
    "ThreadPage": obj(
        ["thread", "comments", "cursor"],
        thread=ref("Thread"),
        comments={"type": "array", "items": ref("PublicComment")},
        cursor=nullable(string(description="Opaque; null on the last page.")),
    ),
    "NewComment": obj(
        ["text"],
        text=string(
            minLength=1,
            maxLength=20000,
            description="Markdown. The site's max_length applies (at most 20000).",
        ),
        author=string(maxLength=80, description="Required when the site requires it."),
        email=string(
            format="email", maxLength=254, description="Never shown publicly. Site may require it."
        ),
        website=string(format="uri", maxLength=512, description="An http(s) URL."),
        parent=COMMENT_ID,
        title=string(maxLength=300, description="The page title (kept for the thread)."),
        url=string(format="uri", maxLength=2048, description="The page URL (kept for the thread)."),
    ),
    "PostedComment": obj(
        ["comment", "edit_token", "edit_until"],
        comment=ref("CommentWithStatus"),
        edit_token=string(description="Send as X-Edit-Token to edit or delete, until edit_until."),
        edit_until=TIME,
    ),
    "CommentEdit": obj(["text"], text=string(minLength=1, maxLength=20000)),
    "EditedComment": obj(["comment"], comment=ref("CommentWithStatus")),
    "CountsRequest": obj(
        ["threads"], threads={"type": "array", "items": THREAD_KEY, "minItems": 1, "maxItems": 100}
    ),
    "Counts": obj(
        ["counts"],
        counts={
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0},
            "description": "Thread keys exactly as given → approved comment count.",
        },
    ),
    "Health": obj(
        ["status", "region"],
        status=string(enum=["ok", "down"]),
        region=string(),
        latency_ms={"type": "number"},
        reason=string(),
        state=string(
            enum=["ok", "degraded", "down", "unknown"],
            description="The probes' confirmed state of this region (degraded still serves).",
        ),
        since=TIME,
        report_at=TIME,
    ),
    "OpenAPIDocument": {"type": "object", "description": "This document."},
    # --- health reports (chalicelib/statuspage.py, digest.py) ---
    "Status": obj(
        ["status", "generated", "regions", "notes"],
        status=string(enum=["ok", "degraded", "down", "unknown"]),
        generated=TIME,
        regions={
            "type": "array",
            "items": obj(
                ["region", "status"],
                region=string(),
                status=string(enum=["ok", "degraded", "down", "unknown"]),
                since=NULLABLE_TIME,
                reason=string(description="Why, in plain words (empty when ok)."),
                updated=NULLABLE_TIME,
                changing_to=string(description="A state seen but not yet confirmed."),
                report={"type": ["object", "null"], "description": "The latest probe report."},
                timeline={
                    "type": "array",
                    "description": "Last 24 h, one slot per 15 minutes.",
                    "items": obj(
                        ["start", "state"],
                        start=TIME,
                        state=string(enum=["ok", "degraded", "down", "none"]),
                        ok={"type": "integer"},
                        degraded={"type": "integer"},
                        down={"type": "integer"},
                    ),
                },
            ),
        },
        notes={"type": "array", "items": ref("StatusNote")},
    ),
    "StatusNote": obj(
        ["id", "summary", "text", "created"],
        id=COMMENT_ID,
        summary=string(description="The first line (at most 140 characters)."),
        text=string(),
        site=nullable(string(description="Only this site (null: everyone).")),
        created=TIME,
        updated=TIME,
        resolved=NULLABLE_TIME,
        resolution=nullable(string()),
    ),
    "SiteStatus": obj(
        ["site", "status", "read_only", "note", "show_note"],
        site=string(),
        region=string(),
        status=string(enum=["ok", "degraded", "down", "unknown"]),
        read_only={"type": "boolean"},
        message=nullable(string(description="The read-only message.")),
        note={
            "type": ["object", "null"],
            "properties": {
                "id": COMMENT_ID,
                "summary": string(),
                "created": TIME,
                "url": string(format="uri"),
            },
        },
        show_note={
            "type": "boolean",
            "description": "True when the widget should show the note's summary: there is an "
            "active note and the site is degraded, down or read-only.",
        },
    ),
    "Digest": {
        "type": "object",
        "required": ["site", "day", "comments", "queue"],
        "properties": {
            "site": string(),
            "day": string(format="date"),
            "generated": TIME,
            "partial": {"type": "boolean", "description": "Today: the figures so far."},
            "comments": obj(
                posted={"type": "integer"},
                approved={"type": "integer"},
                held={"type": "integer"},
                spam={"type": "integer"},
                deleted={"type": "integer"},
            ),
            "queue": obj(queued={"type": "integer"}, refused={"type": "integer"}),
            "availability_percent": {"type": ["number", "null"]},
            "ok_percent": {"type": ["number", "null"]},
            "p95_probe_latency_ms": {"type": ["number", "null"]},
            "probes": {"type": "integer"},
            "regions": {"type": "object"},
        },
    },
}

PARAMETERS: dict[str, Schema] = {
    "site": {
        "name": "site",
        "in": "path",
        "required": True,
        "description": "The site's public id.",
        "schema": string(pattern=SITE_PATTERN),
    },
    "comment_id": {
        "name": "comment_id",
        "in": "path",
        "required": True,
        "schema": COMMENT_ID,
    },
    "thread": {
        "name": "thread",
        "in": "query",
        "required": True,
        "schema": THREAD_KEY,
    },
    "day": {
        "name": "day",
        "in": "query",
        "required": False,
        "description": "A UTC day, YYYY-MM-DD (default: the latest digest).",
        "schema": string(format="date"),
    },
    "thread-optional": {
        "name": "thread",
        "in": "query",
        "required": False,
        "description": "Only this thread (default: the whole site).",
        "schema": THREAD_KEY,
    },
    "threads": {
        "name": "thread",
        "in": "query",
        "required": True,
        "description": "Repeat for each thread: `?thread=A&thread=B` (1-100).",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": THREAD_KEY, "minItems": 1, "maxItems": 100},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "Opaque, from the previous page.",
        "schema": string(),
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
    },
    "sort": {
        "name": "sort",
        "in": "query",
        "required": False,
        "schema": string(enum=["oldest", "newest"], default="oldest"),
    },
    "version": {
        "name": "v",
        "in": "query",
        "required": False,
        "description": "The asset's content version: with the current one it is cached forever.",
        "schema": string(),
    },
    "name": {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "`<site id>.js`",
        "schema": string(pattern="^[a-z0-9][a-z0-9-]{1,62}\\.js$"),
    },
    "page": {"name": "page", "in": "path", "required": True, "schema": string()},
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "The same key with the same body returns the first response again and "
        "creates nothing; with another body: 422 IdempotencyKeyReused.",
        "schema": string(pattern="^[!-~]{1,128}$"),
    },
    "X-Edit-Token": {
        "name": "X-Edit-Token",
        "in": "header",
        "required": True,
        "description": "The edit_token returned when the comment was posted.",
        "schema": string(),
    },
    "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An ETag from an earlier response: 304 when unchanged.",
        "schema": string(),
    },
}

HEADERS: dict[str, Schema] = {
    "ETag": {"schema": string()},
    "CacheControl": {
        "description": "Short max-age plus stale-while-revalidate and stale-if-error.",
        "schema": string(),
    },
    "RetryAfter": {"description": "Seconds to wait before retrying.", "schema": string()},
}

RESPONSES: dict[str, Schema] = {
    "NotModified": {
        "description": "Not modified (If-None-Match matched the ETag).",
        "headers": {"ETag": ref("ETag", "headers")},
    },
}

SECURITY_SCHEMES: dict[str, Schema] = {
    "moderatorKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A moderator API key (`sidenote key create`); it reaches one site only.",
    },
}

# --- paths: one entry per route of app.py ---------------------------------------------------

READ_ERRORS = {400: ["InvalidRequest", "InvalidThread"]}
POST_ERRORS = {
    400: ["InvalidComment", "InvalidRequest", "InvalidThread"],
    403: ["Banned", "ThreadLocked"],
    404: ["ParentNotFound"],
    413: ["CommentTooLarge"],
    422: ["IdempotencyKeyReused"],
    429: ["RateLimited"],
    503: ["ReadOnly"],
}
OWN_EDIT_ERRORS = {403: ["EditNotAllowed"], 404: ["CommentNotFound"], 503: ["ReadOnly"]}

PATHS: dict[str, dict[str, Any]] = {
    "/sites/{site}/comments": {
        "get": op(
            "listComments",
            "A page of a thread's approved comments",
            params=["thread", "cursor", "limit", "sort"],
            cacheable=True,
            ok=cacheable_ok(ref("ThreadPage")),
            errors={400: ["InvalidRequest", "InvalidThread", "InvalidCursor"]},
            description="Unknown thread: 200 with no comments and count 0. A deleted comment "
            "with replies stays as a tombstone.",
        ),
        "post": op(
            "postComment",
            "Post a comment",
            params=["thread", "Idempotency-Key"],
            body="NewComment",
            write=True,
            status=201,
            ok=json_ok("PostedComment", "Stored: status approved or pending (held)."),
            extra={202: json_ok("PostedComment", "Durably queued (status queued); stored later.")},
            errors=POST_ERRORS,
        ),
    },
    "/sites/{site}/comments/{comment_id}": {
        "patch": op(
            "editOwnComment",
            "The author edits their comment (within the edit window)",
            params=["comment_id", "X-Edit-Token"],
            body="CommentEdit",
            write=True,
            ok=json_ok("EditedComment"),
            errors={
                400: ["InvalidComment", "InvalidRequest"],
                413: ["CommentTooLarge"],
                **OWN_EDIT_ERRORS,
            },
        ),
        "delete": op(
            "deleteOwnComment",
            "The author deletes their comment (within the edit window)",
            params=["comment_id", "X-Edit-Token"],
            write=True,
            status=204,
            ok={"description": "Deleted."},
            errors=OWN_EDIT_ERRORS,
        ),
    },
    "/sites/{site}/counts": {
        "get": op(
            "getCounts",
            "Approved comment counts of up to 100 threads",
            params=["threads"],
            cacheable=True,
            ok=cacheable_ok(ref("Counts")),
            errors=READ_ERRORS,
        ),
        "post": op(
            "postCounts",
            "Counts of up to 100 threads (keys in the body)",
            body="CountsRequest",
            write=True,
            cacheable=True,
            ok=cacheable_ok(ref("Counts")),
            errors=READ_ERRORS,
        ),
    },
    "/sites/{site}/feed.atom": {
        "get": op(
            "getFeed",
            "Atom 1.0 feed of the latest approved comments (site or thread)",
            params=["thread-optional"],
            cacheable=True,
            ok=cacheable_ok(string(), "application/atom+xml"),
            errors=READ_ERRORS,
        ),
    },
    "/health": {
        "get": op(
            "health",
            "Can this region serve? (Route 53 health checks)",
            tag="service",
            site=False,
            storage=False,
            ok=json_ok("Health"),
            extra={503: json_ok("Health", "This region cannot serve.")},
        ),
    },
    # --- health reports ---
    "/status": {
        "get": op(
            "status",
            "The latest health reports, states, 24 h timelines and notes (JSON)",
            tag="service",
            site=False,
            storage=False,
            ok=json_ok("Status"),
            extra={503: json_ok("Status", "The status store doesn't answer (status down).")},
        ),
    },
    "/status.html": {
        "get": op(
            "statusPage",
            "The status page for people",
            tag="service",
            site=False,
            storage=False,
            ok={"description": "OK", "content": content(string(), "text/html")},
            description="503 (same page, status down) when the status store doesn't answer.",
        ),
    },
    "/status.atom": {
        "get": op(
            "statusFeed",
            "Atom 1.0 feed of the operators' incident notes",
            tag="service",
            site=False,
            cacheable=True,
            ok=cacheable_ok(string(), "application/atom+xml"),
        ),
    },
    "/sites/{site}/status": {
        "get": op(
            "siteStatus",
            "This region's state, the site's read-only switch and the active note (widget)",
            cacheable=True,
            ok=cacheable_ok(ref("SiteStatus")),
        ),
    },
    "/sites/{site}/moderation/report": {
        "get": moderation(
            "moderationReport",
            "The site's daily digest (comments, queue events, availability, p95 latency)",
            params=["day"],
            ok=json_ok("Digest"),
            errors={400: ["InvalidRequest"], 404: ["NotFound"]},
        ),
    },
    "/openapi.json": {
        "get": op(
            "openapi",
            "This document",
            tag="service",
            site=False,
            storage=False,
            cacheable=True,
            ok=cacheable_ok(ref("OpenAPIDocument")),
        ),
    },
    "/embed.js": {
        "get": static_get("embedJs", "The comment widget", "text/javascript", params=["version"]),
    },
    "/haloscan/{name}": {
        "get": static_get(
            "haloscanJs",
            "Haloscan-compatible script for a site",
            "text/javascript",
            params=["name"],
            errors={404: ["NotFound"]},
        ),
    },
    "/demo": {"get": static_get("demoIndex", "The demo blog", "text/html")},
    "/demo/{page}": {
        "get": static_get(
            "demoPage",
            "A page of the demo blog",
            "text/html",
            params=["page"],
            errors={404: ["NotFound"]},
        ),
    },
}


# --- moderation (chalicelib/moderation.py, auth.py) ------------------------------------------

MODERATION_STATUS = string(enum=["pending", "approved", "spam", "deleted"])
SCHEMAS.update(
    {
        "ModerationComment": {
            "allOf": [ref("PublicComment")],
            "properties": {
                "status": MODERATION_STATUS,
                "thread": THREAD_KEY,
                "email": nullable(string(format="email")),
                "ip_hash": nullable(string(description="Keyed hash of the poster's IP.")),
                "text": string(description="The Markdown source."),
                "url": nullable(string()),
                "prior": nullable(string(description="Status before spam/delete.")),
                "has_replies": {"type": "boolean"},
                "restorable": {"type": "boolean"},
            },
            "required": ["status", "thread", "email", "ip_hash", "text"],
        },
        "ModerationPage": obj(
            ["comments", "cursor"],
            comments={"type": "array", "items": ref("ModerationComment")},
            cursor=nullable(string(description="Opaque; null on the last page.")),
        ),
        "ModeratedComment": obj(["comment"], comment=ref("ModerationComment")),
        "BulkRequest": obj(
            ["action", "ids"],
            action=string(enum=["approve", "spam", "delete", "restore"]),
            ids={"type": "array", "items": COMMENT_ID, "minItems": 1, "maxItems": 100},
        ),
        "BulkResult": obj(
            ["results"],
            results={
                "type": "array",
                "items": obj(["id"], id=string(), status=MODERATION_STATUS, error=ref("Error")),
            },
        ),
        "BanRequest": {
            "type": "object",
            "description": "Exactly one of comment (its author: e-mail and IP; range adds the "
            "IP's /24 or /48), ip (an address or a /24 / /48 range) or email.",
            "properties": {
                "comment": COMMENT_ID,
                "range": {"type": "boolean"},
                "ip": string(),
                "email": string(format="email"),
                "days": {"type": "number", "minimum": 1, "maximum": 3650},
                "reason": string(maxLength=500),
            },
        },
        "Ban": obj(
            ["id", "target", "label", "reason", "created", "until", "active"],
            id=COMMENT_ID,
            target=string(enum=["email", "ip", "net", "comment"]),
            label=string(description="What the ban covers; never an IP address."),
            reason=string(),
            created=TIME,
            until=NULLABLE_TIME,
            active={"type": "boolean"},
            by=nullable(string(description="Id of the moderator key that made it.")),
        ),
        "BanCreated": obj(["ban"], ban=ref("Ban")),
        "Bans": obj(["bans"], bans={"type": "array", "items": ref("Ban")}),
        "ThreadLock": obj(["locked"], locked={"type": "boolean"}),
        "ThreadResult": obj(["thread"], thread=ref("Thread")),
        "Settings": obj(
            None,
            id=string(),
            name=string(),
            origins={"type": "array", "items": string()},
            moderation=string(enum=["none", "first-time", "links", "all"]),
            edit_window_minutes={"type": "integer", "minimum": 0, "maximum": 10080},
            max_length={"type": "integer", "minimum": 10, "maximum": 20000},
            require_author={"type": "boolean"},
            require_email={"type": "boolean"},
            notify_email=nullable(string(format="email")),
            read_only=string(description="Empty: open. Otherwise the message readers see."),
            created=TIME,
        ),
        "SettingsResult": obj(["settings"], settings=ref("Settings")),
        "AuditEntry": obj(
            ["id", "time", "key_id", "action", "target", "before", "after"],
            id=COMMENT_ID,
            time=TIME,
            key_id=string(),
            key_name=string(),
            action=string(
                enum=[
                    "approve",
                    "spam",
                    "delete",
                    "restore",
                    "edit",
                    "ban",
                    "unban",
                    "lock",
                    "unlock",
                    "settings",
                ]
            ),
            target=string(description="comment:<id>, ban:<id>, thread:<key> or settings."),
            before={"description": "The state before (null when created)."},
            after={"description": "The state after (null when removed)."},
        ),
        "AuditPage": obj(
            ["entries", "cursor"],
            entries={"type": "array", "items": ref("AuditEntry")},
            cursor=nullable(string()),
        ),
    }
)
PARAMETERS.update(
    {
        "status": {
            "name": "status",
            "in": "query",
            "required": False,
            "schema": {**MODERATION_STATUS, "default": "pending"},
        },
        "moderation-sort": {
            "name": "sort",
            "in": "query",
            "required": False,
            "schema": string(enum=["newest", "oldest"], default="newest"),
        },
        "moderation-limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
        },
        "ban_id": {"name": "ban_id", "in": "path", "required": True, "schema": COMMENT_ID},
    }
)
#: Every moderation route: 429 after repeated failed keys from one IP.
AUTH_THROTTLE = {429: ["RateLimited"]}
ACTION_ERRORS = {404: ["CommentNotFound"], 409: ["InvalidTransition"], **AUTH_THROTTLE}


def _action(operation_id: str, summary: str) -> dict[str, Any]:
    return {
        "post": moderation(
            operation_id,
            summary,
            params=["comment_id"],
            ok=json_ok("ModeratedComment"),
            errors=ACTION_ERRORS,
        )
    }


PATHS.update(
    {
        "/sites/{site}/moderation/comments": {
            "get": moderation(
                "listModerationComments",
                "Comments by status (default: the pending queue), newest first",
                params=[
                    "status",
                    "thread-optional",
                    "cursor",
                    "moderation-limit",
                    "moderation-sort",
                ],
                ok=json_ok("ModerationPage"),
                errors={400: ["InvalidRequest", "InvalidThread", "InvalidCursor"], **AUTH_THROTTLE},
            ),
        },
        "/sites/{site}/moderation/comments/{comment_id}": {
            "patch": moderation(
                "editCommentAsModerator",
                "Edit a comment's text (re-rendered)",
                params=["comment_id"],
                body="CommentEdit",
                ok=json_ok("ModeratedComment"),
                errors={
                    400: ["InvalidComment", "InvalidRequest"],
                    413: ["CommentTooLarge"],
                    **ACTION_ERRORS,
                },
            ),
        },
        "/sites/{site}/moderation/comments/{comment_id}/approve": _action(
            "approveComment", "Approve (publish) a comment"
        ),
        "/sites/{site}/moderation/comments/{comment_id}/spam": _action(
            "markSpam", "Mark a comment as spam"
        ),
        "/sites/{site}/moderation/comments/{comment_id}/delete": _action(
            "deleteCommentAsModerator", "Delete a comment (restorable)"
        ),
        "/sites/{site}/moderation/comments/{comment_id}/restore": _action(
            "restoreComment", "Restore a deleted or spam comment to its earlier status"
        ),
        "/sites/{site}/moderation/bulk": {
            "post": moderation(
                "bulkModerate",
                "Apply one action to up to 100 comments (each on its own)",
                body="BulkRequest",
                ok=json_ok("BulkResult"),
                errors={400: ["InvalidRequest"], **AUTH_THROTTLE},
            ),
        },
        "/sites/{site}/moderation/bans": {
            "post": moderation(
                "createBan",
                "Ban a comment's author, an IP (or /24, /48 range) or an e-mail",
                body="BanRequest",
                status=201,
                ok=json_ok("BanCreated", "Created."),
                errors={400: ["InvalidRequest"], 404: ["CommentNotFound"], **AUTH_THROTTLE},
            ),
            "get": moderation(
                "listBans",
                "The site's bans, newest first",
                ok=json_ok("Bans"),
                errors=AUTH_THROTTLE,
            ),
        },
        "/sites/{site}/moderation/bans/{ban_id}": {
            "delete": moderation(
                "deleteBan",
                "Lift a ban",
                params=["ban_id"],
                status=204,
                ok={"description": "Lifted."},
                errors={404: ["BanNotFound"], **AUTH_THROTTLE},
            ),
        },
        "/sites/{site}/moderation/threads": {
            "patch": moderation(
                "lockThread",
                "Lock or unlock a thread",
                params=["thread"],
                body="ThreadLock",
                ok=json_ok("ThreadResult"),
                errors={400: ["InvalidRequest", "InvalidThread"], **AUTH_THROTTLE},
            ),
        },
        "/sites/{site}/moderation/settings": {
            "get": moderation(
                "getSettings",
                "The site's settings",
                ok=json_ok("SettingsResult"),
                errors=AUTH_THROTTLE,
            ),
            "patch": moderation(
                "updateSettings",
                "Change some of the site's settings",
                body="Settings",
                ok=json_ok("SettingsResult"),
                errors={400: ["InvalidRequest"], **AUTH_THROTTLE},
            ),
        },
        "/sites/{site}/moderation/audit": {
            "get": moderation(
                "getAuditLog",
                "Every moderation action: key id, action, target, "
                "before → after, time; newest first",
                params=["cursor", "moderation-limit"],
                ok=json_ok("AuditPage"),
                errors={400: ["InvalidCursor"], **AUTH_THROTTLE},
            ),
        },
        "/moderate": {"get": static_get("moderationPage", "The moderation page", "text/html")},
        "/moderate.js": {
            "get": static_get(
                "moderationScript",
                "The moderation page's script",
                "text/javascript",
                params=["version"],
            ),
        },
    }
)


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with ``base_url`` as its server (a fresh copy)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "sidenote",
                "version": VERSION,
                "summary": "Comments for blogs.",
                "description": 'Errors are `{"Code", "Message"}` with the status and Code '
                "listed per operation. Public routes echo CORS grants only to the site's "
                "allowed origins; writes from other origins get 403 OriginNotAllowed.",
            },
            "servers": [{"url": base_url or "/"}],
            "tags": [
                {"name": "public", "description": "Readers and the widget (CORS per site)."},
                {"name": "moderation", "description": "Moderators, with a per-site API key."},
                {"name": "service", "description": "Health and this document."},
                {"name": "static", "description": "The widget script and the demo pages."},
            ],
            "paths": PATHS,
            "components": {
                "schemas": SCHEMAS,
                "parameters": PARAMETERS,
                "headers": HEADERS,
                "responses": RESPONSES,
                "securitySchemes": SECURITY_SCHEMES,
            },
        }
    )

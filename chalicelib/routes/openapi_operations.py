"""What the route table cannot tell about each operation, keyed by view name.

The builder (:mod:`chalicelib.routes.openapi`) derives the rest: path, method, operation id,
summary (the view's docstring), path parameters, security (the route's authorizer), request
content types (the route's ``content_types``) and the errors every route of a kind shares:

- ``{site}`` in the path: 404 ``SiteNotFound``;
- a public write (POST, PATCH, DELETE with a site, no moderator key): 403 ``OriginNotAllowed``;
- a request body: 400 ``InvalidRequest``, 413 ``RequestTooLarge`` (unless the operation
  names ``CommentTooLarge``), 415 ``UnsupportedMediaType``;
- :func:`~chalicelib.resilience.guard.storage_guard`: 503 ``Unavailable`` on reads (and the
  ``degraded`` flag), 503 ``ReadOnly`` on writes;
- a moderator key: 401 ``Unauthorized``, 403 ``Forbidden``, 429 ``RateLimited``,
  503 ``Unavailable``.

``errors`` below names only the other codes a view may answer with (class names of
:mod:`chalicelib.platform.errors`; the status is the class's ``STATUS_CODE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

JSON = "application/json"
HTML = "text/html"
JS = "text/javascript"
ATOM = "application/atom+xml"
XML = "text/xml"


@dataclass(frozen=True)
class Op:
    """One operation's hand-written facts.

    ``ok``: success status → a schema name of :data:`~.openapi_schemas.SCHEMAS`, or ``""``
    for no body. ``media``: the success content type (``JSON``: the schema is a component;
    otherwise the body is a string of that type). ``params``: names of
    :data:`~.openapi_schemas.PARAMETERS`. ``cacheable``: ETag, ``If-None-Match`` and 304.
    """

    ok: dict[int, str] = field(default_factory=lambda: {200: ""})
    media: str = JSON
    params: tuple[str, ...] = ()
    body: str | None = None
    errors: tuple[str, ...] = ()
    cacheable: bool = False
    description: str | None = None
    #: The errors' content type: JSON ``{"Code","Message"}``, or a string of this type.
    error_media: str = JSON
    #: What the request body is, when it is not JSON.
    body_note: str | None = None


def static(media: str, *params: str, errors: tuple[str, ...] = ()) -> Op:
    """A cacheable text page or script."""
    return Op(ok={200: "text"}, media=media, params=params, errors=errors, cacheable=True)


ACTION = Op(ok={200: "ModeratedComment"}, errors=("CommentNotFound", "InvalidTransition"))
COMMENT_ERRORS = ("InvalidComment", "CommentTooLarge")

OPERATIONS: dict[str, Op] = {
    # --- threads ---
    "list_comments": Op(
        ok={200: "ThreadPage"}, params=("thread", "cursor", "limit", "sort"), cacheable=True,
        errors=("InvalidRequest", "InvalidThread", "InvalidCursor"),
        description="An unknown thread is 200 with no comments and count 0. A deleted comment "
        "with replies stays as a tombstone.",
    ),
    "post_comment": Op(
        ok={201: "PostedComment", 202: "PostedComment"}, params=("thread", "Idempotency-Key"),
        body="NewComment",
        errors=(*COMMENT_ERRORS, "InvalidThread", "Banned", "ThreadLocked", "ParentNotFound",
                "IdempotencyKeyReused", "RateLimited"),
        description="201: stored, with status approved or pending (held for a moderator). "
        "202: the table refused the write; the comment is queued (status queued) and stored "
        "shortly with the same id. 503 ReadOnly: neither took it, or the site is read-only.",
    ),
    "edit_comment": Op(
        ok={200: "EditedComment"}, params=("X-Edit-Token",), body="CommentEdit",
        errors=(*COMMENT_ERRORS, "EditNotAllowed", "CommentNotFound"),
    ),
    "delete_comment": Op(
        ok={204: ""}, params=("X-Edit-Token",), errors=("EditNotAllowed", "CommentNotFound")
    ),
    "get_counts": Op(
        ok={200: "Counts"}, params=("threads",), cacheable=True,
        errors=("InvalidRequest", "InvalidThread"),
    ),
    "post_counts": Op(
        ok={200: "Counts"}, body="CountsRequest", cacheable=True, errors=("InvalidThread",)
    ),
    "feed": Op(
        ok={200: "text"}, media=ATOM, params=("thread-optional",), cacheable=True,
        errors=("InvalidThread",),
    ),
    "preflight": Op(
        ok={204: ""},
        description="The CORS grant (Access-Control-Allow-Origin) comes only for an origin "
        "the site allows.",
    ),
    # --- linkbacks ---
    "receive_trackback": Op(
        ok={200: "text", 202: "text"}, media=XML, params=("thread",), body="TrackbackPing",
        error_media=XML, body_note="Form-encoded (TrackBack 1.2).",
        errors=("InvalidComment", "InvalidThread", "Banned", "ThreadLocked", "RateLimited"),
        description="TrackBack 1.2: `<response><error>0</error></response>` when stored (202: "
        "queued while the table refuses writes); every refusal is `<error>1</error>` with a "
        "`<message>` (XML, not JSON). Stored as a comment of type trackback under the site's "
        "moderation policy.",
    ),
    "trackback_method": Op(
        ok={200: "text"}, media=XML,
        description="TrackBack pings are POSTs: a GET is answered `<error>1</error>` (200, as "
        "the specification answers refused pings) with `Allow: POST`.",
    ),
    "receive_webmention": Op(
        ok={202: "WebmentionAccepted"}, body="WebmentionRequest",
        body_note="Form-encoded (Webmention, W3C Recommendation).",
        errors=("InvalidComment", "InvalidThread", "Banned", "RateLimited"),
        description="Accepted at once, verified asynchronously: the source is fetched and "
        "must link to the target; it is stored as a comment of type webmention (a re-send "
        "updates it; a source answering 404/410 removes it).",
    ),
    # --- moderation ---
    "moderation_list": Op(
        ok={200: "ModerationPage"},
        params=("status", "thread-optional", "cursor", "moderation-limit", "moderation-sort"),
        errors=("InvalidRequest", "InvalidThread", "InvalidCursor"),
    ),
    "moderation_approve": ACTION,
    "moderation_spam": ACTION,
    "moderation_delete": ACTION,
    "moderation_restore": ACTION,
    "moderation_edit": Op(
        ok={200: "ModeratedComment"}, body="CommentEdit",
        errors=(*COMMENT_ERRORS, "CommentNotFound", "InvalidTransition"),
    ),
    "moderation_bulk": Op(
        ok={200: "BulkResult"}, body="BulkRequest",
        description="Each comment on its own: one that fails carries its error in the result.",
    ),
    "moderation_ban": Op(ok={201: "BanCreated"}, body="BanRequest", errors=("CommentNotFound",)),
    "moderation_bans": Op(ok={200: "Bans"}),
    "moderation_unban": Op(ok={204: ""}, errors=("BanNotFound",)),
    "moderation_lock": Op(
        ok={200: "ThreadResult"}, params=("thread",), body="ThreadLock", errors=("InvalidThread",)
    ),
    "moderation_settings": Op(ok={200: "SettingsResult"}),
    "moderation_update_settings": Op(ok={200: "SettingsResult"}, body="SettingsChange"),
    "moderation_audit": Op(
        ok={200: "AuditPage"}, params=("cursor", "moderation-limit"),
        errors=("InvalidRequest", "InvalidCursor"),
    ),
    "moderation_report": Op(
        ok={200: "Digest"}, params=("day",), errors=("InvalidRequest", "NotFound")
    ),
    "moderate_page": static(HTML),
    "moderate_js": static(JS, "v"),
    # --- health ---
    "health": Op(
        ok={200: "Health", 503: "Health"},
        description="503 when this region cannot serve (its store fails or the probe finds it "
        "down): Route 53 then sends readers to another region.",
    ),
    "status_json": Op(
        ok={200: "Status", 503: "Status"},
        description="503 (status down) when the status store itself doesn't answer.",
    ),
    "status_html": Op(
        ok={200: "text", 503: "text"}, media=HTML,
        description="503 (the same page, status down) when the status store doesn't answer.",
    ),
    "status_atom": Op(ok={200: "text"}, media=ATOM, cacheable=True),
    "site_status": Op(ok={200: "SiteStatus"}, cacheable=True),
    # --- pages ---
    "embed_js": static(JS, "v"),
    "haloscan_js": static(JS, errors=("NotFound",)),
    "demo_index": static(HTML),
    "demo_page": static(HTML, errors=("NotFound",)),
    "openapi": Op(ok={200: "OpenAPIDocument"}, cacheable=True),
}  # fmt: skip

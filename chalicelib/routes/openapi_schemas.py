"""The hand-written part of the OpenAPI document: request-body and response schemas.

Everything else (paths, methods, operation ids, summaries, security, content types, error
responses) is derived by :mod:`chalicelib.routes.openapi`; parameters are in
:mod:`.openapi_parameters`. Every limit below is the constant of the module that enforces it,
never a literal restated here. Schemas are plain JSON Schema 2020-12 objects with no
``allOf``, so each one lists every field a response carries.
"""

from __future__ import annotations

from typing import Any

from chalicelib.health import reports
from chalicelib.moderation import service as moderation
from chalicelib.platform import validation as v
from chalicelib.routes.openapi_types import (
    ANY_JSON,
    BOOLEAN,
    COUNT,
    HTTP_URL,
    REQUIRED_LINE,
    REQUIRED_TEXT,
    SINGLE_LINE,
    Schema,
    array,
    comment_id,
    ecma,
    integer,
    nullable,
    obj,
    string,
    thread_key,
)
from chalicelib.store import comments, sites


def components() -> dict[str, dict[str, Schema]]:
    """The hand-written ``schemas`` (request bodies and responses), read from the enforcing
    modules' constants at call time."""
    TIME = string(format="date-time", description="RFC 3339, UTC: 2026-11-25T16:00:00Z.")
    NULLABLE_TIME = nullable(TIME)
    COMMENT_ID = comment_id()
    EMAIL = string(pattern=ecma(v.EMAIL), maxLength=v.MAX_EMAIL)
    THREAD_KEY = thread_key()
    STATE = string(enum=[*reports.STATES, "unknown"])
    CURSOR = nullable(string(description="Opaque; null on the last page."))

    def text(max_length: int, *, required: bool = False, multiline: bool = False, **extra: Any):
        """A comment field of validation.py: trimmed, NFC, no control characters."""
        pattern = (REQUIRED_TEXT if multiline else REQUIRED_LINE) if required else SINGLE_LINE
        return string(maxLength=max_length, pattern=pattern, **extra)

    PUBLIC_COMMENT: dict[str, Schema] = {
        "id": COMMENT_ID,
        "parent": nullable({**COMMENT_ID, "description": "The id of the comment replied to."}),
        "author": string(description="Empty for an anonymous or deleted comment."),
        "website": nullable(string()),
        "avatar": nullable(string(description="A short hash for a generated avatar.")),
        "html": string(description="Sanitised HTML, rendered at write time (empty when deleted)."),
        "created": TIME,
        "edited": NULLABLE_TIME,
        "deleted": {**BOOLEAN, "description": "A tombstone kept because the comment has replies."},
        "type": string(
            enum=["comment", "trackback", "webmention", "pingback"],
            description="A linkback (not `comment`): `author` is the linking site or its "
            "author, `website` the linking page, `html` its title and an excerpt.",
        ),
    }
    PUBLIC_STATUS = string(
        enum=["approved", "pending", "queued"],
        description="pending: held for a moderator; queued: accepted while the table refused "
        "writes, stored shortly.",
    )
    THREAD = obj(
        ["key", "title", "url", "locked", "count"],
        key=THREAD_KEY,
        title=nullable(string()),
        url=nullable(string()),
        locked=BOOLEAN,
        count={**COUNT, "description": "Approved comments, not counting deleted ones."},
        linkbacks={
            **COUNT,
            "description": "Approved linkbacks (trackbacks, webmentions); in a thread page.",
        },
    )
    MODERATION_COMMENT = obj(
        **PUBLIC_COMMENT,
        status=string(enum=list(moderation.STATUSES)),
        thread=THREAD_KEY,
        email=nullable(string()),
        ip_hash=nullable(string(description="Keyed hash of the poster's IP address.")),
        text=string(description="The Markdown source."),
        url=nullable(string()),
        prior=nullable(string(description="The status before a moderator's spam or delete.")),
        has_replies=BOOLEAN,
        restorable=BOOLEAN,
    )
    ERROR = obj(Code=string(), Message=string())
    BAN = obj(
        id=COMMENT_ID,
        target=string(enum=["email", "ip", "net", "comment"]),
        label=string(description="What the ban covers; never an IP address."),
        reason=string(),
        created=TIME,
        until=NULLABLE_TIME,
        active=BOOLEAN,
        by=nullable(string(description="The moderator key that made it (null: the operator).")),
    )
    SETTINGS_LIMITS: dict[str, Schema] = {
        "name": string(minLength=1, maxLength=sites.MAX_SITE_NAME),
        "origins": array(string(description="scheme://host[:port]")),
        "moderation": string(enum=list(sites.MODERATION_MODES)),
        "edit_window_minutes": integer(minimum=0, maximum=sites.MAX_EDIT_WINDOW_MINUTES),
        "max_length": integer(minimum=sites.MIN_MAX_LENGTH, maximum=v.MAX_TEXT_CEILING),
        "require_author": BOOLEAN,
        "require_email": BOOLEAN,
        "notify_email": nullable(EMAIL),
        "read_only": string(
            maxLength=sites.MAX_READ_ONLY_MESSAGE,
            description="Empty: open. Otherwise the message readers see while writes are refused.",
        ),
    }
    PROBE_REPORT: Schema = {
        "type": ["object", "null"],
        "description": "The latest probe report (empty before the first).",
        "properties": {
            "region": string(),
            "at": TIME,
            "state": string(enum=list(reports.STATES)),
            "reason": string(),
            "interval": {"type": "number"},
            "checks": array(
                obj(
                    name=string(),
                    state=string(enum=list(reports.STATES)),
                    detail=string(),
                    values={"type": "object"},
                )
            ),
        },
    }
    STATUS_REGION = obj(
        ["region", "status", "since", "reason", "updated", "report", "timeline"],
        region=string(),
        status=STATE,
        since=NULLABLE_TIME,
        reason=string(description="Why, in plain words (empty when ok)."),
        updated=NULLABLE_TIME,
        changing_to=string(enum=list(reports.STATES), description="Seen, not yet confirmed."),
        report=PROBE_REPORT,
        timeline=array(
            obj(
                start=TIME,
                state=string(enum=[*reports.STATES, "none"]),
                **{state: COUNT for state in reports.STATES},
            ),
            description="The last 24 hours, one slot per 15 minutes.",
        ),
    )
    STATUS_NOTE = obj(
        id=COMMENT_ID,
        summary=string(description="The first line: what the widget shows."),
        text=string(),
        site=nullable(string(description="Only this site (null: every site).")),
        created=TIME,
        updated=TIME,
        resolved=NULLABLE_TIME,
        resolution=nullable(string()),
    )
    DIGEST_FIGURES = {
        "availability_percent": nullable({"type": "number"}),
        "ok_percent": nullable({"type": "number"}),
        "p95_probe_latency_ms": nullable({"type": "number"}),
        "probes": COUNT,
    }

    SCHEMAS: dict[str, Schema] = {
        # --- threads (requests) ---
        "NewComment": obj(
            ["text"],
            text=text(
                v.MAX_TEXT_CEILING,
                required=True,
                multiline=True,
                description="Markdown; the site's max_length applies.",
            ),
            author=nullable(text(v.MAX_AUTHOR, description="Required when the site says so.")),
            email=nullable(
                {**EMAIL, "description": "Never shown. Required when the site says so."}
            ),
            website=nullable(string(maxLength=v.MAX_WEBSITE, pattern=HTTP_URL)),
            parent=nullable({**COMMENT_ID, "description": "The approved comment replied to."}),
            title=nullable(text(v.MAX_TITLE, description="The page title (kept for the thread).")),
            url=nullable(string(maxLength=v.MAX_URL, pattern=HTTP_URL)),
            hp=nullable(string(description="Leave empty (a honeypot for bots).")),
        ),
        "CommentEdit": obj(text=text(v.MAX_TEXT_CEILING, required=True, multiline=True)),
        "CountsRequest": obj(
            threads=array(THREAD_KEY, minItems=1, maxItems=comments.MAX_COUNT_THREADS)
        ),
        # --- threads (responses) ---
        "ThreadPage": obj(thread=THREAD, comments=array(obj(**PUBLIC_COMMENT)), cursor=CURSOR),
        "PostedComment": obj(
            comment=obj(**PUBLIC_COMMENT, status=PUBLIC_STATUS),
            edit_token=string(description="Send as X-Edit-Token to edit or delete."),
            edit_until=TIME,
        ),
        "EditedComment": obj(comment=obj(**PUBLIC_COMMENT, status=PUBLIC_STATUS)),
        "Counts": obj(
            counts={
                "type": "object",
                "additionalProperties": COUNT,
                "description": "Each thread key exactly as given → its approved comments.",
            },
            trackbacks={
                "type": "object",
                "additionalProperties": COUNT,
                "description": "Each thread key exactly as given → its approved linkbacks "
                "(trackbacks and webmentions), counted apart from comments.",
            },
        ),
        "TrackbackPing": obj(
            required=["url"],
            url=string(maxLength=512, description="The linking post (http or https)."),
            title=string(description="Its title."),
            excerpt=string(description="An excerpt (kept up to 500 characters)."),
            blog_name=string(description="The linking blog's name."),
        ),
        "WebmentionRequest": obj(
            source=string(maxLength=512, description="The page that links (http or https)."),
            target=string(
                maxLength=512,
                description="A page of this site (one of its origins); its path is the thread key.",
            ),
        ),
        "WebmentionAccepted": obj(
            status=string(enum=["queued"]),
            source=string(),
            target=string(),
            thread=THREAD_KEY,
        ),
        # --- moderation (requests) ---
        "BulkRequest": obj(
            action=string(enum=list(moderation.ACTIONS)),
            ids=array(string(), minItems=1, maxItems=moderation.MAX_BULK),
        ),
        "BanRequest": {
            **obj(
                [],
                comment=nullable(COMMENT_ID),
                range=nullable(
                    {**BOOLEAN, "description": "With comment: its IP's /24 or /48 too."}
                ),
                ip=nullable(string(description="An address, an IPv4 /24 or an IPv6 /48.")),
                email=nullable(EMAIL),
                days=nullable(
                    {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": sites.MAX_BAN_DAYS,
                        "description": "Null: forever.",
                    }
                ),
                reason=nullable(string(maxLength=sites.MAX_BAN_REASON)),
            ),
            "oneOf": [{"required": [name]} for name in ("comment", "ip", "email")],
            "description": "Exactly one of comment (its author), ip or email.",
        },
        "ThreadLock": obj(locked=BOOLEAN),
        "SettingsChange": obj([], **SETTINGS_LIMITS),
        # --- moderation (responses) ---
        "ModerationPage": obj(comments=array(MODERATION_COMMENT), cursor=CURSOR),
        "ModeratedComment": obj(comment=MODERATION_COMMENT),
        "BulkResult": obj(
            results=array(
                obj(["id"], id=string(), status=string(enum=list(moderation.STATUSES)), error=ERROR)
            )
        ),
        "BanCreated": obj(ban=BAN),
        "Bans": obj(bans=array(BAN)),
        "ThreadResult": obj(thread=THREAD),
        "SettingsResult": obj(
            settings=obj(id=string(), **SETTINGS_LIMITS, created=TIME),
        ),
        "AuditPage": obj(
            entries=array(
                obj(
                    id=COMMENT_ID,
                    time=TIME,
                    key_id=string(),
                    key_name=string(),
                    action=string(
                        description="approve, spam, delete, restore, edit, ban, unban, "
                        "lock, unlock or settings."
                    ),
                    target=string(description="comment:<id>, ban:<id>, thread:<key> or settings."),
                    before={**ANY_JSON, "description": "The state before (null: created)."},
                    after={**ANY_JSON, "description": "The state after (null: removed)."},
                )
            ),
            cursor=CURSOR,
        ),
        "Digest": obj(
            ["site", "day", "generated", "comments", "queue", *DIGEST_FIGURES, "regions"],
            site=string(),
            day=string(format="date"),
            generated=TIME,
            partial={**BOOLEAN, "description": "Today: the figures so far."},
            comments=obj(
                **{name: COUNT for name in ("posted", "approved", "held", "spam", "deleted")}
            ),
            queue=obj(queued=COUNT, refused=COUNT),
            **DIGEST_FIGURES,
            regions={
                "type": "object",
                "description": "Per region: its probes, and how many found it ok, degraded, down.",
                "additionalProperties": obj(
                    [], **DIGEST_FIGURES, **{state: COUNT for state in reports.STATES}
                ),
            },
        ),
        # --- health ---
        "Health": obj(
            ["status", "region", "state"],
            status=string(enum=["ok", "down"]),
            region=string(),
            state=STATE,
            reason=string(),
            latency_ms={"type": "number"},
            since=NULLABLE_TIME,
            report_at=TIME,
        ),
        "Status": obj(
            ["status", "generated", "regions", "notes"],
            status=STATE,
            generated=TIME,
            reason=string(description="Only when the status store itself doesn't answer."),
            regions=array(STATUS_REGION),
            notes=array(STATUS_NOTE),
            active_notes=COUNT,
        ),
        "SiteStatus": obj(
            site=string(),
            region=string(),
            status=STATE,
            read_only=BOOLEAN,
            message=nullable(string(description="Why writes are refused.")),
            note=nullable(obj(id=COMMENT_ID, summary=string(), created=TIME, url=string())),
            show_note={**BOOLEAN, "description": "Show the note: trouble or read-only."},
        ),
        "OpenAPIDocument": {"type": "object", "description": "This document."},
    }
    return {"schemas": SCHEMAS}

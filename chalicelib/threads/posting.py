"""The one posting path: every new comment goes through :func:`post`.

1. :func:`prepare` applies the site's rules (read-only, bans, the per-IP rate limit, the
   spam checks) and decides everything about the comment — id, HTML, status (through
   :mod:`chalicelib.threads.status`) — without writing it;
2. :func:`store` writes it in one idempotent transaction (``store.comments.store_new``)
   and answers the spam guards folded into it → 201;
3. when the table refuses or times out (or its write breaker is open), the prepared
   comment goes to the durable write queue → 202 ``"status": "queued"``; the queue's
   consumer later calls the same :func:`store` with the same id;
4. when the queue fails too → 503 ``ReadOnly`` with ``Retry-After``; the widget keeps the
   draft and retries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Set
from typing import Any

from ulid import ULID

from chalicelib.moderation import notify
from chalicelib.platform import clock, config, tokens
from chalicelib.platform.errors import (
    Banned,
    InvalidComment,
    RateLimited,
    ReadOnly,
    SidenoteError,
)
from chalicelib.platform.logs import logger
from chalicelib.platform.validation import (
    EMAIL,
    MAX_AUTHOR,
    MAX_EMAIL,
    MAX_TITLE,
    MAX_URL,
    MAX_WEBSITE,
    NewComment,
    xml_safe,
)
from chalicelib.resilience import switches, writequeue
from chalicelib.store import comments, replicas, sites
from chalicelib.store.comments import PreparedComment
from chalicelib.store.ephemeral import idempotency, ratelimit
from chalicelib.store.sites import SiteConfig
from chalicelib.threads import spam, status

QUEUE_RETRY_AFTER = 60


def check_writable(site: SiteConfig) -> None:
    """Raise ReadOnly when an operator has switched the service or this site to read-only."""
    message = config.settings.read_only_message or switches.service_message() or site.read_only
    if message:
        raise ReadOnly(message, retry_after=300)


def check_not_banned(site: SiteConfig, *, email: str | None, ip: str | None) -> None:
    if sites.is_banned(site, email=email, ip=ip):
        raise Banned("You can't comment on this site.")


def prepare(
    site: SiteConfig,
    key: str,
    new: NewComment,
    *,
    ip: str | None,
    idempotency_key: str | None = None,
    body_hash: str | None = None,
    type: str = "comment",
) -> PreparedComment:
    """Check the site's rules for a new comment and decide everything about it.

    ``type``: ``comment``, or a linkback received from another site (``trackback``,
    ``webmention``; see :mod:`chalicelib.linkbacks`). Raises ReadOnly, Banned, RateLimited
    (per IP, and from spam checks).
    """
    from chalicelib.platform.render import render

    check_writable(site)
    check_not_banned(site, email=new.email, ip=ip)
    if ip:
        ratelimit.hit(f"{site.id}#{ratelimit.rate_key(ip)}",
                      limit=config.settings.rate_limit_per_minute)  # fmt: skip
    ip_hash, net_hash = sites.ip_hashes(ip) if ip else (None, None)
    verdict = spam.screen(site, key, new, ip_hash=ip_hash, idempotency_key=idempotency_key)
    known = site.moderation == "first-time" and sites.is_known_author(site.id, new.email)
    created = clock.now()
    author = new.author or ""
    return PreparedComment(
        id=str(ULID()), site=site.id, thread=key,
        status=status.decide(site.moderation, new.text, honeypot=bool(new.honeypot),
                             known_author=known, verdicts=[verdict],
                             linkback=type != "comment"),
        net_hash=net_hash, text=new.text, html=render(new.text), author=author,
        email=new.email, website=new.website,
        avatar=tokens.keyed_hash("avatar", f"{site.id}/{author.lower()}", 16),
        ip_hash=ip_hash, parent=new.parent, title=new.title, url=new.url,
        created=clock.rfc3339(created),
        edit_until=clock.rfc3339(created + site.edit_window_minutes * 60),
        region=config.settings.region, idempotency_key=idempotency_key, body_hash=body_hash,
        **spam.guards(site, new, ip_hash=ip_hash, idempotency_key=idempotency_key), type=type,
    )  # fmt: skip


#: The kinds of comment a source may hold.
IMPORTED_TYPES = frozenset({"comment", "pingback", "trackback", "webmention"})
#: The longest imported text (a new comment's ceiling is lower; an item holds ≤ 400 KB).
MAX_IMPORTED_TEXT = 60_000


def imported_id(site_id: str, source: str, source_id: str, created_ms: int) -> str:
    """The id of an imported comment: a ULID whose time part is the source's time (threads
    keep the source's order) and whose random part is a hash of (site, source system,
    source id), so every run of the same import gives the same ids."""
    import hashlib

    digest = hashlib.sha256(f"{site_id}\x00{source}\x00{source_id}".encode()).digest()
    return str(ULID.from_bytes(max(0, created_ms).to_bytes(6, "big") + digest[:10]))


def _clean(value: str | None, limit: int | None = None) -> str | None:
    """Text from a source file without control characters (tab and newlines kept), NFC."""
    import unicodedata

    if value is None:
        return None
    value = unicodedata.normalize("NFC", xml_safe(value))
    value = "".join(c for c in value if c in "\t\n\r" or unicodedata.category(c) != "Cc")
    return value.strip()[:limit] if limit else value.strip()


def prepare_imported(
    site: SiteConfig,
    key: str,
    *,
    source: str,
    source_id: str,
    created: float,
    text: str,
    is_html: bool,
    source_status: str,
    kind: str = "comment",
    parent: str | None = None,
    author: str | None = None,
    email: str | None = None,
    website: str | None = None,
    ip: str | None = None,
    title: str | None = None,
    url: str | None = None,
    markdown: str | None = None,
) -> PreparedComment:
    """Decide everything about a comment imported from ``source`` (``disqus``, …).

    Kept from the source: ``source_status`` (:func:`status.from_source`), time (``created``, epoch
    seconds), author, website, type. HTML (``is_html``) is sanitised by the same allow-list
    as rendered Markdown; Markdown/plain text is rendered like a new comment's
    (``markdown``: the Markdown source of HTML given as ``text``, when the source kept
    both). E-mail stored like a native one (an invalid one is dropped), the IP hashed.
    No spam checks, rate limits or edit window (``edit_until = created``). ``parent`` is
    the parent's sidenote id (see :func:`imported_id`). Raises InvalidComment.
    """
    from chalicelib.platform.render import render, sanitize_html

    if kind not in IMPORTED_TYPES:
        raise InvalidComment(f"Unknown comment type {kind!r}.")
    try:
        decided = status.from_source(source_status)
    except ValueError as exc:
        raise InvalidComment(f"Unknown status {source_status!r}.") from exc
    body = _clean(text) or ""
    if len(body) > MAX_IMPORTED_TEXT:
        raise InvalidComment(f"The comment is longer than {MAX_IMPORTED_TEXT} characters.")
    html = sanitize_html(body) if is_html else render(body)
    if is_html:
        body = _clean(markdown) or html
    email = (_clean(email) or "").lower() or None
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        email = None
    website = _clean(website)
    if website and not (len(website) <= MAX_WEBSITE and _is_http_url(website)):
        website = None
    author = _clean(author, MAX_AUTHOR) or ""
    ip_hash, net_hash = sites.ip_hashes(ip.strip()) if ip and ip.strip() else (None, None)
    stamp = clock.rfc3339(created)
    return PreparedComment(
        id=imported_id(site.id, source, source_id, round(created * 1000)), site=site.id,
        thread=key, status=decided, text=body, html=html, author=author, email=email,
        website=website, avatar=tokens.keyed_hash("avatar", f"{site.id}/{author.lower()}", 16),
        ip_hash=ip_hash, net_hash=net_hash, parent=parent, title=_clean(title, MAX_TITLE),
        url=url if url and len(url) <= MAX_URL and _is_http_url(url) else None, created=stamp,
        edit_until=stamp, region=config.settings.region, type=kind, imported=source,
    )  # fmt: skip


def _is_http_url(value: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname) and " " not in value


def store(prepared: PreparedComment) -> tuple[int, dict[str, Any]]:
    """Store a prepared comment; return (HTTP status, body). Idempotent by comment id.

    A refused spam guard is answered here: the site's per-minute ceiling is 429
    ``RateLimited`` while its minute lasts (a queued comment stored later is never
    refused); a duplicate text is stored again with the status the duplicate verdict
    gives. Raises ThreadLocked, ParentNotFound, IdempotencyKeyReused, RateLimited.
    """
    try:
        result = comments.store_new(prepared)
    except comments.GuardRefused as refused:
        return store(_answer_guards(prepared, refused.guards))
    if prepared.status == "pending" and not prepared.imported:
        notify.held(prepared.site, prepared.thread)  # never raises
    return result


#: Imported comments of one thread split into batches that each fit one transaction (in
#: store order: parents before their replies); see :func:`store_imported_batch`.
imported_batches = comments.imported_batches


def store_imported_batch(
    batch: list[PreparedComment], known: Set[str] = frozenset()
) -> list[int | SidenoteError]:
    """Store imported comments of one thread (one batch of :func:`imported_batches`, parents
    before replies) in one transaction; return each comment's outcome: 201 stored, 200
    stored before, or the error that refused it (ParentNotFound).

    Same effects as :func:`store` of each in turn (counter, day figures, parents' reply
    flags, known authors — but ``known``: addresses whose known-author item the caller has
    stored already), in one write. When the batch is refused because some of its
    comments were stored before (a re-run, a resumed run) or a parent is missing, each
    comment goes through :func:`store` instead: those stored before are skipped, the rest
    stored, so counts move exactly once. Storage errors propagate (nothing of the batch
    was written by this call's transaction; a retry is safe).
    """
    try:
        comments.store_imported_batch(batch, known)
    except comments.BatchRefused:
        outcomes: list[int | SidenoteError] = []
        for prepared in batch:
            try:
                outcomes.append(store(prepared)[0])
            except SidenoteError as exc:
                outcomes.append(exc)
        return outcomes
    return [201] * len(batch)


def _answer_guards(prepared: PreparedComment, guards: set[str]) -> PreparedComment:
    if "site_rate" in guards and prepared.site_window:
        start = int(prepared.site_window.rsplit("#", 1)[1])
        now = clock.now()
        if now < start + 60:
            retry_after = max(1, int(start + 60 - now + 0.999))
            raise RateLimited(
                f"This site is receiving too many comments right now. Please wait "
                f"{retry_after} s and send again.",
                retry_after=retry_after,
            )
        return dataclasses.replace(prepared, site_window=None, site_limit=None)
    first = comments.fingerprint_owner(prepared.fingerprint or "")
    verdict = spam.duplicate_verdict(prepared.fingerprint_owner or "", first)
    return dataclasses.replace(
        prepared, status=status.tighten(prepared.status, verdict), fingerprint=None,
        fingerprint_owner=None,
    )  # fmt: skip


def post(
    site: SiteConfig,
    key: str,
    new: NewComment,
    *,
    ip: str | None,
    idempotency_key: str | None,
    body_hash: str | None,
    type: str = "comment",
) -> tuple[int, dict[str, Any]]:
    """Post a new comment (or a ``type`` of linkback): stored (201), or queued while the
    table fails (202).

    A keyed retry gets the first response again. Raises ReadOnly (503 + Retry-After) when
    neither the table nor the queue takes it, and the errors of :func:`prepare`/:func:`store`.
    """
    try:
        prepared = prepare(
            site,
            key,
            new,
            ip=ip,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            type=type,
        )
    except RateLimited:
        replayed = _replay(site, idempotency_key, body_hash)
        if replayed:
            return replayed
        raise
    if not replicas.writes.is_open():
        try:
            return store(prepared)
        except replicas.STORAGE_ERRORS as exc:
            replicas.writes.trip()
            logger.warning("table refuses a comment: queueing", extra={"error": repr(exc)[:300]})
    try:
        writequeue.enqueue(prepared.to_dict())
    except replicas.STORAGE_ERRORS as exc:
        logger.error("queue refuses a comment", extra={"error": repr(exc)[:300]})
        raise ReadOnly(
            "Comments can't be saved right now. Your comment was not sent; please try again "
            "in a minute.",
            retry_after=QUEUE_RETRY_AFTER,
        ) from exc
    return 202, prepared.response(status="queued")


def _replay(site: SiteConfig, key: str | None, body_hash: str | None) -> tuple[int, dict] | None:
    """The first response to a keyed request, if there was one (and storage answers)."""
    if not key:
        return None
    try:
        return idempotency.replay(site.id, key, body_hash or "")
    except replicas.STORAGE_ERRORS:
        return None


def store_queued(body: str) -> tuple[int, dict[str, Any]]:
    """Store one write-queue message (the queue consumer's ``store``). Raises ValueError or
    TypeError for a message that is not a prepared comment."""
    import json

    return store(PreparedComment.from_dict(json.loads(body)))

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
from typing import Any

from ulid import ULID

from chalicelib.moderation import notify
from chalicelib.platform import clock, config, tokens
from chalicelib.platform.errors import Banned, RateLimited, ReadOnly
from chalicelib.platform.logs import logger
from chalicelib.platform.validation import NewComment
from chalicelib.resilience import switches, writequeue
from chalicelib.store import comments, idempotency, ratelimit, replicas, sites
from chalicelib.store.comments import PreparedComment
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
    if prepared.status == "pending":
        notify.held(prepared.site, prepared.thread)  # never raises
    return result


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
            site, key, new, ip=ip, idempotency_key=idempotency_key, body_hash=body_hash,
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

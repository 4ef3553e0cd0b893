"""Webmention (W3C Recommendation): receiving and verifying.

Receiving (:func:`accept`, ``POST /sites/{site}/webmention`` with form fields ``source`` and
``target``): both http(s) URLs, different, the target on one of the site's origins; its path
is the thread key (as the widget's default ``location.pathname``). Bans (by IP) and the
per-IP rate limit apply here; then the mention is queued for verification (:mod:`.queue`)
and the sender gets 202 at once.

Verifying (:func:`verify`, the queue's consumer): fetch the source through
:mod:`.fetch`; then

- 404 or 410 (the source is gone), a source that no longer links to the target, or one
  that may not be fetched: the comment it made is removed (if any);
- 5xx, 429, timeouts, connection failures: raised as :class:`~.fetch.FetchFailed`, so the
  message comes back later (and lands in the dead-letter queue after many tries);
- a source that links to the target: a comment of type ``webmention`` through the posting
  path (spam checks, the site's policy), or — for a mention sent before, known by its
  (site, source, target) reference — the same comment updated and moderated again.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

from chalicelib.linkbacks import extract, fetch
from chalicelib.linkbacks.text import as_comment_text
from chalicelib.linkbacks.trackback import http_url
from chalicelib.platform import clock, config
from chalicelib.platform.errors import Banned, CommentNotFound, InvalidComment, SiteNotFound
from chalicelib.platform.logs import logger
from chalicelib.platform.validation import NewComment, normalize_thread_key
from chalicelib.store import comments, sites
from chalicelib.store.comments import linkbacks as references
from chalicelib.store.ephemeral import ratelimit
from chalicelib.store.sites import SiteConfig
from chalicelib.threads import posting, status


def thread_of(site: SiteConfig, target: str) -> str:
    """The thread key a target URL names on ``site``. Raises InvalidComment."""
    if extract.origin_of(target) not in site.origins:
        raise InvalidComment("The field 'target' must be a page of this site (one of its origins).")
    return normalize_thread_key(urlsplit(target).path or "/")


def accept(site: SiteConfig, fields: dict[str, str], *, ip: str | None) -> dict[str, Any]:
    """Check and queue a webmention; the 202 body. Raises InvalidComment, Banned,
    RateLimited, ReadOnly (and a storage error when the queue refuses it)."""
    from chalicelib.linkbacks import queue

    source = http_url(fields.get("source"), "source")
    target = http_url(fields.get("target"), "target")
    if extract.same_url(source, target):
        raise InvalidComment("The fields 'source' and 'target' must be different URLs.")
    key = thread_of(site, target)
    posting.check_writable(site)
    posting.check_not_banned(site, email=None, ip=ip)
    if ip:
        ratelimit.hit(f"{site.id}#{ratelimit.rate_key(ip)}",
                      limit=config.settings.rate_limit_per_minute)  # fmt: skip
    ip_hash, net_hash = sites.ip_hashes(ip) if ip else (None, None)
    queue.enqueue({
        "site": site.id, "source": source, "target": target, "thread": key,
        "ip_hash": ip_hash, "net_hash": net_hash, "received": clock.rfc3339(),
    })  # fmt: skip
    return {"status": "queued", "source": source, "target": target, "thread": key}


def verify(
    message: dict[str, Any],
    *,
    resolver: fetch.Resolver | None = None,
    allow_loopback: bool = False,
) -> str:
    """Verify one queued webmention; what became of it: ``stored``, ``updated``,
    ``removed``, ``refused`` (not verifiable, nothing stored) or ``dropped`` (site gone,
    banned meanwhile, thread locked). Raises FetchFailed (try again later), a storage error
    (likewise), ValueError/KeyError for a message that is not a webmention."""
    site_id, source, target = message["site"], message["source"], message["target"]
    if not all(isinstance(v, str) for v in (site_id, source, target, message["thread"])):
        raise ValueError("a webmention message names site, source, target and thread")
    try:
        site = sites.get_site(site_id)
    except SiteNotFound:
        return "dropped"
    hashes = {message.get("ip_hash"), message.get("net_hash")} - {None}
    if hashes & set(site.banned_hashes or ()):
        return "dropped"
    try:
        fetched = fetch.fetch(source, resolver=resolver, allow_loopback=allow_loopback)
    except fetch.FetchRefused as exc:
        logger.info("webmention source refused", extra={"reason": str(exc)[:200]})
        return _remove(site, source, target, "refused")
    if fetched.status in {404, 410}:
        return _remove(site, source, target, "removed")
    if fetched.status == 429 or fetched.status >= 500:
        raise fetch.FetchFailed(f"the source answered {fetched.status}")
    if not 200 <= fetched.status < 300:
        return _remove(site, source, target, "refused")
    mention = extract.read(fetched.body, fetched.content_type, fetched.url, target)
    if mention is None:
        return _remove(site, source, target, "refused")
    return _store(site, message, mention)


def _remove(site: SiteConfig, source: str, target: str, outcome: str) -> str:
    """Remove the comment a webmention made (if it made one): ``removed`` then."""
    ref = references.find_ref(site.id, source, target)
    if ref is None:
        return outcome
    try:
        comment = comments.find(site, ref.comment_id)
    except CommentNotFound:
        comment = None
    if comment is not None and comment.status != "deleted":
        comments.erase(comment)
    references.drop_ref(site.id, source, target)
    return "removed"


def _store(site: SiteConfig, message: dict[str, Any], mention: extract.Mention) -> str:
    source, target, key = message["source"], message["target"], message["thread"]
    text = as_comment_text(mention.name, mention.content) or as_comment_text(source, "")
    new = NewComment(text=text[: site.max_length], author=mention.author, website=source)
    ref = references.find_ref(site.id, source, target)
    if ref is not None:
        try:
            comment = comments.find(site, ref.comment_id)
        except CommentNotFound:
            comment = None
        if comment is not None and comment.status != "deleted":
            return _update(site, comment, new)
    try:
        prepared = posting.prepare(site, key, new, ip=None, type="webmention")
    except (InvalidComment, Banned):
        return "dropped"
    prepared = dataclasses.replace(
        prepared, ip_hash=message.get("ip_hash"), net_hash=message.get("net_hash")
    )
    claimed = references.claim_ref(site.id, source, target, prepared.id, key)
    if claimed.comment_id != prepared.id:
        prepared = dataclasses.replace(prepared, id=claimed.comment_id)
    posting.store(prepared)
    return "stored"


def _update(site: SiteConfig, comment: Any, new: NewComment) -> str:
    """A re-sent webmention: new content, moderated again (never keeps an approval the new
    content would not get)."""
    from chalicelib.platform.render import render
    from chalicelib.threads import spam

    verdict = spam.screen(site, comment.thread, new, ip_hash=comment.ip_hash)
    decided = status.decide(site.moderation, new.text, verdicts=[verdict], linkback=True)
    if comment.status in {"pending", "spam"} and decided == "approved":
        decided = comment.status  # a moderator's decision is not undone by a re-send
    if comment.text == new.text and comment.author == new.author and decided == comment.status:
        return "updated"
    references.update_linkback(
        comment, text=new.text, html=render(new.text), author=new.author or "",
        website=new.website, status=decided,
    )  # fmt: skip
    return "updated"

"""Spam defences, built in: no third-party service is needed.

Every new comment passes :func:`screen` after the ban check and the per-IP rate limit
(``comments.prepare``). Each check looks at the candidate and returns a :class:`Verdict`
or ``None`` (no opinion); the strictest verdict wins: ``spam`` > ``hold`` > ``ok``.

Built in:

- ``links``       more than ``SIDENOTE_MAX_LINKS`` links: held for a moderator (a check).
- ``site-rate``   at most ``SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE`` comments per site per minute,
                  whatever their IPs (a spam wave's ceiling): 429 ``RateLimited`` + Retry-After.
- ``duplicate``   the same text (normalised, at least 20 characters) posted on the site in
                  the last 24 hours by someone else: spam; by the same poster (same IP or
                  e-mail): held. A retry with the first post's Idempotency-Key is not a
                  duplicate (the widget retries failed sends that way). Short texts
                  ("Thanks!") are never duplicates.

``site-rate`` and ``duplicate`` are *guards*: :func:`guards` gives the prepared comment
the keys of two conditional updates that the comments gateway folds into the comment's
store transaction, so they cost no extra round trip; the posting path
(``threads.posting.store``) answers a refused guard. A queued comment stored after its
minute has passed is never refused by the site ceiling.

(Verdicts become a status in ``threads.status``, the one place that decides it; per-IP
limits and bans are applied by ``threads.posting.prepare``.)

Pluggable: an external classifier is one more :class:`Check` passed to :func:`register`::

    class Classifier:
        name = "my-classifier"
        def __call__(self, site, candidate):
            return Verdict("spam", "classifier") if score(candidate.text) > 0.9 else None

    spam.register(Classifier())

A check that raises is logged and ignored (fail open: the built-in checks still apply), so
a classifier outage never stops comments; give the check a ``fail_verdict`` attribute
(``"hold"``) to hold comments instead while it is down.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.platform import clock, config, tokens
from chalicelib.platform.logs import logger
from chalicelib.platform.validation import NewComment

OK, HOLD, SPAM = "ok", "hold", "spam"
_RANK = {OK: 0, HOLD: 1, SPAM: 2}
DUPLICATE_MIN_CHARS = 20


@dataclass(frozen=True)
class Verdict:
    action: str  # ok | hold | spam
    reason: str = ""


@dataclass(frozen=True)
class Candidate:
    """What a check may look at. No raw IP: only its keyed hash."""

    site: str
    thread: str
    text: str
    author: str | None
    email: str | None
    website: str | None
    ip_hash: str | None
    idempotency_key: str | None = None


class Check(Protocol):
    name: str

    def __call__(self, site: object, candidate: Candidate) -> Verdict | None: ...


# --- built-in checks ---------------------------------------------------------------------


class LinkLimit:
    """Comments with many links are held for a moderator."""

    name = "links"

    def __call__(self, site: object, candidate: Candidate) -> Verdict | None:
        from chalicelib.platform.render import count_links

        if count_links(candidate.text) > config.settings.max_links:
            return Verdict(HOLD, f"more than {config.settings.max_links} links")
        return None


def text_fingerprint(text: str) -> str | None:
    """A keyed hash of the text with case, spacing and punctuation folded; None if short."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[\W_]+", " ", folded).strip()
    if len(folded) < DUPLICATE_MIN_CHARS:
        return None
    return tokens.keyed_hash("text", folded, 24)


# --- guards: folded into the comment's store transaction (no extra round trip) --------------


def guards(
    site: Any, new: NewComment, *, ip_hash: str | None, idempotency_key: str | None
) -> dict[str, Any]:
    """``PreparedComment`` fields for the per-site ceiling and the duplicate fingerprint.

    Both become conditional updates inside ``comments.store``'s transaction, so a post
    stays one transaction: the site's window counts the comment only if under the limit;
    the fingerprint item is claimed by the first poster of a text (``owner``).
    """
    start = int(clock.now() // 60) * 60
    fields: dict[str, Any] = {
        "site_window": f"RATE#SITE#{site.id}#{start}",
        "site_limit": config.settings.site_rate_limit_per_minute,
    }
    digest = text_fingerprint(new.text)
    if digest:
        poster = tokens.keyed_hash("poster", f"{ip_hash or ''}/{new.email or ''}")
        # The same submission (a retry with its Idempotency-Key, a queue replay of the
        # same prepared comment) passes; any other post of the text is a duplicate.
        submission = (
            tokens.keyed_hash("submission", idempotency_key)
            if idempotency_key
            else secrets.token_hex(8)
        )
        fields["fingerprint"] = f"DUP#{site.id}#{digest}"
        fields["fingerprint_owner"] = f"{submission} {poster}"
    return fields


def duplicate_verdict(mine: str, first: str | None) -> Verdict:
    """The verdict on a text someone claimed first: the same poster again is held (a
    double post), anybody else's copy is spam. ``first`` None: the claim expired meanwhile."""
    if first is None:
        return Verdict(HOLD, "duplicate text")
    if first.partition(" ")[2] == mine.partition(" ")[2]:
        return Verdict(HOLD, "the same text again from the same poster")
    return Verdict(SPAM, "duplicate text")


# --- the pipeline ---------------------------------------------------------------------------

_checks: list[Check] = [LinkLimit()]


def checks() -> list[Check]:
    return list(_checks)


def register(check: Check) -> Callable[[], None]:
    """Add a check (after the built-in ones). Returns a function that removes it again."""
    _checks.append(check)
    return lambda: _checks.remove(check)


def screen(
    site: object,
    thread: str,
    new: NewComment,
    *,
    ip_hash: str | None,
    idempotency_key: str | None = None,
) -> Verdict:
    """Run every check; the strictest verdict. RateLimited propagates (429)."""
    from chalicelib.platform.errors import RateLimited

    candidate = Candidate(
        site=getattr(site, "id", ""), thread=thread, text=new.text, author=new.author,
        email=new.email, website=new.website, ip_hash=ip_hash, idempotency_key=idempotency_key,
    )  # fmt: skip
    worst = Verdict(OK)
    for check in list(_checks):
        try:
            verdict = check(site, candidate)
        except RateLimited:
            raise
        except Exception as exc:  # a broken check must not stop comments
            logger.warning("spam check failed", extra={"check": check.name, "error": repr(exc)})
            fallback = getattr(check, "fail_verdict", None)
            verdict = Verdict(fallback, f"{check.name} unavailable") if fallback else None
        if verdict and _RANK.get(verdict.action, 0) > _RANK[worst.action]:
            worst = verdict
    return worst

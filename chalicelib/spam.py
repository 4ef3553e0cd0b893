"""Spam defences, built in: no third-party service is needed.

Every new comment passes :func:`screen` after the ban check and the per-IP rate limit
(``comments.prepare``). Each check looks at the candidate and returns a :class:`Verdict`
or ``None`` (no opinion); the strictest verdict wins: ``spam`` > ``hold`` > ``ok``.

Built in, in order:

- ``site-rate``   at most ``SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE`` comments per site per minute,
                  whatever their IPs (a spam wave's ceiling): 429 ``RateLimited`` + Retry-After.
- ``links``       more than ``SIDENOTE_MAX_LINKS`` links: held for a moderator.
- ``duplicate``   the same text (normalised, at least 20 characters) posted on the site in
                  the last 24 hours by someone else: spam; by the same poster (same IP or
                  e-mail): held. A retry with the first post's Idempotency-Key is not a
                  duplicate (the widget retries failed sends that way). Short texts
                  ("Thanks!") are never duplicates.

(The honeypot field and the site's moderation mode are applied by
``comments.decide_status``; per-IP limits and bans by ``comments.prepare``.)

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
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chalicelib import clock, config, ratelimit, tokens
from chalicelib.logs import logger
from chalicelib.validation import NewComment

OK, HOLD, SPAM = "ok", "hold", "spam"
_RANK = {OK: 0, HOLD: 1, SPAM: 2}
DUPLICATE_MIN_CHARS = 20
DUPLICATE_WINDOW_SECONDS = 24 * 3600


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


class SiteRate:
    """A ceiling on comments per site per minute (all IPs together)."""

    name = "site-rate"

    def __call__(self, site: object, candidate: Candidate) -> Verdict | None:
        ratelimit.hit(
            f"SITE#{candidate.site}",
            limit=config.settings.site_rate_limit_per_minute,
            message="This site is receiving too many comments right now. Please wait {s} s "
            "and send again.",
        )
        return None


class LinkLimit:
    """Comments with many links are held for a moderator."""

    name = "links"

    def __call__(self, site: object, candidate: Candidate) -> Verdict | None:
        from chalicelib.render import count_links

        if count_links(candidate.text) > config.settings.max_links:
            return Verdict(HOLD, f"more than {config.settings.max_links} links")
        return None


def fingerprint(text: str) -> str | None:
    """A keyed hash of the text with case, spacing and punctuation folded; None if short."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[\W_]+", " ", folded).strip()
    if len(folded) < DUPLICATE_MIN_CHARS:
        return None
    return tokens.keyed_hash("text", folded, 24)


class Duplicate:
    """The same text again on the site within 24 hours (one UpdateItem, no read)."""

    name = "duplicate"

    def __call__(self, site: object, candidate: Candidate) -> Verdict | None:
        from chalicelib.models import Fingerprint

        digest = fingerprint(candidate.text)
        if digest is None:
            return None
        poster = tokens.keyed_hash("poster", f"{candidate.ip_hash or ''}/{candidate.email or ''}")
        submission = (
            tokens.keyed_hash("submission", candidate.idempotency_key)
            if candidate.idempotency_key
            else poster
        )
        item = Fingerprint(f"DUP#{candidate.site}#{digest}", "#")
        item.update(
            actions=[
                Fingerprint.n.add(1),
                Fingerprint.kind.set(Fingerprint),
                Fingerprint.owner.set(Fingerprint.owner | f"{submission} {poster}"),
                Fingerprint.expires.set(clock.at(clock.now() + DUPLICATE_WINDOW_SECONDS)),
            ]
        )
        if int(item.n) <= 1:
            return None
        first_submission, _, first_poster = (item.owner or "").partition(" ")
        if candidate.idempotency_key and first_submission == submission:
            return None  # a retry of the first post
        if first_poster == poster:
            return Verdict(HOLD, "the same text again from the same poster")
        return Verdict(SPAM, "duplicate text")


# --- the pipeline ---------------------------------------------------------------------------

_checks: list[Check] = [SiteRate(), LinkLimit(), Duplicate()]


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
    from chalicelib.errors import RateLimited

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


def apply(status: str, verdict: Verdict) -> str:
    """Combine the moderation mode's status with the screen's verdict (never loosens)."""
    if verdict.action == SPAM or status == "spam":
        return "spam"
    if verdict.action == HOLD and status == "approved":
        return "pending"
    return status

"""Moderator keys on the moderation routes: the authorizer's logic and the route guard.

How a request is authorised
1. API Gateway (and ``chalice local``, and ``chalice.test.Client``) runs the built-in
   authorizer (``chalicelib/routes/moderation.py``) on every ``/sites/{site}/moderation/…`` route. It reads
   ``Authorization: Bearer <key>``; a request without the header is refused by the gateway
   itself (401, before any code runs). The authorizer looks the key up by its SHA-256
   (one GetItem) and *allows* the call with a context: ``status`` = ``ok`` (plus the key's
   id, name and site), ``unknown`` (unknown, revoked or malformed) or ``unavailable``.
   It never denies: a built-in authorizer can only allow or deny, and a deny is API
   Gateway's own 403 with its own body — not the contract's 401 ``Unauthorized`` for an
   unknown key, and invisible to the per-IP throttle below (the authorizer event of a
   TOKEN authorizer carries no source IP).
2. :func:`guard` (HTTP middleware, ``chalicelib/routes/middleware.py``) runs for every path with
   ``/moderation/`` in it, whatever decorator the route has: it turns ``unknown`` into 401
   ``Unauthorized`` (429 once the source address has failed too often, below), a key of
   another site into 403 ``Forbidden``, and re-checks the key itself when the authorizer
   had no answer (``unavailable``) or did not run (a route deployed without it).

Authorizer cache vs revocation: API Gateway caches the authorizer's answer per token for
:data:`CACHE_SECONDS` (30 s). A revoked key therefore keeps working for at most 30 s
(plus global-table replication, typically under a second) — the same bound as the site
settings cache. The moderation API is low-traffic, so a longer cache would save little
and a zero cache would add an authorizer invocation to every click of a bulk action.
``chalice local`` does not cache: locally a revocation applies at once.

Failed attempts: only failures are throttled. A request is first authorised (the key is
looked up by its SHA-256: one GetItem in the authorizer, none in the guard), and a valid key
is admitted whatever its address has done: the office, NAT or VPN a moderator shares with a
colleague who mistyped a key, or with someone guessing, never locks that moderator out. A
failure (unknown, revoked or malformed key) is counted for the source address in a window of
:data:`FAILURE_WINDOW` seconds (15 min), keyed by
:func:`~chalicelib.store.ephemeral.ratelimit.rate_key` (a keyed hash of the IPv4 address or
of the IPv6 /64, never the address); after
``SIDENOTE_AUTH_FAILURES_PER_WINDOW`` (10) failures, every further failure from there gets
429 with ``Retry-After`` until the window ends, and costs one read, no write.

Why a valid key may pass where guesses are refused: the lockout is not what keeps keys from
being guessed; their entropy is. A key is 32 random bytes, so a guess is right with
probability 2^-256 — at a billion guesses a second from any number of addresses, finding one
of a few thousand live keys takes some 10^57 years. Hiding a correct guess behind the 429
would therefore protect nothing, while it let anyone sharing an address (or one well placed
on a network) shut a site's moderators out. The throttle's job is cost and noise: a guessing
client gets 429s for a read each instead of 401s for a write each, and its attempts show in
the window's count. A correct key, for an attacker, costs a search no throttle needs to slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from chalicelib.platform import config, tokens
from chalicelib.platform.errors import Forbidden, RateLimited, Unauthorized
from chalicelib.platform.logs import logger
from chalicelib.store.ephemeral import ratelimit
from chalicelib.store.replicas import STORAGE_ERRORS

#: API Gateway's authorizer result cache (``@app.authorizer(ttl_seconds=…)``): the
#: longest a revoked key keeps working.
CACHE_SECONDS = 30
FAILURE_WINDOW = 15 * 60
_KEY_SHAPE = re.compile(r"^sn_[A-Za-z0-9_-]{43}\Z")
_ATTR = "_sidenote_moderator"


@dataclass(frozen=True)
class Moderator:
    key_id: str
    site: str
    name: str


def bearer(value: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, if it has a key's shape."""
    if not value:
        return None
    scheme, _, secret = value.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not _KEY_SHAPE.match(secret):
        return None
    return secret


def lookup(header_value: str | None) -> Moderator | None:
    """The active key for a header value; None for missing, malformed, unknown, revoked.
    Storage errors propagate."""
    from chalicelib.store.sites import key_for

    secret = bearer(header_value)
    if secret is None:
        return None
    info = key_for(secret)
    return Moderator(info.id, info.site, info.name) if info else None


def authorizer_context(token: str | None) -> tuple[str, dict[str, str]]:
    """(principal id, context) for the built-in authorizer. Never raises."""
    try:
        found = lookup(token)
    except STORAGE_ERRORS as exc:
        logger.warning("authorizer: key store unavailable", extra={"error": repr(exc)[:300]})
        return "unavailable", {"status": "unavailable"}
    if found is None:
        return "unknown", {"status": "unknown"}
    return found.key_id, {
        "status": "ok",
        "key_id": found.key_id,
        "site": found.site,
        "key_name": found.name,
    }


def authorizer_response(token: str | None) -> Any:
    """The built-in authorizer's answer: always Allow, with the key in the context."""
    from chalice import AuthResponse

    principal, context = authorizer_context(token)
    return AuthResponse(routes=["*"], principal_id=principal, context=context)


# --- the guard (middleware) -------------------------------------------------------------------


def is_moderation(path: str | None) -> bool:
    return "/moderation/" in (path or "") or (path or "").endswith("/moderation")


def _failure_scope(ip: str | None) -> str:
    return f"AUTHFAIL#{ratelimit.rate_key(ip)}"


def _refuse(scope: str) -> NoReturn:
    """Refuse a failed attempt: 429 when ``scope`` is over the limit (nothing written), else
    count it and 401. A storage error never turns a failure into anything else."""
    try:
        failures, retry_after = ratelimit.peek(scope, window=FAILURE_WINDOW)
        if failures >= config.settings.auth_failures_per_window:
            raise RateLimited(
                f"Too many failed attempts with moderator keys from here. Try again in "
                f"{retry_after} s.",
                retry_after=retry_after,
            )
        ratelimit.hit(scope, limit=10**9, window=FAILURE_WINDOW)
    except STORAGE_ERRORS as exc:
        logger.warning("could not count a failed key", extra={"error": repr(exc)[:300]})
    raise Unauthorized(
        "Send a valid moderator key: 'Authorization: Bearer <key>'. The key is unknown "
        "or has been revoked.",
        headers={"WWW-Authenticate": 'Bearer realm="sidenote moderation"'},
    )


def _resolve(request: Any) -> Moderator | None:
    context = (request.context or {}).get("authorizer") or {}
    status = context.get("status")
    if status == "ok" and context.get("key_id") and context.get("site"):
        return Moderator(context["key_id"], context["site"], context.get("key_name", ""))
    if status == "unknown":
        return None
    # The authorizer could not answer, or did not run: check the header here.
    headers = request.headers or {}
    return lookup(headers.get("authorization"))


def check(request: Any) -> Moderator:
    """Authorise a moderation request for the ``{site}`` in its path, or raise
    Unauthorized (401; RateLimited, 429, once its address is over the failure limit),
    Forbidden (403) or Unavailable (503). A valid key is never throttled."""
    from chalicelib.platform.errors import Unavailable
    from chalicelib.platform.web import client_ip

    try:
        moderator = _resolve(request)
    except STORAGE_ERRORS as exc:
        raise Unavailable("Moderator keys cannot be checked right now; try again.") from exc
    if moderator is None:
        _refuse(_failure_scope(client_ip(request)))
    site = (request.uri_params or {}).get("site")
    if site != moderator.site:
        raise Forbidden("This moderator key belongs to another site.")
    setattr(request, _ATTR, moderator)
    return moderator


def guard(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Middleware: every moderation route is checked before its view runs."""
    if is_moderation(event.path):
        tokens.secret()  # fails closed: 503 SecretUnavailable without the deployment secret
        check(event)
    return get_response(event)


def current(request: Any) -> Moderator:
    """The moderator :func:`guard` admitted for this request (views use it for the audit)."""
    moderator = getattr(request, _ATTR, None)
    return moderator if moderator is not None else check(request)

"""Keyed hashes and tokens derived from the deployment secret.

IP addresses are stored only as keyed hashes (HMAC-SHA256): without the secret they cannot
be reversed by trying every IPv4 address. E-mail addresses are matched only through keyed
hashes (known authors, bans, duplicates); the address itself is kept on its comment alone,
for the site's moderators, and erased when its author deletes the comment
(docs/architecture.md, "Personal data"). Moderator keys are random and stored as plain
SHA-256 (they carry 256 bits of entropy; nothing to brute-force).

Where the secret comes from, and failing closed:

- ``SIDENOTE_SECRET_ID`` set: the Secrets Manager secret of that name in this region, read
  once per container. The secret is replicated to every region of the deployment, so each
  region reads the same value from its own replica (docs/operations.md, "Secrets").
- inside Lambda, nothing else is accepted: without ``SIDENOTE_SECRET_ID``, or when the value
  is shorter than :data:`MIN_LENGTH`, every use raises :class:`SecretUnavailable` (503 +
  ``Retry-After``): comments, edits, deletes and moderation are refused, reads still work.
- outside Lambda (local runs, tests, the CLI without ``SIDENOTE_SECRET_ID``):
  ``SIDENOTE_SECRET``, whose built-in default is public and only fit for local data.

A failed read is remembered for :data:`FAILURE_CACHE_SECONDS`, so a broken secret store
costs one bounded call (:func:`secrets_client`) per container every few seconds, not one
per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from typing import Any

from chalicelib.platform import clients, clock, config
from chalicelib.platform.errors import SecretUnavailable
from chalicelib.platform.logs import logger

__all__ = ["SecretUnavailable"]

#: A secret shorter than this is refused inside Lambda (the template generates 64).
MIN_LENGTH = 32
#: How long a failed read is remembered before the store is asked again.
FAILURE_CACHE_SECONDS = 5.0
RETRY_AFTER = 30

#: Per settings source: the secret, or (retry at, reason) after a failure.
_found: dict[tuple[Any, ...], bytes] = {}
_failed: dict[tuple[Any, ...], tuple[float, str]] = {}
_lock = threading.Lock()


def secrets_client() -> Any:
    """This region's Secrets Manager client: 1 s to connect, 2 s to read, one retry."""
    return clients.client("secretsmanager", connect=1.0, read=2.0, attempts=2)


def reset() -> None:
    """Forget the secret and any remembered failure (tests; a fresh container)."""
    with _lock:
        _found.clear()
        _failed.clear()


def _source() -> tuple[Any, ...]:
    s = config.settings
    return (s.secret_id, s.region, s.in_lambda, s.secret)


def _load() -> bytes:
    """Read the secret where the settings say; raise ValueError with the reason if refused."""
    s = config.settings
    if s.secret_id:
        try:
            answer = secrets_client().get_secret_value(SecretId=s.secret_id)
        except clients.AWS_ERRORS as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
            raise ValueError(f"secret {s.secret_id} can't be read in {s.region} ({code})") from exc
        value = answer.get("SecretString") or ""
        where = f"secret {s.secret_id}"
    elif s.in_lambda:
        raise ValueError(
            "SIDENOTE_SECRET_ID is not set: the built-in secret is never used in Lambda"
        )
    else:
        return s.secret.encode()
    if s.in_lambda and (len(value) < MIN_LENGTH or value == config.LOCAL_SECRET):
        raise ValueError(f"{where} is shorter than {MIN_LENGTH} characters or a known value")
    if not value:
        raise ValueError(f"{where} is empty")
    return value.encode()


def secret() -> bytes:
    """The deployment secret. Raises :class:`SecretUnavailable` when there is none to trust."""
    source = _source()
    found = _found.get(source)
    if found is not None:
        return found
    with _lock:
        found = _found.get(source)
        if found is not None:
            return found
        failed = _failed.get(source)
        if failed is None or clock.now() >= failed[0]:
            try:
                found = _load()
            except ValueError as exc:
                failed = (clock.now() + FAILURE_CACHE_SECONDS, str(exc))
                _failed[source] = failed
                logger.error("deployment secret unavailable", extra={"reason": failed[1]})
            else:
                _failed.pop(source, None)
                _found[source] = found
                return found
    raise SecretUnavailable(
        "Comments and moderation are unavailable: this service's signing secret can't be "
        "read right now. Nothing was changed; please try again later.",
        retry_after=RETRY_AFTER,
    )


def problem() -> str | None:
    """Why the secret can't be used right now (None when it can): for the health probe."""
    try:
        secret()
    except SecretUnavailable:
        failed = _failed.get(_source())
        return failed[1] if failed else "unknown"
    return None


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """Hex HMAC of ``value`` under the secret, domain-separated by ``purpose``."""
    mac = hmac.new(secret(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:length]


def edit_token(site: str, comment_id: str) -> str:
    """The token that lets a comment's author edit or delete it."""
    return keyed_hash("edit", f"{site}/{comment_id}", 43)


def check_edit_token(site: str, comment_id: str, token: str | None) -> bool:
    # Compare bytes: compare_digest refuses non-ASCII str (a TypeError, so a 500).
    presented = (token or "").encode("utf-8", "surrogatepass")
    return bool(token) and hmac.compare_digest(edit_token(site, comment_id).encode(), presented)


def new_api_key() -> str:
    """A fresh moderator key: ``sn_`` and 43 url-safe characters (32 random bytes)."""
    return "sn_" + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

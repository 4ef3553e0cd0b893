"""The operator's read-only switch, without a deploy.

Two levels, both stored in DynamoDB (global tables carry them to every region):

- the whole deployment: the ``Switch`` item ``SWITCH#read-only`` in the sites table,
  cached per Lambda container for ``config.settings.switch_cache_seconds`` (15 s);
- one site: the site's ``read_only`` setting, cached with the site (30 s).

So a switch reaches every container within 30 s. ``SIDENOTE_READ_ONLY`` (an environment
variable, needs a deploy) still works and wins over both. While switched, writes answer
503 ``ReadOnly`` with the operator's message and ``Retry-After``; reads are unaffected.
If the switch cannot be read, the last value seen is kept (a failing read never turns
writes off or on by itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform import clock, config
from chalicelib.store import replicas, sites

_RETRY_AFTER_FAILURE = 5.0


@dataclass
class _Cached:
    until: float = 0.0
    message: str = ""


_cache = _Cached()


def clear_cache() -> None:
    _cache.until = 0.0
    _cache.message = ""


def _load() -> str:
    found = sites.read_switch()
    return found["message"] if found else ""


def service_message() -> str:
    """The deployment-wide read-only message ('' = writable), cached briefly."""
    if config.settings.read_only_message:
        return config.settings.read_only_message
    now = clock.now()
    if now < _cache.until:
        return _cache.message
    try:
        _cache.message = replicas.read(_load)
        _cache.until = now + config.settings.switch_cache_seconds
    except replicas.STORAGE_ERRORS:
        _cache.until = now + _RETRY_AFTER_FAILURE
    return _cache.message


def set_service(message: str, *, by: str = "operator") -> str:
    """Switch the whole deployment read-only with ``message`` ('' switches writes back on)."""
    message = message.strip()
    if len(message) > 500:
        raise ValueError("The message must be at most 500 characters.")
    sites.write_switch(message, by=by)
    clear_cache()
    return message


def show() -> dict[str, str]:
    """The stored switch, read fresh (the operator CLI)."""
    return sites.read_switch(consistent=True) or {"message": "", "updated": "", "by": ""}

"""Fixed-window rate limits as TTL items: one UpdateItem per hit, no read.

Per-address limits key their scope with :func:`rate_key`: one key per IPv4 address, one per
IPv6 /64. A subscriber line, a cloud VM or a phone is handed a whole /64 (often more), so
keying by the full IPv6 address would give one client 2^64 windows.
"""

from __future__ import annotations

import ipaddress

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import RateLimited
from chalicelib.store.models import RateWindow

#: IPv6 addresses in one network of this prefix share their per-address limits.
IPV6_PREFIX = 64


def rate_key(ip: str | None) -> str:
    """The key of a per-address limit for a client address (API Gateway's ``sourceIp``).

    A keyed hash, never the address: of the address itself for IPv4 (also written as an
    IPv4-mapped IPv6 address), of its /64 for IPv6. Anything else (missing or malformed)
    is hashed as given, so it still has a window of its own.
    """
    text = (ip or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return tokens.keyed_hash("ip", text or "unknown")
    address = getattr(address, "ipv4_mapped", None) or address
    if address.version == 4:
        return tokens.keyed_hash("ip", str(address))
    network = ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False)
    return tokens.keyed_hash("ip", str(network))


def hit(scope: str, *, limit: int, window: int = 60, message: str | None = None) -> None:
    """Count one event for ``scope``; raise RateLimited once ``limit`` per ``window`` s is passed."""
    now = clock.now()
    start = int(now // window) * window
    item = RateWindow(f"RATE#{scope}#{start}", "#")
    n = _count(item, start, window)
    if n > limit:
        retry_after = max(1, int(start + window - now + 0.999))
        raise RateLimited(
            (message or "Too many comments from here. Please wait {s} s and send again.").format(
                s=retry_after
            ),
            retry_after=retry_after,
        )


def peek(scope: str, *, window: int = 60) -> tuple[int, int]:
    """Events counted for ``scope`` in the current window, and seconds until it ends."""
    now = clock.now()
    start = int(now // window) * window
    try:
        n = int(RateWindow.get(f"RATE#{scope}#{start}", "#").n)
    except RateWindow.DoesNotExist:
        n = 0
    return n, max(1, int(start + window - now + 0.999))


#: Windows counted in this container while the table refuses writes (see _count).
_local: dict[str, int] = {}


def _count(item: RateWindow, start: int, window: int) -> int:
    """Add one to the window; return its count. When the table is failing writes the
    limit is kept per container instead, so that the comment can still be queued."""
    from chalicelib.store import replicas

    if not replicas.writes.is_open():
        try:
            item.update(
                actions=[
                    RateWindow.n.add(1),
                    RateWindow.kind.set(RateWindow),
                    RateWindow.expires.set(clock.at(start + 2 * window)),
                ]
            )
            return int(item.n)
        except replicas.STORAGE_ERRORS:
            replicas.writes.trip()
    for stale in [k for k in _local if not k.endswith(f"#{start}")]:
        del _local[stale]
    _local[item.pk] = _local.get(item.pk, 0) + 1
    return _local[item.pk]

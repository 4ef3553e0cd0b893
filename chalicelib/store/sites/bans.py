"""A site's bans: keyed hashes of e-mail addresses, IP addresses and ranges."""

from __future__ import annotations

from ulid import ULID

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import InvalidRequest, NotFound
from chalicelib.platform.validation import (
    EMAIL,
)
from chalicelib.store.models import Ban, SiteItem
from chalicelib.store.sites.settings import SiteConfig, forget, get_site, site_pk

#: Bans last at most ten years; their reasons are short notes.
MAX_BAN_DAYS = 3650
MAX_BAN_REASON = 500

# --- bans ------------------------------------------------------------------------------


def ban_hash(target: str, value: str) -> str:
    """The keyed hash a ban stores for an e-mail (lower-cased)."""
    return tokens.keyed_hash(f"ban-{target}", value.strip().lower())


def ip_hashes(ip: str) -> tuple[str, str | None]:
    """Keyed hashes of an IP address and of its network (IPv4 /24, IPv6 /48).

    The first is what a comment stores as ``ip_hash``; the second its ``net_hash``. Bans
    store the same hashes, so a ban made from a comment matches its author's next post.
    """
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return tokens.keyed_hash("ip", ip), None
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return tokens.keyed_hash("ip", str(address)), tokens.keyed_hash("net", str(network))


def parse_ip_target(value: str) -> tuple[str, str, str]:
    """``(target, hash, label)`` for an IP address or an IPv4 /24 / IPv6 /48 range."""
    import ipaddress

    text = value.strip() if isinstance(value, str) else ""
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            wanted = 24 if network.version == 4 else 48
            if network.prefixlen == network.max_prefixlen:
                text = str(network.network_address)
            elif network.prefixlen != wanted:
                raise InvalidRequest("Ban an address, an IPv4 /24 or an IPv6 /48 range.")
            else:
                label = f"IPv{network.version} /{wanted} range"
                return "net", tokens.keyed_hash("net", str(network)), label
        address = ipaddress.ip_address(text)
    except ValueError as exc:
        raise InvalidRequest("'ip' must be an IP address or a /24 (IPv4) or /48 (IPv6).") from exc
    ip_hash, _ = ip_hashes(str(address))
    return "ip", ip_hash, f"IPv{address.version} address"


def mask_email(email: str) -> str:
    """``a•••@example.org``: enough for a moderator to recognise, not the address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def add_ban(
    site_id: str,
    target: str,
    value: str,
    *,
    days: float | None = None,
    reason: str = "",
    key_id: str | None = None,
) -> Ban:
    """Ban an ``email``, an ``ip`` or an IP range (``ip`` with ``/24`` or ``/48``);
    ``days=None`` is forever."""
    if target == "email":
        if not isinstance(value, str) or not EMAIL.match(value.strip()):
            raise InvalidRequest("'email' must be an e-mail address.")
        hashes, label = [ban_hash("email", value)], mask_email(value.strip().lower())
    elif target == "ip":
        target, digest, label = parse_ip_target(value)
        hashes = [digest]
    else:
        raise InvalidRequest("A ban targets an 'email' or an 'ip'.")
    return save_ban(site_id, target, hashes, label=label, days=days, reason=reason, key_id=key_id)


def save_ban(
    site_id: str,
    target: str,
    hashes: list[str],
    *,
    label: str,
    days: float | None = None,
    reason: str = "",
    key_id: str | None = None,
) -> Ban:
    """Store a ban on already-hashed values (the first is the ban's ``value_hash``)."""
    if days is not None and (isinstance(days, bool) or not 0 < days <= MAX_BAN_DAYS):
        raise InvalidRequest(
            f"'days' must be a number from 1 to {MAX_BAN_DAYS} (or absent: forever)."
        )
    if not isinstance(reason, str) or len(reason) > MAX_BAN_REASON:
        raise InvalidRequest(f"'reason' must be text of at most {MAX_BAN_REASON} characters.")
    get_site(site_id, fresh=True)
    ban_id = str(ULID())
    until = clock.now() + days * 86400 if days else None
    ban = Ban(
        site_pk(site_id), f"BAN#{ban_id}", id=ban_id, target=target, value_hash=hashes[0],
        extra_hashes=hashes[1:] or None, label=label, key_id=key_id, reason=reason.strip(),
        created=clock.rfc3339(), until=clock.rfc3339(until) if until else None,
        expires=clock.at(until + 86400) if until else None,
    )  # fmt: skip
    ban.save()
    forget(site_id)
    return ban


def list_bans(site_id: str) -> list[Ban]:
    """The site's bans, newest first (expired ones until DynamoDB's TTL removes them)."""
    found = SiteItem.query(
        site_pk(site_id), SiteItem.sk.startswith("BAN#"), scan_index_forward=False
    )
    return [ban for ban in found if isinstance(ban, Ban)]


def remove_ban(site_id: str, ban_id: str) -> Ban:
    """Delete a ban. Raises NotFound."""
    try:
        ban = Ban.get(site_pk(site_id), f"BAN#{ban_id}", consistent_read=True)
    except Ban.DoesNotExist as exc:
        raise NotFound("This site has no ban with this id.") from exc
    ban.delete()
    forget(site_id)
    return ban


def is_banned(site: SiteConfig, *, email: str | None, ip: str | None) -> bool:
    hashes = site.banned_hashes
    if not hashes:
        return False
    candidates = set()
    if email:
        candidates.add(ban_hash("email", email))
    if ip:
        candidates.update(h for h in ip_hashes(ip) if h)
        candidates.add(ban_hash("ip", ip))  # bans stored before ranges existed
    return not hashes.isdisjoint(candidates)

"""Sites: settings, bans and moderator keys. The only module that touches site models.

A Lambda container keeps each site it has read for ``config.settings.site_cache_seconds``
(30 s by default) so that reading a thread stays one DynamoDB round trip; an operator's
read-only switch or a new ban therefore reaches every container within that time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError
from ulid import ULID

from chalicelib.platform import clock, config, tokens
from chalicelib.platform.errors import InvalidRequest, NotFound, SiteExists, SiteNotFound
from chalicelib.platform.validation import (
    EMAIL,
    MAX_TEXT_CEILING,
    check_site_id,
    has_control,
)
from chalicelib.store.models import Ban, ModeratorKey, Site, SiteItem

MODERATION_MODES = ("none", "first-time", "links", "all")
#: Limits of the settings a moderator or operator may change (see :func:`check_settings`).
MAX_SITE_NAME = 120
MAX_EDIT_WINDOW_MINUTES = 7 * 24 * 60
MIN_MAX_LENGTH = 10
MAX_READ_ONLY_MESSAGE = 500
#: Limits of a ban (see :func:`save_ban`).
MAX_BAN_DAYS = 3650
MAX_BAN_REASON = 500
_NEGATIVE_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class SiteConfig:
    """A site as the request path needs it: settings plus active bans (hashed)."""

    id: str
    name: str
    origins: tuple[str, ...] = ()
    moderation: str = "none"
    edit_window_minutes: int = 15
    max_length: int = 5000
    require_author: bool = False
    require_email: bool = False
    notify_email: str | None = None
    read_only: str = ""
    created: str = ""
    banned_hashes: frozenset[str] = field(default_factory=frozenset)
    #: When the earliest active ban expires (the cached copy must not outlive it).
    bans_change_at: float | None = None

    def public_settings(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "origins": list(self.origins),
            "moderation": self.moderation,
            "edit_window_minutes": self.edit_window_minutes,
            "max_length": self.max_length,
            "require_author": self.require_author,
            "require_email": self.require_email,
            "notify_email": self.notify_email,
            "read_only": self.read_only,
            "created": self.created,
        }


_cache: dict[str, tuple[float, SiteConfig | None]] = {}


def clear_cache() -> None:
    """Forget cached sites (tests; after this container changed a site)."""
    _cache.clear()


def _pk(site_id: str) -> str:
    return f"SITE#{site_id}"


def _to_config(site: Site, bans: list[Ban]) -> SiteConfig:
    now = clock.now()
    live = [ban for ban in bans if ban.until is None or clock.parse_rfc3339(ban.until) > now]
    active = frozenset(h for ban in live for h in (ban.value_hash, *(ban.extra_hashes or ())))
    ends = [clock.parse_rfc3339(ban.until) for ban in live if ban.until]
    return SiteConfig(
        id=site.id,
        name=site.name,
        origins=tuple(site.origins or ()),
        moderation=site.moderation,
        edit_window_minutes=int(site.edit_window_minutes),
        max_length=int(site.max_length),
        require_author=bool(site.require_author),
        require_email=bool(site.require_email),
        notify_email=site.notify_email,
        read_only=site.read_only or "",
        created=site.created,
        banned_hashes=active,
        bans_change_at=min(ends) if ends else None,
    )


def _load(site_id: str) -> SiteConfig | None:
    """One Query: the site item and its bans share a partition."""
    site: Site | None = None
    bans: list[Ban] = []
    for item in SiteItem.query(_pk(site_id)):
        if isinstance(item, Site):
            site = item
        elif isinstance(item, Ban):
            bans.append(item)
    return _to_config(site, bans) if site else None


def get_site(site_id: str, *, fresh: bool = False) -> SiteConfig:
    """The site's config, from the container cache when recent. Raises SiteNotFound."""
    if not isinstance(site_id, str) or not _valid_id(site_id):
        raise SiteNotFound("No site has this id.")
    now = clock.now()
    cached = _cache.get(site_id)
    if cached and not fresh and cached[0] > now:
        site_config = cached[1]
    else:
        from chalicelib.store import replicas

        site_config = replicas.read(lambda: _load(site_id))
        ttl = config.settings.site_cache_seconds if site_config else _NEGATIVE_CACHE_SECONDS
        if site_config and site_config.bans_change_at:
            ttl = min(ttl, max(0.0, site_config.bans_change_at - now))
        _cache[site_id] = (now + ttl, site_config)
    if site_config is None:
        raise SiteNotFound(f"No site '{site_id}' exists. Check data-site in the embed code.")
    return site_config


def _valid_id(site_id: str) -> bool:
    try:
        check_site_id(site_id)
    except InvalidRequest:
        return False
    return True


# --- administration (CLI and moderation API) -------------------------------------------

SETTING_FIELDS = {
    "name": str,
    "origins": list,
    "moderation": str,
    "edit_window_minutes": int,
    "max_length": int,
    "require_author": bool,
    "require_email": bool,
    "notify_email": (str, type(None)),
    "read_only": str,
}


def check_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial settings update; return it cleaned. Raises InvalidRequest."""
    if not isinstance(changes, dict):
        raise InvalidRequest("Settings must be a JSON object.")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in SETTING_FIELDS:
            raise InvalidRequest(f"Unknown setting '{name}'.")
        expected = SETTING_FIELDS[name]
        if (isinstance(value, bool) and expected is int) or not isinstance(value, expected):
            raise InvalidRequest(f"The setting '{name}' has the wrong type.")
        clean[name] = value
    if "moderation" in clean and clean["moderation"] not in MODERATION_MODES:
        raise InvalidRequest(f"'moderation' must be one of {', '.join(MODERATION_MODES)}.")
    if "origins" in clean:
        clean["origins"] = [_check_origin(origin) for origin in clean["origins"]]
    if "edit_window_minutes" in clean and not (
        0 <= clean["edit_window_minutes"] <= MAX_EDIT_WINDOW_MINUTES
    ):
        raise InvalidRequest(
            f"'edit_window_minutes' must be from 0 to {MAX_EDIT_WINDOW_MINUTES} (a week)."
        )
    if "max_length" in clean and not MIN_MAX_LENGTH <= clean["max_length"] <= MAX_TEXT_CEILING:
        raise InvalidRequest(f"'max_length' must be from {MIN_MAX_LENGTH} to {MAX_TEXT_CEILING}.")
    if "name" in clean and not 1 <= len(clean["name"].strip()) <= MAX_SITE_NAME:
        raise InvalidRequest(f"'name' must be 1-{MAX_SITE_NAME} characters.")
    if "notify_email" in clean and not (clean["notify_email"] or "").strip():
        clean["notify_email"] = None  # "" unsets it, like null: never stored as ""
    if clean.get("notify_email") and not EMAIL.match(clean["notify_email"]):
        raise InvalidRequest("'notify_email' must be an e-mail address.")
    if "read_only" in clean and len(clean["read_only"]) > MAX_READ_ONLY_MESSAGE:
        raise InvalidRequest(
            f"'read_only' (the message) must be at most {MAX_READ_ONLY_MESSAGE} characters."
        )
    for name in ("name", "read_only"):  # shown in the widget, the pages and the feeds
        if name in clean and has_control(clean[name]):
            raise InvalidRequest(f"'{name}' must not contain control characters.")
    return clean


def _check_origin(origin: object) -> str:
    from urllib.parse import urlsplit

    if not isinstance(origin, str):
        raise InvalidRequest("Each origin must be a string like https://blog.example.")
    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        raise InvalidRequest(f"'{origin}' is not an origin (scheme://host[:port]).")
    return f"{parts.scheme}://{parts.netloc}".lower()


def create_site(site_id: str, name: str, **options: Any) -> SiteConfig:
    """Create a site. Raises SiteExists if the id is taken."""
    check_site_id(site_id)
    values = check_settings({"name": name, **options})
    site = Site(_pk(site_id), "#SITE", id=site_id, created=clock.rfc3339(), **values)
    try:
        site.save(condition=Site.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise SiteExists(f"A site '{site_id}' exists already.") from exc
        raise
    _cache.pop(site_id, None)
    return _to_config(site, [])


def update_site(site_id: str, changes: dict[str, Any]) -> SiteConfig:
    """Apply a partial settings update. Raises SiteNotFound."""
    values = check_settings(changes)
    try:
        site = Site.get(_pk(site_id), "#SITE", consistent_read=True)
    except Site.DoesNotExist as exc:
        raise SiteNotFound(f"No site '{site_id}' exists.") from exc
    if values:
        site.update(actions=[getattr(Site, name).set(value) for name, value in values.items()])
    _cache.pop(site_id, None)
    return get_site(site_id, fresh=True)


def list_sites() -> list[SiteConfig]:
    """Every site (an operator command; scans the small sites table)."""
    return sorted(
        (_to_config(item, []) for item in SiteItem.scan() if isinstance(item, Site)),
        key=lambda s: s.id,
    )


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
        _pk(site_id), f"BAN#{ban_id}", id=ban_id, target=target, value_hash=hashes[0],
        extra_hashes=hashes[1:] or None, label=label, key_id=key_id, reason=reason.strip(),
        created=clock.rfc3339(), until=clock.rfc3339(until) if until else None,
        expires=clock.at(until + 86400) if until else None,
    )  # fmt: skip
    ban.save()
    _cache.pop(site_id, None)
    return ban


def list_bans(site_id: str) -> list[Ban]:
    """The site's bans, newest first (expired ones until DynamoDB's TTL removes them)."""
    found = SiteItem.query(_pk(site_id), SiteItem.sk.startswith("BAN#"), scan_index_forward=False)
    return [ban for ban in found if isinstance(ban, Ban)]


def remove_ban(site_id: str, ban_id: str) -> Ban:
    """Delete a ban. Raises NotFound."""
    try:
        ban = Ban.get(_pk(site_id), f"BAN#{ban_id}", consistent_read=True)
    except Ban.DoesNotExist as exc:
        raise NotFound("This site has no ban with this id.") from exc
    ban.delete()
    _cache.pop(site_id, None)
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


# --- moderator keys --------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    id: str
    site: str
    name: str
    created: str
    revoked: str | None = None


def _key_info(item: ModeratorKey) -> KeyInfo:
    return KeyInfo(item.id, item.site, item.name, item.created, item.revoked)


def create_key(site_id: str, name: str) -> tuple[str, KeyInfo]:
    """Make a moderator key for a site. Returns the key (shown once) and its record."""
    get_site(site_id, fresh=True)
    secret = tokens.new_api_key()
    digest = tokens.api_key_hash(secret)
    item = ModeratorKey(
        f"KEY#{digest}", "#KEY", id=digest[:12], site=site_id, key_site=site_id,
        name=name or "key", created=clock.rfc3339(),
    )  # fmt: skip
    item.save()
    return secret, _key_info(item)


def list_keys(site_id: str) -> list[KeyInfo]:
    return [
        _key_info(item)
        for item in SiteItem.site_keys.query(site_id)
        if isinstance(item, ModeratorKey)
    ]


def revoke_key(site_id: str, key_id: str) -> KeyInfo:
    for item in SiteItem.site_keys.query(site_id):
        if isinstance(item, ModeratorKey) and item.id == key_id:
            if not item.revoked:
                item.update(actions=[ModeratorKey.revoked.set(clock.rfc3339())])
            return _key_info(item)
    raise NotFound(f"Site '{site_id}' has no key '{key_id}'.")


def key_for(secret: str) -> KeyInfo | None:
    """The active key record for a presented key, or None (unknown or revoked)."""
    from chalicelib.store import replicas

    try:
        item = replicas.read(lambda: ModeratorKey.get(f"KEY#{tokens.api_key_hash(secret)}", "#KEY"))
    except ModeratorKey.DoesNotExist:
        return None
    return None if item.revoked else _key_info(item)


# --- known authors (the ``first-time`` moderation mode) ---------------------------------


def author_pk(site_id: str, email: str) -> str:
    """The item that says this address has an approved comment on the site (keyed hash)."""
    return f"AUTHOR#{site_id}#{tokens.keyed_hash('author', email)}"


def is_known_author(site_id: str, email: str | None) -> bool:
    """Whether ``email`` has an approved comment on the site. When no replica answers, the
    author counts as first-time (held), never as trusted."""
    from chalicelib.store import replicas
    from chalicelib.store.models import KnownAuthor

    if not email:
        return False
    try:
        replicas.read(lambda: KnownAuthor.get(author_pk(site_id, email), "#AUTHOR"))
    except KnownAuthor.DoesNotExist:
        return False
    except replicas.STORAGE_ERRORS:
        return False
    return True


# --- the moderation audit log (``pk = "AUDIT#<site>"``, newest last) ---------------------


def audit_entry(
    site_id: str, key_id: str, key_name: str, action: str, target: str, before: Any, after: Any
) -> Any:
    """A new audit entry, not yet written (a transaction may carry it)."""
    from chalicelib.store.models import AuditEntry

    entry_id = str(ULID())
    return AuditEntry(
        f"AUDIT#{site_id}", entry_id, id=entry_id, site=site_id, key_id=key_id,
        key_name=key_name, action=action, target=target, before=before, after=after,
        time=clock.rfc3339(),
    )  # fmt: skip


def save_audit(entry: Any) -> None:
    """Write an audit entry on its own (for changes that are not one transaction)."""
    entry.save()


def audit_page(
    site_id: str, *, start: dict[str, Any] | None, limit: int
) -> tuple[list[Any], dict[str, Any] | None]:
    """A page of the site's audit entries, newest first, and the key to resume after."""
    from chalicelib.store.models import AuditEntry

    response = SiteItem._get_connection().query(
        f"AUDIT#{site_id}", scan_index_forward=False, limit=limit, exclusive_start_key=start
    )
    entries = [SiteItem.from_raw_data(raw) for raw in response.get("Items", [])]
    return [e for e in entries if isinstance(e, AuditEntry)], response.get("LastEvaluatedKey")

"""Sites: settings, bans and moderator keys. The only module that touches site models.

A Lambda container keeps each site it has read for ``settings.site_cache_seconds``
(30 s by default) so that reading a thread stays one DynamoDB round trip; an operator's
read-only switch or a new ban therefore reaches every container within that time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError
from ulid import ULID

from chalicelib import clock, tokens
from chalicelib.config import settings
from chalicelib.errors import InvalidRequest, NotFound, SiteExists, SiteNotFound
from chalicelib.models import Ban, ModeratorKey, Site, SiteItem
from chalicelib.validation import EMAIL, check_site_id

MODERATION_MODES = ("none", "first-time", "links", "all")
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
    active = frozenset(
        ban.value_hash for ban in bans if ban.until is None or clock.parse_rfc3339(ban.until) > now
    )
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
        config = cached[1]
    else:
        config = _load(site_id)
        ttl = settings.site_cache_seconds if config else _NEGATIVE_CACHE_SECONDS
        _cache[site_id] = (now + ttl, config)
    if config is None:
        raise SiteNotFound(f"No site '{site_id}' exists. Check data-site in the embed code.")
    return config


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
    if "edit_window_minutes" in clean and not 0 <= clean["edit_window_minutes"] <= 7 * 24 * 60:
        raise InvalidRequest("'edit_window_minutes' must be from 0 to 10080 (a week).")
    if "max_length" in clean and not 10 <= clean["max_length"] <= 20_000:
        raise InvalidRequest("'max_length' must be from 10 to 20000.")
    if "name" in clean and not 1 <= len(clean["name"].strip()) <= 120:
        raise InvalidRequest("'name' must be 1-120 characters.")
    if clean.get("notify_email") and not EMAIL.match(clean["notify_email"]):
        raise InvalidRequest("'notify_email' must be an e-mail address.")
    if "read_only" in clean and len(clean["read_only"]) > 500:
        raise InvalidRequest("'read_only' (the message) must be at most 500 characters.")
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
    """The keyed hash a ban stores for an e-mail (lower-cased) or an IP."""
    return tokens.keyed_hash(f"ban-{target}", value.strip().lower())


def add_ban(
    site_id: str, target: str, value: str, *, days: float | None = None, reason: str = ""
) -> Ban:
    """Ban an ``email`` or ``ip`` on a site; ``days=None`` is forever."""
    if target not in {"email", "ip"}:
        raise InvalidRequest("A ban targets an 'email' or an 'ip'.")
    get_site(site_id, fresh=True)
    ban_id = str(ULID())
    until = clock.now() + days * 86400 if days else None
    ban = Ban(
        _pk(site_id), f"BAN#{ban_id}", id=ban_id, target=target,
        value_hash=ban_hash(target, value), reason=reason, created=clock.rfc3339(),
        until=clock.rfc3339(until) if until else None,
        expires=clock.at(until + 86400) if until else None,
    )  # fmt: skip
    ban.save()
    _cache.pop(site_id, None)
    return ban


def is_banned(site: SiteConfig, *, email: str | None, ip: str | None) -> bool:
    hashes = site.banned_hashes
    if not hashes:
        return False
    return bool(
        (email and ban_hash("email", email) in hashes) or (ip and ban_hash("ip", ip) in hashes)
    )


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
    try:
        item = ModeratorKey.get(f"KEY#{tokens.api_key_hash(secret)}", "#KEY")
    except ModeratorKey.DoesNotExist:
        return None
    return None if item.revoked else _key_info(item)

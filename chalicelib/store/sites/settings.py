"""Sites and their settings, with a short per-container cache.

A Lambda container keeps each site it has read for ``config.settings.site_cache_seconds``
(30 s by default) so that reading a thread stays one DynamoDB round trip; an operator's
read-only switch or a new ban therefore reaches every container within that time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.platform import clock, config
from chalicelib.platform.errors import InvalidRequest, SiteExists, SiteNotFound
from chalicelib.platform.validation import (
    EMAIL,
    MAX_TEXT_CEILING,
    check_site_id,
    has_control,
)
from chalicelib.store.models import Ban, Site, SiteItem

MODERATION_MODES = ("none", "first-time", "links", "all")
#: Limits of the settings a moderator or operator may change (see :func:`check_settings`).
MAX_SITE_NAME = 120
MAX_EDIT_WINDOW_MINUTES = 7 * 24 * 60
MIN_MAX_LENGTH = 10
MAX_READ_ONLY_MESSAGE = 500
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


def forget(site_id: str) -> None:
    """Drop this container's copy of a site (after changing it or its bans)."""
    _cache.pop(site_id, None)


def site_pk(site_id: str) -> str:
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
    for item in SiteItem.query(site_pk(site_id)):
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
    site = Site(site_pk(site_id), "#SITE", id=site_id, created=clock.rfc3339(), **values)
    try:
        site.save(condition=Site.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise SiteExists(f"A site '{site_id}' exists already.") from exc
        raise
    forget(site_id)
    return _to_config(site, [])


def update_site(site_id: str, changes: dict[str, Any]) -> SiteConfig:
    """Apply a partial settings update. Raises SiteNotFound."""
    values = check_settings(changes)
    try:
        site = Site.get(site_pk(site_id), "#SITE", consistent_read=True)
    except Site.DoesNotExist as exc:
        raise SiteNotFound(f"No site '{site_id}' exists.") from exc
    if values:
        site.update(actions=[getattr(Site, name).set(value) for name, value in values.items()])
    forget(site_id)
    return get_site(site_id, fresh=True)


def list_sites() -> list[SiteConfig]:
    """Every site (an operator command; scans the small sites table)."""
    return sorted(
        (_to_config(item, []) for item in SiteItem.scan() if isinstance(item, Site)),
        key=lambda s: s.id,
    )

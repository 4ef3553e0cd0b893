"""Moderator keys: stored by hash only, looked up by hash, listed per site."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import NotFound
from chalicelib.store.models import ModeratorKey, SiteItem
from chalicelib.store.sites.settings import get_site

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

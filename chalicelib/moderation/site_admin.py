"""A site's settings and thread locks, as its moderators change them. Audited."""

from __future__ import annotations

from typing import Any

from chalicelib.moderation.audit import record
from chalicelib.moderation.auth import Moderator
from chalicelib.platform.errors import InvalidRequest
from chalicelib.store import comments, sites
from chalicelib.store.sites import SiteConfig


def lock(site: SiteConfig, key: str, body: Any, who: Moderator) -> dict[str, Any]:
    """Lock (no new comments) or unlock a thread; it need not have comments yet."""
    if not isinstance(body, dict) or not isinstance(body.get("locked"), bool):
        raise InvalidRequest('Send {"locked": true} or {"locked": false}.')
    locked = body["locked"]
    meta = comments.thread_meta(site.id, key)
    before = bool(meta.locked) if meta else False
    meta = comments.set_locked(site.id, key, locked)
    if before != locked:
        record(site.id, who, "lock" if locked else "unlock", f"thread:{key}",
               {"locked": before}, {"locked": locked})  # fmt: skip
    count = comments.thread_counts(site, [key])[key]
    return {
        "thread": {"key": key, "title": meta.title, "url": meta.url, "locked": bool(meta.locked),
                   "count": count}
    }  # fmt: skip


SETTINGS = (
    "name", "moderation", "origins", "edit_window_minutes", "max_length", "require_author",
    "require_email", "notify_email", "read_only",
)  # fmt: skip


def get_settings(site_id: str) -> dict[str, Any]:
    return {"settings": sites.get_site(site_id, fresh=True).public_settings()}


def update_settings(site_id: str, changes: Any, who: Moderator) -> dict[str, Any]:
    if isinstance(changes, dict) and any(name not in SETTINGS for name in changes):
        unknown = next(name for name in changes if name not in SETTINGS)
        raise InvalidRequest(f"Unknown setting '{unknown}'.")
    before = sites.get_site(site_id, fresh=True).public_settings()
    after = sites.update_site(site_id, changes).public_settings()
    changed = [name for name in SETTINGS if before.get(name) != after.get(name)]
    if changed:
        record(site_id, who, "settings", "settings",
               {n: before[n] for n in changed}, {n: after[n] for n in changed})  # fmt: skip
    return {"settings": after}

"""The moderation audit log: who did what, when, with before and after."""

from __future__ import annotations

from typing import Any

from chalicelib.moderation import cursors
from chalicelib.moderation.auth import Moderator
from chalicelib.store import sites


def new_entry(
    site_id: str, who: Moderator, action: str, target: str, before: Any, after: Any
) -> Any:
    """An audit entry for an action, not yet written (a transaction may carry it)."""
    return sites.audit_entry(site_id, who.key_id, who.name or "", action, target, before, after)


def record(
    site_id: str, who: Moderator, action: str, target: str, before: Any = None, after: Any = None
) -> None:
    """Write an audit entry for an action that is not itself a transaction."""
    sites.save_audit(new_entry(site_id, who, action, target, before, after))


def audit_view(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time": entry.time,
        "key_id": entry.key_id,
        "key_name": entry.key_name,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }


def audit_log(site_id: str, *, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    """The site's audit entries, newest first."""
    scope = f"audit\x00{site_id}"
    entries, last = sites.audit_page(site_id, start=cursors.decode(scope, cursor), limit=limit)
    return {
        "entries": [audit_view(e) for e in entries],
        "cursor": cursors.encode(scope, last) if last else None,
    }

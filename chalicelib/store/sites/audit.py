"""The moderation audit log (``pk = "AUDIT#<site>"``, newest last)."""

from __future__ import annotations

from typing import Any

from ulid import ULID

from chalicelib.platform import clock
from chalicelib.store.models import SiteItem

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

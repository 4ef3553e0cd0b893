"""The deployment-wide read-only switch: one replicated item in the sites table."""

from __future__ import annotations

from chalicelib.platform import clock
from chalicelib.store.models import Switch

SWITCH_PK = "SWITCH#read-only"
SWITCH_SK = "#SWITCH"


def read_switch(*, consistent: bool = False) -> dict[str, str] | None:
    """``{"message", "updated", "by"}`` of the switch, or None when it was never set."""
    try:
        item = Switch.get(SWITCH_PK, SWITCH_SK, consistent_read=consistent)
    except Switch.DoesNotExist:
        return None
    return {"message": item.message or "", "updated": item.updated, "by": item.by or ""}


def write_switch(message: str, *, by: str) -> None:
    """Set the switch (``""`` switches writes back on)."""
    Switch(SWITCH_PK, SWITCH_SK, message=message, updated=clock.rfc3339(), by=by).save()

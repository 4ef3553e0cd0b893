"""What the health probe does to the comments table: the canaries and the queue's length.

``pk = "#canary"``, ``sk = <region>``: each region rewrites its own canary every probe run,
and global-table replication carries it to the other regions. Reading the partition from
this region's replica therefore shows when each other region's canary last arrived here:
its age bounds the replication lag from that region (reading it from the other region's own
replica would show no lag at all).
"""

from __future__ import annotations

from chalicelib.store.models import Canary, ThreadItem

CANARY_PK = "#canary"


def ready_canary() -> None:
    """Build the table's clients now, so that timing the canary calls times the calls."""
    for model in (Canary, ThreadItem):
        model._get_connection().connection.client  # noqa: B018


def write_canary(region: str, written: float) -> None:
    """Rewrite ``region``'s canary with the time it was ``written`` (one PutItem)."""
    Canary(CANARY_PK, region, region=region, written=written).save()


def read_canaries() -> dict[str, float]:
    """Every region's canary as this region's replica holds it: region → time written.
    One consistent Query."""
    return {
        item.region: float(item.written)
        for item in ThreadItem.query(CANARY_PK, consistent_read=True)
        if isinstance(item, Canary)
    }


def queue_length(site_id: str) -> int:
    """Comments of ``site_id`` waiting for a moderator's decision (a COUNT Query on the
    sparse queue index)."""
    return ThreadItem.queue.count(site_id)

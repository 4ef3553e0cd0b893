"""The tables as a whole: how they are (DescribeTable) and per-process call limits.

For the health probe, which reports on the tables themselves rather than on their items.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from chalicelib.store.models import ALL_TABLES
from chalicelib.store.replicas import STORAGE_ERRORS


@dataclass
class TableState:
    """A table as DynamoDB describes it: its status and each replica's (by region).
    ``status`` is ``unknown`` and ``error`` set when the table couldn't be described."""

    name: str
    status: str
    replicas: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None


def describe_tables() -> list[TableState]:
    """Every table of sidenote, described in this region (one DescribeTable each)."""
    found = []
    for model in ALL_TABLES:
        name = model.Meta.table_name
        try:
            table = model._get_connection().connection.client.describe_table(TableName=name)
        except STORAGE_ERRORS as exc:
            found.append(TableState(name, "unknown", error=exc))
            continue
        table = table["Table"]
        replicas = {
            replica.get("RegionName", "?"): replica.get("ReplicaStatus", "ACTIVE")
            for replica in table.get("Replicas", [])
        }
        found.append(TableState(name, table.get("TableStatus", "unknown"), replicas))
    return found


@contextmanager
def call_limits(connect: float, read: float, retries: int) -> Iterator[None]:
    """Inside the block, every table call of this process waits at most ``connect`` +
    ``read`` seconds per attempt and retries ``retries`` times; the limits before are put
    back after it. Connections are rebuilt on entry and exit (they carry the limits)."""

    def reset() -> None:
        pending = list(ALL_TABLES)
        while pending:
            model = pending.pop()
            model._connection = None
            pending += model.__subclasses__()

    saved = [(m.Meta, m.Meta.connect_timeout_seconds, m.Meta.read_timeout_seconds,
              m.Meta.max_retry_attempts) for m in ALL_TABLES]  # fmt: skip
    for meta, *_ in saved:
        meta.connect_timeout_seconds, meta.read_timeout_seconds = connect, read
        meta.max_retry_attempts = retries
    reset()
    try:
        yield
    finally:
        for meta, *values in saved:
            (meta.connect_timeout_seconds, meta.read_timeout_seconds,
             meta.max_retry_attempts) = values  # fmt: skip
        reset()

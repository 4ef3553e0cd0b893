"""A bounded soak: over 2,000 comments through the HTTP routes (chalice's test client, moto
in-process) while faults are switched on and off at the botocore layer, then the same
figures as ``make chaos``: requests by status, reads served, comments accepted / stored /
lost / doubled."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import quote

import pytest

from chalicelib.platform.config import settings
from chalicelib.store import replicas
from tests.support import (
    FAULTS,
    HOME,
    OTHER,
    copy_region,
    drain,
    fault_stack,
    raw_client,
    scan,
    stored_texts,
)

COMMENTS = 2_400
PHASE = 50  # posts per phase
THREADS = 25
#: The fault schedule, cycled: (name, reads, writes, queue, fault).
PHASES = [
    ("healthy", False, False, False, None),
    ("writes throttled", False, True, False, "throttling"),
    ("replica times out", True, True, False, "read-timeout"),
    ("healthy", False, False, False, None),
    ("writes 500", False, True, False, "internal-500"),
    ("reads 503", True, False, False, "unavailable-503"),
    ("table and queue down", True, True, True, "connection"),
]


def settle(tally: Counter[str]) -> None:
    """Count what is stored, then clear the thread partitions and idempotency records.

    Only called once the queue has drained with the table healthy (nothing in flight).
    moto copies every table a transaction touches, so keeping the tables small keeps the
    soak linear; the counts are exact because every comment's text is unique.
    """
    tally.update(stored_texts())
    for region in (HOME, OTHER):
        client = raw_client(region)
        for table in (settings.comments_table, settings.ephemeral_table):
            for key, item in scan(region, table).items():
                if key[0].startswith("myblog#/soak/") or item.get("kind", {}).get("S") in {
                    "idempotency",
                    "rate",
                }:
                    client.delete_item(
                        TableName=table, Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}}
                    )


def _snapshot_each_table_once(monkeypatch) -> None:
    """moto snapshots a table once per operation of a transaction (for rollback), all
    before applying any: the snapshots of one table are identical, so take one."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        taken: dict[int, Table] = {}

        def deepcopy(value, *args):
            if isinstance(value, Table):
                if id(value) not in taken:
                    taken[id(value)] = copy.deepcopy(value)
                return taken[id(value)]
            return copy.deepcopy(value, *args)

        monkeypatch.setattr(models, "copy", types.SimpleNamespace(deepcopy=deepcopy))
        try:
            return original(self, transact_items)
        finally:
            monkeypatch.setattr(models, "copy", copy)

    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact_write_items)


@pytest.fixture
def stack(client, monkeypatch):
    unlimited = {"rate_limit_per_minute": 10**9, "site_rate_limit_per_minute": 10**9}
    with fault_stack(monkeypatch, regions=(HOME, OTHER), **unlimited):
        copy_region()  # the site is replicated
        # moto keeps every stream record in the table and deep-copies the table for each
        # transaction: without its stream shard, the soak stays linear (emulator detail only).
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        for region in (HOME, OTHER):
            for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.values():
                table.stream_shard = None
        _snapshot_each_table_once(monkeypatch)
        yield client


@pytest.mark.slow  # ~80 s: left out of make test-fast
def test_soak_of_2000_comments_with_faults_loses_and_doubles_nothing(stack, capsys):
    tally: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    reads = served = degraded = 0
    accepted: list[str] = []
    by_phase: Counter[str] = Counter()
    for n in range(COMMENTS):
        if n % PHASE == 0:
            name, on_reads, on_writes, on_queue, fault = PHASES[(n // PHASE) % len(PHASES)]
            FAULTS.clear()  # the table is back between phases: the queue drains
            replicas.reset()  # and the breaker window has passed
            drain()
            settle(tally)
            if fault:
                FAULTS.fail(fault, reads=on_reads, writes=on_writes, queue=on_queue)
        thread = f"/soak/{n % THREADS}"
        text = f"soak comment {n}"
        response = stack.http.post(
            f"/sites/myblog/comments?thread={quote(thread, safe='')}",
            headers={"Content-Type": "application/json", "Idempotency-Key": f"soak-{n}"},
            body=json.dumps({"text": text, "author": "Soak"}),
        )
        statuses[f"POST {response.status_code}"] += 1
        by_phase[f"{name}: {response.status_code}"] += 1
        if response.status_code in {201, 202}:
            accepted.append(text)
        if n % 2 == 0:
            path = (
                f"/sites/myblog/comments?thread={quote(thread, safe='')}"
                if n % 4 == 0
                else f"/sites/myblog/counts?thread={quote(thread, safe='')}"
            )
            read = stack.http.get(path)
            reads += 1
            statuses[f"GET {read.status_code}"] += 1
            served += read.status_code == 200
            degraded += "X-Sidenote-Degraded" in read.headers
    FAULTS.clear()
    replicas.reset()
    drain()
    settle(tally)

    stored = tally
    lost = [t for t in accepted if stored.get(t, 0) == 0]
    doubled = [t for t, k in stored.items() if k > 1]
    unexpected = [t for t in stored if t not in set(accepted)]
    figures = {
        "requests by status": dict(sorted(statuses.items())),
        "reads served": f"{served}/{reads} ({100 * served / reads:.1f}%), {degraded} degraded",
        "comments accepted (201/202)": len(accepted),
        "stored": sum(stored.values()),
        "lost": len(lost),
        "doubled": len(doubled),
        "faults injected": FAULTS.injected,
    }
    with capsys.disabled():
        print("\nsoak:", json.dumps(figures, indent=2))
    assert len(accepted) >= 2_000
    assert lost == [] and doubled == [] and unexpected == []
    assert served == reads  # the fallback replica answered whenever the local one failed
    assert degraded > 0 and statuses["POST 202"] > 0 and statuses["POST 503"] > 0
    assert not [s for s in statuses if s.endswith(" 500")]

"""``scripts/bench.py``'s round-trip counting, against moto: the structural targets hold.

These are counts of DynamoDB calls per request (from botocore events), never timings.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from chalicelib.platform import config
from chalicelib.platform.config import settings

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("sidenote_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_measured: dict[str, list[str]] = {}


@pytest.fixture
def measured(bench, request, monkeypatch) -> dict[str, list[str]]:
    """DynamoDB operations per request, by name. Measured once per module (seeding the
    thread and the count threads is the slow part), in the first test that asks."""
    if not _measured:
        client = request.getfixturevalue("client")
        site = request.getfixturevalue("site")
        limits = ("rate_limit_per_minute", "site_rate_limit_per_minute")
        relaxed = dataclasses.replace(
            settings, **{f: 10**6 for f in limits if hasattr(settings, f)}
        )
        monkeypatch.setattr(config, "settings", relaxed)
        log = bench.CallLog()
        log.attach()
        results = bench.round_trips(client, log, site, thread_size=30, seeded=5, page=10)
        _measured.update({m.name.split(" (")[0]: m.operations for m in results})
    return _measured


def test_list_first_page_is_one_query(measured):
    assert measured["list: first page"] == ["Query"]
    assert measured["list: first page, cold site cache"] == ["Query", "Query"]  # + the site


def test_post_is_at_most_two_calls(measured):
    for name in ("post: approved comment", "post: with Idempotency-Key", "post: reply"):
        assert len(measured[name]) <= 2, (
            f"{name}: {measured[name]}; the target (docs/architecture.md) is one conditional write plus"
            " at most one more call: fold new per-post writes into the transaction"
        )
    assert measured["post: approved comment"][-1] == "TransactWriteItems"


def test_counts_for_100_threads_take_one_call_per_region_at_most(measured):
    for name in ("counts: GET 100 threads", "counts: POST 100 threads"):
        assert set(measured[name]) == {"BatchGetItem"}, measured[name]
        assert len(measured[name]) <= len(settings.regions), measured[name]


def test_capacity_is_read_from_consumed_capacity(bench):
    one = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": 2.5}}
    assert bench.capacity("Query", one) == (2.5, 0.0, True)
    assert bench.capacity("PutItem", one) == (0.0, 2.5, True)
    many = {"ConsumedCapacity": [{"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}] * 2}
    assert bench.capacity("TransactWriteItems", many) == (0.0, 8.0, True)
    assert bench.capacity("GetItem", {})[2] is False
    assert bench.dollars_per_million(1.0, 1.0) == pytest.approx(0.75)

"""Test-only tools for the resilience suites (faults, write queue, LWW, soak).

- :class:`Faults`: fault injection at the botocore layer. Client event hooks
  (``before-send``, registered first) raise exactly what AWS and botocore raise —
  throttling, 500/503, read timeouts, connection errors — so PynamoDB, botocore's retry
  logic and the app see the real exceptions. Faults target one region's DynamoDB reads
  or writes, or SQS.
- :class:`Replicator`: a stand-in for global-table replication between two moto regions,
  last writer wins per item (an adversarial winner on conflicts).
- helpers: two-region setup, settings patching, queue draining, counting stored comments.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chalicelib.platform.config import settings
from chalicelib.resilience import writequeue
from chalicelib.store import replicas
from chalicelib.store.models import ALL_TABLES
from tests.conftest import patch_settings

__all__ = ["patch_settings"]  # re-exported for the resilience suites

HOME, OTHER = "us-east-1", "eu-west-1"
READS = {"GetItem", "Query", "BatchGetItem", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}

#: fault name -> (HTTP status, AWS error code) for the error-response faults.
AWS_ERRORS = {
    "throttling": (400, "ThrottlingException"),
    "provisioned": (400, "ProvisionedThroughputExceededException"),
    "internal-500": (500, "InternalServerError"),
    "unavailable-503": (503, "ServiceUnavailable"),
}
#: Faults raised by botocore's HTTP layer (retried by botocore, like in AWS).
NETWORK_FAULTS = {"read-timeout", "connection"}
ALL_FAULTS = sorted([*AWS_ERRORS, *NETWORK_FAULTS])


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def model_classes() -> list[type]:
    return [cls for base in ALL_TABLES for cls in (base, *_subclasses(base))]


class Faults:
    """Which calls fail, and how. ``targets`` are ``(service, region, kind)`` with kind
    ``read`` / ``write`` for DynamoDB and ``any`` for SQS."""

    def __init__(self) -> None:
        self.rules: dict[tuple[str, str, str], str] = {}
        #: Faults applied after the call reached the service (a lost response).
        self.after: dict[tuple[str, str, str], str] = {}
        self.injected = 0

    # -- switching faults on and off
    def fail(self, fault: str, *, reads: bool = False, writes: bool = False,
             queue: bool = False, region: str = HOME, after_commit: bool = False) -> None:  # fmt: skip
        table = self.after if after_commit else self.rules
        for wanted, key in (
            (reads, ("dynamodb", region, "read")),
            (writes, ("dynamodb", region, "write")),
            (queue, ("sqs", region, "any")),
        ):
            if wanted:
                table[key] = fault
        self.hook()

    def clear(self) -> None:
        self.rules.clear()
        self.after.clear()

    # -- hooking clients
    def hook(self) -> None:
        """Hook the botocore client of each table (and SQS's); safe to repeat.

        Discriminator subclasses are made to share their table's connection (as
        scripts/bench.py does), so one client per table and region sees every call."""
        bound = set(replicas.replica_models())
        for base in ALL_TABLES:
            for sub in _subclasses(base):
                if sub not in bound and "_connection" in vars(sub):
                    delattr(sub, "_connection")
            self._hook_client(base._get_connection().connection.client, "dynamodb")
        for model in bound:
            with replicas.using(model.Meta.region):
                client = model._get_connection().connection.client
            self._hook_client(client, "dynamodb")
        self._hook_client(writequeue.client(), "sqs")

    def _hook_client(self, client: Any, service: str) -> None:
        if getattr(client, "_sidenote_faults", False):
            return
        client._sidenote_faults = True
        region = client.meta.region_name
        events = client.meta.events

        def before(request: Any, event_name: str, **_: Any) -> None:
            self._maybe_fail(self.rules, service, region, event_name, request)

        def after(request: Any, event_name: str, **_: Any) -> None:
            self._maybe_fail(self.after, service, region, event_name, request)

        events.register_first(f"before-send.{service}", before)
        events.register_last(f"before-send.{service}", after)

    def _maybe_fail(self, table: dict, service: str, region: str, event: str, request: Any) -> None:
        if not table:
            return
        operation = event.rsplit(".", 1)[-1]
        kind = "any" if service == "sqs" else ("read" if operation in READS else "write")
        if service == "dynamodb" and operation not in READS | WRITES:
            return
        fault = table.get((service, region, kind))
        if fault is None:
            return
        self.injected += 1
        if fault == "read-timeout":
            raise ReadTimeoutError(endpoint_url=request.url)
        if fault == "connection":
            raise EndpointConnectionError(endpoint_url=request.url)
        status, code = AWS_ERRORS[fault]
        raise ClientError(
            {
                "Error": {"Code": code, "Message": f"injected {fault}"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            operation,
        )


FAULTS = Faults()


def no_backoff(monkeypatch: Any) -> None:
    """botocore's retry backoff, made instant (the retries themselves still happen)."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


def create_other_region() -> None:
    """The second region's replica tables (moto is region-aware)."""
    for model in ALL_TABLES:
        replicas.model_for(model, OTHER).create_table(wait=True)


@functools.cache
def raw_client(region: str) -> Any:
    """A plain DynamoDB client of ``region`` (one per region: clients are slow to make)."""
    from botocore.session import get_session

    return get_session().create_client("dynamodb", region_name=region)


def table_names() -> list[str]:
    return [model.Meta.table_name for model in ALL_TABLES]


def scan(region: str, table: str) -> dict[tuple[str, str], dict]:
    client = raw_client(region)
    found: dict[tuple[str, str], dict] = {}
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        for item in page.get("Items", []):
            found[(item["pk"]["S"], item["sk"]["S"])] = item
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def copy_region(source: str = HOME, target: str = OTHER) -> None:
    """One-way, one-shot copy of every item (a replica that has caught up)."""
    client = raw_client(target)
    for table in table_names():
        for item in scan(source, table).values():
            client.put_item(TableName=table, Item=item)


class Replicator:
    """Global tables, test-only: converge two regions' replicas, last writer wins per item.

    Each :meth:`sync` compares both regions with the last converged state. An item
    changed in one region is copied to the other (puts and deletes). An item changed in
    both since the last sync is a conflict: one region's whole version wins and the other
    is discarded, exactly like DynamoDB's per-item last-writer-wins. Which version wins
    is chosen by ``rng`` — adversarially, so no test depends on a lucky order.
    """

    def __init__(self, regions: tuple[str, ...] = (HOME, OTHER), seed: int = 7) -> None:
        self.regions = regions
        self.rng = random.Random(seed)
        self.base: dict[tuple[str, tuple[str, str]], dict | None] = {}
        self.conflicts: list[tuple[str, tuple[str, str]]] = []
        self.copied = 0

    def sync(self) -> None:
        clients = {region: raw_client(region) for region in self.regions}
        for table in table_names():
            states = {region: scan(region, table) for region in self.regions}
            keys = set().union(*states.values())
            for key in keys:
                versions = {region: states[region].get(key) for region in self.regions}
                base = self.base.get((table, key))
                changed = [r for r in self.regions if versions[r] != base]
                if not changed:
                    continue
                if len(changed) > 1:  # written in both regions since the last sync
                    self.conflicts.append((table, key))
                winner = self.rng.choice(changed) if len(changed) > 1 else changed[0]
                value = versions[winner]
                for region in self.regions:
                    if versions[region] == value:
                        continue
                    self.copied += 1
                    if value is None:
                        clients[region].delete_item(
                            TableName=table, Key={"pk": {"S": key[0]}, "sk": {"S": key[1]}}
                        )
                    else:
                        clients[region].put_item(TableName=table, Item=value)
                self.base[(table, key)] = value


def create_queues() -> dict[str, str]:
    writequeue.reset()
    return writequeue.create_queues(max_receives=5, visibility_timeout=0)


def drain() -> writequeue.Outcome:
    """Deliver everything on the write queue (as the SQS trigger would)."""
    return writequeue.drain(max_batches=10_000)


def stored_texts(region: str = HOME) -> dict[str, int]:
    """How many stored comments carry each text (exactly once = 1)."""
    counts: dict[str, int] = {}
    for item in scan(region, settings.comments_table).values():
        if item.get("kind", {}).get("S") == "comment":
            text = item.get("text", {}).get("S", "")
            counts[text] = counts.get(text, 0) + 1
    return counts


def reset_state() -> None:
    FAULTS.clear()
    replicas.reset()
    writequeue.reset()
    from chalicelib.resilience import switches
    from chalicelib.store import sites

    sites.clear_cache()
    switches.clear_cache()

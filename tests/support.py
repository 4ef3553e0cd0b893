"""Test support: the plain helpers every test module shares (fixtures live in conftest.py).

Import it only after ``tests/conftest.py`` has set the environment (pytest loads conftest
first, so a test module's ``from tests.support import …`` is always late enough).

- Constants: :data:`ORIGIN`, :data:`JSON`, :data:`MISSING_ID`, the two regions, operation sets.
- Settings: :func:`patch_settings`, :func:`patch_probe_settings`.
- moto: :func:`moto_tables`, :func:`create_other_region`, :func:`raw_client`, :func:`scan`,
  :func:`copy_region`, :class:`Replicator` (global-table replication between two regions).
- HTTP through ``chalice.test.Client``: :func:`post_comment`, :func:`body_of`, :func:`moderate`.
- Stored data: :func:`stored_comments`, :func:`stored_texts`, :func:`thread_count`,
  :func:`stored_status`, :func:`lock_thread`.
- Faults at the botocore layer: :class:`Faults` and its one instance :data:`FAULTS`,
  :func:`no_backoff`, :func:`reset_state`.
- The write queue (:func:`create_queues`, :func:`drain`) and SNS (:class:`Inbox`).
- :data:`DYNAMODB_CALLS`: which DynamoDB operations a piece of code made.
- The real local stack: :func:`devstack`, :class:`LiveStack` (e2e and browser tests).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chalicelib.platform import config

ORIGIN = "https://blog.example"
"""The one allowed origin of the ``site`` fixture's site ``myblog``."""
JSON = {"Content-Type": "application/json"}
MISSING_ID = "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"
"""A well-formed comment id (ULID) that no test stores."""
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


# --- settings -------------------------------------------------------------------------------


def patch_settings(monkeypatch: Any, **changes: Any) -> config.Settings:
    """Replace the frozen settings for one test and return the patched copy.

    Production code reads ``config.settings`` at call time, so patching that attribute
    reaches it; test modules that imported ``settings`` itself get the patched copy too."""
    import dataclasses
    import sys

    original = config.settings
    patched = dataclasses.replace(original, **changes)
    for module in list(sys.modules.values()):
        if getattr(module, "settings", None) is original:
            monkeypatch.setattr(module, "settings", patched)
    return patched


def patch_probe_settings(monkeypatch: Any, **changes: Any) -> config.Settings:
    """:func:`patch_settings` for the health tests: also no "slow store" verdicts (tests
    don't time things) and no remembered reports."""
    from chalicelib.health import probes, states

    patched = patch_settings(monkeypatch, **changes)
    monkeypatch.setattr(probes, "SLOW_MS", 3_600_000.0)
    states.forget()
    return patched


# --- moto tables and regions ----------------------------------------------------------------


@contextmanager
def moto_tables() -> Iterator[None]:
    """moto in-process, with sidenote's tables created and no cached sites.

    PynamoDB's botocore clients are kept between tests (building them costs ~0.5 s); moto's
    stubber is registered on every client, so a fresh ``mock_aws`` still means fresh, empty
    tables."""
    from moto import mock_aws

    from chalicelib.store import replicas, sites
    from chalicelib.store.models import ALL_TABLES

    with mock_aws():
        for model in ALL_TABLES:
            model.create_table(wait=True)
        sites.clear_cache()
        replicas.writes.close()  # a breaker tripped by an earlier test must not leak
        try:
            yield
        finally:
            sites.clear_cache()
            replicas.writes.close()


def create_other_region() -> None:
    """The second region's replica tables (moto is region-aware)."""
    from chalicelib.store import replicas
    from chalicelib.store.models import ALL_TABLES

    for model in ALL_TABLES:
        replicas.model_for(model, OTHER).create_table(wait=True)


@functools.cache
def raw_client(region: str) -> Any:
    """A plain DynamoDB client of ``region`` (one per region: clients are slow to make)."""
    from botocore.session import get_session

    return get_session().create_client("dynamodb", region_name=region)


def table_names() -> list[str]:
    from chalicelib.store.models import ALL_TABLES

    return [model.Meta.table_name for model in ALL_TABLES]


def scan(region: str, table: str) -> dict[tuple[str, str], dict]:
    """Every item of ``table`` in ``region``, raw (DynamoDB JSON), by ``(pk, sk)``."""
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


# --- HTTP through chalice.test.Client -------------------------------------------------------


def post_comment(
    client: Any,
    payload: dict | str | bytes,
    *,
    thread: str = "/a",
    headers: dict[str, str] | None = None,
    site: str = "myblog",
) -> Any:
    """POST ``payload`` (a dict is sent as JSON, str/bytes as they are) to a thread."""
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.http.post(
        f"/sites/{site}/comments?thread={quote(thread, safe='')}",
        headers={**JSON, **(headers or {})},
        body=body,
    )


def body_of(response: Any) -> Any:
    """The JSON body of a test-client response."""
    return json.loads(response.body)


def moderate(
    client: Any, key: str, method: str, path: str, body: Any = None, *, site: str = "myblog"
) -> tuple[int, Any]:
    """Call ``/sites/{site}/moderation/{path}`` with moderator key ``key``:
    ``(status, decoded body or None)``."""
    response = client.http.request(
        method,
        f"/sites/{site}/moderation/{path}",
        headers={"Authorization": f"Bearer {key}", **JSON},
        body=json.dumps(body) if body is not None else None,
    )
    return response.status_code, json.loads(response.body) if response.body else None


# --- stored data ----------------------------------------------------------------------------


def stored_comments() -> list[Any]:
    """Every stored comment item (any site, any status), through the model."""
    from chalicelib.store.models import Comment, ThreadItem

    return [item for item in ThreadItem.scan() if isinstance(item, Comment)]


def stored_texts(region: str = HOME) -> dict[str, int]:
    """How many stored comments carry each text (exactly once = 1)."""
    counts: dict[str, int] = {}
    for item in scan(region, config.settings.comments_table).values():
        if item.get("kind", {}).get("S") == "comment":
            text = item.get("text", {}).get("S", "")
            counts[text] = counts.get(text, 0) + 1
    return counts


def thread_count(key: str = "/a", site_id: str = "myblog") -> int:
    """The approved-comment count of a thread, as the store answers it."""
    from chalicelib.store import comments, sites

    return comments.counts(sites.get_site(site_id), [key])[key]


def stored_status(comment_id: str, site_id: str = "myblog") -> str:
    """The stored status of a comment (``spam`` included, which readers never see)."""
    from chalicelib.store import comments, sites

    return comments.find(sites.get_site(site_id), comment_id).status


def lock_thread(site_id: str = "myblog", key: str = "/a") -> None:
    """Store thread ``key`` of ``site_id`` as locked (as a moderator's lock leaves it)."""
    from chalicelib.platform import clock
    from chalicelib.store import comments
    from chalicelib.store.models import ThreadMeta

    ThreadMeta(
        comments.thread_pk(site_id, key),
        comments.META_SK,
        site=site_id,
        key=key,
        created=clock.rfc3339(),
        locked=True,
    ).save()


# --- faults at the botocore layer -----------------------------------------------------------


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _tables(params: dict[str, Any]) -> set[str]:
    """The tables a DynamoDB request names (single-item, batch and transaction forms)."""
    tables = {params["TableName"]} if "TableName" in params else set()
    tables |= set(params.get("RequestItems", {}))
    for item in params.get("TransactItems", []):
        tables |= {op["TableName"] for op in item.values()}
    return tables


class Faults:
    """Which calls fail, and how: exactly what AWS and botocore raise (throttling, 500/503,
    read timeouts, connection errors), from client event hooks (``before-send``, registered
    first), so PynamoDB, botocore's retry logic and the app see the real exceptions.

    A rule is ``(service, region, kind, table)``: kind ``read`` / ``write`` for DynamoDB
    (``table`` None for every table) and ``any`` for SQS."""

    def __init__(self) -> None:
        self.rules: dict[tuple[str, str, str, str | None], str] = {}
        #: Faults applied after the call reached the service (a lost response).
        self.after: dict[tuple[str, str, str, str | None], str] = {}
        self.injected = 0

    # -- switching faults on and off
    def fail(self, fault: str, *, reads: bool = False, writes: bool = False,
             queue: bool = False, region: str = HOME, table: str | None = None,
             after_commit: bool = False) -> None:  # fmt: skip
        """Fail ``fault`` (a key of :data:`AWS_ERRORS` or :data:`NETWORK_FAULTS`) on
        ``region``'s DynamoDB reads and/or writes (of ``table`` only, if given) and/or SQS."""
        rules = self.after if after_commit else self.rules
        for wanted, key in (
            (reads, ("dynamodb", region, "read", table)),
            (writes, ("dynamodb", region, "write", table)),
            (queue, ("sqs", region, "any", None)),
        ):
            if wanted:
                rules[key] = fault
        self.hook()

    def clear(self) -> None:
        self.rules.clear()
        self.after.clear()

    # -- hooking clients
    def hook(self) -> None:
        """Hook the botocore client of each table (and SQS's); safe to repeat.

        Discriminator subclasses are made to share their table's connection (as
        scripts/bench.py does), so one client per table and region sees every call."""
        from chalicelib.resilience import writequeue
        from chalicelib.store import replicas
        from chalicelib.store.models import ALL_TABLES

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

    def _maybe_fail(self, rules: dict, service: str, region: str, event: str, request: Any) -> None:
        if not rules:
            return
        operation = event.rsplit(".", 1)[-1]
        if service == "dynamodb" and operation not in READS | WRITES:
            return
        kind = "any" if service == "sqs" else ("read" if operation in READS else "write")
        fault = rules.get((service, region, kind, None))
        if fault is None and service == "dynamodb":
            tables = _tables(json.loads(request.body or b"{}"))
            fault = next((rules[(service, region, kind, t)] for t in sorted(tables)
                          if (service, region, kind, t) in rules), None)  # fmt: skip
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


def reset_state() -> None:
    """No faults, closed breakers, a fresh SQS client, no cached sites or switches."""
    from chalicelib.resilience import switches, writequeue
    from chalicelib.store import replicas, sites

    FAULTS.clear()
    replicas.reset()
    writequeue.reset()
    sites.clear_cache()
    switches.clear_cache()


@contextmanager
def fault_stack(monkeypatch: Any, **settings: Any) -> Iterator[None]:
    """The resilience suites' world: ``settings`` patched, botocore backoff instant, clean
    state, the second region's tables when ``regions`` names it, the write queue, and
    :data:`FAULTS` hooked (no fault switched on); clean state again afterwards."""
    patch_settings(monkeypatch, **settings)
    no_backoff(monkeypatch)
    reset_state()
    if OTHER in settings.get("regions", ()):
        create_other_region()
    create_queues()
    FAULTS.hook()
    try:
        yield
    finally:
        reset_state()


# --- the write queue and SNS ----------------------------------------------------------------


def create_queues() -> dict[str, str]:
    """The write queue and its dead-letter queue, in moto (fresh SQS client): five receives
    before dead-lettering, no visibility timeout (a failed message is back at once)."""
    from chalicelib.resilience import writequeue

    writequeue.reset()
    return writequeue.create_queues(max_receives=5, visibility_timeout=0)


def drain() -> Any:
    """Deliver everything on the write queue through the posting path's consumer (as the
    SQS trigger would); the batch outcome."""
    from chalicelib.resilience import writequeue
    from chalicelib.threads import posting

    return writequeue.drain(posting.store_queued, max_batches=10_000)


class Inbox:
    """An SNS topic subscribed by an SQS queue, in moto: what was published to it."""

    def __init__(self, name: str) -> None:
        import boto3

        region = config.settings.region
        self.sns = boto3.client("sns", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )  # fmt: skip

    def messages(self) -> list[dict]:
        """Every notification since the last call (SNS envelope: Subject, Message,
        MessageAttributes)."""
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            got = batch.get("Messages", [])
            if not got:
                return found
            for message in got:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])


# --- recording DynamoDB calls ---------------------------------------------------------------


class DynamoDBCalls:
    """A ``before-call.dynamodb`` hook on every botocore client: while :meth:`recording`
    is open, each DynamoDB operation is appended as ``(operation, sorted tables)``.

    :func:`install` puts it in botocore's built-in handlers (as moto puts its stubber), so
    every client made afterwards carries it — PynamoDB's, the replicas', the outcome counter's.
    ``tests/conftest.py`` installs it before anything makes a client."""

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple[str, ...]]] | None = None

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self._calls is not None:
            self._calls.append((model.name, tuple(sorted(_tables(params)))))

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, tuple[str, ...]]]]:
        previous, self._calls = self._calls, []
        try:
            yield self._calls
        finally:
            if previous is not None:
                previous.extend(self._calls)
            self._calls = previous

    def install(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        if ("before-call.dynamodb", self) not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(("before-call.dynamodb", self))


DYNAMODB_CALLS = DynamoDBCalls()


class ScansInRequests:
    """A ``before-call.dynamodb`` hook that notes every Scan made while an HTTP request is
    being handled (the edge middleware marks it): no request may scan a table. The CLI and
    the schedules may (they run outside requests)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        from chalicelib.platform import web

        request = web.current_request()
        if model.name == "Scan" and request is not None:
            self.found.append(f"{request.method} {request.path}: Scan {params.get('TableName')}")

    def install(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        if ("before-call.dynamodb", self) not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(("before-call.dynamodb", self))


SCANS_IN_REQUESTS = ScansInRequests()


# --- the real local stack (end-to-end and browser tests) ----------------------------------


def devstack() -> Any:
    """``scripts/devstack.py`` as a module (DynamoDB Local, chalice local, the CLI)."""
    import sys
    from pathlib import Path

    scripts = str(Path(__file__).resolve().parent.parent / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import devstack as module

    return module


class LiveStack:
    """DynamoDB Local (in memory) + ``chalice local`` over real HTTP, for one test session."""

    def __init__(self) -> None:
        self.devstack = stack = devstack()
        self.database = stack.Database().start()
        self.server = stack.ApiServer({}, port=stack.free_port())
        self.url = self.server.url
        self.env = stack.stack_env(
            self.database.endpoint,
            SIDENOTE_TABLE_PREFIX="sidenote-dev-",
            SIDENOTE_SECRET="e2e-secret",
            SIDENOTE_RATE_LIMIT_PER_MINUTE="100000",
            SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE="100000",
            SIDENOTE_LOG_LEVEL="WARNING",
        )
        self.server.env = self.env
        stack.prepare(self.env, [self.url])
        self.queues = stack.Queues().start(self.env)  # like `make run`: posts never 503
        self.moderator_key = stack.cli(self.env, "key", "create", "demo").strip()
        self.server.start()

    def cli(self, *args: str) -> str:
        return self.devstack.cli(self.env, *args)

    def forget_ephemeral(self, prefix: str) -> None:
        """Delete the stack's ephemeral items whose ``pk`` starts with ``prefix``: state that
        other tests of the session left behind (failed-key windows of 127.0.0.1, outcome
        counts of their deliberate 503s) and that a test must not inherit."""
        import boto3
        from boto3.dynamodb.conditions import Attr

        table = boto3.resource(
            "dynamodb", endpoint_url=self.env["DYNAMODB_ENDPOINT"],
            region_name=self.env["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        ).Table(self.env["SIDENOTE_TABLE_PREFIX"] + "ephemeral")  # fmt: skip
        found = table.scan(FilterExpression=Attr("pk").begins_with(prefix))
        for entry in found["Items"]:
            table.delete_item(Key={"pk": entry["pk"], "sk": entry["sk"]})

    def restart_server(self) -> None:
        self.server.stop()
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.queues.stop()
        self.database.stop()

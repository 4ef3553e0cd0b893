"""Create sidenote's tables from the PynamoDB models (the one definition of the schema).

Safe to re-run: existing tables are left as they are. Every table is on-demand, with
streams (global tables need them), point-in-time recovery and deletion protection; TTL is
switched on where a model declares a TTL attribute. (DynamoDB Local and moto accept but
ignore some of these; that is fine for local runs and tests.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.models import Model

from chalicelib.platform import clients, config
from chalicelib.store.models import ALL_TABLES


def _client(model: type[Model]):
    return model._get_connection().connection.client


def create_table(model: type[Model]) -> str:
    """Create one table if missing; return what was done."""
    name = model.Meta.table_name
    if model.exists():
        return f"{name}: exists"
    model.create_table(wait=True, ignore_update_ttl_errors=True)
    _protect(_client(model), name)  # TTL: create_table has set it
    return f"{name}: created"


def create_tables() -> Iterator[str]:
    for model in ALL_TABLES:
        yield create_table(model)


# --- global tables: one definition for the CLI and the deployment template ----------------


def table_spec(model: type[Model]) -> dict[str, Any]:
    """The table as DynamoDB's API names it, from the model: keys, indexes, TTL, streams."""
    schema = model._get_schema()
    definitions: dict[str, str] = {}
    for item in schema["attribute_definitions"]:
        definitions[item["AttributeName"]] = item["AttributeType"]
    indexes = []
    for index in sorted(schema.get("global_secondary_indexes", []), key=lambda i: i["index_name"]):
        for item in index.get("attribute_definitions", []):
            definitions[item["AttributeName"]] = item["AttributeType"]
        indexes.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": index["key_schema"],
                "Projection": index["projection"],
            }
        )
    ttl = model._ttl_attribute()
    return {
        "TableName": model.Meta.table_name,
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in definitions.items()
        ],
        "KeySchema": schema["key_schema"],
        "GlobalSecondaryIndexes": indexes,
        "StreamViewType": model.Meta.stream_view_type,
        "TimeToLiveAttribute": ttl.attr_name if ttl else None,
    }


def _status(client: Any, name: str) -> tuple[str, dict[str, str]]:
    table = client.describe_table(TableName=name)["Table"]
    return table["TableStatus"], {
        r["RegionName"]: r.get("ReplicaStatus", "ACTIVE") for r in table.get("Replicas", [])
    }


def _wait_active(client: Any, name: str, timeout: float, poll: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        status, replicas = _status(client, name)
        if status == "ACTIVE" and all(s == "ACTIVE" for s in replicas.values()):
            return replicas
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: not ACTIVE after {timeout:.0f} s ({status}, {replicas})")
        time.sleep(poll)


def _region_client(region: str) -> Any:
    """Control-plane calls (create, describe, update a table): longer reads, more attempts."""
    endpoint = config.settings.endpoint_for(region)
    return clients.client("dynamodb", region=region, endpoint=endpoint, read=10.0, attempts=4)


def _protect(client: Any, name: str, ttl: str | None = None) -> None:
    """Point-in-time recovery, deletion protection and TTL on one replica (per replica)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if ttl:
        calls.append(
            ("update_time_to_live",
             {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": ttl}})
        )  # fmt: skip
    for call, kwargs in (
        *calls,
        ("update_continuous_backups",
         {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}),
        ("update_table", {"DeletionProtectionEnabled": True}),
    ):  # fmt: skip
        try:
            getattr(client, call)(TableName=name, **kwargs)
        except ClientError as exc:  # DynamoDB Local lacks some of these; AWS has them all
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in {"UnknownOperationException", "ValidationException"}:
                raise


def add_replicas(
    model: type[Model], regions: list[str], *, timeout: float = 1800, poll: float = 10
) -> Iterator[str]:
    """Make ``model``'s table global: add a replica in each of ``regions`` that lacks one
    (one at a time, as DynamoDB requires), wait until all are ACTIVE, protect each."""
    name = model.Meta.table_name
    client = _client(model)
    _, existing = _status(client, name)
    for region in regions:
        if region == config.settings.region or region in existing:
            yield f"{name}: replica {region} exists"
            continue
        try:
            client.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        except ClientError as exc:  # DynamoDB Local lacks some of these; AWS has them all
            code = exc.response.get("Error", {}).get("Code", "")
            if (
                code in {"UnknownOperationException", "ValidationException"}
                and config.settings.dynamodb_endpoint
            ):
                yield f"{name}: replicas not supported by {config.settings.dynamodb_endpoint} (local)"
                return
            raise
        existing = _wait_active(client, name, timeout, poll)
        yield f"{name}: replica {region} added"
    for region in regions:
        if region != config.settings.region:
            _protect(_region_client(region), name, table_spec(model)["TimeToLiveAttribute"])


def create_global_tables(
    regions: list[str], *, timeout: float = 1800, poll: float = 10
) -> Iterator[str]:
    """``sidenote tables create --regions``: tables in this region, then their replicas."""
    for model in ALL_TABLES:
        yield create_table(model)
        yield from add_replicas(model, regions, timeout=timeout, poll=poll)

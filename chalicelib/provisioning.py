"""Create sidenote's tables from the PynamoDB models (the one definition of the schema).

Safe to re-run: existing tables are left as they are. Every table is on-demand, with
streams (global tables need them), point-in-time recovery and deletion protection; TTL is
switched on where a model declares a TTL attribute. (DynamoDB Local and moto accept but
ignore some of these; that is fine for local runs and tests.)
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import ClientError
from pynamodb.models import Model

from chalicelib.models import ALL_TABLES


def _client(model: type[Model]):
    return model._get_connection().connection.client


def create_table(model: type[Model]) -> str:
    """Create one table if missing; return what was done."""
    name = model.Meta.table_name
    if model.exists():
        return f"{name}: exists"
    model.create_table(wait=True, ignore_update_ttl_errors=True)
    client = _client(model)
    for call, kwargs in (
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
    return f"{name}: created"


def create_tables() -> Iterator[str]:
    for model in ALL_TABLES:
        yield create_table(model)

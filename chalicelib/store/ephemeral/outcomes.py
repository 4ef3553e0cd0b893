"""Outcome counts in the ephemeral table: ``OUTCOMES#<region>``, one item per minute.

Attribute names are dynamic (``queued``, ``refused``, ``errors`` and ``<kind>@<site>``), so
these items are written and read with the low-level client, not a model. Counting is on the
path of a failing request: one UpdateItem on a client with tight limits (0.3 s, one attempt).
"""

from __future__ import annotations

from typing import Any

from chalicelib.platform import clients, config
from chalicelib.store.models import EphemeralItem


def _client() -> Any:
    """A DynamoDB client with tight limits: counting must not slow a failing request much."""
    endpoint = config.settings.dynamodb_endpoint or None
    return clients.client("dynamodb", endpoint=endpoint, connect=0.3, read=0.3, attempts=1)


def add_outcome(region: str, minute: str, kind: str, site: str | None, expires: float) -> None:
    """Add one to ``kind`` (and to ``kind@site`` when given) in ``region``'s item of
    ``minute`` (``YYYY-MM-DDTHH:MM``), kept until ``expires``. Storage errors propagate."""
    names = {"#k": kind, "#kind": "kind", "#exp": "expires"}
    expression = "ADD #k :one"
    if site:
        names["#s"] = f"{kind}@{site}"
        expression += ", #s :one"
    _client().update_item(
        TableName=config.settings.ephemeral_table,
        Key={"pk": {"S": f"OUTCOMES#{region}"}, "sk": {"S": minute}},
        UpdateExpression=expression + " SET #kind = :kind, #exp = :exp",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":kind": {"S": "outcomes"},
            ":exp": {"N": str(int(expires))},
        },
    )


def read_outcomes(region: str, first_minute: str, last_minute: str) -> list[dict[str, int]]:
    """``region``'s counts from ``first_minute`` to ``last_minute`` (both included): one dict
    of counter name to count per minute that has any."""
    connection = EphemeralItem._get_connection()
    found: list[dict[str, int]] = []
    last = None
    while True:
        page = connection.query(
            f"OUTCOMES#{region}",
            EphemeralItem.sk.between(first_minute, last_minute),
            exclusive_start_key=last,
        )
        for item in page.get("Items", []):
            found.append(
                {
                    name: int(value["N"])
                    for name, value in item.items()
                    if "N" in value and name != "expires"
                }
            )
        last = page.get("LastEvaluatedKey")
        if not last:
            return found

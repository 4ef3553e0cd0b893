"""Named DynamoDB transactions: a cancellation says which condition failed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.store.models import ThreadItem

_ATTEMPTS = 4


class Transaction:
    """A TransactWrite whose operations have names. PynamoDB sends condition checks, then
    puts, then updates: the cancellation reasons come back in that order."""

    def __init__(self, tx: TransactWrite) -> None:
        self.tx = tx
        self._names: dict[str, list[str]] = {"check": [], "put": [], "update": []}

    def check(
        self, name: str, model_cls: Any, hash_key: str, range_key: str, condition: Any
    ) -> None:
        self._names["check"].append(name)
        self.tx.condition_check(model_cls, hash_key, range_key, condition=condition)

    def put(self, name: str, model: Any, condition: Any = None) -> None:
        self._names["put"].append(name)
        self.tx.save(model, condition=condition)

    def update(self, name: str, model: Any, actions: list[Any], condition: Any = None) -> None:
        self._names["update"].append(name)
        self.tx.update(model, actions=actions, condition=condition)

    def order(self) -> list[str]:
        return [*self._names["check"], *self._names["put"], *self._names["update"]]


def failed(exc: TransactWriteError) -> set[str]:
    """Names of the operations whose conditions failed (empty for other failures)."""
    return getattr(exc, "failed", set())


def transact(build: Callable[[Transaction], None]) -> None:
    """Run the transaction ``build`` describes; retry on transaction conflicts.

    Raises TransactWriteError annotated with ``failed``: the names of the operations whose
    conditions failed (see :func:`failed`).
    """
    connection = ThreadItem._get_connection().connection
    for attempt in range(_ATTEMPTS):
        named: Transaction | None = None
        try:
            with TransactWrite(connection=connection) as tx:
                named = Transaction(tx)
                build(named)
            return
        except TransactWriteError as exc:
            codes = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if "TransactionConflict" in codes and attempt + 1 < _ATTEMPTS:
                time.sleep(0.02 * 2**attempt)
                continue
            names = named.order() if named else []
            exc.failed = {  # type: ignore[attr-defined]
                n for n, c in zip(names, codes, strict=False) if c == "ConditionalCheckFailed"
            }
            raise

"""The durable write queue: comments accepted while the table cannot take them.

The posting path (``chalicelib.threads.posting.post``) puts a prepared comment here
(:func:`enqueue`) when the table refuses or times out the write, and answers 202. The
``@on_sqs_message`` consumer (``chalicelib.routes.resilience``) calls :func:`handle_batch`
with the posting path's own ``store`` function, which stores each message with the same
comment id (a replay or a second delivery changes nothing), and reports only the failed
messages (``ReportBatchItemFailures``): they come back after the visibility timeout and,
after ``maxReceiveCount`` receives, land in the dead-letter queue that the health reports
watch. A message that can never be stored (the thread was locked meanwhile, the parent is
gone, the body is unreadable) goes to the dead-letter queue at once, with the reason, for
an operator to look at: accepted is never lost.

Locally (``chalice local`` runs no SQS triggers) :func:`drain` plays the event source:
it receives, calls the same :func:`process` and deletes what was stored. The queue rules
(transient vs dead-lettered) are :mod:`chalicelib.resilience.durable`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.platform import clients, config
from chalicelib.resilience.durable import BatchOutcome, DurableQueue, Handler, client

__all__ = ["BatchOutcome", "client", "create_queues", "depth", "drain", "enqueue",
           "handle_batch", "process", "queue_url", "redrive", "reset"]  # fmt: skip

QUEUE = DurableQueue(
    kind="comment",
    name=lambda: config.settings.write_queue,
    dead_letter_name=lambda: config.settings.dead_letter_queue,
    fixed_url=lambda: config.settings.write_queue_url,
)
#: Stores one message body (the posting path's ``store_queued``).
StoreMessage = Handler


def reset() -> None:
    """Forget the SQS clients and queue URLs (tests: a new moto, a new endpoint)."""
    clients.reset("sqs")
    QUEUE.forget_urls()


def queue_url(dead_letter: bool = False) -> str:
    """URL of the write queue (or its dead-letter queue), looked up once by name."""
    return QUEUE.url(dead_letter)


def enqueue(message: dict[str, Any]) -> None:
    """Put a prepared comment (its JSON form) on the queue. Raises a storage error if SQS
    refuses."""
    QUEUE.enqueue(message)


def process(messages: Iterable[tuple[str, str]], store: StoreMessage) -> BatchOutcome:
    """Store each ``(message id, body)``; sort them into stored / failed / dead-lettered."""
    return QUEUE.process(messages, store)


def handle_batch(records: Iterable[Any], store: StoreMessage) -> dict[str, Any]:
    """The SQS-triggered Lambda's body: a partial batch response (failed ids only)."""
    return QUEUE.handle_batch(records, store)


def drain(store: StoreMessage, *, max_batches: int = 1000, wait_seconds: int = 0) -> BatchOutcome:
    """Play the SQS event source locally: receive, store, delete what was handled."""
    return QUEUE.drain(store, max_batches=max_batches, wait_seconds=wait_seconds)


def depth() -> dict[str, int]:
    """Messages waiting (visible + in flight) on the queue and on its dead-letter queue."""
    return QUEUE.depth()


def redrive(*, limit: int = 10_000) -> int:
    """Move dead-lettered messages back to the write queue (an operator, after a fix)."""
    return QUEUE.redrive(limit=limit)


def create_queues(*, max_receives: int = 100, visibility_timeout: int = 120) -> dict[str, str]:
    """Create the queue and its dead-letter queue if missing (local stacks, tests)."""
    return QUEUE.create(
        max_receives=max_receives, visibility_timeout=visibility_timeout, retention_days=14
    )

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
it receives, calls the same :func:`process` and deletes what was stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform import clients, config
from chalicelib.platform.errors import SecretUnavailable, SidenoteError
from chalicelib.platform.logs import logger
from chalicelib.store import replicas

_urls: dict[str, str] = {}


def client() -> Any:
    """This region's SQS client (1 s connect, 2 s read, 2 attempts), made once."""
    return clients.client("sqs", endpoint=config.settings.sqs_endpoint or None)


def reset() -> None:
    """Forget the SQS clients and queue URLs (tests: a new moto, a new endpoint)."""
    clients.reset("sqs")
    _urls.clear()


def queue_url(dead_letter: bool = False) -> str:
    """URL of the write queue (or its dead-letter queue), looked up once by name."""
    name = config.settings.dead_letter_queue if dead_letter else config.settings.write_queue
    if not dead_letter and config.settings.write_queue_url:
        return config.settings.write_queue_url
    if name not in _urls:
        _urls[name] = client().get_queue_url(QueueName=name)["QueueUrl"]
    return _urls[name]


# --- the API side ------------------------------------------------------------------------


def enqueue(message: dict[str, Any]) -> None:
    """Put a prepared comment (its JSON form) on the queue. Raises a storage error if SQS
    refuses."""
    client().send_message(
        QueueUrl=queue_url(),
        MessageBody=json.dumps(message, separators=(",", ":"), ensure_ascii=False),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "comment"}},
    )


# --- the queue side ----------------------------------------------------------------------


@dataclass
class BatchOutcome:
    """What :func:`process` did with a batch."""

    stored: list[str] = field(default_factory=list)
    #: Transient failures: leave on the queue (redelivered, then dead-lettered).
    failed: list[str] = field(default_factory=list)
    #: Permanent failures, sent to the dead-letter queue with the reason.
    dead_lettered: list[str] = field(default_factory=list)


def _dead_letter(message_id: str, body: str, reason: str) -> None:
    client().send_message(
        QueueUrl=queue_url(dead_letter=True),
        MessageBody=body,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:250]},
            "original_message_id": {"DataType": "String", "StringValue": message_id},
        },
    )


#: Stores one message body (the posting path's ``store_queued``): raises ValueError or
#: TypeError for an unreadable body, SidenoteError for a comment that can never be stored,
#: a storage error for a transient failure.
StoreMessage = Callable[[str], Any]


def process(messages: Iterable[tuple[str, str]], store: StoreMessage) -> BatchOutcome:
    """Store each ``(message id, body)``; sort them into stored / failed / dead-lettered."""
    outcome = BatchOutcome()
    for message_id, body in messages:
        try:
            store(body)
        except (TypeError, ValueError) as exc:
            reason = f"unreadable message: {exc}"
        except SecretUnavailable as exc:  # transient: the message waits for the secret
            logger.warning("queued comment not stored yet", extra={"error": exc.message})
            outcome.failed.append(message_id)
            continue
        except SidenoteError as exc:  # thread locked, parent gone: never storable
            reason = f"{exc.code}: {exc.message}"
        except replicas.STORAGE_ERRORS as exc:
            logger.warning("queued comment not stored yet", extra={"error": repr(exc)[:300]})
            outcome.failed.append(message_id)
            continue
        else:
            outcome.stored.append(message_id)
            continue
        logger.error("queued comment dead-lettered", extra={"reason": reason})
        try:
            _dead_letter(message_id, body, reason)
        except replicas.STORAGE_ERRORS:
            outcome.failed.append(message_id)  # the redrive policy gets it there later
        else:
            outcome.dead_lettered.append(message_id)
    return outcome


def handle_batch(records: Iterable[Any], store: StoreMessage) -> dict[str, Any]:
    """The SQS-triggered Lambda's body: a partial batch response (failed ids only)."""
    batch = [(r.to_dict()["messageId"], r.body) for r in records]
    outcome = process(batch, store)
    logger.info(
        "write queue batch",
        extra={
            "stored": len(outcome.stored),
            "failed": len(outcome.failed),
            "dead_lettered": len(outcome.dead_lettered),
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in outcome.failed]}


def drain(store: StoreMessage, *, max_batches: int = 1000, wait_seconds: int = 0) -> BatchOutcome:
    """Play the SQS event source locally: receive, process, delete what was handled.

    Stops when a receive returns nothing or after ``max_batches`` batches. Failed messages
    stay on the queue and come back after its visibility timeout.
    """
    total = BatchOutcome()
    sqs = client()
    url = queue_url()
    for _ in range(max_batches):
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        if not received:
            break
        handles = {m["MessageId"]: m["ReceiptHandle"] for m in received}
        outcome = process(((m["MessageId"], m["Body"]) for m in received), store)
        done = outcome.stored + outcome.dead_lettered
        if done:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": handles[m]} for i, m in enumerate(done)],
            )
        total.stored += outcome.stored
        total.failed += outcome.failed
        total.dead_lettered += outcome.dead_lettered
    return total


def depth() -> dict[str, int]:
    """Messages waiting (visible + in flight) on the queue and on its dead-letter queue."""
    found = {}
    for name, dead in (("queue", False), ("dead_letter", True)):
        attributes = client().get_queue_attributes(
            QueueUrl=queue_url(dead_letter=dead),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        found[name] = int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
    return found


def redrive(*, limit: int = 10_000) -> int:
    """Move dead-lettered messages back to the write queue (an operator, after a fix)."""
    sqs = client()
    dead, live = queue_url(dead_letter=True), queue_url()
    moved = 0
    while moved < limit:
        received = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            break
        for message in received:
            sqs.send_message(QueueUrl=live, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dead, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def create_queues(*, max_receives: int = 100, visibility_timeout: int = 120) -> dict[str, str]:
    """Create the queue and its dead-letter queue if missing (local stacks, tests).

    In AWS the deployment template creates them (deploy/); this mirrors its settings.
    """
    sqs = client()
    dead = sqs.create_queue(
        QueueName=config.settings.dead_letter_queue,
        Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600)},
    )["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    live = sqs.create_queue(
        QueueName=config.settings.write_queue,
        Attributes={
            "MessageRetentionPeriod": str(14 * 24 * 3600),
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)}
            ),
        },
    )["QueueUrl"]
    _urls.clear()
    return {"queue": live, "dead_letter": dead}

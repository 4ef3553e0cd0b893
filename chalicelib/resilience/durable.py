"""Durable SQS queues with a dead-letter queue: the rules both of sidenote's queues follow.

A message is handled by a function the caller gives. Its outcome sorts the message:

- handled → deleted (by the event source in AWS, by :meth:`DurableQueue.drain` locally);
- transient failure (storage not answering, the secret unavailable, 429/503 answers, or
  the caller's own transient errors) → left on the queue: it comes back after the visibility
  timeout and, after ``maxReceiveCount`` receives, lands in the dead-letter queue;
- never handleable (unreadable, or refused for good) → sent to the dead-letter queue at once
  with the reason, for an operator to look at: accepted is never lost.

The SQS-triggered consumers report only the failed messages (``ReportBatchItemFailures``).
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

#: Answers that mean "later" (a site's ceiling, read-only): the message waits.
RETRY_STATUSES = {429, 503}
UNREADABLE = (TypeError, ValueError, KeyError)

Handler = Callable[[str], Any]


def client() -> Any:
    """This region's SQS client (1 s connect, 2 s read, 2 attempts), made once."""
    return clients.client("sqs", endpoint=config.settings.sqs_endpoint or None)


@dataclass
class BatchOutcome:
    """What :meth:`DurableQueue.process` did with a batch."""

    stored: list[str] = field(default_factory=list)
    #: Transient failures: leave on the queue (redelivered, then dead-lettered).
    failed: list[str] = field(default_factory=list)
    #: Permanent failures, sent to the dead-letter queue with the reason.
    dead_lettered: list[str] = field(default_factory=list)

    def add(self, other: BatchOutcome) -> None:
        self.stored += other.stored
        self.failed += other.failed
        self.dead_lettered += other.dead_lettered


@dataclass
class DurableQueue:
    """One queue and its dead-letter queue, named by settings read at call time."""

    kind: str
    name: Callable[[], str]
    dead_letter_name: Callable[[], str]
    #: A URL that overrides the name (the write queue's ``SIDENOTE_WRITE_QUEUE_URL``).
    fixed_url: Callable[[], str] = lambda: ""
    #: The caller's own transient errors (e.g. a webmention source that timed out).
    transient: tuple[type[Exception], ...] = ()
    _urls: dict[str, str] = field(default_factory=dict)

    def url(self, dead_letter: bool = False) -> str:
        """URL of the queue (or its dead-letter queue), looked up once by name."""
        if not dead_letter and self.fixed_url():
            return self.fixed_url()
        name = self.dead_letter_name() if dead_letter else self.name()
        if name not in self._urls:
            self._urls[name] = client().get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def forget_urls(self) -> None:
        self._urls.clear()

    def enqueue(self, message: dict[str, Any]) -> None:
        """Put a JSON message on the queue. Raises a storage error if SQS refuses."""
        client().send_message(
            QueueUrl=self.url(),
            MessageBody=json.dumps(message, separators=(",", ":"), ensure_ascii=False),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": self.kind}},
        )

    def _dead_letter(self, message_id: str, body: str, reason: str) -> None:
        client().send_message(
            QueueUrl=self.url(dead_letter=True),
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:250]},
                "original_message_id": {"DataType": "String", "StringValue": message_id},
            },
        )

    def _is_transient(self, exc: Exception) -> bool:
        if isinstance(exc, (SecretUnavailable, *replicas.STORAGE_ERRORS, *self.transient)):
            return True
        return isinstance(exc, SidenoteError) and exc.STATUS_CODE in RETRY_STATUSES

    def process(self, messages: Iterable[tuple[str, str]], handle: Handler) -> BatchOutcome:
        """Handle each ``(message id, body)``; sort them into stored / failed / dead-lettered."""
        outcome = BatchOutcome()
        for message_id, body in messages:
            try:
                handle(body)
            except Exception as exc:
                if self._is_transient(exc):
                    logger.warning(f"{self.kind} not handled yet", extra={"error": repr(exc)[:300]})
                    outcome.failed.append(message_id)
                    continue
                if isinstance(exc, SidenoteError):
                    reason = f"{exc.code}: {exc.message}"
                elif isinstance(exc, UNREADABLE):
                    reason = f"unreadable message: {exc!r}"
                else:
                    raise
            else:
                outcome.stored.append(message_id)
                continue
            logger.error(f"{self.kind} dead-lettered", extra={"reason": reason})
            try:
                self._dead_letter(message_id, body, reason)
            except replicas.STORAGE_ERRORS:
                outcome.failed.append(message_id)  # the redrive policy gets it there later
            else:
                outcome.dead_lettered.append(message_id)
        return outcome

    def handle_batch(self, records: Iterable[Any], handle: Handler) -> dict[str, Any]:
        """The SQS-triggered Lambda's body: a partial batch response (failed ids only)."""
        outcome = self.process(((r.to_dict()["messageId"], r.body) for r in records), handle)
        logger.info(
            f"{self.kind} queue batch",
            extra={"stored": len(outcome.stored), "failed": len(outcome.failed),
                   "dead_lettered": len(outcome.dead_lettered)},
        )  # fmt: skip
        return {"batchItemFailures": [{"itemIdentifier": m} for m in outcome.failed]}

    def drain(
        self, handle: Handler, *, max_batches: int = 1000, wait_seconds: int = 0
    ) -> BatchOutcome:
        """Play the SQS event source locally: receive, process, delete what was handled.

        Stops when a receive returns nothing or after ``max_batches`` batches. Failed
        messages stay on the queue and come back after its visibility timeout.
        """
        total = BatchOutcome()
        sqs, url = client(), self.url()
        for _ in range(max_batches):
            received = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
            ).get("Messages", [])
            if not received:
                break
            handles = {m["MessageId"]: m["ReceiptHandle"] for m in received}
            outcome = self.process(((m["MessageId"], m["Body"]) for m in received), handle)
            done = outcome.stored + outcome.dead_lettered
            if done:
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": handles[m]}
                             for i, m in enumerate(done)],
                )  # fmt: skip
            total.add(outcome)
        return total

    def depth(self) -> dict[str, int]:
        """Messages waiting (visible + in flight) on the queue and on its dead-letter queue."""
        found = {}
        for name, dead in (("queue", False), ("dead_letter", True)):
            attributes = client().get_queue_attributes(
                QueueUrl=self.url(dead_letter=dead),
                AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"
                ],
            )["Attributes"]  # fmt: skip
            found[name] = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        return found

    def redrive(self, *, limit: int = 10_000) -> int:
        """Move dead-lettered messages back to the queue (an operator, after a fix)."""
        sqs = client()
        dead, live = self.url(dead_letter=True), self.url()
        moved = 0
        while moved < limit:
            received = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not received:
                break
            for message in received:
                sqs.send_message(QueueUrl=live, MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=dead, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        return moved

    def create(
        self, *, max_receives: int, visibility_timeout: int, retention_days: int
    ) -> dict[str, str]:
        """Create the queue and its dead-letter queue if missing (local stacks, tests).

        In AWS the deployment template creates them (deploy/); this mirrors its settings.
        """
        sqs = client()
        encrypted = {"SqsManagedSseEnabled": "true"}
        dead = sqs.create_queue(
            QueueName=self.dead_letter_name(),
            Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600), **encrypted},
        )["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        live = sqs.create_queue(
            QueueName=self.name(),
            Attributes={
                "MessageRetentionPeriod": str(retention_days * 24 * 3600),
                "VisibilityTimeout": str(visibility_timeout),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)}
                ),
                **encrypted,
            },
        )["QueueUrl"]
        self.forget_urls()
        return {"queue": live, "dead_letter": dead}

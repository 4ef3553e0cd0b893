"""The webmention verification queue (SQS → Lambda), with the write queue's rules.

:func:`enqueue` (the receiving route) puts a mention on the queue; the SQS-triggered
consumer (``chalicelib.routes.linkbacks``) calls :func:`handle_batch`, which verifies each
message (:func:`chalicelib.linkbacks.webmention.verify`) and reports only the failed ones
(``ReportBatchItemFailures``): a transient failure (the source timed out or answered 5xx,
the table refused, the site is read-only) comes back after the visibility timeout and, after
``maxReceiveCount`` receives, lands in the dead-letter queue; a message that can never be
handled (unreadable, or refused for good) goes to the dead-letter queue at once with its
reason. Verifying twice changes nothing (the (site, source, target) reference).

Locally (``chalice local`` runs no SQS triggers) :func:`drain` plays the event source; the
operator CLI's ``sidenote webmentions drain`` calls it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from chalicelib.linkbacks import fetch
from chalicelib.platform import config
from chalicelib.platform.errors import SecretUnavailable, SidenoteError
from chalicelib.platform.logs import logger
from chalicelib.resilience import writequeue
from chalicelib.resilience.writequeue import BatchOutcome
from chalicelib.store import replicas

_urls: dict[str, str] = {}
#: Answers that mean "later": the site's ceiling, read-only, a store that is not answering.
RETRY_STATUSES = {429, 503}

Verify = Callable[[dict[str, Any]], str]


def queue_url(dead_letter: bool = False) -> str:
    """URL of the webmention queue (or its dead-letter queue), looked up once by name."""
    settings = config.settings
    name = settings.webmention_dead_letter_queue if dead_letter else settings.webmention_queue
    if name not in _urls:
        _urls[name] = writequeue.client().get_queue_url(QueueName=name)["QueueUrl"]
    return _urls[name]


def reset() -> None:
    """Forget the queue URLs (tests: a new moto)."""
    _urls.clear()


def enqueue(message: dict[str, Any]) -> None:
    """Queue a webmention for verification. Raises a storage error if SQS refuses."""
    writequeue.client().send_message(
        QueueUrl=queue_url(),
        MessageBody=json.dumps(message, separators=(",", ":"), ensure_ascii=False),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "webmention"}},
    )


def _dead_letter(message_id: str, body: str, reason: str) -> None:
    writequeue.client().send_message(
        QueueUrl=queue_url(dead_letter=True),
        MessageBody=body,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:250]},
            "original_message_id": {"DataType": "String", "StringValue": message_id},
        },
    )


def process(messages: Iterable[tuple[str, str]], verify: Verify) -> BatchOutcome:
    """Verify each ``(message id, body)``; sort them into stored (handled) / failed /
    dead-lettered."""
    outcome = BatchOutcome()
    for message_id, body in messages:
        try:
            message = json.loads(body)
            if not isinstance(message, dict):
                raise ValueError("a webmention message is a JSON object")
            result = verify(message)
        except (TypeError, ValueError, KeyError) as exc:
            reason = f"unreadable message: {exc!r}"
        except (fetch.FetchFailed, SecretUnavailable, *replicas.STORAGE_ERRORS) as exc:
            logger.warning("webmention not verified yet", extra={"error": repr(exc)[:300]})
            outcome.failed.append(message_id)
            continue
        except SidenoteError as exc:
            if exc.STATUS_CODE in RETRY_STATUSES:
                outcome.failed.append(message_id)
                continue
            reason = f"{exc.code}: {exc.message}"
        else:
            logger.info("webmention verified", extra={"outcome": result})
            outcome.stored.append(message_id)
            continue
        logger.error("webmention dead-lettered", extra={"reason": reason})
        try:
            _dead_letter(message_id, body, reason)
        except replicas.STORAGE_ERRORS:
            outcome.failed.append(message_id)
        else:
            outcome.dead_lettered.append(message_id)
    return outcome


def handle_batch(records: Iterable[Any], verify: Verify) -> dict[str, Any]:
    """The SQS-triggered Lambda's body: a partial batch response (failed ids only)."""
    outcome = process(((r.to_dict()["messageId"], r.body) for r in records), verify)
    return {"batchItemFailures": [{"itemIdentifier": m} for m in outcome.failed]}


def drain(verify: Verify, *, max_batches: int = 100) -> BatchOutcome:
    """Play the SQS event source locally: receive, verify, delete what was handled."""
    total = BatchOutcome()
    sqs, url = writequeue.client(), queue_url()
    for _ in range(max_batches):
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not received:
            break
        handles = {m["MessageId"]: m["ReceiptHandle"] for m in received}
        outcome = process(((m["MessageId"], m["Body"]) for m in received), verify)
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


def create_queues(*, max_receives: int = 5, visibility_timeout: int = 180) -> dict[str, str]:
    """Create the queue and its dead-letter queue if missing (local stacks, tests); in AWS
    the deployment template creates them with the same settings."""
    sqs = writequeue.client()
    dead = sqs.create_queue(
        QueueName=config.settings.webmention_dead_letter_queue,
        Attributes={"MessageRetentionPeriod": str(14 * 24 * 3600)},
    )["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    live = sqs.create_queue(
        QueueName=config.settings.webmention_queue,
        Attributes={
            "MessageRetentionPeriod": str(4 * 24 * 3600),
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)}
            ),
        },
    )["QueueUrl"]
    _urls.clear()
    return {"queue": live, "dead_letter": dead}

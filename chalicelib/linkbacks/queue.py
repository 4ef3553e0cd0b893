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
from chalicelib.resilience.durable import BatchOutcome, DurableQueue

QUEUE = DurableQueue(
    kind="webmention",
    name=lambda: config.settings.webmention_queue,
    dead_letter_name=lambda: config.settings.webmention_dead_letter_queue,
    transient=(fetch.FetchFailed,),
)

Verify = Callable[[dict[str, Any]], str]


def queue_url(dead_letter: bool = False) -> str:
    """URL of the webmention queue (or its dead-letter queue), looked up once by name."""
    return QUEUE.url(dead_letter)


def reset() -> None:
    """Forget the queue URLs (tests: a new moto)."""
    QUEUE.forget_urls()


def enqueue(message: dict[str, Any]) -> None:
    """Queue a webmention for verification. Raises a storage error if SQS refuses."""
    QUEUE.enqueue(message)


def _handler(verify: Verify) -> Callable[[str], Any]:
    def handle(body: str) -> Any:
        message = json.loads(body)
        if not isinstance(message, dict):
            raise ValueError("a webmention message is a JSON object")
        return verify(message)

    return handle


def process(messages: Iterable[tuple[str, str]], verify: Verify) -> BatchOutcome:
    """Verify each ``(message id, body)``; sort them into handled / failed / dead-lettered."""
    return QUEUE.process(messages, _handler(verify))


def handle_batch(records: Iterable[Any], verify: Verify) -> dict[str, Any]:
    """The SQS-triggered Lambda's body: a partial batch response (failed ids only)."""
    return QUEUE.handle_batch(records, _handler(verify))


def drain(verify: Verify, *, max_batches: int = 100) -> BatchOutcome:
    """Play the SQS event source locally: receive, verify, delete what was handled."""
    return QUEUE.drain(_handler(verify), max_batches=max_batches)


def create_queues(*, max_receives: int = 5, visibility_timeout: int = 180) -> dict[str, str]:
    """Create the queue and its dead-letter queue if missing (local stacks, tests); in AWS
    the deployment template creates them with the same settings."""
    return QUEUE.create(
        max_receives=max_receives, visibility_timeout=visibility_timeout, retention_days=4
    )

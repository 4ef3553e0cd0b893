"""The durable write queue's consumer: comments accepted while the table refused them."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform import config
from chalicelib.resilience import writequeue
from chalicelib.threads import posting

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=config.settings.write_queue, batch_size=10)
def store_queued_comments(event: Any) -> dict:
    """Store each queued comment through the posting path; report only the failed messages."""
    return writequeue.handle_batch(event, posting.store_queued)

"""Idempotency-Key records: the first response to a keyed request, replayed on retries.

The record is written in the same transaction as the comment it answers for, so either
both exist or neither does; a retry finds the record and gets the first response again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from chalicelib.platform import clock
from chalicelib.platform.errors import IdempotencyKeyReused
from chalicelib.store.models import IdempotencyRecord

TTL_SECONDS = 24 * 3600


def request_hash(*parts: Any) -> str:
    """A stable hash of a request's meaning (canonical JSON of its parts)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_key(site_id: str, key: str) -> str:
    return f"IDEM#{site_id}#{key}"


def new_record(
    site_id: str, key: str, body_hash: str, status: int, body: dict
) -> IdempotencyRecord:
    return IdempotencyRecord(
        record_key(site_id, key), "#", body_hash=body_hash, status=status,
        response=json.dumps(body, separators=(",", ":")),
        expires=clock.at(clock.now() + TTL_SECONDS),
    )  # fmt: skip


def replay(site_id: str, key: str, body_hash: str) -> tuple[int, dict] | None:
    """The stored response for ``key``, or None if there is none.

    Raises IdempotencyKeyReused when the key was first used with another body.
    """
    try:
        record = IdempotencyRecord.get(record_key(site_id, key), "#", consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None
    if record.body_hash != body_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different comment; use a new key."
        )
    return int(record.status), json.loads(record.response)

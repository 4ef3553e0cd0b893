"""Sites' daily digests in the ephemeral table: ``pk = "DIGEST#<site>"``, ``sk`` = the day.

A digest is stored as the JSON of the dict :mod:`chalicelib.health.digest` builds (which
carries ``site`` and ``day``) and read back as that dict.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.platform import clock
from chalicelib.store.models import DigestRecord


def write_digest(digest: dict[str, Any], expires: float) -> None:
    """Store ``digest`` (replacing the one of the same site and day) until ``expires``."""
    DigestRecord(
        f"DIGEST#{digest['site']}",
        digest["day"],
        site=digest["site"],
        day=digest["day"],
        body=json.dumps(digest, separators=(",", ":")),
        expires=clock.at(expires),
    ).save()


def read_digest(site_id: str, day: str) -> dict[str, Any] | None:
    """The digest of ``site_id`` for ``day`` (``YYYY-MM-DD``), or None."""
    try:
        return json.loads(DigestRecord.get(f"DIGEST#{site_id}", day).body)
    except DigestRecord.DoesNotExist:
        return None


def latest_digest(site_id: str) -> dict[str, Any] | None:
    """The newest stored digest of ``site_id``, or None."""
    for item in DigestRecord.query(f"DIGEST#{site_id}", scan_index_forward=False, limit=1):
        return json.loads(item.body)
    return None

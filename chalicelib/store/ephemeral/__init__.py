"""The ephemeral table's gateway: the only door to it. Other packages call these names.

Everything here expires by TTL. Idempotency records (:mod:`.idempotency`) and rate-limit
windows (:mod:`.ratelimit`) are used as namespaces (``idempotency.replay``,
``ratelimit.hit``). Health records (:mod:`.health`): region states, probe reports and
15-minute buckets; outcome counts per minute (:mod:`.outcomes`, the low-level client);
operators' status notes (:mod:`.notes`); sites' daily digests (:mod:`.digests`); moderator
notification windows (:mod:`.notify`). The comment transactions of
:mod:`chalicelib.store.comments` also write day figures, spam fingerprints and site windows
into this table, inside their own transactions.
"""

from chalicelib.store.ephemeral import idempotency, ratelimit
from chalicelib.store.ephemeral.digests import latest_digest, read_digest, write_digest
from chalicelib.store.ephemeral.health import (
    STATE_FIELDS,
    Bucket,
    count_in_bucket,
    read_buckets,
    read_state,
    read_states,
    write_probe,
    write_state,
)
from chalicelib.store.ephemeral.notes import read_note, recent_notes, write_note
from chalicelib.store.ephemeral.notify import (
    Window,
    claim_window,
    clear_due,
    count_held,
    due_sites,
    mark_due,
    read_window,
)
from chalicelib.store.ephemeral.outcomes import add_outcome, read_outcomes

__all__ = [
    "STATE_FIELDS",
    "Bucket",
    "Window",
    "add_outcome",
    "claim_window",
    "clear_due",
    "count_held",
    "count_in_bucket",
    "due_sites",
    "idempotency",
    "latest_digest",
    "mark_due",
    "ratelimit",
    "read_buckets",
    "read_digest",
    "read_note",
    "read_outcomes",
    "read_state",
    "read_states",
    "read_window",
    "recent_notes",
    "write_digest",
    "write_note",
    "write_probe",
    "write_state",
]

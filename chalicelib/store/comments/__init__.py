"""The comments table's gateway: the only door to it. Other packages call these names.

Reads (:mod:`.reads`): thread pages (one Query), counts (one BatchGetItem), feeds, lookups
by id, moderation listings. Writes: a new comment (:mod:`.writes`); an author's edit and
delete, a moderator's status change, edit and lock (:mod:`.changes`) — each one
transaction with the counter and flags it affects; imported comments of one thread in
batches, one transaction per batch (:mod:`.imports`). Views (:mod:`.views`) say what the API shows of an item.
Key layout: :mod:`.keys`. A site's day figures (comments per day by status) ride in the
same transactions, so reports never scan. The health probe's canaries and queue length:
:mod:`.canary`.
"""

from chalicelib.store.comments.canary import (
    CANARY_PK,
    queue_length,
    read_canaries,
    ready_canary,
    write_canary,
)
from chalicelib.store.comments.changes import (
    Changed,
    change_status,
    erase,
    moderator_edit,
    replace_text,
    set_locked,
)
from chalicelib.store.comments.imports import BatchRefused, imported_batches, store_imported_batch
from chalicelib.store.comments.keys import COMMENT_PREFIX, META_SK, queue_key, thread_pk
from chalicelib.store.comments.reads import (
    MAX_COUNT_THREADS,
    by_status,
    counts,
    counts_with_linkbacks,
    day_figures,
    find,
    latest,
    list_thread,
    thread_counts,
    thread_meta,
)
from chalicelib.store.comments.records import PreparedComment
from chalicelib.store.comments.views import moderator_view, public_view, thread_view
from chalicelib.store.comments.writes import GuardRefused, fingerprint_owner, store_new
from chalicelib.store.models import Comment

__all__ = [
    "CANARY_PK",
    "COMMENT_PREFIX",
    "MAX_COUNT_THREADS",
    "META_SK",
    "BatchRefused",
    "Changed",
    "Comment",
    "GuardRefused",
    "PreparedComment",
    "by_status",
    "change_status",
    "counts",
    "counts_with_linkbacks",
    "day_figures",
    "erase",
    "find",
    "fingerprint_owner",
    "imported_batches",
    "latest",
    "list_thread",
    "moderator_edit",
    "moderator_view",
    "public_view",
    "queue_key",
    "queue_length",
    "read_canaries",
    "ready_canary",
    "replace_text",
    "set_locked",
    "store_imported_batch",
    "store_new",
    "thread_counts",
    "thread_meta",
    "thread_pk",
    "thread_view",
    "write_canary",
]

"""``sidenote import``: a source file into a site, through the posting path.

Two passes over the file, each streaming:

1. **Check**: parse everything (a broken or hostile file stops here, before any write,
   with the line) and keep a compact index: per source id its position in the file, time
   and thread (three integers packed into one), so that replies know their parent's id.
2. **Store**: each comment is prepared (:func:`posting.prepare_imported`: source status,
   time, author kept; HTML sanitised; e-mail and IP stored like native ones) and stored
   with :func:`posting.store_imported_batch` — the comments of one thread, up to a
   transaction's worth, in one transaction that writes each comment only if its id is new
   and moves the thread's count and the site's day figures with them (a batch that meets
   comments stored before goes through :func:`posting.store` one by one). Ids are derived
   from (site, format, source id) and the source time, so a re-run or a run resumed after
   a crash stores nothing twice and counts nothing twice.

Parents are stored before their replies: a reply that comes before its parent in the file
waits (in memory, only such replies) until the parent is stored. A reply whose parent is
missing, rejected or in another thread hangs under a tombstone (a ``deleted`` comment made
for it), never dropped. The file is read in windows of ``batch`` comments; a window's
comments are grouped by thread (files usually list a thread's comments together), its
threads stored side by side (``workers``), each thread in file order; storage errors are
retried with backoff, and a run that still fails stops with a report (run it again to
resume). Memory holds the index and one window, however big the file.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.platform.errors import SidenoteError
from chalicelib.store import replicas
from chalicelib.store.comments import PreparedComment
from chalicelib.store.sites import SiteConfig
from chalicelib.threads import posting
from sidenote_cli.migrate.keys import thread_key
from sidenote_cli.migrate.report import Report
from sidenote_cli.migrate.source import SourceComment, SourceError

BATCH = 1000
WORKERS = 4
ATTEMPTS = 6
NO_THREAD = (1 << 24) - 1


class ImportStopped(Exception):
    """Storage kept failing: the run stopped (what was stored stays, counted; run again)."""


def _h(source_id: str) -> int:
    """A compact 64-bit key for a source id (the index holds one per comment)."""
    return int.from_bytes(hashlib.blake2b(source_id.encode(), digest_size=8).digest(), "big")


def _ms(comment: SourceComment) -> int:
    return round(comment.created.timestamp() * 1000)


@dataclass
class _Item:
    ordinal: int
    comment: SourceComment
    key: str
    #: The parent is known to be unusable (missing, rejected, elsewhere, a cycle).
    orphan: bool = False


class Importer:
    """One import of ``path`` (parsed by ``parse``) into ``site``."""

    def __init__(
        self,
        site: SiteConfig,
        fmt: str,
        path: Path,
        parse: Callable[[Path], Iterator[SourceComment]],
        *,
        mapping: dict[str, str] | None = None,
        dry_run: bool = False,
        workers: int = WORKERS,
        batch: int = BATCH,
        progress: Callable[[int], None] | None = None,
        on_checked: Callable[[int], None] | None = None,
        store_batch: Callable[..., list[int | SidenoteError]] | None = None,
    ) -> None:
        self.site, self.fmt, self.path, self.parse = site, fmt, path, parse
        self.mapping = mapping or {}
        self.dry_run, self.workers, self.batch = dry_run, max(1, workers), max(1, batch)
        self.progress = progress or (lambda n: None)
        self.on_checked = on_checked or (lambda n: None)
        self.store_batch = store_batch or posting.store_imported_batch
        self.lock = threading.Lock()
        #: Addresses whose known-author item this run has stored (written once a run).
        self.known_authors: set[str] = set()
        self.report = Report(format=fmt, file=str(path), site=site.id, dry_run=dry_run)
        #: source id hash → ordinal << 66 | ms << 24 | thread number
        self.index: dict[int, int] = {}
        self.thread_numbers: dict[str, int] = {}
        self.last_ms: dict[int, int] = {}
        self.repeated: set[int] = set()  # ordinals of second copies of a source id
        self.rejected: set[int] = set()  # source id hashes that could not be stored
        self.tombstones: set[str] = set()
        self.waiting: dict[int, list[_Item]] = defaultdict(list)
        self.deferred: set[int] = set()
        #: Replies released by a parent that was skipped or rejected (stored next batch).
        self.released: list[_Item] = []

    # --- pass 1 ------------------------------------------------------------------------

    def check(self) -> int:
        """Parse the whole file and build the index. Raises SourceError. Returns the count."""
        ordinal = -1
        for ordinal, comment in enumerate(self.parse(self.path)):
            try:
                key = thread_key(comment, self.mapping)[0]
                number = self.thread_numbers.setdefault(key, len(self.thread_numbers))
            except SidenoteError:
                number = NO_THREAD
            hashed = _h(comment.source_id)
            if hashed in self.index:
                self.repeated.add(ordinal)
                continue
            self.index[hashed] = (
                ordinal << 66 | self._tie_break(number, _ms(comment)) << 24 | number
            )
        self.report.parsed = ordinal + 1
        return ordinal + 1

    def _tie_break(self, thread: int, ms: int) -> int:
        """The time an id carries. Sources that keep whole seconds give replies the second
        of their parent: the later one in the file gets the next millisecond (within
        that second), so the thread keeps the file's order instead of the ids' hashes'."""
        ms = max(0, ms)
        last = self.last_ms.get(thread)
        if last is not None and ms % 1000 == 0 and ms <= last < ms + 999:
            ms = last + 1
        self.last_ms[thread] = ms
        return ms

    def _lookup(self, source_id: str) -> tuple[int, int, int] | None:
        packed = self.index.get(_h(source_id))
        if packed is None:
            return None
        return packed >> 66, (packed >> 24) & ((1 << 42) - 1), packed & NO_THREAD

    # --- pass 2 ------------------------------------------------------------------------

    def run(self) -> Report:
        """Check, then store. A storage failure that outlasts the retries stops the run
        (``report.outcome`` says why); SourceError propagates from the check."""
        started = time.monotonic()
        self.on_checked(self.check())
        pending: list[_Item] = []
        try:
            with ThreadPoolExecutor(self.workers) as pool:
                for ordinal, comment in enumerate(self.parse(self.path)):
                    item = self._admit(ordinal, comment)
                    if item is not None:
                        pending.append(item)
                    if self.released:
                        pending.extend(self.released)
                        self.released = []
                    if len(pending) >= self.batch:
                        # the last thread likely goes on: kept for the next window whole
                        last = pending[-1].key
                        tail = [item for item in pending if item.key == last]
                        if len(tail) < len(pending):
                            ahead = [item for item in pending if item.key != last]
                            pending = tail + self._flush(pool, ahead)
                        else:
                            pending = self._flush(pool, pending)
                while pending or self.waiting:
                    if not pending:  # parents never stored (a cycle): orphans now
                        for children in self.waiting.values():
                            for child in children:
                                child.orphan = True
                                self.deferred.discard(_h(child.comment.source_id))
                                pending.append(child)
                        self.waiting.clear()
                    pending = self._flush(pool, pending)
        except ImportStopped as exc:
            self.report.outcome = f"stopped: {exc}"
        finally:
            self.report.seconds = round(time.monotonic() - started, 2)
        return self.report

    def _admit(self, ordinal: int, comment: SourceComment) -> _Item | None:
        """The comment as an item to store now, or None (skipped, rejected, or waiting)."""
        if comment.duplicate_of is not None or ordinal in self.repeated:
            self.report.duplicate(None)
            self._skipped(comment, ordinal)
            return None
        try:
            key, rule = thread_key(comment, self.mapping)
        except SidenoteError as exc:
            self.report.reject(None, comment.source_id, comment.where, exc.message)
            self._skipped(comment, ordinal)
            return None
        self.report.thread(key, rule, comment.thread_title, comment.thread_url)
        item = _Item(ordinal, comment, key)
        if comment.parent_id:
            parent = self._lookup(comment.parent_id)
            parent_hash = _h(comment.parent_id)
            same_thread = parent is not None and parent[2] == self.thread_numbers.get(key)
            if same_thread and (parent[0] > ordinal or parent_hash in self.deferred):
                self.waiting[parent_hash].append(item)
                self.deferred.add(_h(comment.source_id))
                return None
        return item

    def _skipped(self, comment: SourceComment, ordinal: int) -> None:
        """A comment that will not be stored: its replies hang under a tombstone."""
        self.progress(1)
        hashed = _h(comment.source_id)
        found = self._lookup(comment.source_id)
        if found is None or found[0] != ordinal:
            return  # a second copy: the first one is the parent
        self.rejected.add(hashed)
        for child in self.waiting.pop(hashed, []):
            self.deferred.discard(_h(child.comment.source_id))
            self.released.append(child)

    def _flush(self, pool: ThreadPoolExecutor, items: list[_Item]) -> list[_Item]:
        """Store a batch (threads side by side, each in order); return the replies that
        were waiting for the comments just stored."""
        groups: dict[str, list[_Item]] = defaultdict(list)
        for item in items:
            groups[item.key].append(item)
        for future in [pool.submit(self._store_thread, group) for group in groups.values()]:
            future.result()
        released: list[_Item] = []
        for item in items:
            hashed = _h(item.comment.source_id)
            for child in self.waiting.pop(hashed, []):
                self.deferred.discard(_h(child.comment.source_id))
                released.append(child)
        return released

    def _store_thread(self, items: list[_Item]) -> None:
        """Prepare a thread's items in order (a reply's parent is known, or a tombstone
        made, before the reply), then store them a transaction's worth at a time."""
        batch: list[PreparedComment] = []
        owners: dict[str, _Item | None] = {}  # prepared id → its item (None: a tombstone)
        for item in items:
            comment = item.comment
            try:
                parent = self._parent_id(item, batch, owners)
                prepared = posting.prepare_imported(
                    self.site, item.key, source=self.fmt, source_id=comment.source_id,
                    created=self._own_ms(item) / 1000, text=comment.text,
                    is_html=comment.is_html, markdown=comment.markdown,
                    source_status=comment.status, kind=comment.kind, parent=parent,
                    author=comment.author, email=comment.email, website=comment.website,
                    ip=comment.ip, title=comment.thread_title, url=comment.thread_url,
                )  # fmt: skip
            except SidenoteError as exc:
                self._reject(item, exc)
                continue
            batch.append(prepared)
            owners[prepared.id] = item
        for chunk in posting.imported_batches(batch, self.known_authors):
            outcomes = self._save(chunk)
            with self.lock:
                self.known_authors.update(
                    p.email for p, outcome in zip(chunk, outcomes, strict=True)
                    if p.email and p.status == "approved" and outcome in {200, 201}
                )  # fmt: skip
            for prepared, outcome in zip(chunk, outcomes, strict=True):
                item = owners[prepared.id]
                if item is None:
                    if outcome == 201:
                        self.report.tombstone(prepared.thread)
                elif isinstance(outcome, SidenoteError):
                    self._reject(item, outcome)
                elif outcome == 200:
                    self.report.duplicate(item.key)
                    self.progress(1)
                else:
                    self.report.stored(item.key, prepared.status, prepared.type)
                    self.progress(1)

    def _reject(self, item: _Item, exc: SidenoteError) -> None:
        comment = item.comment
        self.rejected.add(_h(comment.source_id))
        self.report.reject(item.key, comment.source_id, comment.where, exc.message)
        self.progress(1)

    def _parent_id(
        self, item: _Item, batch: list[PreparedComment], owners: dict[str, _Item | None]
    ) -> str | None:
        """The sidenote id of the item's parent; a tombstone it needs joins ``batch``."""
        comment = item.comment
        if not comment.parent_id:
            return None
        parent = self._lookup(comment.parent_id)
        parent_hash = _h(comment.parent_id)
        usable = (
            not item.orphan
            and parent is not None
            and parent[0] != item.ordinal
            and parent[2] == self.thread_numbers.get(item.key)
            and parent_hash not in self.rejected
        )
        if usable:
            return posting.imported_id(self.site.id, self.fmt, comment.parent_id, parent[1])
        if parent is not None and parent[2] == self.thread_numbers.get(item.key):
            source_id, ms = comment.parent_id, parent[1]  # rejected or cyclic: its own place
        else:  # missing, or in another thread: just before the first reply that needs it
            source_id, ms = f"{comment.parent_id}@{item.key}", max(0, self._own_ms(item) - 1)
        prepared = posting.prepare_imported(
            self.site, item.key, source=self.fmt, source_id=source_id, created=ms / 1000,
            text="", is_html=True, source_status="deleted",
        )  # fmt: skip
        with self.lock:
            new = prepared.id not in self.tombstones
            self.tombstones.add(prepared.id)
        if new:
            batch.append(prepared)
            owners[prepared.id] = None
        return prepared.id

    def _own_ms(self, item: _Item) -> int:
        found = self._lookup(item.comment.source_id)
        return found[1] if found and found[0] == item.ordinal else max(0, _ms(item.comment))

    def _save(self, batch: list[PreparedComment]) -> list[int | SidenoteError]:
        """Store one transaction's batch: per comment 201 (stored), 200 (stored before) or
        the error that refused it; a dry run stores nothing (201 each). Storage errors are
        retried (the batch is all or nothing, and idempotent)."""
        if self.dry_run:
            return [201] * len(batch)
        for attempt in range(ATTEMPTS):
            try:
                return self.store_batch(batch, self.known_authors)
            except replicas.STORAGE_ERRORS as exc:
                if attempt + 1 == ATTEMPTS:
                    raise ImportStopped(f"storage keeps failing: {exc!r}"[:300]) from exc
                time.sleep(min(5.0, 0.2 * 2**attempt))
        raise AssertionError("unreachable")


def run_import(
    site: SiteConfig,
    fmt: str,
    path: Path,
    parse: Callable[[Path], Iterator[SourceComment]],
    **options: Any,
) -> Report:
    """Import ``path`` into ``site``; see :class:`Importer`. Raises SourceError."""
    return Importer(site, fmt, path, parse, **options).run()


__all__ = ["ImportStopped", "Importer", "SourceError", "run_import"]

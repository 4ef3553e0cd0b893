"""Operators' incident notes: posted and resolved with ``sidenote status note|resolve``.

Notes are shown on ``/status.html``, in ``/status.atom`` and, while the site is degraded or
read-only, as a one-line summary in the widget (``GET /sites/{site}/status``). A note is
service-wide, or for one site (``--site``). Active notes never expire; a resolved note is kept
90 days. Notes are written by operators only (one writer at a time), so last-writer-wins
replication is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ulid import ULID

from chalicelib.platform import clock
from chalicelib.platform.errors import InvalidRequest, NotFound
from chalicelib.store import ephemeral

KEEP_RESOLVED = 90 * 86400
MAX_TEXT = 2000


@dataclass
class Note:
    id: str
    text: str
    site: str | None
    created: str
    updated: str
    resolved: str | None
    resolution: str | None

    @property
    def active(self) -> bool:
        return self.resolved is None

    @property
    def summary(self) -> str:
        """The first line, at most 140 characters: what the widget shows."""
        line = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return line if len(line) <= 140 else line[:139].rstrip() + "…"

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "text": self.text,
            "site": self.site,
            "created": self.created,
            "updated": self.updated,
            "resolved": self.resolved,
            "resolution": self.resolution,
        }


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidRequest("A note needs some text.")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"A note is at most {MAX_TEXT} characters.")
    return text


def post(text: str, site: str | None = None) -> Note:
    now = clock.rfc3339()
    note = Note(str(ULID()), _clean(text), site or None, now, now, None, None)
    ephemeral.write_note(vars(note))
    return note


def resolve(note_id: str, text: str | None = None) -> Note:
    found = ephemeral.read_note(note_id.strip().upper())
    if found is None:
        raise NotFound(f"There is no note {note_id}.")
    note = Note(**found)
    now = clock.now()
    note.resolved = note.resolved or clock.rfc3339(now)
    note.updated = clock.rfc3339(now)
    if text:
        note.resolution = _clean(text)
    ephemeral.write_note(vars(note), expires=now + KEEP_RESOLVED)
    return note


def recent(limit: int = 50) -> list[Note]:
    """Newest first, active and resolved."""
    return [Note(**fields) for fields in ephemeral.recent_notes(limit)]


def active(site: str | None = None, notes: list[Note] | None = None) -> list[Note]:
    """Active notes for everyone, plus those of ``site`` when given."""
    return [
        n
        for n in (recent() if notes is None else notes)
        if n.active and (n.site is None or n.site == site)
    ]

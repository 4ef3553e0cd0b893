"""Operators' status notes in the ephemeral table: ``pk = "NOTES"``, ``sk`` = the note id.

A note is a dict of :data:`NOTE_FIELDS`. Active notes carry no expiry; a resolved one is
written with the time it may go (:mod:`chalicelib.health.notes` decides when).
"""

from __future__ import annotations

from typing import Any

from chalicelib.platform import clock
from chalicelib.store.models import StatusNote

NOTES_PK = "NOTES"
#: The fields of a stored note, as :func:`read_note` and :func:`recent_notes` return them.
NOTE_FIELDS = ("id", "text", "site", "created", "updated", "resolved", "resolution")


def _fields(item: StatusNote) -> dict[str, Any]:
    return {name: getattr(item, name) for name in NOTE_FIELDS}


def write_note(note: dict[str, Any], expires: float | None = None) -> None:
    """Store ``note`` (every :data:`NOTE_FIELDS` field; ``id`` is its key), replacing any
    note with that id; kept until ``expires`` when given, else for good."""
    values = {name: note.get(name) for name in NOTE_FIELDS}
    StatusNote(
        NOTES_PK, note["id"], **values, expires=clock.at(expires) if expires else None
    ).save()


def read_note(note_id: str) -> dict[str, Any] | None:
    """The note ``note_id``, or None if there is none."""
    try:
        return _fields(StatusNote.get(NOTES_PK, note_id))
    except StatusNote.DoesNotExist:
        return None


def recent_notes(limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` notes (ids are ULIDs: newest first), active and resolved."""
    items = StatusNote.query(NOTES_PK, scan_index_forward=False, limit=limit)
    return [_fields(item) for item in items]

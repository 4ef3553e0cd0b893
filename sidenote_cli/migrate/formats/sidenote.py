"""sidenote's own export (``sidenote export --format jsonl``): JSON lines, gzip or not.

The first line is ``{"record": "export", "format": "sidenote", "version": 1, "site": …}``;
then, per thread, a ``{"record": "thread", "key", "title", "url", "locked"}`` line followed
by that thread's comments, oldest first: ``{"record": "comment", "id", "parent",
"created", "status", "type", "author", "email", "website", "text", "html", "imported"}``.
``html`` is what readers saw; ``text`` its Markdown source (for comments posted here) or
the same sanitised HTML (for imported ones). Ids are ULIDs: their time part (milliseconds)
orders comments created within the same second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sidenote_cli.migrate.formats._read import numbered_lines, open_binary, parse_rfc3339
from sidenote_cli.migrate.source import SourceComment, SourceError

VERSION = 1


def _created(record: dict[str, Any], line: int) -> datetime:
    try:
        created = parse_rfc3339(str(record.get("created") or ""))
    except ValueError:
        raise SourceError(f"'created' {record.get('created')!r} is not a time", line=line) from None
    try:
        from ulid import ULID

        precise = ULID.from_str(str(record.get("id"))).datetime
    except ValueError:
        return created
    # The id's time is the same instant to the millisecond when it was made with the comment.
    return precise if int(precise.timestamp()) == int(created.timestamp()) else created


def _str(record: dict[str, Any], name: str, line: int) -> str | None:
    value = record.get(name)
    if value is None or isinstance(value, str):
        return value
    raise SourceError(f"'{name}' must be a string", line=line)


def parse(path: Path) -> Iterator[SourceComment]:
    """The comments of a sidenote export, line by line. Raises SourceError (with the line)
    for a file that does not start with the export header or has a line that is not a
    JSON record of it."""
    thread: dict[str, Any] | None = None
    with open_binary(path) as stream:
        for line, raw in numbered_lines(stream):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (UnicodeDecodeError, ValueError) as exc:
                raise SourceError(f"not a JSON line: {exc}", line=line) from None
            if not isinstance(record, dict):
                raise SourceError("a line is not a JSON object", line=line)
            kind = record.get("record")
            if line == 1 or kind == "export":
                if kind != "export" or record.get("format") != "sidenote":
                    raise SourceError("not a sidenote export (no export header)", line=line)
                if record.get("version") != VERSION:
                    raise SourceError(
                        f"export version {record.get('version')!r} unknown", line=line
                    )
            elif kind == "thread":
                if not isinstance(record.get("key"), str):
                    raise SourceError("a thread without a key", line=line)
                thread = record
            elif kind == "comment":
                if thread is None:
                    raise SourceError("a comment before any thread line", line=line)
                yield _comment(record, thread, line)
            else:
                raise SourceError(f"unknown record {kind!r}", line=line)


def _comment(record: dict[str, Any], thread: dict[str, Any], line: int) -> SourceComment:
    source_id = _str(record, "id", line)
    if not source_id:
        raise SourceError("a comment without an id", line=line)
    html = _str(record, "html", line) or ""
    return SourceComment(
        source_id=source_id,
        thread_id=thread["key"],
        thread_url=thread.get("url") if isinstance(thread.get("url"), str) else None,
        thread_title=thread.get("title") if isinstance(thread.get("title"), str) else None,
        created=_created(record, line).astimezone(UTC),
        text=html,
        is_html=True,
        markdown=_str(record, "text", line),
        parent_id=_str(record, "parent", line),
        author=_str(record, "author", line),
        email=_str(record, "email", line),
        website=_str(record, "website", line),
        status=_str(record, "status", line) or "approved",
        kind=_str(record, "type", line) or "comment",
        where=f"line {line}",
    )

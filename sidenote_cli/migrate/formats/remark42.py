"""Remark42: its backup (``backup-{site}-{date}.gz`` or an ``export`` file), gzip or not.

The file is JSON lines: the first line is the meta record ``{"version": 1, "users": [...],
"posts": [...]}`` (version 0 or absent in old backups), every further line one comment as
Remark42 stores it: ``id``, ``pid`` (parent id, empty at the top level), ``text`` (the
rendered, sanitised HTML), ``orig`` (what was typed), ``user`` (``name``, ``id``,
``ip`` — an HMAC of the address, ``admin``…), ``locator`` (``site``, ``url``), ``score``,
``votes``, ``time`` (RFC 3339), ``edit``, ``pin``, ``delete``, ``imported``, ``title``.
It is read one line at a time; only the meta's users (blocked flags, e-mails) are kept.

Mapping:

- thread: ``locator.url`` is the thread URL (the importer keys it by its path); when it
  is not an http(s) URL (a page id set in ``remark_config.url``) it is the thread
  identifier instead. ``title`` is the title.
- ``id`` → ``source_id``, ``pid`` → ``parent_id``; ``time`` → aware UTC.
- ``text`` is HTML (``is_html``); the importer sanitises it like a new comment's.
  ``orig``, when kept, is handed on as its Markdown source (``markdown``).
- author: ``user.name``; e-mail: the user's ``details.email`` in the meta when present.
  Remark42 has no website field, and ``user.ip`` is a keyed hash, not an address, so
  no IP is handed on.
- status: ``delete: true`` → ``deleted`` (soft: text blanked; hard: user "deleted");
  a comment by a user the meta marks blocked (and whose block has not expired) →
  ``spam`` (Remark42 hides blocked users' comments; kept, a moderator can restore
  them); anything else → ``approved`` (Remark42 has no pre-moderation).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sidenote_cli.migrate.formats._read import numbered_lines, open_binary, parse_rfc3339
from sidenote_cli.migrate.source import SourceComment, SourceError

#: Meta versions Remark42 itself restores.
VERSIONS = (0, 1)


def parse(path: Path) -> Iterator[SourceComment]:
    """Every comment of a Remark42 backup, in file order (see the module docstring).

    Raises :class:`SourceError` with the line number for a line that is not JSON, a meta
    of another version, or a comment without an id or a valid time.
    """
    blocked: set[str] = set()
    emails: dict[str, str] = {}
    now = datetime.now(UTC)
    seen_meta = False
    with open_binary(path) as stream:
        for number, raw in numbered_lines(stream):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except UnicodeDecodeError as exc:
                raise SourceError(f"not UTF-8: {exc.reason}", line=number) from exc
            except json.JSONDecodeError as exc:
                raise SourceError(f"not JSON: {exc.msg}", line=number) from exc
            if not isinstance(record, dict):
                raise SourceError("a record must be a JSON object", line=number)
            if not seen_meta:
                seen_meta = True
                if "locator" not in record:  # the meta line (an old export may lack it)
                    _read_meta(record, number, now, blocked, emails)
                    continue
            yield _comment(record, number, blocked, emails)


def _read_meta(
    meta: dict[str, Any], line: int, now: datetime, blocked: set[str], emails: dict[str, str]
) -> None:
    version = meta.get("version", 0)
    if version not in VERSIONS:
        raise SourceError(f"backup version {version!r}: only versions 0 and 1 are known", line=line)
    for user in meta.get("users") or []:
        if not isinstance(user, dict) or not user.get("id"):
            continue
        uid = str(user["id"])
        block = user.get("blocked") or {}
        if block.get("status") and _until(block.get("until"), line) > now:
            blocked.add(uid)
        email = (user.get("details") or {}).get("email")
        if email:
            emails[uid] = email


def _until(value: Any, line: int) -> datetime:
    if not value:
        return datetime.max.replace(tzinfo=UTC)
    try:
        return parse_rfc3339(str(value))
    except ValueError as exc:
        raise SourceError(f"blocked until {value!r} is not an RFC 3339 time", line=line) from exc


def _comment(
    record: dict[str, Any], line: int, blocked: set[str], emails: dict[str, str]
) -> SourceComment:
    source_id = record.get("id")
    if not source_id:
        raise SourceError("a comment without an id", line=line)
    try:
        created = parse_rfc3339(str(record["time"]))
    except KeyError as exc:
        raise SourceError(f"comment {source_id}: no time", line=line) from exc
    except ValueError as exc:
        raise SourceError(
            f"comment {source_id}: time {record['time']!r} is not RFC 3339", line=line
        ) from exc
    user = record.get("user") or {}
    uid = str(user.get("id") or "")
    url = (record.get("locator") or {}).get("url") or None
    is_url = url is not None and url.lower().startswith(("http://", "https://"))
    if record.get("delete"):
        status = "deleted"
    elif uid in blocked:
        status = "spam"
    else:
        status = "approved"
    return SourceComment(
        source_id=str(source_id),
        thread_id=None if is_url else url,
        thread_url=url if is_url else None,
        thread_title=record.get("title") or None,
        created=created,
        text=record.get("text") or "",
        is_html=True,
        parent_id=str(record["pid"]) if record.get("pid") else None,
        author=user.get("name") or None,
        email=emails.get(uid),
        website=None,
        ip=None,
        status=status,
        kind="comment",
        where=f"line {line}",
        markdown=record.get("orig") or None,
    )

"""Thread keys for imported comments: the source's identifier, else its URL's path, and the
operator's ``--map`` (CSV ``old,new``) over both. Each thread's rule goes in the report."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.platform.errors import InvalidThread
from chalicelib.platform.validation import normalize_thread_key
from sidenote_cli.migrate.source import SourceComment, SourceError

IDENTIFIER, URL_PATH, MAP = "identifier", "url-path", "map"


def load_map(path: Path) -> dict[str, str]:
    """``old → new`` from a CSV file of two columns (an ``old,new`` header is allowed).
    Raises SourceError naming the line of a row that is not two non-empty values."""
    mapping: dict[str, str] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if number == 1 and [c.strip().lower() for c in row] == ["old", "new"]:
                    continue
                if len(row) != 2 or not row[0].strip() or not row[1].strip():
                    raise SourceError(f"{path}: a row is not 'old,new'", line=number)
                mapping[row[0].strip()] = row[1].strip()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"cannot read the map {path}: {exc}") from exc
    return mapping


def url_path(url: str) -> str | None:
    """The path of a page's URL; with its query when the path alone says nothing
    (``/?p=123``: WordPress's plain permalinks)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    path = parts.path or "/"
    if path == "/" and parts.query:
        return f"/?{parts.query}"
    return path


def thread_key(comment: SourceComment, mapping: dict[str, str]) -> tuple[str, str]:
    """``(key, rule)`` for the comment's thread; ``rule`` is ``identifier``, ``url-path`` or
    ``map``. The map is looked up with the derived key, then the identifier, then the URL.
    Raises InvalidThread when no key can be made (or the one made is not acceptable)."""
    identifier = (comment.thread_id or "").strip()
    url = (comment.thread_url or "").strip()
    if identifier:
        derived, rule = identifier, IDENTIFIER
    elif url and (path := url_path(url)):
        derived, rule = path, URL_PATH
    else:
        raise InvalidThread("The comment's thread has neither an identifier nor a URL.")
    for old in (derived, identifier, url):
        if old and old in mapping:
            return normalize_thread_key(mapping[old]), MAP
    return normalize_thread_key(derived), rule

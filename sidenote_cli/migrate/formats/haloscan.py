"""Haloscan: the XML export of the hosted comment and trackback service (closed in 2009).

Its schema was never published, and the exports people kept differ, so this parser is
tolerant by design; it reads the file as a stream with a safe XML parser (entity
declarations refused) and accepts:

- threads: repeated containers named ``thread`` (or ``topic``, ``post``, ``entry``,
  ``page``, ``article``) with an identifier as an attribute or a child element (``id``,
  ``identifier``, ``key``, ``threadid``, ``thread_id``); ``url``/``uri``/``link`` and
  ``title`` attributes or children give the page's URL and title. A thread without an
  identifier or URL yields its comments without a thread (the importer rejects them with
  that reason). Comments outside any thread ("orphans") take their own ``thread``
  field when they have one, else none.
- records: ``comment`` elements, and ``trackback``/``pingback``/``ping`` elements
  (``kind`` trackback/pingback; a ``type`` field saying so makes a ``comment`` one too).
  Records do not nest: everything inside a record is one of its fields.
- fields, as attributes or child elements, names matched case-insensitively and without
  namespace: time ``date``/``datetime``/``time``/``created``/``timestamp``/``posted``;
  author ``name``/``author``/``blog_name``/``nick``; ``email``/``mail``; website
  ``url``/``uri``/``website``/``homepage``/``link``; ``ip``/``ip_address``/``remote_addr``;
  text ``text``/``body``/``content``/``message``/``comment``/``excerpt`` (else the record's
  own text); ``title`` (trackbacks: shown above the excerpt); ``id``; ``parent``;
  ``status``/``state``. CDATA and escaped markup are text like any other.
- times: Unix seconds or milliseconds, ISO 8601 / RFC 3339, RFC 822 (``Mon, 10 Jan 2005
  12:34:56 -0500``), ``2005/01/10 12:34:56``, US ``01/10/2005 [12:34[:56] [PM]]``, then
  day-first ``10/01/2005``, ``10.01.2005 12:34``, ``January 10, 2005 12:34 PM``; a time
  without a zone (``GMT``/``UTC`` suffixes included) is UTC. An unreadable or missing
  time stops with the line.
- encodings: whatever the XML declaration names (UTF-8 without one; ISO-8859-1 and the
  Windows code pages included).

Mapping: text is HTML when it contains tags, else plain text. Status: none → ``approved``;
``approved``/``visible``/``published`` → approved, ``pending``/``unapproved``/``moderated``/
``hidden`` → pending, ``spam``/``junk`` → spam, ``deleted``/``removed``/``trash`` → deleted;
another value stops with the line. ``source_id`` is the record's ``id`` when it has one,
else a digest of (thread, time, author, text), so it is the same on every run.

Duplicates: some exports repeat comments. Within a thread container, a record with the
same (thread, time, author, text) as an earlier one is yielded with ``duplicate_of`` set
to the first copy's ``source_id`` (and ``source_id`` ``{first}#copy{n}``), so the
importer skips and counts it. Only the current container's keys are held (and those of
comments outside any thread), which keeps memory flat; a copy in another container of
the same thread gets the same derived ``source_id`` as the first, which the importer's
idempotency skips too. Comments are yielded as they are read, except in a thread whose
identifier is not known yet (its ``id`` element comes after them, or it has none):
those wait for the identifier or the end of their thread.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

from sidenote_cli.migrate.formats._read import (
    local_name,
    open_binary,
    parse_rfc3339,
    utc_from_timestamp,
    xml_events,
)
from sidenote_cli.migrate.source import SourceComment, SourceError

THREAD_TAGS = frozenset({"thread", "topic", "post", "entry", "page", "article"})
#: Record element → the kind of what it holds.
RECORD_KINDS = {
    "comment": "comment",
    "trackback": "trackback",
    "ping": "trackback",
    "pingback": "pingback",
}
THREAD_ID_NAMES = ("id", "identifier", "key", "threadid", "thread_id")
THREAD_URL_NAMES = ("url", "uri", "link", "permalink")

#: Field → the names it goes by, in order of preference.
FIELDS: dict[str, tuple[str, ...]] = {
    "time": ("date", "datetime", "time", "created", "timestamp", "posted", "pubdate"),
    "author": ("name", "author", "blog_name", "blogname", "nick", "nickname"),
    "email": ("email", "mail", "e-mail"),
    "website": ("url", "uri", "website", "homepage", "link", "web"),
    "ip": ("ip", "ip_address", "ipaddress", "remote_addr"),
    "text": ("text", "body", "content", "message", "comment", "excerpt"),
    "title": ("title",),
    "id": ("id",),
    "parent": ("parent", "parent_id", "parentid", "reply_to"),
    "thread": ("thread", "threadid", "thread_id"),
    "status": ("status", "state"),
    "type": ("type", "kind"),
}

STATUSES = {
    **dict.fromkeys(("approved", "visible", "published", "public"), "approved"),
    **dict.fromkeys(("pending", "unapproved", "moderated", "hidden"), "pending"),
    **dict.fromkeys(("spam", "junk"), "spam"),
    **dict.fromkeys(("deleted", "removed", "trash"), "deleted"),
}

_VOID = frozenset({"br", "hr", "img", "wbr"})
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
_UNIX = re.compile(r"\d{9,13}(\.\d+)?")
_UTC_SUFFIX = re.compile(r"\s*(GMT|UTC|Z)$", re.IGNORECASE)
_TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%B %d, %Y %I:%M:%S %p",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y %H:%M:%S",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
)


def parse_time(text: str) -> datetime:
    """A Haloscan-era time in any of the forms the module docstring lists, as aware UTC.

    Raises ``ValueError`` when it is none of them.
    """
    value = " ".join(text.split())
    if _UNIX.fullmatch(value):
        seconds = float(value)
        return utc_from_timestamp(seconds / 1000 if seconds >= 1e11 else seconds)
    bare = _UTC_SUFFIX.sub("", value)
    try:
        return parse_rfc3339(bare)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(bare, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unreadable time {text!r}")


@dataclass
class _Record:
    """One ``comment``/``trackback`` element's fields, before its thread is known."""

    kind: str
    line: int
    fields: dict[str, str]


@dataclass
class _Thread:
    """An open thread container."""

    element: ElementTree.Element
    line: int
    id: str | None = None
    url: str | None = None
    title: str | None = None
    waiting: list[_Record] = field(default_factory=list)
    seen: dict[str, list[str | int]] = field(default_factory=dict)  # key → [id, copies]


def _attribute(element: ElementTree.Element, names: tuple[str, ...]) -> str | None:
    attributes = {local_name(k): v for k, v in element.attrib.items()}
    for name in names:
        value = (attributes.get(name) or "").strip()
        if value:
            return value
    return None


def _content(element: ElementTree.Element) -> str:
    """The element's content: its text, or its inner markup when it has child elements.

    Inner markup (HTML written as XML elements rather than escaped) is rebuilt without
    namespaces, the way it would have been shown.
    """
    if len(element) == 0:
        return (element.text or "").strip()
    return "".join(_inner_markup(element)).strip()


def _inner_markup(element: ElementTree.Element) -> Iterator[str]:
    yield html.escape(element.text or "", quote=False)
    for child in element:
        name = local_name(child.tag) if isinstance(child.tag, str) else ""
        if name:  # comments and processing instructions have no place in a comment
            attributes = "".join(
                f' {local_name(k)}="{html.escape(v)}"' for k, v in child.attrib.items()
            )
            if len(child) == 0 and not child.text and name in _VOID:
                yield f"<{name}{attributes}>"
            else:
                yield f"<{name}{attributes}>"
                yield from _inner_markup(child)
                yield f"</{name}>"
        yield html.escape(child.tail or "", quote=False)


class _Parser:
    def __init__(self) -> None:
        self.threads: list[_Thread] = []
        self.orphans_seen: dict[str, list[str | int]] = {}

    def records(self, path: Path) -> Iterator[SourceComment]:
        stack: list[ElementTree.Element] = []
        record: ElementTree.Element | None = None
        record_line = 0
        with open_binary(path) as stream:
            for event, element, line in xml_events(stream):
                name = local_name(element.tag)
                if event == "start":
                    stack.append(element)
                    if record is not None:
                        continue
                    if name in RECORD_KINDS:
                        record, record_line = element, line
                    elif name in THREAD_TAGS:
                        self.threads.append(
                            _Thread(
                                element=element,
                                line=line,
                                id=_attribute(element, THREAD_ID_NAMES),
                                url=_attribute(element, THREAD_URL_NAMES),
                                title=_attribute(element, ("title",)),
                            )
                        )
                    continue
                stack.pop()
                parent = stack[-1] if stack else None
                thread = self.threads[-1] if self.threads else None
                if element is record:
                    record = None
                    yield from self._record(self._fields(element, name, record_line), thread)
                elif record is not None:
                    continue  # a field of the open record: read when the record ends
                elif thread is not None and element is thread.element:
                    self.threads.pop()
                    yield from (self._emit(r, thread) for r in thread.waiting)
                    thread.waiting.clear()
                elif thread is not None and parent is thread.element:
                    self._thread_field(thread, name, _content(element))
                    if thread.id is not None and thread.waiting:
                        yield from (self._emit(r, thread) for r in thread.waiting)
                        thread.waiting.clear()
                else:
                    continue
                if parent is not None:
                    parent.remove(element)  # used: let it go, memory stays flat

    @staticmethod
    def _thread_field(thread: _Thread, name: str, value: str) -> None:
        if not value:
            return
        if name in THREAD_ID_NAMES and thread.id is None:
            thread.id = value
        elif name in THREAD_URL_NAMES and thread.url is None:
            thread.url = value
        elif name == "title" and thread.title is None:
            thread.title = value

    @staticmethod
    def _fields(element: ElementTree.Element, name: str, line: int) -> _Record:
        # Attributes first, then child elements; the first non-empty value of a name wins.
        given: dict[str, str] = {}
        for key, value in element.attrib.items():
            if value.strip():
                given.setdefault(local_name(key), value.strip())
        for child in element:
            if isinstance(child.tag, str):
                value = _content(child)
                if value:
                    given.setdefault(local_name(child.tag), value)
        found: dict[str, str] = {}
        for key, names in FIELDS.items():
            value = next((given[n] for n in names if n in given), None)
            if value is not None:
                found[key] = value
        if "text" not in found and (element.text or "").strip() and len(element) == 0:
            found["text"] = (element.text or "").strip()
        kind = RECORD_KINDS[name]
        declared = found.get("type", "").lower()
        if declared in ("trackback", "pingback"):
            kind = declared
        return _Record(kind=kind, line=line, fields=found)

    def _record(self, record: _Record, thread: _Thread | None) -> Iterator[SourceComment]:
        if thread is not None and thread.id is None:
            thread.waiting.append(record)  # its identifier element may still come
            return
        yield self._emit(record, thread)

    def _emit(self, record: _Record, thread: _Thread | None) -> SourceComment:
        fields = record.fields
        where = f"line {record.line}"
        if "time" not in fields:
            raise SourceError(f"a {record.kind} without a date", line=record.line)
        try:
            created = parse_time(fields["time"])
        except (ValueError, OverflowError, OSError) as exc:
            raise SourceError(
                f"a {record.kind} dated {fields['time']!r}: not a time this parser reads",
                line=record.line,
            ) from exc
        status_text = fields.get("status", "approved").strip().lower()
        if status_text not in STATUSES:
            raise SourceError(
                f"status {fields['status']!r} is not one of {sorted(set(STATUSES))}",
                line=record.line,
            )
        if thread is not None:
            thread_id, thread_url, title = thread.id, thread.url, thread.title
        else:
            thread_id, thread_url, title = fields.get("thread"), None, None
        text = fields.get("text", "")
        if record.kind != "comment" and fields.get("title"):
            text = f"{fields['title']}\n\n{text}" if text else fields["title"]
        author = fields.get("author")

        key = "\x1f".join((thread_id or thread_url or "", created.isoformat(), author or "", text))
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        seen = thread.seen if thread is not None else self.orphans_seen
        first = seen.get(digest)
        duplicate_of: str | None = None
        if first is None:
            source_id = fields.get("id") or f"haloscan-{digest}"
            seen[digest] = [source_id, 1]
        else:
            first[1] = int(first[1]) + 1
            duplicate_of = str(first[0])
            source_id = f"{duplicate_of}#copy{first[1]}"

        return SourceComment(
            source_id=source_id,
            thread_id=thread_id,
            thread_url=thread_url,
            thread_title=title,
            created=created,
            text=text,
            is_html=bool(_HTML_TAG.search(text)),
            parent_id=fields.get("parent"),
            author=author,
            email=fields.get("email"),
            website=fields.get("website"),
            ip=fields.get("ip"),
            status=STATUSES[status_text],
            kind=record.kind,
            where=where,
            duplicate_of=duplicate_of,
        )


def parse(path: Path) -> Iterator[SourceComment]:
    """Every comment and trackback of a Haloscan export (see the module docstring).

    Raises :class:`SourceError` with the line for malformed or hostile XML (entity
    declarations), and for a record without a readable date or with an unknown status.
    """
    yield from _Parser().records(path)

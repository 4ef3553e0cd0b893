"""Disqus's export (``<disqus>`` XML, "for backup only"): categories, threads, then posts.

Threads: ``<thread dsq:id>`` with ``<id>`` (the page's ``disqus_identifier``, often empty),
``<link>``, ``<title>``, ``<createdAt>``. Posts: ``<post dsq:id>`` with ``<message>``
(HTML, usually CDATA), ``<createdAt>``, ``<isDeleted>``, ``<isSpam>``, ``<author>``
(``<name>``, ``<email>``, ``<username>``), ``<ipAddress>``, ``<thread dsq:id>`` and an
optional ``<parent dsq:id>``. Elements are matched by local name, so the namespaces may
vary. Threads are kept in memory (one small record each); posts stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from sidenote_cli.migrate.formats._read import local_name, open_binary, parse_rfc3339, xml_events
from sidenote_cli.migrate.source import SourceComment, SourceError

_LINE = "{sidenote}line"


def _dsq_id(element: Element | None) -> str | None:
    """The ``dsq:id`` attribute, whatever the namespace's URI."""
    if element is None:
        return None
    for name, value in element.attrib.items():
        if name != _LINE and local_name(name) == "id" and value.strip():
            return value.strip()
    return None


def _children(element: Element) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for child in element:
        found.setdefault(local_name(child.tag), child)
    return found


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _flag(element: Element | None) -> bool:
    return (_text(element) or "").lower() in {"true", "1"}


def parse(path: Path) -> Iterator[SourceComment]:
    """The posts of a Disqus export, in file order. Raises SourceError (with a line) for a
    file that is not well-formed or safe XML, not a Disqus export, or has a post without
    an id or a readable time."""
    threads: dict[str, tuple[str | None, str | None, str | None]] = {}
    root: Element | None = None
    depth = 0
    with open_binary(path) as stream:
        for event, element, line in xml_events(stream):
            if event == "start":
                depth += 1
                if depth == 2:
                    element.set(_LINE, str(line))  # where it starts, for reports
                if depth == 1:
                    root = element
                    if local_name(element.tag) != "disqus":
                        raise SourceError(
                            f"not a Disqus export: the root element is <{local_name(element.tag)}>"
                            ", not <disqus>",
                            line=line,
                        )
                continue
            depth -= 1
            if depth != 1:
                continue
            name = local_name(element.tag)
            if name == "thread":
                fields = _children(element)
                thread = _dsq_id(element)
                if thread:
                    threads[thread] = (
                        _text(fields.get("id")),
                        _text(fields.get("link")),
                        _text(fields.get("title")),
                    )
            elif name == "post":
                yield _post(element, threads, int(element.get(_LINE, line)))
            if root is not None:
                root.remove(element)  # memory stays flat


def _post(
    element: Element, threads: dict[str, tuple[str | None, str | None, str | None]], line: int
) -> SourceComment:
    post_id = _dsq_id(element)
    if not post_id:
        raise SourceError("a <post> without a dsq:id attribute", line=line)
    fields = _children(element)
    stamp = _text(fields.get("createdat"))
    try:
        created = parse_rfc3339(stamp or "")
    except ValueError:
        raise SourceError(f"post {post_id}: createdAt {stamp!r} is not a time", line=line) from None
    author = _children(fields["author"]) if "author" in fields else {}
    thread = _dsq_id(fields.get("thread"))
    identifier, link, title = threads.get(thread or "", (None, None, None))
    if _flag(fields.get("isspam")):
        status = "spam"
    elif _flag(fields.get("isdeleted")):
        status = "deleted"
    else:
        status = "approved"
    message = fields.get("message")
    return SourceComment(
        source_id=post_id,
        thread_id=identifier,
        thread_url=link,
        thread_title=title,
        created=created,
        text=(message.text or "") if message is not None else "",
        is_html=True,
        parent_id=_dsq_id(fields.get("parent")),
        author=_text(author.get("name")) or _text(author.get("username")),
        email=_text(author.get("email")),
        ip=_text(fields.get("ipaddress")),
        status=status,
        where=f"line {line}",
    )

"""WordPress's export, WXR 1.0–1.2 (also what Disqus imports, with ``dsq:thread_identifier``).

An ``<item>`` is a post or page (``<title>``, ``<link>``, ``<wp:post_id>``, optionally
``<dsq:thread_identifier>``) with its ``<wp:comment>`` elements: ``comment_id``,
``comment_author``, ``comment_author_email``, ``comment_author_url``,
``comment_author_IP``, ``comment_date_gmt`` (``comment_date`` when the GMT one is
missing or zero), ``comment_content``, ``comment_approved`` (``1``, ``0``, ``spam``,
``trash``), ``comment_type`` (empty/``comment``, ``pingback``, ``trackback``) and
``comment_parent`` (``0``: none). The ``wp`` namespace's version (1.0, 1.1, 1.2) does not
matter: elements are matched by local name. One item at a time is in memory.

Thread identifier: ``dsq:thread_identifier`` when the file has one; a WordPress post id
means nothing to a page's widget, so otherwise the item's ``<link>`` decides (its path);
the post id only when there is no link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from sidenote_cli.migrate.formats._read import local_name, open_binary, xml_events
from sidenote_cli.migrate.source import SourceComment, SourceError

STATUSES = {
    "1": "approved",
    "approve": "approved",
    "approved": "approved",
    "0": "pending",
    "hold": "pending",
    "spam": "spam",
    "trash": "deleted",
    "post-trashed": "deleted",
}
TYPES = {"": "comment", "comment": "comment", "pingback": "pingback", "trackback": "trackback",
         "webmention": "webmention"}  # fmt: skip

_LINE = "{sidenote}line"
_BLOCK = re.compile(r"<(p|div|blockquote|ul|ol|pre|h[1-6]|table)\b", re.IGNORECASE)


def autop(text: str) -> str:
    """WordPress keeps comments as text with inline HTML and adds paragraphs on display:
    blank lines become paragraphs, single line breaks ``<br>`` (unless the text already
    has block elements)."""
    text = text.replace("\r\n", "\n").strip()
    if not text or _BLOCK.search(text):
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs)


def _wp_time(value: str | None) -> datetime | None:
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _fields(element: Element) -> dict[str, str]:
    return {local_name(child.tag): (child.text or "") for child in element}


def parse(path: Path) -> Iterator[SourceComment]:
    """The comments of a WXR file, item by item. Raises SourceError (with a line) for a
    file that is not well-formed or safe XML, not RSS, or has a comment without an id or
    a readable time."""
    depth = 0
    channel: Element | None = None
    with open_binary(path) as stream:
        for event, element, line in xml_events(stream):
            name = local_name(element.tag)
            if event == "start":
                depth += 1
                if depth == 4 and name == "comment":
                    element.set(_LINE, str(line))  # where the comment starts, for reports
                if depth == 1 and name != "rss":
                    raise SourceError(
                        f"not a WordPress export (WXR): the root element is <{name}>, not <rss>",
                        line=line,
                    )
                if depth == 2 and name == "channel":
                    channel = element
                continue
            depth -= 1
            if depth == 2 and name == "item":
                yield from _item(element, line)
                if channel is not None:
                    channel.remove(element)  # memory stays flat


def _item(item: Element, line: int) -> Iterator[SourceComment]:
    fields: dict[str, str] = {}
    comments: list[Element] = []
    for child in item:
        name = local_name(child.tag)
        if name == "comment":
            comments.append(child)
        else:
            fields.setdefault(name, (child.text or "").strip())
    link = fields.get("link") or None
    identifier = fields.get("thread_identifier") or (None if link else fields.get("post_id"))
    for element in comments:
        comment = _fields(element)
        line = int(element.get(_LINE, line))
        source_id = comment.get("comment_id", "").strip()
        if not source_id:
            raise SourceError("a <wp:comment> without a comment_id", line=line)
        try:
            created = _wp_time(comment.get("comment_date_gmt")) or _wp_time(
                comment.get("comment_date")
            )
        except ValueError:
            created = None
        if created is None:
            raise SourceError(f"comment {source_id}: no readable comment_date", line=line)
        approved = comment.get("comment_approved", "1").strip().lower()
        kind = comment.get("comment_type", "").strip().lower()
        parent = comment.get("comment_parent", "").strip()
        yield SourceComment(
            source_id=source_id,
            thread_id=identifier,
            thread_url=link,
            thread_title=fields.get("title") or None,
            created=created,
            text=autop(comment.get("comment_content", "")),
            is_html=True,
            parent_id=parent if parent not in {"", "0"} else None,
            author=html.unescape(comment.get("comment_author", "")).strip() or None,
            email=comment.get("comment_author_email", "").strip() or None,
            website=comment.get("comment_author_url", "").strip() or None,
            ip=comment.get("comment_author_ip", "").strip() or None,
            status=STATUSES.get(approved, "pending"),
            kind=TYPES.get(kind, "comment"),
            where=f"line {line}",
        )

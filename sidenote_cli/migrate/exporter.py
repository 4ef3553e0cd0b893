"""``sidenote export``: every comment of a site, streamed, in one of two formats.

- ``jsonl``: sidenote's own (read back by ``sidenote import sidenote``; see
  :mod:`sidenote_cli.migrate.formats.sidenote`): statuses, parents, times, types, e-mails,
  Markdown source and HTML.
- ``disqus``: the WXR file Disqus's documented custom XML import reads (``<item>`` per
  thread with ``<dsq:thread_identifier>``, ``<wp:comment>`` per comment, times in GMT as
  ``YYYY-MM-DD HH:MM:SS``, numeric comment ids and parents). Spam and deleted comments are
  written with WordPress's ``spam`` and ``trash`` approval values, linkbacks with their
  ``comment_type``, so ``sidenote import wordpress`` reads the file back whole.

IP addresses are never exported: sidenote keeps only keyed hashes of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO
from xml.sax.saxutils import escape

from chalicelib.platform import clock
from chalicelib.platform.validation import xml_safe
from chalicelib.store.comments.dump import site_threads, thread_comments
from chalicelib.store.models import Comment, ThreadMeta
from chalicelib.store.sites import SiteConfig

FORMATS = ("jsonl", "disqus")
WP_APPROVED = {"approved": "1", "pending": "0", "spam": "spam", "deleted": "trash"}


def _threads(site: SiteConfig) -> Iterator[tuple[ThreadMeta, Iterator[Comment]]]:
    for meta in site_threads(site.id):
        yield meta, thread_comments(site.id, meta.key)


def export_jsonl(site: SiteConfig, out: TextIO) -> int:
    """Write the site as JSON lines; return the number of comments."""
    header = {"record": "export", "format": "sidenote", "version": 1, "site": site.id,
              "exported": clock.rfc3339()}  # fmt: skip
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    count = 0
    for meta, found in _threads(site):
        thread = {"record": "thread", "key": meta.key, "title": meta.title, "url": meta.url,
                  "locked": bool(meta.locked)}  # fmt: skip
        out.write(json.dumps(thread, ensure_ascii=False) + "\n")
        for comment in found:
            record = {
                "record": "comment", "id": comment.id, "parent": comment.parent,
                "created": comment.created, "status": comment.status,
                "type": comment.type or "comment", "author": comment.author,
                "email": comment.email, "website": comment.website, "text": comment.text,
                "html": comment.html, "imported": comment.imported,
            }  # fmt: skip
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _el(name: str, value: str | None) -> str:
    return f"<{name}>{escape(xml_safe(value or ''))}</{name}>"


def _cdata(name: str, value: str | None) -> str:
    text = xml_safe(value or "").replace("]]>", "]]]]><![CDATA[>")
    return f"<{name}><![CDATA[{text}]]></{name}>"


def _gmt(stamp: str) -> str:
    return stamp.replace("T", " ").rstrip("Z")[:19]


def _link(site: SiteConfig, meta: ThreadMeta) -> str | None:
    if meta.url:
        return meta.url
    if meta.key.startswith("/") and site.origins:
        return site.origins[0].rstrip("/") + meta.key
    return None


def export_disqus(site: SiteConfig, out: TextIO) -> int:
    """Write the site as a Disqus import (WXR) file; return the number of comments."""
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dsq="http://www.disqus.com/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:wp="http://wordpress.org/export/1.0/">\n<channel>\n'
    )
    count = 0
    number = 0
    for meta, found in _threads(site):
        link = _link(site, meta)
        out.write("<item>\n" + _el("title", meta.title or meta.key) + "\n")
        if link:
            out.write(_el("link", link) + "\n")
        out.write(
            _cdata("content:encoded", "") + "\n"
            + _el("dsq:thread_identifier", meta.key) + "\n"
            + _el("wp:post_date_gmt", _gmt(meta.created)) + "\n"
            + _el("wp:comment_status", "closed" if meta.locked else "open") + "\n"
        )  # fmt: skip
        numbers: dict[str, int] = {}
        for comment in found:
            number += 1
            numbers[comment.id] = number
            parent = numbers.get(comment.parent or "", 0)
            out.write(
                "<wp:comment>\n"
                + _el("wp:comment_id", str(number)) + "\n"
                + _el("wp:comment_author", comment.author) + "\n"
                + _el("wp:comment_author_email", comment.email) + "\n"
                + _el("wp:comment_author_url", comment.website) + "\n"
                + _el("wp:comment_author_IP", "") + "\n"
                + _el("wp:comment_date_gmt", _gmt(comment.created)) + "\n"
                + _cdata("wp:comment_content", comment.html) + "\n"
                + _el("wp:comment_approved", WP_APPROVED.get(comment.status, "0")) + "\n"
                + _el("wp:comment_type", "" if comment.type in (None, "comment")
                      else comment.type) + "\n"
                + _el("wp:comment_parent", str(parent)) + "\n"
                + "</wp:comment>\n"
            )  # fmt: skip
            count += 1
        out.write("</item>\n")
    out.write("</channel>\n</rss>\n")
    return count


def export(site: SiteConfig, fmt: str, out: TextIO) -> int:
    """Write every comment of ``site`` to ``out`` in ``fmt``; return how many."""
    return export_jsonl(site, out) if fmt == "jsonl" else export_disqus(site, out)

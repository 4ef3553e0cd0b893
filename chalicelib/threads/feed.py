"""Atom 1.0 feeds of the latest approved comments of a site or a thread."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from chalicelib.platform import clock
from chalicelib.store.models import Comment
from chalicelib.store.sites import SiteConfig


def _entry(base: str, site: SiteConfig, comment: Comment) -> str:
    link = (comment.url or "") + f"#comment-{comment.id}" if comment.url else None
    author = comment.author or "Anonymous"
    return "".join([
        "<entry>",
        f"<id>{escape(f'{base}/sites/{site.id}/comments/{comment.id}')}</id>",
        f"<title>{escape(author)} on {escape(comment.thread)}</title>",
        f"<updated>{escape(comment.edited or comment.created)}</updated>",
        f"<published>{escape(comment.created)}</published>",
        f"<author><name>{escape(author)}</name></author>",
        f"<link rel=\"alternate\" href={quoteattr(link)}/>" if link else "",
        f"<content type=\"html\">{escape(comment.html)}</content>",
        "</entry>",
    ])  # fmt: skip


def atom(base: str, site: SiteConfig, thread: str | None, comments: list[Comment]) -> str:
    """The feed document. ``base`` is the API's public URL (for ids and self links)."""
    query = f"?thread={escape(thread)}" if thread else ""
    self_url = f"{base}/sites/{site.id}/feed.atom{query}"
    title = f"Comments on {site.name}" + (f": {thread}" if thread else "")
    updated = max(
        (c.edited or c.created for c in comments), default=site.created or clock.rfc3339()
    )
    return "".join([
        '<?xml version="1.0" encoding="utf-8"?>\n',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>{escape(self_url)}</id>",
        f"<title>{escape(title)}</title>",
        f"<updated>{escape(updated)}</updated>",
        f"<link rel=\"self\" href={quoteattr(self_url)}/>",
        "<generator>sidenote</generator>",
        *(_entry(base, site, c) for c in comments),
        "</feed>",
    ])  # fmt: skip

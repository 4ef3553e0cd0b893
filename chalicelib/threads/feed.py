"""Atom 1.0 feeds of the latest approved comments of a site or a thread.

Always well-formed XML 1.0 (:mod:`chalicelib.platform.atom`): stored values are cleaned of
what XML cannot carry before they are escaped, and links are percent-encoded.
"""

from __future__ import annotations

from chalicelib.platform import clock
from chalicelib.platform.atom import PROLOG, attribute, component, text, url
from chalicelib.store.comments import Comment
from chalicelib.store.sites import SiteConfig


def feed_url(base: str, site_id: str, thread: str | None) -> str:
    """The feed's own address; the thread key is one encoded query value."""
    query = f"?thread={component(thread, safe='/')}" if thread else ""
    return f"{base}/sites/{component(site_id)}/feed.atom{query}"


def _entry(base: str, site: SiteConfig, comment: Comment) -> str:
    page = (comment.url or "").split("#", 1)[0]  # the comment's anchor replaces any fragment
    link = url(page) + f"#comment-{comment.id}" if page else None
    author = comment.author or "Anonymous"
    return "".join([
        "<entry>",
        f"<id>{text(f'{base}/sites/{site.id}/comments/{comment.id}')}</id>",
        f"<title>{text(author)} on {text(comment.thread)}</title>",
        f"<updated>{text(comment.edited or comment.created)}</updated>",
        f"<published>{text(comment.created)}</published>",
        f"<author><name>{text(author)}</name></author>",
        f"<link rel=\"alternate\" href={attribute(link)}/>" if link else "",
        f"<content type=\"html\">{text(comment.html)}</content>",
        "</entry>",
    ])  # fmt: skip


def atom(base: str, site: SiteConfig, thread: str | None, comments: list[Comment]) -> str:
    """The feed document. ``base`` is the API's public URL (for ids and self links)."""
    self_url = feed_url(base, site.id, thread)
    title = f"Comments on {site.name}" + (f": {thread}" if thread else "")
    updated = max(
        (c.edited or c.created for c in comments), default=site.created or clock.rfc3339()
    )
    return "".join([
        PROLOG,
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>{text(self_url)}</id>",
        f"<title>{text(title)}</title>",
        f"<updated>{text(updated)}</updated>",
        f"<link rel=\"self\" href={attribute(self_url)}/>",
        "<generator>sidenote</generator>",
        *(_entry(base, site, c) for c in comments),
        "</feed>",
    ])  # fmt: skip

"""Markdown → sanitised HTML, once, at write time.

markdown-it-py renders with raw HTML off; nh3 (ammonia) then keeps only an allow-list of
tags and attributes, drops ``javascript:`` and other unsafe URL schemes, and stamps links
with ``rel="nofollow ugc noopener"``. Images are not allowed: they would make readers'
browsers fetch from third parties. Both libraries load on first use, not at cold start.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

_LINK = re.compile(r"https?://|www\.|\]\(|<a\s", re.IGNORECASE)


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
        "strikethrough"
    )


def render(text: str) -> str:
    """Render Markdown ``text`` to HTML that is safe to insert into any page."""
    return sanitize_html(_markdown().render(text))


def count_links(text: str) -> int:
    """How many links a comment's Markdown source appears to carry."""
    return len(_LINK.findall(text))


def sanitize_html(html: str) -> str:
    """HTML from elsewhere (an imported comment) cleaned by the same allow-list as rendered
    Markdown: the same tags, attributes, URL schemes and link ``rel``. Idempotent."""
    import nh3

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()

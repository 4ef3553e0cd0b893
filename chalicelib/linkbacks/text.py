"""Text from other sites made safe to show as a comment: plain text, escaped for Markdown."""

from __future__ import annotations

import re
import unicodedata

from chalicelib.platform.validation import xml_safe

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&:])")
_SPACE = re.compile(r"\s+")


def plain(value: object, limit: int) -> str:
    """One line of text: NFC, no control characters, whitespace collapsed, at most
    ``limit`` characters (cut at a word, with an ellipsis)."""
    if not isinstance(value, str):
        return ""
    value = unicodedata.normalize("NFC", xml_safe(value))
    value = "".join(" " if unicodedata.category(c) in {"Cc", "Cs"} else c for c in value)
    value = _SPACE.sub(" ", value).strip()
    if len(value) <= limit:
        return value
    cut = value[: limit - 1].rsplit(" ", 1)[0] or value[: limit - 1]
    return cut + "…"


def escape_markdown(value: str) -> str:
    """Plain text that renders as itself (no links, emphasis or HTML from a stranger)."""
    return _MARKDOWN.sub(r"\\\1", value)


def as_comment_text(name: str, content: str) -> str:
    """A linkback's comment text: its title and its excerpt, each a paragraph."""
    parts = [escape_markdown(part) for part in (name, content) if part]
    return "\n\n".join(parts)

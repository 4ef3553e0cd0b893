"""Pieces of Atom (XML 1.0) documents that stay well-formed whatever they are given.

Input validation refuses what XML cannot carry, but a feed must not depend on every item
ever stored having passed today's rules: each value passes :func:`xml_safe` before it is
escaped, and URLs are percent-encoded.
"""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from chalicelib.platform.validation import xml_safe

#: Characters a URL may keep as they are (RFC 3986 reserved and unreserved, and ``%`` of an
#: existing escape); everything else — spaces, quotes, ``<``, non-ASCII — is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=-._~%"

PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'


def text(value: object) -> str:
    """``value`` as XML character data."""
    return escape(xml_safe(str(value or "")))


def attribute(value: str) -> str:
    """``value`` as a quoted XML attribute."""
    return quoteattr(xml_safe(value))


def url(value: str) -> str:
    """``value`` with every character a URL cannot hold as it is percent-encoded."""
    return quote(xml_safe(value), safe=_URL_SAFE)


def component(value: str, safe: str = "") -> str:
    """``value`` as one percent-encoded path segment, query value or fragment."""
    return quote(xml_safe(value), safe=safe)

"""What a fetched source says: whether it links to the target, and who wrote what.

HTML: links are ``href``/``src`` attributes of any element, resolved against the document's
URL (and ``<base href>``). Content comes from the first microformats2 ``h-entry`` (parsed by
``mf2py``, imported here lazily: the cold import of the app never loads it) — its author
(an h-card's name or a plain name), name and content (or summary); without an h-entry,
the document's ``<title>`` and the text around the link. Other text types: the target must
appear in the text; the excerpt is the text around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from chalicelib.linkbacks.text import plain

EXCERPT_CHARS = 400
MAX_NAME = 200
MAX_AUTHOR = 80


@dataclass(frozen=True)
class Mention:
    """What is shown of a verified source."""

    author: str
    name: str
    content: str


def same_url(a: str, b: str) -> bool:
    """Equal URLs, ignoring the fragment, scheme and host case, and an empty path's slash."""

    def norm(url: str) -> tuple[str, ...]:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return (url,)
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query)

    return norm(a) == norm(b)


class _Document(HTMLParser):
    """Links, title and visible text (with where the first link to the target sits)."""

    SKIP = {"script", "style", "template", "noscript", "head"}

    def __init__(self, url: str, target: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base, self.target = url, target
        self.linked = False
        self.at: int | None = None
        self.title = ""
        self.chunks: list[str] = []
        self.size = 0
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href)
        if tag in self.SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        for name, value in attrs:
            linking = name in {"href", "src"} and value and not self.linked
            if linking and same_url(urljoin(self.base, (value or "").strip()), self.target):
                self.linked, self.at = True, self.size

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.chunks.append(data)
            self.size += len(data)


def decode(body: bytes, content_type: str) -> str:
    """The document's text, in the charset its Content-Type names (UTF-8 otherwise)."""
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"').lower()
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def is_html(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind in {"text/html", "application/xhtml+xml", ""}


def _around(text: str, at: int) -> str:
    start = max(0, at - EXCERPT_CHARS // 2)
    piece = text[start : start + EXCERPT_CHARS]
    if start:
        piece = "…" + piece.split(" ", 1)[-1]
    return piece


def read(body: bytes, content_type: str, url: str, target: str) -> Mention | None:
    """The mention a source makes of ``target``, or None when it does not link to it."""
    text = decode(body, content_type)
    if not is_html(content_type):
        flat = " ".join(text.split())
        if target not in flat:
            return None
        host = urlsplit(url).hostname or ""
        return Mention(
            host[:MAX_AUTHOR], "", plain(_around(flat, flat.index(target)), EXCERPT_CHARS)
        )
    document = _Document(url, target)
    document.feed(text)
    document.close()
    if not document.linked:
        return None
    found = _h_entry(text, url)
    if found:
        return found
    visible = "".join(document.chunks)
    host = urlsplit(url).hostname or ""
    return Mention(
        author=host[:MAX_AUTHOR],
        name=plain(document.title, MAX_NAME),
        content=plain(_around(visible, document.at or 0), EXCERPT_CHARS),
    )


def _first(props: dict[str, Any], name: str) -> Any:
    values = props.get(name) or []
    return values[0] if values else None


def _entries(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append(item)
        found.extend(_entries(item.get("children", [])))
    return found


def _h_entry(html: str, url: str) -> Mention | None:
    """The first h-entry's author, name and content, or None when there is none."""
    import mf2py  # lazily: a few hundred milliseconds of imports, needed by the worker only

    try:
        parsed = mf2py.parse(doc=html, url=url, html_parser="html.parser")
    except Exception:  # a parser failure must not lose the mention: fall back to plain text
        return None
    entries = _entries(parsed.get("items", []))
    if not entries:
        return None
    props = entries[0].get("properties", {})
    author = _first(props, "author")
    if isinstance(author, dict):
        author = _first(author.get("properties", {}), "name") or author.get("value")
    content = _first(props, "content")
    if isinstance(content, dict):
        content = content.get("value")
    content = content or _first(props, "summary") or ""
    name = _first(props, "name") or ""
    if isinstance(name, str) and plain(name, 10_000) == plain(content, 10_000):
        name = ""  # an implied name repeats the content
    host = urlsplit(url).hostname or ""
    return Mention(
        author=plain(author, MAX_AUTHOR) or host[:MAX_AUTHOR],
        name=plain(name, MAX_NAME),
        content=plain(content, EXCERPT_CHARS),
    )


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case (how sites list their origins)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))

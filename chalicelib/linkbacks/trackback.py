"""TrackBack 1.2 pings: ``POST /sites/{site}/trackback?thread=KEY`` with form fields
``url`` (required), ``title``, ``excerpt``, ``blog_name``.

A ping becomes a comment of type ``trackback`` through the posting path: the site's
moderation policy decides its status, and bans, spam checks and rate limits apply. The
answer is the specification's XML — ``<error>0</error>`` on success, ``<error>1</error>``
with a ``<message>`` for every refusal (the edge middleware renders this route's errors
with :func:`xml_error`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from chalicelib.linkbacks.text import as_comment_text, plain
from chalicelib.platform.errors import InvalidComment, InvalidRequest
from chalicelib.platform.validation import MAX_AUTHOR, MAX_BODY_BYTES, MAX_WEBSITE, NewComment
from chalicelib.store.sites import SiteConfig
from chalicelib.threads import posting

XML = "text/xml; charset=utf-8"
#: How much of a ping's excerpt is kept (the specification lets senders cut at 255).
MAX_EXCERPT = 500
MAX_TITLE = 200
_PROLOGUE = '<?xml version="1.0" encoding="utf-8"?>'


def xml_ok() -> str:
    """The answer to an accepted ping."""
    return f"{_PROLOGUE}<response><error>0</error></response>"


def xml_error(message: str) -> str:
    """The answer to a refused ping: error 1 and the reason."""
    return f"{_PROLOGUE}<response><error>1</error><message>{escape(message)}</message></response>"


def form_fields(raw: bytes | None, content_type: str | None) -> dict[str, str]:
    """The form's fields (first value of each), decoded with the ``charset`` the sender
    named (UTF-8 when none; Latin-1 when the bytes are not UTF-8). Raises InvalidRequest."""
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidRequest(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    charset = "utf-8"
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value.strip('"'):
            charset = value.strip('"').lower()
    try:
        text = raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        text = raw.decode("latin-1")
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=50)
    except ValueError as exc:
        raise InvalidRequest("The body is not a valid form.") from exc
    return {name: values[0] for name, values in fields.items() if values}


def http_url(value: str | None, name: str) -> str:
    """A required http(s) URL field. Raises InvalidComment naming the field."""
    value = (value or "").strip()
    if not value:
        raise InvalidComment(f"The field '{name}' is required.")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise InvalidComment(f"The field '{name}' is not a valid URL.") from exc
    if (
        parts.scheme.lower() not in {"http", "https"} or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):  # fmt: skip
        raise InvalidComment(f"The field '{name}' must be an http(s) URL.")
    if len(value) > MAX_WEBSITE:
        raise InvalidComment(f"The field '{name}' is longer than {MAX_WEBSITE} characters.")
    return value


def parse_ping(fields: dict[str, str], *, max_length: int) -> NewComment:
    """The comment a ping becomes: the linking blog's name as author, its post's URL as
    website, title and excerpt as plain text. Raises InvalidComment."""
    url = http_url(fields.get("url"), "url")
    title = plain(fields.get("title"), MAX_TITLE)
    excerpt = plain(fields.get("excerpt"), min(MAX_EXCERPT, max_length // 2))
    blog = plain(fields.get("blog_name"), MAX_AUTHOR) or (urlsplit(url).hostname or "")[:MAX_AUTHOR]
    text = as_comment_text(title, excerpt) or as_comment_text(url, "")
    return NewComment(text=text[:max_length], author=blog, website=url)


def receive(
    site: SiteConfig, key: str, raw: bytes | None, content_type: str | None, *, ip: str | None
) -> int:
    """Store a ping through the posting path; the HTTP status (200 stored, 202 queued while
    the table refuses writes). Raises the posting path's errors."""
    new = parse_ping(form_fields(raw, content_type), max_length=site.max_length)
    status, _ = posting.post(
        site, key, new, ip=ip, idempotency_key=None, body_hash=None, type="trackback"
    )
    return 202 if status == 202 else 200

"""Checks on untrusted input at the edge: thread keys, site ids, comment fields.

Every function either returns a clean value or raises an error naming what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.platform.errors import (
    CommentTooLarge,
    InvalidComment,
    InvalidRequest,
    InvalidThread,
)

MAX_THREAD_KEY = 512
MAX_AUTHOR = 80
MAX_EMAIL = 254
MAX_WEBSITE = 512
MAX_TITLE = 300
MAX_URL = 2048
#: A hard ceiling whatever a site sets: DynamoDB items are at most 400 KB.
MAX_TEXT_CEILING = 20_000
MAX_BODY_BYTES = 64 * 1024
#: Page sizes of listings (``limit``): the public thread's default and every listing's range.
PAGE_DEFAULT = 100
PAGE_MIN = 1
PAGE_MAX = 200

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}\Z")
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}\Z")
EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+\Z")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}\Z")


#: Besides control characters, the two code points XML 1.0 cannot carry that UTF-8 can: one
#: of them in a comment or a site name would make every Atom feed of the site unreadable.
NOT_IN_XML = frozenset("\ufffe\uffff")


def has_control(value: str, allow: str = "") -> bool:
    """True if ``value`` holds a control character (except those in ``allow``) or U+FFFE /
    U+FFFF. Refused in every text field, thread key and site setting shown to people."""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in allow) or ch in NOT_IN_XML for ch in value
    )


def xml_safe(value: str) -> str:
    """``value`` without what XML 1.0 cannot carry (C0 controls other than tab, LF and CR;
    U+FFFE, U+FFFF; lone surrogates). For rendering stored text into feeds."""
    return "".join(
        ch
        for ch in value
        if not (
            (ch < "\x20" and ch not in "\t\n\r") or ch in NOT_IN_XML or "\ud800" <= ch <= "\udfff"
        )
    )


def _encodable(value: str) -> bool:
    """False for lone surrogates (valid in JSON escapes, invalid in UTF-8 and DynamoDB)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize_thread_key(raw: object) -> str:
    """Return the canonical form of a thread key.

    Trimmed, Unicode NFC, trailing ``/`` dropped (``"/"`` itself stays), at most
    512 characters, no control characters. ``/a/`` and ``/a`` give the same key.
    Raises :class:`InvalidThread` otherwise.
    """
    if not isinstance(raw, str):
        raise InvalidThread("Give the thread key as the 'thread' query parameter.")
    if not _encodable(raw):
        raise InvalidThread("The thread key is not valid Unicode.")
    key = unicodedata.normalize("NFC", raw.strip())
    while len(key) > 1 and key.endswith("/"):
        key = key[:-1].rstrip()
    if not key:
        raise InvalidThread("The thread key is empty.")
    if len(key) > MAX_THREAD_KEY:
        raise InvalidThread(f"The thread key is longer than {MAX_THREAD_KEY} characters.")
    if has_control(key):
        raise InvalidThread("The thread key contains control characters (or U+FFFE/U+FFFF).")
    return key


def check_site_id(raw: str) -> str:
    """A site id is a slug: 2–63 of ``a-z 0-9 -``, starting with a letter or digit."""
    if not SITE_ID.match(raw or ""):
        raise InvalidRequest(
            "A site id is 2-63 lowercase letters, digits or '-', starting with a letter or digit."
        )
    return raw


def check_comment_id(raw: str) -> str:
    if not ULID.match(raw or ""):
        from chalicelib.platform.errors import CommentNotFound

        raise CommentNotFound("No comment has this id.")
    return raw


def check_idempotency_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not IDEMPOTENCY_KEY.match(raw):
        raise InvalidRequest("Idempotency-Key must be 1-128 printable ASCII characters.")
    return raw


def _text_field(
    body: dict, name: str, *, max_len: int, required: bool = False, multiline: bool = False
) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidComment(f"The field '{name}' is required.")
        return None
    if not isinstance(value, str):
        raise InvalidComment(f"The field '{name}' must be a string.")
    if not _encodable(value):
        raise InvalidComment(f"The field '{name}' is not valid Unicode.")
    value = unicodedata.normalize("NFC", value.strip())
    if has_control(value, allow="\n\t\r" if multiline else ""):
        raise InvalidComment(f"The field '{name}' contains control characters (or U+FFFE/U+FFFF).")
    if len(value) > max_len:
        if name == "text":
            raise CommentTooLarge(f"The comment is longer than {max_len} characters.")
        raise InvalidComment(f"The field '{name}' is longer than {max_len} characters.")
    return value


def _http_url(body: dict, name: str, max_len: int) -> str | None:
    value = _text_field(body, name, max_len=max_len)
    if value is None:
        return None
    if any(ch.isspace() for ch in value):
        raise InvalidComment(f"The field '{name}' must be an http(s) URL without spaces.")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise InvalidComment(f"The field '{name}' is not a valid URL.") from exc
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise InvalidComment(f"The field '{name}' must be an http(s) URL.")
    return value


@dataclass(frozen=True)
class NewComment:
    """A comment as submitted, after validation (not yet rendered or stored)."""

    text: str
    author: str | None = None
    email: str | None = None
    website: str | None = None
    parent: str | None = None
    title: str | None = None
    url: str | None = None
    #: The honeypot field: people leave it empty, bots fill it in.
    honeypot: str | None = None


def parse_new_comment(
    body: object, *, max_length: int, require_author: bool, require_email: bool
) -> NewComment:
    """Validate a POSTed comment body against a site's rules."""
    if not isinstance(body, dict):
        raise InvalidComment("The body must be a JSON object with at least a 'text' field.")
    text = _text_field(
        body, "text", max_len=min(max_length, MAX_TEXT_CEILING), required=True, multiline=True
    )
    email = _text_field(body, "email", max_len=MAX_EMAIL, required=require_email)
    if email is not None and not EMAIL.match(email):
        raise InvalidComment("The field 'email' must be an e-mail address.")
    parent = body.get("parent")
    if parent is not None and (not isinstance(parent, str) or not ULID.match(parent)):
        raise InvalidComment("The field 'parent' must be the id of a comment.")
    honeypot = body.get("hp")
    if honeypot is not None and not isinstance(honeypot, str):
        raise InvalidComment("The field 'hp' must be a string.")
    return NewComment(
        text=text or "",
        author=_text_field(body, "author", max_len=MAX_AUTHOR, required=require_author),
        email=email.lower() if email else None,
        website=_http_url(body, "website", MAX_WEBSITE),
        parent=parent,
        title=_text_field(body, "title", max_len=MAX_TITLE),
        url=_http_url(body, "url", MAX_URL),
        honeypot=honeypot or None,
    )


def parse_edit(body: object, *, max_length: int) -> str:
    """Validate a PATCH body ``{"text": "…"}``; return the new text."""
    if not isinstance(body, dict):
        raise InvalidComment("The body must be a JSON object with a 'text' field.")
    text = _text_field(
        body, "text", max_len=min(max_length, MAX_TEXT_CEILING), required=True, multiline=True
    )
    return text or ""


def parse_limit(
    raw: str | None, *, default: int = PAGE_DEFAULT, low: int = PAGE_MIN, high: int = PAGE_MAX
) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidRequest(f"'limit' must be a whole number from {low} to {high}.")
    return int(raw)

"""What every parser yields: one comment (or linkback) of the source, as the source has it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class SourceError(Exception):
    """The file cannot be read as this format; ``line`` says where when it is known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True)
class SourceComment:
    """A comment as the source system exported it (before any sidenote rule applies).

    ``thread_id`` is the source's own thread identifier when it has one (Disqus
    ``<thread><id>``/``dsq:thread_identifier``, WordPress post id, Isso thread uri, …);
    ``thread_url`` the page's URL. The importer picks the thread key from them.
    ``source_id`` is unique within the file for this system; ``parent_id`` names another
    comment's ``source_id`` (or a comment missing from the file).
    ``created`` is timezone-aware (UTC when the source gives no zone).
    ``text`` is Markdown/plain text when ``is_html`` is False, else HTML from the source.
    ``status``: ``approved`` | ``pending`` | ``spam`` | ``deleted``.
    ``kind``: ``comment`` | ``pingback`` | ``trackback`` | ``webmention``.
    """

    source_id: str
    thread_id: str | None
    thread_url: str | None
    thread_title: str | None
    created: datetime
    text: str
    is_html: bool = False
    parent_id: str | None = None
    author: str | None = None
    email: str | None = None
    website: str | None = None
    ip: str | None = None
    status: str = "approved"
    kind: str = "comment"
    #: Where in the file it came from (for reports): a line number or a record index.
    where: str | None = None
    #: The Markdown source of HTML given as ``text`` (``is_html``), when the source kept
    #: both (sidenote's own export); None otherwise.
    markdown: str | None = None
    #: Set when the source carries this comment twice (Haloscan exports do): the
    #: ``source_id`` of the first copy. The importer skips it and reports it as a duplicate.
    duplicate_of: str | None = None

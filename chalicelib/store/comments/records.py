"""A new comment ready to store: everything decided, nothing written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from chalicelib.platform import tokens
from chalicelib.store.comments.keys import comment_sk, queue_key, thread_pk
from chalicelib.store.comments.views import public_view
from chalicelib.store.models import Comment


@dataclass(frozen=True)
class PreparedComment:
    """A comment whose id, rendering and status are decided. JSON-serialisable, so it can
    wait in the write queue and be stored later with the same id (storing it twice
    changes nothing)."""

    id: str
    site: str
    thread: str
    status: str
    text: str
    html: str
    author: str
    email: str | None
    website: str | None
    avatar: str
    ip_hash: str | None
    parent: str | None
    title: str | None
    url: str | None
    created: str
    edit_until: str
    region: str
    idempotency_key: str | None = None
    body_hash: str | None = None
    net_hash: str | None = None
    #: Spam guards folded into the store transaction: the site's rate window and the
    #: text's fingerprint (keyed hashes only).
    site_window: str | None = None
    site_limit: int | None = None
    fingerprint: str | None = None
    fingerprint_owner: str | None = None
    #: comment | pingback | trackback | webmention.
    type: str = "comment"
    #: The system an imported comment came from (None: posted here). Imported comments
    #: keep their source status and time; their parent need only exist (any status).
    imported: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PreparedComment:
        """Rebuild from :meth:`to_dict`. Raises TypeError/ValueError for anything else."""
        if not isinstance(data, dict):
            raise ValueError("a prepared comment is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def client_status(self) -> str:
        """Spam caught by the honeypot is reported as pending: bots learn nothing."""
        return "pending" if self.status == "spam" else self.status

    def response(self, status: str | None = None) -> dict[str, Any]:
        """The body the author gets: the public view, its status and the edit token."""
        view = public_view(self.as_model())
        view["status"] = status or self.client_status()
        return {
            "comment": view,
            "edit_token": tokens.edit_token(self.site, self.id),
            "edit_until": self.edit_until,
        }

    def as_model(self) -> Comment:
        return Comment(
            thread_pk(self.site, self.thread), comment_sk(self.id), id=self.id, site=self.site,
            thread=self.thread, parent=self.parent, author=self.author, email=self.email,
            website=self.website, avatar=self.avatar, ip_hash=self.ip_hash, text=self.text,
            html=self.html, status=self.status, created=self.created,
            edit_until=self.edit_until, url=self.url, region=self.region,
            feed_site=self.site if self.status == "approved" else None,
            queue_site=queue_key(self.site, self.status), net_hash=self.net_hash,
            type=self.type, imported=self.imported,
        )  # fmt: skip

"""Known authors: e-mail addresses (keyed hashes) with an approved comment on a site."""

from __future__ import annotations

from chalicelib.platform import tokens

# --- known authors (the ``first-time`` moderation mode) ---------------------------------


def author_pk(site_id: str, email: str) -> str:
    """The item that says this address has an approved comment on the site (keyed hash)."""
    return f"AUTHOR#{site_id}#{tokens.keyed_hash('author', email)}"


def is_known_author(site_id: str, email: str | None) -> bool:
    """Whether ``email`` has an approved comment on the site. When no replica answers, the
    author counts as first-time (held), never as trusted."""
    from chalicelib.store import replicas
    from chalicelib.store.models import KnownAuthor

    if not email:
        return False
    try:
        replicas.read(lambda: KnownAuthor.get(author_pk(site_id, email), "#AUTHOR"))
    except KnownAuthor.DoesNotExist:
        return False
    except replicas.STORAGE_ERRORS:
        return False
    return True

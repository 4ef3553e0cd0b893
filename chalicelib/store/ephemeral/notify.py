"""Moderator-notification windows in the ephemeral table.

``NOTIFY#<site>``: comments held since the site's moderators were last told (a count and the
thread keys) and when that was (``sent_at``). ``NOTIFY#due``: the sites with held comments
waiting for the next summary, so the scheduled flush reads one item and never scans. The
batching rules are :mod:`chalicelib.moderation.notify`'s; this module stores and claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import UpdateError

from chalicelib.platform import clock
from chalicelib.store.models import NotifyDue, NotifyWindow

DUE_PK = "NOTIFY#due"


@dataclass
class Window:
    """A site's notification window: held comments not yet reported, and when the last
    message was sent (None: never)."""

    n: int
    threads: set[str] = field(default_factory=set)
    sent_at: float | None = None


def _window(item: NotifyWindow) -> Window:
    # sent_at as stored: the claim's condition compares it with what it reads back
    return Window(int(item.n or 0), set(item.threads or ()), item.sent_at)


def count_held(site_id: str, thread: str, expires: float) -> Window:
    """Add one held comment on ``thread`` to the site's window (kept until ``expires``) and
    return the window as it is now. One UpdateItem."""
    item = NotifyWindow(f"NOTIFY#{site_id}", "#")
    item.update(
        actions=[
            NotifyWindow.kind.set(NotifyWindow),
            NotifyWindow.n.add(1),
            NotifyWindow.threads.add({thread}),
            NotifyWindow.expires.set(clock.at(expires)),
        ]
    )
    return _window(item)


def read_window(site_id: str) -> Window | None:
    """The site's window (consistent read), or None if it has none."""
    try:
        return _window(NotifyWindow.get(f"NOTIFY#{site_id}", "#", consistent_read=True))
    except NotifyWindow.DoesNotExist:
        return None


def claim_window(site_id: str, window: Window, now: float) -> bool:
    """Mark ``window`` as reported at ``now``: take its count and threads out, conditional on
    nobody having claimed it since it was read. False if another container did."""
    item = NotifyWindow(f"NOTIFY#{site_id}", "#")
    try:
        item.update(
            actions=[
                NotifyWindow.sent_at.set(now),
                NotifyWindow.n.add(-window.n),
                *([NotifyWindow.threads.delete(window.threads)] if window.threads else []),
            ],
            condition=(
                NotifyWindow.sent_at.does_not_exist()
                if window.sent_at is None
                else NotifyWindow.sent_at == window.sent_at
            ),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_due(site_id: str) -> None:
    """Put the site on the list the next flush reads."""
    NotifyDue(DUE_PK, "#").update(
        actions=[NotifyDue.kind.set(NotifyDue), NotifyDue.sites.add({site_id})]
    )


def due_sites() -> set[str]:
    """The sites on the list (consistent read); empty when there is no list."""
    try:
        return set(NotifyDue.get(DUE_PK, "#", consistent_read=True).sites or ())
    except NotifyDue.DoesNotExist:
        return set()


def clear_due(site_id: str) -> None:
    """Take the site off the list."""
    NotifyDue(DUE_PK, "#").update(actions=[NotifyDue.sites.delete({site_id})])

"""The status of a comment: decided here and nowhere else.

``approved`` (public), ``pending`` (held for a moderator) or ``spam`` (hidden). Inputs: the
site's moderation mode (``none``, ``first-time``, ``links``, ``all``), the honeypot field,
whether the author is known (``first-time``), and the verdicts of the spam checks
(``ok`` < ``hold`` < ``spam``). The same rules decide a new comment, a comment whose text
turned out to be a duplicate, and an author's edit (an edit never keeps an approval the
new text would not get).
"""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.platform.render import count_links
from chalicelib.threads.spam import HOLD, SPAM, Verdict

APPROVED, PENDING, SPAM_STATUS = "approved", "pending", "spam"


def decide(
    mode: str,
    text: str,
    *,
    honeypot: bool = False,
    known_author: bool = False,
    verdicts: Iterable[Verdict] = (),
    linkback: bool = False,
) -> str:
    """``approved`` | ``pending`` | ``spam`` for a comment with ``text`` on a site whose
    moderation mode is ``mode``. A ``linkback`` (trackback, webmention) is a link itself:
    the ``links`` mode holds it; it has no e-mail, so ``first-time`` holds it too."""
    actions = {verdict.action for verdict in verdicts}
    if honeypot or SPAM in actions:
        return SPAM_STATUS
    if HOLD in actions or mode == "all":
        return PENDING
    if mode == "links" and (linkback or count_links(text)):
        return PENDING
    if mode == "first-time" and not known_author:
        return PENDING
    return APPROVED


def tighten(status: str, verdict: Verdict) -> str:
    """A decided status after one more verdict (a duplicate found while storing): never
    loosens."""
    if verdict.action == SPAM or status == SPAM_STATUS:
        return SPAM_STATUS
    if verdict.action == HOLD and status == APPROVED:
        return PENDING
    return status


#: The statuses an imported comment may keep (``deleted`` included: a tombstone).
SOURCE_STATUSES = frozenset({APPROVED, PENDING, SPAM_STATUS, "deleted"})


def from_source(status: str) -> str:
    """An imported comment keeps the status its source gave it (spam stays spam, deleted
    stays deleted, pending stays pending): the site's mode and the spam checks judged new
    comments only. Raises ValueError for a status sidenote does not have."""
    if status not in SOURCE_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return status

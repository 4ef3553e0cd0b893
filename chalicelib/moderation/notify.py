"""Notifications to a site's moderators when comments are held: SNS, batched.

One SNS topic per deployment (``SIDENOTE_NOTIFY_TOPIC_ARN``; empty = off). Each message
carries the message attribute ``site``, so one e-mail subscription per site with a filter
policy ``{"site": ["myblog"]}`` reaches exactly that site's moderators (docs/moderation.md).

Batching, so a spam wave cannot flood inboxes: at most one message per site per
``SIDENOTE_NOTIFY_WINDOW_MINUTES`` (15). The first held comment after a quiet window is
announced at once; the ones that follow are counted in a TTL item ``NOTIFY#<site>``
and summarised by the scheduled :func:`flush` once the window has passed (the site id
waits meanwhile in the one ``NOTIFY#due`` item, so the flush reads one item, never scans).

Content: counts, thread keys (trimmed) and a link to the moderation page. Never comment
text, HTML, names, e-mail or IP addresses: nothing a reader wrote except the thread key.
"""

from __future__ import annotations

from chalicelib.platform import clients, clock, config
from chalicelib.platform.logs import logger
from chalicelib.store import ephemeral

MAX_THREADS_LISTED = 10
#: A window's record outlives a quiet week, then expires.
KEEP_WINDOW = 7 * 86400


def _window() -> int:
    return max(1, config.settings.notify_window_minutes) * 60


def enabled() -> bool:
    return bool(config.settings.notify_topic_arn)


def held(site_id: str, thread: str) -> None:
    """A comment was held on ``site_id``: notify now, or count it for the next summary.

    Never raises: a notification problem must not fail the post that caused it.
    """
    if not enabled():
        return
    try:
        _held(site_id, thread)
    except Exception as exc:
        logger.warning("notification failed", extra={"site": site_id, "error": repr(exc)[:300]})


def _held(site_id: str, thread: str) -> None:
    now = clock.now()
    window = ephemeral.count_held(site_id, thread[:200], now + KEEP_WINDOW)
    if not _send_if_due(site_id, window, now):
        ephemeral.mark_due(site_id)


def _send_if_due(site_id: str, window: ephemeral.Window, now: float) -> bool:
    """Claim the window (conditional write) and publish; False when still inside it."""
    if window.n <= 0 or (window.sent_at is not None and now - float(window.sent_at) < _window()):
        return False
    if ephemeral.claim_window(site_id, window, now):
        publish(site_id, window.n, sorted(window.threads))
    # else another container claimed this window and sends it
    return True


def flush() -> int:
    """Send the summaries whose window has passed (the schedule). Returns messages sent."""
    if not enabled():
        return 0
    sent = 0
    now = clock.now()
    for site_id in sorted(ephemeral.due_sites()):
        window = ephemeral.read_window(site_id)
        if window is not None and window.n > 0:
            if not _send_if_due(site_id, window, now):
                continue  # still inside its window: next run
            sent += 1
        ephemeral.clear_due(site_id)
    return sent


def message(site_id: str, count: int, threads: list[str]) -> tuple[str, str]:
    """Subject and plain-text body. No reader-written content but thread keys."""
    from chalicelib.store.sites import get_site

    try:
        name = get_site(site_id).name
    except Exception:
        name = site_id
    name = " ".join(name.split())[:60]
    noun = "comment" if count == 1 else "comments"
    subject = f"sidenote: {count} {noun} waiting for moderation on {name}"
    base = config.settings.public_url or ""
    link = f"{base}/moderate?site={site_id}" if base else f"/moderate?site={site_id} (this API)"
    lines = [
        f"{count} new {noun} on {name} ({site_id}) {'is' if count == 1 else 'are'} waiting "
        "for a moderator.",
        "",
        "Threads:",
        *(f"  - {_plain(key)}" for key in threads[:MAX_THREADS_LISTED]),
    ]
    if len(threads) > MAX_THREADS_LISTED:
        lines.append(f"  … and {len(threads) - MAX_THREADS_LISTED} more")
    lines += [
        "",
        f"Review them: {link}",
        f"(At most one message per {_window() // 60} minutes per site.)",
    ]
    subject = subject.encode("ascii", "replace").decode()  # SNS subjects are ASCII
    return subject[:100], "\n".join(lines)


def _plain(key: str) -> str:
    """A thread key as inert text: no control characters, no markup, bounded."""
    cleaned = "".join(ch for ch in key if ch.isprintable())
    cleaned = cleaned.replace("<", "‹").replace(">", "›")
    return cleaned[:120] + ("…" if len(cleaned) > 120 else "")


def publish(site_id: str, count: int, threads: list[str]) -> None:
    """Publish one message to the notify topic (bounded: 1 s connect, 2 s read, 2 attempts)."""
    subject, body = message(site_id, count, threads)
    clients.client("sns").publish(
        TopicArn=config.settings.notify_topic_arn,
        Subject=subject,
        Message=body,
        MessageAttributes={
            "site": {"DataType": "String", "StringValue": site_id},
            "count": {"DataType": "Number", "StringValue": str(count)},
        },
    )
    logger.info("moderators notified", extra={"site": site_id, "count": count})

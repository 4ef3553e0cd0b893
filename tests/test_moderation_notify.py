"""Notifications of held comments: SNS (moto), batched per site, no reader content."""

from __future__ import annotations

import pytest

from chalicelib.moderation import notify
from chalicelib.platform import clock, config
from chalicelib.platform.validation import NewComment
from chalicelib.store import sites
from chalicelib.threads import posting
from tests.support import Inbox, patch_settings

API = "https://comments.example"


@pytest.fixture
def inbox(site, monkeypatch):
    """An SNS topic (moto) with an SQS queue subscribed; returns a function reading it."""
    box = Inbox("sidenote-test-moderation")
    patch_settings(monkeypatch, notify_topic_arn=box.topic, public_url=API)
    sites.update_site("myblog", {"moderation": "all"})
    return box.messages


def hold(text: str = "please approve", key: str = "/a", **fields) -> dict:
    status, body = posting.post(
        sites.get_site("myblog"), key, NewComment(text=text, **fields), ip=None,
        idempotency_key=None, body_hash=None,
    )  # fmt: skip
    assert status == 201
    return body["comment"]


def test_the_first_held_comment_notifies_the_site_at_once(inbox):
    hold("Buy <b>cheap</b> things", author="Mallory", email="m@example.org")
    (message,) = inbox()
    assert message["Subject"] == "sidenote: 1 comment waiting for moderation on My Blog"
    assert message["MessageAttributes"]["site"]["Value"] == "myblog"
    body = message["Message"]
    assert "/a" in body
    assert f"{API}/moderate?site=myblog" in body
    for reader_content in ("cheap", "<b>", "Mallory", "m@example.org"):
        assert reader_content not in body


def test_a_wave_of_held_comments_sends_one_summary_per_window(inbox, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    for n in range(30):
        hold(f"wave {n}", key=f"/post-{n % 3}")
    assert len(inbox()) == 1  # the first, at once
    assert notify.flush() == 0  # still inside the window
    assert inbox() == []
    monkeypatch.setattr(clock, "now", lambda: start + config.settings.notify_window_minutes * 60)
    assert notify.flush() == 1
    (summary,) = inbox()
    assert summary["Subject"].startswith("sidenote: 29 comments waiting")
    for key in ("/post-0", "/post-1", "/post-2"):
        assert key in summary["Message"]
    assert notify.flush() == 0  # nothing left to say
    assert inbox() == []


def test_after_a_quiet_window_the_next_held_comment_notifies_at_once(inbox, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    hold()
    inbox()
    monkeypatch.setattr(clock, "now", lambda: start + 3600)
    hold("again")
    (message,) = inbox()
    assert message["Subject"].startswith("sidenote: 1 comment")


def test_approved_and_spam_comments_notify_nobody(inbox):
    sites.update_site("myblog", {"moderation": "none"})
    hold("approved at once")
    hold("bot", honeypot="filled")
    assert inbox() == []


def test_thread_keys_reach_the_message_as_inert_text(inbox):
    hold(key="/<script>alert(1)</script>")
    (message,) = inbox()
    assert "<script>" not in message["Message"]
    assert "‹script›" in message["Message"]


def test_a_notification_failure_never_fails_the_post(inbox, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("SNS is down")

    monkeypatch.setattr(notify, "publish", broken)
    assert hold()["status"] == "pending"


def test_notifications_are_off_without_a_topic(site, monkeypatch):
    from chalicelib.store.models import EphemeralItem

    patch_settings(monkeypatch, notify_topic_arn="")
    sites.update_site("myblog", {"moderation": "all"})
    hold()
    assert not [i for i in EphemeralItem.scan() if i.pk.startswith("NOTIFY#")]
    assert notify.flush() == 0


def test_the_summary_runs_on_a_schedule():
    from app import app

    names = [handler.name for handler in app.event_sources]
    assert "notify_moderators" in names

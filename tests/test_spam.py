"""Spam defences: honeypot, per-IP and per-site rate limits, duplicate text, link limit, and
the pluggable check interface."""

from __future__ import annotations

import json

import pytest

from chalicelib.platform import clock, config
from chalicelib.platform.errors import RateLimited, ReadOnly
from chalicelib.platform.validation import NewComment
from chalicelib.store import comments, replicas, sites
from chalicelib.store.models import EphemeralItem
from chalicelib.threads import posting, spam, status
from tests.support import JSON, patch_settings, stored_status

LONG = "This is a perfectly ordinary comment about the post."


def post(text: str = "hi", *, ip: str | None = "203.0.113.9", key: str = "/a",
         idem: str | None = None, **fields) -> dict:  # fmt: skip
    status, body = posting.post(
        sites.get_site("myblog"), key, NewComment(text=text, **fields), ip=ip,
        idempotency_key=idem, body_hash=f"h-{text}" if idem else None,
    )  # fmt: skip
    assert status == 201
    return body["comment"]


def test_a_filled_honeypot_is_stored_as_spam_but_reported_as_pending(site):
    comment = post("buy now", honeypot="http://spam.example")
    assert comment["status"] == "pending"
    assert stored_status(comment["id"]) == "spam"


def test_the_honeypot_field_is_accepted_over_http_and_left_empty_by_people(client):
    response = client.http.post(
        "/sites/myblog/comments?thread=/a", headers=JSON, body=json.dumps({"text": "hi", "hp": ""})
    )
    assert json.loads(response.body)["comment"]["status"] == "approved"


def test_one_ip_is_rate_limited_with_retry_after(site, monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr(clock, "now", lambda: start)
    for n in range(config.settings.rate_limit_per_minute):
        post(f"c{n}")
    with pytest.raises(RateLimited) as caught:
        post("one too many")
    assert 0 < int(caught.value.headers["Retry-After"]) <= 60
    post("from elsewhere", ip="198.51.100.1")


def test_a_site_is_rate_limited_across_all_ips(site, monkeypatch):
    patch_settings(monkeypatch, site_rate_limit_per_minute=3)
    start = 1_800_000_000.0
    monkeypatch.setattr(clock, "now", lambda: start)
    for n in range(3):
        post(f"c{n}", ip=f"198.51.100.{n}")
    with pytest.raises(RateLimited, match="too many comments") as caught:
        post("wave", ip="192.0.2.77")
    assert caught.value.headers["Retry-After"]
    monkeypatch.setattr(clock, "now", lambda: start + 60)
    post("after the wave", ip="192.0.2.77")


def test_a_flood_silences_readers_no_longer_than_the_flood(site, monkeypatch):
    """Refused posts are not counted: the first minute without a flood is open again, and
    no refusal asks a reader to wait past the end of its minute."""
    patch_settings(monkeypatch, site_rate_limit_per_minute=3, rate_limit_per_minute=10**6)
    start = 1_800_000_000.0
    for minute in range(3):  # a three-minute flood: hundreds of refused attempts
        now = start + 60 * minute + 5
        monkeypatch.setattr(clock, "now", lambda now=now: now)
        refused = 0
        for n in range(100):
            try:
                post(f"flood {minute} {n} " + "x" * 20, ip=f"192.0.2.{n % 250}")
            except RateLimited as error:
                refused += 1
                assert int(error.headers["Retry-After"]) <= 55  # never past this minute
        assert refused == 97
    monkeypatch.setattr(clock, "now", lambda: start + 180)  # the flood has stopped
    assert post("a reader, right after the flood", ip="198.51.100.9")["status"] == "approved"


def test_a_rate_limited_post_is_429_over_http(client, monkeypatch):
    patch_settings(monkeypatch, site_rate_limit_per_minute=1)
    monkeypatch.setattr(clock, "now", lambda: 1_800_000_000.0)
    send = lambda: client.http.post(  # noqa: E731
        "/sites/myblog/comments?thread=/a", headers=JSON, body=json.dumps({"text": "hi"})
    )
    assert send().status_code == 201
    refused = send()
    assert refused.status_code == 429
    assert json.loads(refused.body)["Code"] == "RateLimited"
    assert refused.headers["Retry-After"]


def test_the_same_text_from_someone_else_is_spam(site):
    assert post(LONG, ip="198.51.100.1")["status"] == "approved"
    copy = post(LONG.upper() + "!!", ip="192.0.2.2")
    assert copy["status"] == "pending"  # the bot learns nothing
    assert stored_status(copy["id"]) == "spam"


def test_the_same_text_again_from_the_same_poster_is_held(site):
    post(LONG)
    again = post(LONG)
    assert stored_status(again["id"]) == "pending"


def test_a_retry_with_the_first_idempotency_key_is_not_a_duplicate(site, monkeypatch):
    from pynamodb.exceptions import TransactWriteError

    real = comments.store_new
    calls = []

    def fail_first(prepared):
        calls.append(prepared.id)
        if len(calls) == 1:
            raise TransactWriteError("timeout")
        return real(prepared)

    monkeypatch.setattr(comments, "store_new", fail_first)
    with pytest.raises(ReadOnly):  # the table failed and this test has no write queue
        post(LONG, idem="draft-1")
    replicas.writes.close()  # the table is back
    assert post(LONG, idem="draft-1")["status"] == "approved"


def test_short_texts_are_never_duplicates(site):
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert post("Thanks!", ip=ip)["status"] == "approved"


def test_duplicates_are_forgotten_after_a_day(site, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    post(LONG, ip="198.51.100.1")
    later = start + comments.writes.DUPLICATE_WINDOW_SECONDS + 1

    def expire_ttl_items():  # moto never runs TTL: do what DynamoDB would
        for item in EphemeralItem.scan():
            if item.expires and item.expires.timestamp() < later:
                item.delete()

    expire_ttl_items()
    monkeypatch.setattr(clock, "now", lambda: later)
    assert post(LONG, ip="192.0.2.2")["status"] == "approved"


def test_duplicate_fingerprints_are_keyed_hashes_not_text(site):
    post(LONG)
    stored = json.dumps([i.attribute_values for i in EphemeralItem.scan()], default=str)
    assert "perfectly ordinary" not in stored
    assert "203.0.113.9" not in stored


def test_too_many_links_hold_a_comment(site):
    links = " ".join(f"https://l{n}.example" for n in range(config.settings.max_links + 1))
    assert post(links)["status"] == "pending"
    few = " ".join(f"https://m{n}.example" for n in range(config.settings.max_links))
    assert post(few, ip="198.51.100.1")["status"] == "approved"


def test_a_registered_check_can_mark_spam_and_be_removed(site):
    class Classifier:
        name = "test-classifier"

        def __call__(self, site, candidate):
            assert candidate.ip_hash and "203.0.113.9" not in repr(candidate)
            return spam.Verdict(spam.SPAM, "classifier") if "casino" in candidate.text else None

    remove = spam.register(Classifier())
    try:
        assert stored_status(post("casino bonus")["id"]) == "spam"
        assert post("a fine comment", ip="198.51.100.1")["status"] == "approved"
    finally:
        remove()
    assert "test-classifier" not in [c.name for c in spam.checks()]


def test_a_failing_check_is_ignored_unless_it_asks_to_hold(site):
    class Broken:
        name = "broken"

        def __call__(self, site, candidate):
            raise TimeoutError("classifier down")

    remove = spam.register(Broken())
    try:
        assert post("still works")["status"] == "approved"
    finally:
        remove()
    cautious = Broken()
    cautious.fail_verdict = spam.HOLD
    remove = spam.register(cautious)
    try:
        assert post("held while down", ip="198.51.100.1")["status"] == "pending"
    finally:
        remove()


def test_a_verdict_never_loosens_the_moderation_mode():
    assert status.tighten("pending", spam.Verdict(spam.OK)) == "pending"
    assert status.tighten("approved", spam.Verdict(spam.HOLD)) == "pending"
    assert status.tighten("pending", spam.Verdict(spam.SPAM)) == "spam"
    assert status.tighten("spam", spam.Verdict(spam.HOLD)) == "spam"


def test_a_comment_stored_after_its_minute_is_never_refused_by_the_site_ceiling(site, monkeypatch):
    patch_settings(monkeypatch, site_rate_limit_per_minute=1)
    start = 1_800_000_000.0
    monkeypatch.setattr(clock, "now", lambda: start)
    post("fills the window", ip="198.51.100.1")
    prepared = posting.prepare(
        sites.get_site("myblog"), "/a", NewComment(text="queued"), ip="192.0.2.1"
    )
    with pytest.raises(RateLimited):
        posting.store(prepared)
    monkeypatch.setattr(clock, "now", lambda: start + 61)  # a queue replay, later
    assert posting.store(prepared)[0] == 201
    assert stored_status(prepared.id) == "approved"


def test_the_guards_ride_in_the_comments_own_transaction(site, monkeypatch):
    from botocore.client import BaseClient

    calls = []
    real = BaseClient._make_api_call

    def record(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return real(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    post(LONG)
    writes = [name for name in calls if name not in {"GetItem", "Query", "BatchGetItem"}]
    # At most the per-IP window (which may fall back to a per-container count) + the comment.
    assert writes.count("TransactWriteItems") == 1
    assert len(writes) <= 2

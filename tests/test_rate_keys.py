"""Per-address rate limits: one key per IPv4 address, one per IPv6 /64 (what one subscriber
line or host is given), so rotating addresses inside one's own /64 buys no extra attempts."""

from __future__ import annotations

import json
from urllib.parse import quote

from chalicelib.platform import clock, tokens
from chalicelib.store.ephemeral import ratelimit
from tests.support import patch_settings


def test_ipv6_addresses_in_one_64_share_a_rate_key():
    assert ratelimit.rate_key("2001:db8:1:2::a") == ratelimit.rate_key(
        "2001:db8:1:2:ffff:ffff:ffff:fffe"
    )
    assert ratelimit.rate_key("2001:db8:1:2::a") == ratelimit.rate_key("2001:DB8:1:2:0:0:0:A")


def test_ipv6_addresses_in_different_64s_have_different_rate_keys():
    assert ratelimit.rate_key("2001:db8:1:2::a") != ratelimit.rate_key("2001:db8:1:3::a")
    assert ratelimit.rate_key("2001:db8:1:2::a") != ratelimit.rate_key("2001:db9:1:2::a")


def test_ipv4_rate_keys_are_per_address_and_unchanged():
    """The same key as before /64 grouping, so windows open at a deploy keep counting."""
    assert ratelimit.rate_key("192.0.2.1") == tokens.keyed_hash("ip", "192.0.2.1")
    assert ratelimit.rate_key("192.0.2.1") != ratelimit.rate_key("192.0.2.2")
    assert ratelimit.rate_key("::ffff:192.0.2.1") == ratelimit.rate_key("192.0.2.1")


def test_a_rate_key_is_a_keyed_hash_never_the_address():
    key = ratelimit.rate_key("2001:db8:1:2::a")
    assert "2001" not in key and "db8" not in key
    assert len(key) == 32


def test_anything_that_is_not_an_address_still_gets_a_stable_key():
    assert ratelimit.rate_key("not an ip") == ratelimit.rate_key("not an ip")
    assert ratelimit.rate_key(None) == ratelimit.rate_key("")
    assert ratelimit.rate_key(None) != ratelimit.rate_key("192.0.2.1")


# --- the posting path -----------------------------------------------------------------------


def post_from(client, monkeypatch, ip: str, text: str):
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return client.http.post(
        f"/sites/myblog/comments?thread={quote('/a', safe='')}",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"text": text}),
    )


def test_posts_from_one_ipv6_64_share_the_posting_rate_limit(client, monkeypatch):
    patch_settings(monkeypatch, rate_limit_per_minute=2)
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)  # one window, whatever the wall clock does
    assert post_from(client, monkeypatch, "2001:db8:1:2::1", "first").status_code == 201
    assert post_from(client, monkeypatch, "2001:db8:1:2::2", "second").status_code == 201
    refused = post_from(client, monkeypatch, "2001:db8:1:2::3", "third")
    assert refused.status_code == 429
    assert json.loads(refused.body)["Code"] == "RateLimited"
    assert post_from(client, monkeypatch, "2001:db8:1:3::1", "fourth").status_code == 201


def test_posts_from_ipv4_addresses_keep_a_posting_rate_limit_each(client, monkeypatch):
    patch_settings(monkeypatch, rate_limit_per_minute=1)
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)
    assert post_from(client, monkeypatch, "192.0.2.1", "first").status_code == 201
    assert post_from(client, monkeypatch, "192.0.2.1", "second").status_code == 429
    assert post_from(client, monkeypatch, "192.0.2.2", "third").status_code == 201

"""Bans: by e-mail, IP, IPv4 /24 and IPv6 /48 ranges and by a comment's author; expiry;
checked on every post; stored only as keyed hashes."""

from __future__ import annotations

import json

from chalicelib.platform import clock
from chalicelib.platform.errors import Banned
from chalicelib.platform.validation import NewComment
from chalicelib.store import sites
from chalicelib.store.models import SiteItem
from chalicelib.threads import posting
from tests.support import JSON


def post_from(ip: str | None, email: str | None = None, text: str = "hi") -> dict:
    """Post through the service as if from ``ip`` (the test client's IP is fixed)."""
    sites.clear_cache()
    return posting.post(
        sites.get_site("myblog"), "/a", NewComment(text=text, email=email), ip=ip,
        idempotency_key=None, body_hash=None,
    )[1]["comment"]  # fmt: skip


def banned(ip: str | None, email: str | None = None) -> bool:
    try:
        post_from(ip, email)
    except Banned:
        return True
    return False


def stored_text() -> str:
    return json.dumps([item.attribute_values for item in SiteItem.scan()], default=str)


def test_an_ip_ban_refuses_that_address_only(mod):
    status, body = mod("POST", "bans", {"ip": "203.0.113.9", "reason": "spam"})
    assert status == 201
    assert body["ban"]["target"] == "ip"
    assert body["ban"]["label"] == "IPv4 address"
    assert banned("203.0.113.9")
    assert not banned("203.0.113.10")


def test_an_ipv4_24_range_ban_refuses_the_whole_range(mod):
    assert mod("POST", "bans", {"ip": "198.51.100.0/24"})[1]["ban"]["target"] == "net"
    assert banned("198.51.100.1")
    assert banned("198.51.100.254")
    assert not banned("198.51.101.1")


def test_an_ipv6_48_range_ban_refuses_the_whole_range(mod):
    assert mod("POST", "bans", {"ip": "2001:db8:abcd::/48"})[0] == 201
    assert banned("2001:db8:abcd:12::1")
    assert banned("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff")
    assert not banned("2001:db8:abce::1")


def test_an_ipv4_mapped_ipv6_address_is_matched_as_ipv4(mod):
    mod("POST", "bans", {"ip": "192.0.2.0/24"})
    assert banned("::ffff:192.0.2.7")


def test_other_range_sizes_and_garbage_are_refused(mod):
    for value in ("10.0.0.0/16", "2001:db8::/64", "not-an-ip", "300.1.1.1"):
        status, body = mod("POST", "bans", {"ip": value})
        assert (status, body["Code"]) == (400, "InvalidRequest"), value


def test_a_single_address_in_cidr_form_is_an_address_ban(mod):
    assert mod("POST", "bans", {"ip": "203.0.113.9/32"})[1]["ban"]["target"] == "ip"
    assert banned("203.0.113.9")
    assert not banned("203.0.113.8")


def test_an_email_ban_ignores_case(mod):
    status, body = mod("POST", "bans", {"email": "Troll@Example.org"})
    assert status == 201
    assert body["ban"]["label"] == "t•••@example.org"
    assert banned(None, "troll@example.org")
    assert not banned(None, "ann@example.org")


def test_banning_a_comments_author_covers_their_email_and_ip(mod):
    cid = post_from("203.0.113.50", "spammer@example.org")["id"]
    status, body = mod("POST", "bans", {"comment": cid, "reason": "link spam"})
    assert status == 201
    assert body["ban"]["target"] == "comment"
    assert cid in body["ban"]["label"]
    assert banned("203.0.113.50")
    assert banned("198.51.100.1", "spammer@example.org")
    assert not banned("203.0.113.51")


def test_banning_a_comments_author_with_range_covers_their_network(mod):
    cid = post_from("203.0.113.50")["id"]
    assert mod("POST", "bans", {"comment": cid, "range": True})[0] == 201
    assert banned("203.0.113.200")
    assert not banned("203.0.114.1")


def test_a_ban_needs_exactly_one_target(mod):
    for bad in ({}, {"ip": "203.0.113.9", "email": "a@b.org"}, {"ip": 5}, {"email": "nope"},
                {"ip": "203.0.113.9", "days": 0}, {"ip": "203.0.113.9", "days": "7"},
                {"ip": "203.0.113.9", "reason": "x" * 501}):  # fmt: skip
        assert mod("POST", "bans", bad)[0] == 400, bad
    status, body = mod("POST", "bans", {"comment": "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"})
    assert (status, body["Code"]) == (404, "CommentNotFound")


def test_a_ban_with_days_expires_and_the_cached_site_notices(mod, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    _, body = mod("POST", "bans", {"ip": "203.0.113.9", "days": 1})
    assert body["ban"]["until"] == clock.rfc3339(start + 86400)
    config = sites.get_site("myblog")
    assert sites.is_banned(config, email=None, ip="203.0.113.9")
    monkeypatch.setattr(clock, "now", lambda: start + 86400 + 1)
    # No cache clearing: the cached copy must not outlive the ban it holds.
    assert not sites.is_banned(sites.get_site("myblog"), email=None, ip="203.0.113.9")
    (listed,) = mod("GET", "bans")[1]["bans"]
    assert listed["active"] is False


def test_a_ban_without_days_lasts(mod, monkeypatch):
    mod("POST", "bans", {"email": "troll@example.org"})
    later = clock.now() + 3650 * 86400
    monkeypatch.setattr(clock, "now", lambda: later)
    sites.clear_cache()
    assert banned(None, "troll@example.org")


def test_bans_are_listed_newest_first_and_can_be_lifted(mod):
    first = mod("POST", "bans", {"ip": "203.0.113.9"})[1]["ban"]
    second = mod("POST", "bans", {"email": "troll@example.org", "days": 3})[1]["ban"]
    status, body = mod("GET", "bans")
    assert status == 200
    assert [b["id"] for b in body["bans"]] == [second["id"], first["id"]]
    assert all(b["active"] and b["by"] for b in body["bans"])
    assert mod("DELETE", f"bans/{first['id']}") == (204, None)
    assert not banned("203.0.113.9")
    status, body = mod("DELETE", f"bans/{first['id']}")
    assert (status, body["Code"]) == (404, "BanNotFound")


def test_a_banned_poster_gets_403_banned_over_http(client, mod):
    mod("POST", "bans", {"email": "troll@example.org"})
    response = client.http.post(
        "/sites/myblog/comments?thread=/a", headers=JSON,
        body=json.dumps({"text": "let me in", "email": "troll@example.org"}),
    )  # fmt: skip
    assert response.status_code == 403
    assert json.loads(response.body)["Code"] == "Banned"


def test_bans_store_no_ip_address_and_no_email_address(mod):
    cid = post_from("203.0.113.50", "spammer@example.org")["id"]
    mod("POST", "bans", {"comment": cid, "range": True})
    mod("POST", "bans", {"ip": "198.51.100.0/24"})
    mod("POST", "bans", {"ip": "2001:db8:abcd::/48"})
    mod("POST", "bans", {"email": "troll@example.org"})
    text = stored_text()
    for secret in ("203.0.113", "198.51.100", "2001:db8", "spammer@", "troll@"):
        assert secret not in text
    assert "203.0.113" not in json.dumps(mod("GET", "bans")[1])

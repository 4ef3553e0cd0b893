"""Moderator keys: the authorization matrix over every moderation route, the authorizer,
the guard and the throttle on failed attempts."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.moderation import auth
from chalicelib.platform import clock
from chalicelib.store import sites
from tests.support import patch_settings

ULID_A = "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"
UNKNOWN_KEY = "sn_" + "A" * 43


def _moderation_routes() -> list[tuple[str, str]]:
    from app import app

    return sorted(
        (path, method)
        for path, entries in app.routes.items()
        for method in entries
        if "/moderation" in path and method != "OPTIONS"
    )


ROUTES = _moderation_routes()


def concrete(path: str, site: str = "myblog") -> str:
    url = path.replace("{site}", site)
    url = re.sub(r"{\w+}", ULID_A, url)
    return url + ("?thread=/a" if url.endswith("/threads") else "")


def call(client, method: str, path: str, key: str | None = None, raw: str | None = None):
    headers = {"Content-Type": "application/json"}
    if raw is not None:
        headers["Authorization"] = raw
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    body = "{}" if method in {"POST", "PATCH", "PUT"} else None
    return client.http.request(method, path, headers=headers, body=body)


@pytest.fixture
def keys(site):
    sites.create_site("other", "Other Blog")
    own, _ = sites.create_key("myblog", "ann")
    other, _ = sites.create_key("other", "bob")
    revoked, info = sites.create_key("myblog", "old laptop")
    sites.revoke_key("myblog", info.id)
    return {"own": own, "other": other, "revoked": revoked}


def test_the_route_table_has_every_moderation_route_of_the_contract():
    paths = {path for path, _ in ROUTES}
    for suffix in (
        "comments", "comments/{comment_id}", "comments/{comment_id}/approve",
        "comments/{comment_id}/spam", "comments/{comment_id}/delete",
        "comments/{comment_id}/restore", "bans", "bans/{ban_id}", "threads", "settings",
        "audit",
    ):  # fmt: skip
        assert f"/sites/{{site}}/moderation/{suffix}" in paths


@pytest.mark.parametrize(("path", "method"), ROUTES)
def test_each_moderation_route_refuses_missing_unknown_malformed_revoked_and_foreign_keys(
    client, keys, path, method
):
    url = concrete(path)
    assert call(client, method, url).status_code == 401  # the gateway's own answer
    for bad in ({"key": UNKNOWN_KEY}, {"raw": "Basic dXNlcjpwYXNz"}, {"key": keys["revoked"]}):
        refused = call(client, method, url, **bad)
        assert refused.status_code == 401, (bad, refused.body)
        assert json.loads(refused.body)["Code"] == "Unauthorized"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    foreign = call(client, method, url, keys["other"])
    assert foreign.status_code == 403
    assert json.loads(foreign.body)["Code"] == "Forbidden"
    admitted = call(client, method, url, keys["own"])
    assert admitted.status_code not in {401, 403, 429}, admitted.body


def test_a_key_of_one_site_cannot_reach_a_site_that_does_not_exist(client, keys):
    response = call(client, "GET", concrete("/sites/{site}/moderation/settings", "nosuch"),
                    keys["own"])  # fmt: skip
    assert response.status_code == 403


def test_every_moderation_route_uses_the_built_in_authorizer():
    from app import app

    for path, method in ROUTES:
        if path.endswith("/moderation/report"):
            continue  # the health reports' route: guarded by the middleware all the same
        assert app.routes[path][method].authorizer is not None, (path, method)


def test_the_authorizer_cache_ttl_is_the_documented_revocation_delay():
    from app import app

    (found,) = [a for a in app.builtin_auth_handlers if a.name == "moderator_key"]
    assert found.ttl_seconds == auth.CACHE_SECONDS == 30


def test_a_revoked_key_stops_working_at_once_locally(client, keys):
    own, info = sites.create_key("myblog", "temp")
    path = "/sites/myblog/moderation/settings"
    assert call(client, "GET", path, own).status_code == 200
    sites.revoke_key("myblog", info.id)
    assert call(client, "GET", path, own).status_code == 401


def test_the_authorizer_allows_with_the_keys_site_in_its_context(keys):
    principal, context = auth.authorizer_context(f"Bearer {keys['own']}")
    assert context["status"] == "ok"
    assert context["site"] == "myblog"
    assert principal == context["key_id"]
    assert keys["own"] not in json.dumps(context)


def test_the_authorizer_marks_unknown_and_malformed_keys_without_raising(keys):
    for token in (f"Bearer {UNKNOWN_KEY}", "Bearer short", "", None, f"Token {keys['own']}"):
        assert auth.authorizer_context(token) == ("unknown", {"status": "unknown"})


def test_the_authorizer_reports_an_unavailable_key_store_instead_of_failing(keys, monkeypatch):
    from pynamodb.exceptions import GetError

    def broken(secret):
        raise GetError("down")

    monkeypatch.setattr(sites, "key_for", broken)
    assert auth.authorizer_context(f"Bearer {keys['own']}")[1] == {"status": "unavailable"}


def test_repeated_failures_from_one_ip_are_throttled_with_retry_after(client, keys, monkeypatch):
    patch_settings(monkeypatch, auth_failures_per_window=3)
    path = "/sites/myblog/moderation/settings"
    assert [call(client, "GET", path, UNKNOWN_KEY).status_code for _ in range(3)] == [401] * 3
    throttled = call(client, "GET", path, UNKNOWN_KEY)
    assert throttled.status_code == 429
    assert json.loads(throttled.body)["Code"] == "RateLimited"
    assert 0 < int(throttled.headers["Retry-After"]) <= auth.FAILURE_WINDOW
    malformed = call(client, "GET", path, raw="Basic dXNlcjpwYXNz")
    assert malformed.status_code == 429


def test_a_valid_key_is_admitted_from_an_address_over_the_failure_limit(client, keys, monkeypatch):
    """A colleague's typos (same office, NAT or VPN) never lock a moderator out."""
    patch_settings(monkeypatch, auth_failures_per_window=2)
    for _ in range(5):
        call(client, "GET", "/sites/myblog/moderation/settings", UNKNOWN_KEY)
    assert call(client, "GET", "/sites/myblog/moderation/settings", UNKNOWN_KEY).status_code == 429
    for path, method in ROUTES:
        admitted = call(client, method, concrete(path), keys["own"])
        assert admitted.status_code not in {401, 403, 429}, (path, method, admitted.body)
    assert call(client, "GET", "/sites/myblog/moderation/settings", keys["own"]).status_code == 200
    assert call(client, "GET", "/sites/myblog/moderation/settings", UNKNOWN_KEY).status_code == 429


def test_the_guard_admits_a_valid_key_over_the_limit_when_it_checks_the_key_itself(
    client, keys, monkeypatch
):
    """The authorizer could not reach the key store (status ``unavailable``): the guard looks
    the key up itself, and a valid key passes there too."""
    from pynamodb.exceptions import GetError

    patch_settings(monkeypatch, auth_failures_per_window=2)
    path = "/sites/myblog/moderation/settings"
    for _ in range(3):
        call(client, "GET", path, UNKNOWN_KEY)
    real, calls = sites.key_for, []

    def first_call_fails(secret):
        calls.append(secret)
        if len(calls) == 1:
            raise GetError("the authorizer's read timed out")
        return real(secret)

    monkeypatch.setattr(sites, "key_for", first_call_fails)
    assert call(client, "GET", path, keys["own"]).status_code == 200
    assert len(calls) == 2  # the authorizer's failed read, then the guard's own
    calls.clear()
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 429


def test_the_failure_throttle_ends_with_its_window(client, keys, monkeypatch):
    patch_settings(monkeypatch, auth_failures_per_window=2)
    path = "/sites/myblog/moderation/settings"
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    for _ in range(3):
        call(client, "GET", path, UNKNOWN_KEY)
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 429
    monkeypatch.setattr(clock, "now", lambda: start + auth.FAILURE_WINDOW + 1)
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 401


def from_address(monkeypatch, ip: str) -> None:
    """Requests of the chalice test client come from ``ip`` (API Gateway's ``sourceIp``)."""
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)


def test_ipv6_addresses_in_one_64_share_the_failure_window(client, keys, monkeypatch):
    patch_settings(monkeypatch, auth_failures_per_window=2)
    path = "/sites/myblog/moderation/settings"
    from_address(monkeypatch, "2001:db8:1:2::a")
    assert [call(client, "GET", path, UNKNOWN_KEY).status_code for _ in range(2)] == [401] * 2
    from_address(monkeypatch, "2001:db8:1:2:ffff:ffff:ffff:fffe")  # same /64, new address
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 429
    assert call(client, "GET", path, keys["own"]).status_code == 200
    from_address(monkeypatch, "2001:db8:1:3::a")  # the neighbouring /64
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 401


def test_ipv4_addresses_keep_a_failure_window_each(client, keys, monkeypatch):
    patch_settings(monkeypatch, auth_failures_per_window=2)
    path = "/sites/myblog/moderation/settings"
    from_address(monkeypatch, "192.0.2.1")
    assert [call(client, "GET", path, UNKNOWN_KEY).status_code for _ in range(3)] == [
        401, 401, 429
    ]  # fmt: skip
    from_address(monkeypatch, "192.0.2.2")  # same /24, another address
    assert call(client, "GET", path, UNKNOWN_KEY).status_code == 401


def test_another_sites_key_does_not_count_as_a_failed_attempt(client, keys, monkeypatch):
    patch_settings(monkeypatch, auth_failures_per_window=2)
    path = "/sites/myblog/moderation/settings"
    for _ in range(4):
        assert call(client, "GET", path, keys["other"]).status_code == 403
    assert call(client, "GET", path, keys["own"]).status_code == 200


def test_failed_attempts_are_counted_under_a_keyed_hash_of_the_ip_never_the_ip(client, keys):
    from chalicelib.store.models import EphemeralItem

    call(client, "GET", "/sites/myblog/moderation/settings", UNKNOWN_KEY)
    stored = json.dumps([item.attribute_values for item in EphemeralItem.scan()], default=str)
    assert "AUTHFAIL#" in stored
    assert "127.0.0.1" not in stored


def test_moderation_responses_are_never_cached_and_carry_no_cors_grant(client, keys):
    response = client.http.get(
        "/sites/myblog/moderation/comments",
        headers={"Authorization": f"Bearer {keys['own']}", "Origin": "https://blog.example"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response.headers

"""Moderator keys: the authorization matrix over every moderation route, the authorizer,
the guard and the throttle on failed attempts."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from chalicelib.moderation import auth
from chalicelib.platform import clock, config
from chalicelib.store import sites

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
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, auth_failures_per_window=3)
    )
    path = "/sites/myblog/moderation/settings"
    assert [call(client, "GET", path, UNKNOWN_KEY).status_code for _ in range(3)] == [401] * 3
    throttled = call(client, "GET", path, UNKNOWN_KEY)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    # Even the right key is refused now, so a lucky guess cannot be told apart.
    assert call(client, "GET", path, keys["own"]).status_code == 429


def test_the_failure_throttle_ends_with_its_window(client, keys, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, auth_failures_per_window=2)
    )
    path = "/sites/myblog/moderation/settings"
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    for _ in range(3):
        call(client, "GET", path, UNKNOWN_KEY)
    assert call(client, "GET", path, keys["own"]).status_code == 429
    monkeypatch.setattr(clock, "now", lambda: start + auth.FAILURE_WINDOW + 1)
    assert call(client, "GET", path, keys["own"]).status_code == 200


def test_another_sites_key_does_not_count_as_a_failed_attempt(client, keys, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, auth_failures_per_window=2)
    )
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

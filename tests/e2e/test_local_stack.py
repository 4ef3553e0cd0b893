"""End to end: real HTTP to ``chalice local`` backed by DynamoDB Local."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


def _thread() -> str:
    return f"/e2e/{uuid.uuid4().hex[:8]}/"


def _post(base: str, thread: str, headers: dict | None = None, **body) -> requests.Response:
    return requests.post(
        f"{base}/sites/demo/comments", params={"thread": thread},
        headers={**JSON, **(headers or {})}, data=json.dumps(body), timeout=10,
    )  # fmt: skip


def test_posted_comment_is_listed_and_counted(live_server):
    thread = _thread()
    posted = _post(live_server, thread, text="Hello *e2e*", author="Ann", email="ann@example.org")
    assert posted.status_code == 201, posted.text
    comment = posted.json()["comment"]
    assert comment["status"] == "approved"
    assert comment["html"] == "<p>Hello <em>e2e</em></p>"

    listed = requests.get(
        f"{live_server}/sites/demo/comments", params={"thread": thread.rstrip("/")}, timeout=10
    )
    assert listed.status_code == 200
    page = listed.json()
    assert [c["id"] for c in page["comments"]] == [comment["id"]]
    assert page["thread"]["count"] == 1
    assert "ann@example.org" not in listed.text

    counts = requests.get(
        f"{live_server}/sites/demo/counts",
        params=[("thread", thread), ("thread", "/none")],
        timeout=10,
    )
    assert counts.json() == {
        "counts": {thread: 1, "/none": 0},
        "trackbacks": {thread: 0, "/none": 0},
    }


def test_etag_gives_304_over_http(live_server):
    thread = _thread()
    _post(live_server, thread, text="cache me")
    first = requests.get(
        f"{live_server}/sites/demo/comments", params={"thread": thread}, timeout=10
    )
    again = requests.get(
        f"{live_server}/sites/demo/comments", params={"thread": thread},
        headers={"If-None-Match": first.headers["ETag"]}, timeout=10,
    )  # fmt: skip
    assert again.status_code == 304
    assert "stale-if-error" in first.headers["Cache-Control"]


def test_preflight_grants_only_the_sites_origins(live_server):
    allowed = requests.options(
        f"{live_server}/sites/demo/comments",
        headers={"Origin": live_server, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,idempotency-key"},
        timeout=10,
    )  # fmt: skip
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == live_server
    assert "Idempotency-Key" in allowed.headers["Access-Control-Allow-Headers"]

    other = requests.options(
        f"{live_server}/sites/demo/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )  # fmt: skip
    assert "Access-Control-Allow-Origin" not in other.headers


def test_write_from_a_foreign_origin_is_refused_and_not_stored(live_server):
    thread = _thread()
    refused = _post(live_server, thread, headers={"Origin": "https://evil.example"}, text="forged")
    assert refused.status_code == 403
    assert refused.json()["Code"] == "OriginNotAllowed"
    listed = requests.get(
        f"{live_server}/sites/demo/comments", params={"thread": thread}, timeout=10
    )
    assert listed.json()["comments"] == []


def test_idempotency_key_replays_over_http(live_server):
    thread = _thread()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = _post(live_server, thread, headers=key, text="once")
    second = _post(live_server, thread, headers=key, text="once")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    reused = _post(live_server, thread, headers=key, text="something else")
    assert reused.status_code == 422
    listed = requests.get(
        f"{live_server}/sites/demo/comments", params={"thread": thread}, timeout=10
    )
    assert len(listed.json()["comments"]) == 1


def test_author_edits_and_deletes_with_the_edit_token(live_server):
    thread = _thread()
    posted = _post(live_server, thread, text="first draft").json()
    url = f"{live_server}/sites/demo/comments/{posted['comment']['id']}"
    wrong = requests.patch(
        url, headers={**JSON, "X-Edit-Token": "nope"}, data='{"text":"x"}', timeout=10
    )
    assert wrong.status_code == 403
    edited = requests.patch(
        url, headers={**JSON, "X-Edit-Token": posted["edit_token"]},
        data=json.dumps({"text": "second draft"}), timeout=10,
    )  # fmt: skip
    assert edited.status_code == 200
    assert edited.json()["comment"]["html"] == "<p>second draft</p>"
    deleted = requests.delete(url, headers={"X-Edit-Token": posted["edit_token"]}, timeout=10)
    assert deleted.status_code == 204
    counts = requests.post(f"{live_server}/sites/demo/counts", headers=JSON,
                           data=json.dumps({"threads": [thread]}), timeout=10)  # fmt: skip
    assert counts.json()["counts"][thread] == 0


def test_feed_lists_the_latest_comment(live_server):
    import xml.etree.ElementTree as ET

    thread = _thread()
    posted = _post(live_server, thread, text="for the feed", author="Feedy").json()
    feed = requests.get(
        f"{live_server}/sites/demo/feed.atom", params={"thread": thread}, timeout=10
    )
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.findtext("a:id", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert any(i.endswith(posted["comment"]["id"]) for i in ids)


def test_comments_survive_a_restart_of_the_whole_stack(tmp_path):
    """What `make run` promises: a second run keeps the comments of the first."""
    from tests import support

    devstack = support.devstack()

    def start():
        database = devstack.Database(data_dir=tmp_path / "db").start()
        env = devstack.stack_env(database.endpoint, SIDENOTE_SECRET="e2e-secret")
        server = devstack.ApiServer(env)
        devstack.prepare(env, [server.url])
        return database, server.start()

    database, server = start()
    try:
        posted = _post(server.url, "/restart", text="still here?")
        assert posted.status_code == 201
    finally:
        server.stop()
        database.stop()

    database, server = start()
    try:
        listed = requests.get(
            f"{server.url}/sites/demo/comments", params={"thread": "/restart"}, timeout=10
        )
        assert [c["id"] for c in listed.json()["comments"]] == [posted.json()["comment"]["id"]]
    finally:
        server.stop()
        database.stop()


def test_cli_manages_sites_and_keys(live_stack):
    created = json.loads(
        live_stack.cli(
            "site",
            "create",
            "clitest",
            "--name",
            "CLI test",
            "--origin",
            "https://cli.example",
            "--moderation",
            "all",
        )
    )
    assert created["moderation"] == "all"
    updated = json.loads(live_stack.cli("site", "update", "clitest", "--max-length", "300"))
    assert updated["max_length"] == 300
    assert "clitest" in [s["id"] for s in json.loads(live_stack.cli("site", "list"))]
    key = live_stack.cli("key", "create", "clitest", "--name", "ops").strip()
    assert key.startswith("sn_")
    keys = json.loads(live_stack.cli("key", "list", "clitest"))
    assert [k["name"] for k in keys] == ["ops"]
    assert key not in json.dumps(keys)
    revoked = json.loads(live_stack.cli("key", "revoke", "clitest", keys[0]["id"]))
    assert revoked["revoked"]
    with pytest.raises(RuntimeError, match="exists already"):
        live_stack.cli("site", "create", "clitest", "--name", "again")


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_pages_on_dynamodb_local_end_exactly_when_the_thread_does(live_server, sort):
    """DynamoDB Local returns a LastEvaluatedKey when a page is exactly full; moto does not."""
    thread = _thread()
    ids = [
        _post(live_server, thread, text=f"comment {i}").json()["comment"]["id"] for i in range(3)
    ]

    def page(limit, cursor=None):
        params = {
            "thread": thread,
            "limit": limit,
            "sort": sort,
            **({"cursor": cursor} if cursor else {}),
        }
        return requests.get(f"{live_server}/sites/demo/comments", params=params, timeout=10).json()

    full = page(3)
    assert full["cursor"] is None
    assert full["thread"]["count"] == 3
    first = page(2)
    second = page(2, first["cursor"])
    assert second["cursor"] is None
    seen = [c["id"] for c in first["comments"] + second["comments"]]
    assert seen == (ids if sort == "oldest" else ids[::-1])
    assert first["thread"]["count"] == second["thread"]["count"] == 3

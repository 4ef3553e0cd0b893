"""Moderator keys over real HTTP: ``chalice local`` runs the built-in authorizer itself."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e


def _get(base: str, site: str, key: str | None, path: str = "settings") -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(f"{base}/sites/{site}/moderation/{path}", headers=headers, timeout=10)


def test_chalice_local_refuses_missing_unknown_and_foreign_keys(live_server, live_stack):
    own = live_stack.moderator_key
    other_site = "e2e" + uuid.uuid4().hex[:8]
    live_stack.cli("site", "create", other_site, "--name", "Other")
    foreign = live_stack.cli("key", "create", other_site).strip()

    missing = _get(live_server, "demo", None)
    assert missing.status_code == 401  # the gateway's own answer: no code ran
    unknown = _get(live_server, "demo", "sn_" + "z" * 43)
    assert (unknown.status_code, unknown.json()["Code"]) == (401, "Unauthorized")
    refused = _get(live_server, "demo", foreign)
    assert (refused.status_code, refused.json()["Code"]) == (403, "Forbidden")
    allowed = _get(live_server, "demo", own)
    assert allowed.status_code == 200
    assert allowed.json()["settings"]["id"] == "demo"


def test_a_key_revoked_with_the_cli_stops_working_locally_at_once(live_server, live_stack):
    key = live_stack.cli("key", "create", "demo", "--name", "short-lived").strip()
    assert _get(live_server, "demo", key).status_code == 200
    listed = json.loads(live_stack.cli("key", "list", "demo"))
    (info,) = [k for k in listed if k["name"] == "short-lived"]
    live_stack.cli("key", "revoke", "demo", info["id"])
    assert _get(live_server, "demo", key).status_code == 401


def test_a_held_comment_is_approved_over_http_and_counted(live_server, live_stack):
    site = "e2e" + uuid.uuid4().hex[:8]
    live_stack.cli("site", "create", site, "--name", "Held", "--moderation", "all")
    key = live_stack.cli("key", "create", site).strip()
    thread = f"/e2e/{uuid.uuid4().hex[:8]}"
    posted = requests.post(
        f"{live_server}/sites/{site}/comments", params={"thread": thread},
        json={"text": "held over http"}, timeout=10,
    )  # fmt: skip
    assert posted.json()["comment"]["status"] == "pending"
    queue = _get(live_server, site, key, "comments").json()["comments"]
    assert [c["id"] for c in queue] == [posted.json()["comment"]["id"]]
    approved = requests.post(
        f"{live_server}/sites/{site}/moderation/comments/{queue[0]['id']}/approve",
        headers={"Authorization": f"Bearer {key}"}, timeout=10,
    )  # fmt: skip
    assert approved.json()["comment"]["status"] == "approved"
    counts = requests.get(
        f"{live_server}/sites/{site}/counts", params={"thread": thread}, timeout=10
    ).json()
    assert counts == {"counts": {thread: 1}, "trackbacks": {thread: 0}}


@pytest.fixture
def no_failed_key_windows(live_stack):
    """Clear the server's failed-key windows before and after: every e2e request comes from
    127.0.0.1, so a locked-out address would turn other tests' 401s into 429s."""
    live_stack.forget_ephemeral("RATE#AUTHFAIL#")
    yield
    live_stack.forget_ephemeral("RATE#AUTHFAIL#")


def test_a_valid_key_is_admitted_over_http_from_an_address_locked_out_for_failures(
    live_server, live_stack, no_failed_key_windows
):
    guess = "sn_" + "g" * 43
    statuses = []
    while 429 not in statuses and len(statuses) < 50:
        statuses.append(_get(live_server, "demo", guess).status_code)
    assert statuses == [401] * 10 + [429]  # SIDENOTE_AUTH_FAILURES_PER_WINDOW's default
    refused = _get(live_server, "demo", guess)
    assert (refused.status_code, refused.json()["Code"]) == (429, "RateLimited")
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    admitted = _get(live_server, "demo", live_stack.moderator_key)
    assert admitted.status_code == 200
    assert admitted.json()["settings"]["id"] == "demo"

"""What the API fuzzer found, each pinned at its cause (chalice.test.Client on moto): requests
that answered 500, and settings that stored values the contract says cannot exist."""

from __future__ import annotations

import base64
import json

import pytest

from chalicelib.store import sites

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def key(site):
    secret, _ = sites.create_key("myblog", "ann")
    return secret


def _moderate(client, key, method: str, path: str, body=None):
    response = client.http.request(
        method, f"/sites/myblog/moderation/{path}",
        headers={"Authorization": f"Bearer {key}", **JSON},
        body=json.dumps(body) if body is not None else None,
    )  # fmt: skip
    return response.status_code, json.loads(response.body) if response.body else None


def _error(status_and_body, status: int, code: str) -> str:
    status_got, body = status_and_body
    assert (status_got, body["Code"]) == (status, code), body
    assert set(body) == {"Code", "Message"}
    return body["Message"]


def test_counts_with_a_query_but_no_thread_is_a_400_naming_the_thread_parameter(client):
    response = client.http.get("/sites/myblog/counts?threads=/a")
    body = json.loads(response.body)
    assert (response.status_code, body["Code"]) == (400, "InvalidRequest")
    assert "thread" in body["Message"]


def test_counts_with_thread_parameters_still_counts_them(client):
    response = client.http.get("/sites/myblog/counts?thread=/a&thread=/b&other=1")
    assert response.status_code == 200
    assert json.loads(response.body) == {
        "counts": {"/a": 0, "/b": 0},
        "trackbacks": {"/a": 0, "/b": 0},
    }


@pytest.mark.parametrize("action", [["approve"], {"approve": 1}, 1, None, True])
def test_bulk_with_an_action_that_is_not_a_string_is_a_400(client, key, action):
    answer = _moderate(client, key, "POST", "bulk", {"action": action, "ids": ["x"]})
    assert "'action'" in _error(answer, 400, "InvalidRequest")


def test_report_with_an_empty_day_is_a_400_not_a_500(client, key):
    answer = _moderate(client, key, "GET", "report?day=")
    assert "day" in _error(answer, 400, "InvalidRequest")


def _cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("route", ["comments", "audit"])
@pytest.mark.parametrize(
    "cursor", [_cursor_of("é" * 20 + "{}"), _cursor_of("ü" * 8 + "0" * 8 + "{}"), "é", "%C3%A9"]
)
def test_a_moderation_cursor_with_non_ascii_text_is_invalid_not_a_500(client, key, route, cursor):
    answer = _moderate(client, key, "GET", f"{route}?cursor={cursor}")
    _error(answer, 400, "InvalidCursor")


@pytest.mark.parametrize(
    "name", ["a\x07b", "tab\there", "new\nline", "\x00", "bad\ufffe", "x\uffff"]
)
def test_a_site_name_with_control_characters_is_refused(client, key, name):
    answer = _moderate(client, key, "PATCH", "settings", {"name": name})
    assert "'name'" in _error(answer, 400, "InvalidRequest")
    assert sites.get_site("myblog", fresh=True).name == "My Blog"


@pytest.mark.parametrize("message", ["back\x1bsoon", "\x00", "bell\x07", "odd\uffff"])
def test_a_read_only_message_with_control_characters_is_refused(client, key, message):
    answer = _moderate(client, key, "PATCH", "settings", {"read_only": message})
    assert "'read_only'" in _error(answer, 400, "InvalidRequest")
    assert sites.get_site("myblog", fresh=True).read_only == ""


def test_an_empty_notify_email_unsets_it_and_is_stored_as_null(client, key):
    status, body = _moderate(client, key, "PATCH", "settings", {"notify_email": "ann@example.org"})
    assert status == 200 and body["settings"]["notify_email"] == "ann@example.org"
    for empty in ("", "   "):
        status, body = _moderate(client, key, "PATCH", "settings", {"notify_email": empty})
        assert status == 200, body
        assert body["settings"]["notify_email"] is None
        assert sites.get_site("myblog", fresh=True).notify_email is None
    status, body = _moderate(client, key, "GET", "settings")
    assert body["settings"]["notify_email"] is None


def test_an_invalid_notify_email_is_still_refused(client, key):
    answer = _moderate(client, key, "PATCH", "settings", {"notify_email": "not an address"})
    _error(answer, 400, "InvalidRequest")


def test_a_site_created_with_an_empty_notify_email_has_none(aws):
    assert sites.create_site("other", "Other", notify_email="").notify_email is None

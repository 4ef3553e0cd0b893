"""Hostile input: every public write and read answers a clear 4xx or a safe 2xx, never a 500,
and a refused write stores nothing."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from chalicelib.store import sites
from chalicelib.store.models import EphemeralItem, ThreadItem
from tests.support import (
    JSON,
    ORIGIN,
    moto_tables,
    patch_settings,
    stored_comments,
    thread_count,
)

FIELDS = ["text", "author", "email", "website", "parent", "title", "url", "hp"]
SCRIPT = "<script>alert(1)</script>"
HTML_PAYLOADS = [
    SCRIPT,
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "';alert(1);//",
    "{{7*7}}${7*7}",
    "../../etc/passwd",
    "%00%0d%0a",
]


@pytest.fixture(scope="module")
def aws():
    """One moto for the module (hundreds of small tests); ``empty_tables`` resets data."""
    with moto_tables():
        yield


@pytest.fixture(scope="module")
def site(aws):
    """Site ``myblog`` as in conftest, created once; no test here changes its settings."""
    return sites.create_site("myblog", "My Blog", origins=[ORIGIN])


@pytest.fixture(autouse=True)
def empty_tables(site):
    """Every test starts with no comments, threads, rate windows or idempotency records."""
    for model in (ThreadItem, EphemeralItem):
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


@pytest.fixture(autouse=True)
def generous_rate_limit(monkeypatch):
    patch_settings(monkeypatch, rate_limit_per_minute=10_000)


# --- helpers -----------------------------------------------------------------------------------


def raw_post(client, body, *, thread="/a", headers=None, site="myblog"):
    if not isinstance(body, bytes):
        body = body.encode("utf-8", "surrogatepass")
    path = f"/sites/{quote(site, safe='')}/comments?thread={quote(thread, safe='')}"
    return client.http.post(path, headers={**JSON, **(headers or {})}, body=body)


def assert_clear_answer(response):
    """A 4xx with the one error shape, or a 2xx/304; never a 5xx."""
    assert response.status_code < 500, response.body
    if response.status_code >= 400:
        error = json.loads(response.body)
        assert set(error) == {"Code", "Message"}, error
        assert error["Code"] and error["Message"]
        assert "Traceback" not in error["Message"]


def assert_safe_html(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered and "<svg" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered)
    assert 'href="javascript:' not in lowered


def assert_refused_or_safe(response, before: int, *, key: str = "/a"):
    """4xx → nothing stored; 201 → the stored comment's HTML is safe."""
    assert_clear_answer(response)
    if response.status_code >= 400:
        assert len(stored_comments()) == before
        assert thread_count(key) == before
    else:
        assert response.status_code == 201, response.body
        body = json.loads(response.body)
        assert_safe_html(body["comment"]["html"])
        assert len(stored_comments()) == before + 1


# --- malformed bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"{",
        b"{'text': 'single quotes'}",
        b'{"text": "unterminated}',
        b'{"text": "x",}',
        b"nul",
        b"undefined",
        b"\xff\xfe\x00t\x00e\x00x\x00t",
        b'{"text": "\xc3\x28"}',
        b'{"text": "x"} trailing',
        b"\x00",
        b'{"text": NaN}',
        b'{"text": Infinity}',
        b'{"text": -Infinity}',
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        b'{"text": "x", "text": 5}',
    ],
    ids=lambda body: repr(body[:24]),
)
def test_malformed_json_is_a_clear_400_and_stores_nothing(client, body):
    response = raw_post(client, body)
    assert_clear_answer(response)
    assert 400 <= response.status_code < 500
    assert stored_comments() == []


@pytest.mark.parametrize(
    "body", ["1", '"text"', "null", "true", "[]", '[{"text": "x"}]', "3.14", '""']
)
def test_json_that_is_not_an_object_is_a_clear_400(client, body):
    response = raw_post(client, body)
    assert_clear_answer(response)
    assert response.status_code == 400
    assert stored_comments() == []


def test_duplicate_keys_take_the_last_value_and_never_fail(client):
    response = raw_post(client, '{"text": 5, "text": "fine"}')
    assert_refused_or_safe(response, 0)


# --- wrong types ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_wrong_type_in_any_field_is_400_naming_it(client, field):
    for value in [0, -1, 1.5, 1e308, True, False, [], ["x"], {}, {"$ne": None}, 2**70]:
        body = {"text": "hello", field: value}
        response = raw_post(client, json.dumps(body))
        assert_clear_answer(response)
        assert response.status_code == 400, value
        assert f"'{field}'" in json.loads(response.body)["Message"]
    assert stored_comments() == []


@pytest.mark.parametrize("field", [f for f in FIELDS if f != "text"])
def test_null_in_an_optional_field_means_absent(client, field):
    response = raw_post(client, json.dumps({"text": "hello", field: None}))
    assert response.status_code == 201
    assert len(stored_comments()) == 1


# --- sizes --------------------------------------------------------------------------------------


def test_body_over_64_kb_is_413_and_stores_nothing(client):
    response = raw_post(client, json.dumps({"text": "x", "pad": "p" * (64 * 1024)}))
    assert_clear_answer(response)
    assert response.status_code == 413
    assert json.loads(response.body)["Code"] == "CommentTooLarge"
    assert stored_comments() == []


def test_multibyte_body_over_64_kb_is_413(client):
    response = raw_post(client, json.dumps({"text": "é" * 40_000}, ensure_ascii=False))
    assert response.status_code == 413
    assert stored_comments() == []


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("text", "x" * 5001, 413),
        ("text", "\U0001f600" * 5001, 413),
        ("author", "a" * 81, 400),
        ("email", "a" * 250 + "@example.org", 400),
        ("website", "https://a.example/" + "p" * 600, 400),
        ("title", "t" * 301, 400),
        ("url", "https://a.example/" + "p" * 2100, 400),
    ],
)
def test_oversized_field_is_refused_and_stores_nothing(client, field, value, status):
    body = {"text": "hello", field: value}
    response = raw_post(client, json.dumps(body))
    assert_clear_answer(response)
    assert response.status_code == status
    assert stored_comments() == []


# --- unicode edge cases -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["text", "author", "title", "email", "website", "url"])
def test_lone_surrogate_escape_in_any_field_is_400(client, field):
    for escape in ["\\ud800", "\\udfff", "x\\udc00y", "\\ud83d"]:
        body = '{"text": "hello", "%s": "%s"}' % (field, escape)  # noqa: UP031
        if field == "text":
            body = '{"text": "%s"}' % escape  # noqa: UP031
        response = raw_post(client, body)
        assert_clear_answer(response)
        assert response.status_code == 400, escape
    assert stored_comments() == []


@pytest.mark.parametrize("field", ["text", "author", "title"])
def test_control_characters_in_fields_are_400(client, field):
    for char in ["\u0000", "\u001b", "\u007f", "\u0085", "\ufffe", "\uffff"]:  # XML 1.0: none
        response = raw_post(client, json.dumps({"text": "hello", field: f"a{char}b"}))
        assert_clear_answer(response)
        assert response.status_code == 400, repr(char)
    assert stored_comments() == []


@pytest.mark.parametrize("field", ["text", "author", "title"])
def test_unusual_but_valid_unicode_is_stored_safely(client, field):
    values = [
        "\u202eevil\u202c",
        "zero\u200bwidth\u200d",
        "\ufeffbom",
        "\U0001f600\U0001f44d\U0001f3fd\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "שלום مرحبا",
        "a\u0301\u0302\u0303\u0304\u0305",
        "\U000e0041tag",
    ]
    for stored, value in enumerate(values):
        response = raw_post(client, json.dumps({"text": "hello", field: value}))
        assert response.status_code == 201, repr(value)
        assert_refused_or_safe(response, stored)


@pytest.mark.parametrize(
    "thread",
    ["/\u202e/a", "/\U0001f600", "/zero\u200bwidth", "/caf\u0065\u0301", "/" + "é" * 511],
    ids=repr,
)
def test_unusual_but_valid_thread_keys_work(client, thread):
    response = raw_post(client, json.dumps({"text": "hello"}), thread=thread)
    assert response.status_code == 201
    listed = client.http.get(f"/sites/myblog/comments?thread={quote(thread, safe='')}")
    assert json.loads(listed.body)["thread"]["count"] == 1


# --- script and HTML in every field -----------------------------------------------------------


@pytest.mark.parametrize("payload", HTML_PAYLOADS[:5])
@pytest.mark.parametrize("field", ["text", "author", "title", "email", "website", "url", "hp"])
def test_script_in_any_body_field_is_refused_or_stored_safely(client, field, payload):
    response = raw_post(client, json.dumps({"text": "hello", field: payload}))
    assert_refused_or_safe(response, 0)
    if response.status_code == 201:
        listed = client.http.get("/sites/myblog/comments?thread=/a")
        for comment in json.loads(listed.body)["comments"]:
            assert_safe_html(comment["html"])


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
def test_script_in_the_parent_field_is_400(client, payload):
    response = raw_post(client, json.dumps({"text": "hello", "parent": payload}))
    assert_clear_answer(response)
    assert response.status_code == 400
    assert stored_comments() == []


@pytest.mark.parametrize("payload", [*HTML_PAYLOADS, "/a\x00", "/" + "x" * 600, "", "   "])
def test_script_in_the_thread_key_is_refused_or_stored_as_plain_text(client, payload):
    response = raw_post(client, json.dumps({"text": "hello"}), thread=payload)
    assert_clear_answer(response)
    if response.status_code >= 400:
        assert stored_comments() == []
    else:
        (comment,) = stored_comments()
        assert comment.thread == payload.strip().rstrip("/") or comment.thread == "/"
    listed = client.http.get(f"/sites/myblog/comments?thread={quote(payload, safe='')}")
    assert_clear_answer(listed)
    feed = client.http.get(f"/sites/myblog/feed.atom?thread={quote(payload, safe='')}")
    assert_clear_answer(feed)
    assert b"<script>" not in feed.body


@pytest.mark.parametrize(
    "key", [*HTML_PAYLOADS, "x" * 129, "", " ", "ключ", "a\tb"], ids=lambda k: repr(k[:20])
)
def test_hostile_idempotency_key_is_refused_or_harmless(client, key):
    response = raw_post(client, json.dumps({"text": "hello"}), headers={"Idempotency-Key": key})
    assert_refused_or_safe(response, 0)


@pytest.mark.parametrize("token", [*HTML_PAYLOADS, "x" * 5000, "ключ", ""])
def test_hostile_edit_token_is_403(client, token):
    posted = json.loads(raw_post(client, json.dumps({"text": "mine"})).body)
    comment_id = posted["comment"]["id"]
    patched = client.http.patch(
        f"/sites/myblog/comments/{comment_id}",
        headers={**JSON, "X-Edit-Token": token},
        body=json.dumps({"text": SCRIPT}),
    )
    assert_clear_answer(patched)
    assert patched.status_code == 403
    deleted = client.http.delete(
        f"/sites/myblog/comments/{comment_id}", headers={"X-Edit-Token": token}
    )
    assert deleted.status_code == 403
    (comment,) = stored_comments()
    assert comment.text == "mine" and comment.status == "approved"


@pytest.mark.parametrize("comment_id", [*HTML_PAYLOADS, "x" * 300, "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"])
def test_hostile_comment_id_in_the_path_is_404(client, comment_id):
    path = f"/sites/myblog/comments/{quote(comment_id, safe='')}"
    patched = client.http.patch(path, headers={**JSON, "X-Edit-Token": "t"}, body='{"text": "x"}')
    assert_clear_answer(patched)
    assert patched.status_code == 404
    deleted = client.http.delete(path, headers={"X-Edit-Token": "t"})
    assert_clear_answer(deleted)
    assert deleted.status_code == 404


@pytest.mark.parametrize(
    "queries",
    [
        [f"cursor={quote(p)}" for p in HTML_PAYLOADS]
        + ["cursor=" + "A" * 5000, "cursor=%ED%A0%80", "cursor=%00", "cursor=AAAA"],
        [f"limit={quote(p)}" for p in HTML_PAYLOADS]
        + ["limit=99999999999999999999999", "limit=%C2%B2", "limit=-0", "limit=1e2"],
        [f"sort={quote(p)}" for p in HTML_PAYLOADS] + ["sort=", "sort=OLDEST", "sort=oldest%00"],
        ["thread=%ED%A0%80", "thread=/a&thread=/b", "thread=", "thread=%00", "thread=%0A"],
    ],
    ids=["cursor", "limit", "sort", "thread"],
)
def test_hostile_list_parameters_get_a_clear_answer(client, queries):
    raw_post(client, json.dumps({"text": "hello"}))
    for query in queries:
        if not query.startswith("thread="):
            query = f"thread=/a&{query}"
        response = client.http.get(f"/sites/myblog/comments?{query}")
        assert_clear_answer(response)
        assert b"<script>" not in response.body, query


@pytest.mark.parametrize(
    "site_id",
    [*HTML_PAYLOADS, "MYBLOG", "my_blog", "x" * 300, "myblog\n", "-myblog", "é"],
    ids=lambda s: repr(s[:20]),
)
def test_hostile_site_id_in_the_path_is_404(client, site_id):
    encoded = quote(site_id, safe="")
    for response in (
        raw_post(client, json.dumps({"text": "hello"}), site=site_id),
        client.http.get(f"/sites/{encoded}/comments?thread=/a"),
        client.http.get(f"/sites/{encoded}/counts?thread=/a"),
        client.http.get(f"/sites/{encoded}/feed.atom"),
    ):
        assert_clear_answer(response)
        assert response.status_code == 404
        assert b"<script>" not in response.body
    assert stored_comments() == []


@pytest.mark.parametrize(
    "body",
    [
        {"threads": [SCRIPT, "/a\x00", "/" + "x" * 600]},
        {"threads": [None, 1, [], {}]},
        {"threads": ["\ud800"]},
        {"threads": [""] * 10},
        {"threads": {"a": 1}},
        {"threads": ["/a"] * 1000},
    ],
    ids=repr,
)
def test_hostile_counts_bodies_get_a_clear_answer(client, body):
    raw = json.dumps(body)
    response = client.http.post("/sites/myblog/counts", headers=JSON, body=raw)
    assert_clear_answer(response)
    assert response.status_code in {200, 400}


@pytest.mark.parametrize("origin", [SCRIPT, "null", "https://blog.example\r\nX: y", "x" * 5000])
def test_hostile_origin_is_refused_for_writes_and_never_echoed(client, origin):
    response = raw_post(client, json.dumps({"text": "hello"}), headers={"Origin": origin})
    assert_clear_answer(response)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert stored_comments() == []


def test_text_full_of_markup_renders_to_safe_html_everywhere(client):
    text = "\n\n".join(
        [
            SCRIPT,
            "[x](javascript:alert(1))",
            "[y](&#106;avascript:alert(1))",
            "![i](https://evil.example/i.png)",
            "<a href=javascript:alert(1) onclick=alert(1)>z</a>",
        ]
    )
    response = raw_post(client, json.dumps({"text": text, "author": SCRIPT}))
    assert response.status_code == 201
    listed = json.loads(client.http.get("/sites/myblog/comments?thread=/a").body)["comments"]
    for comment in [json.loads(response.body)["comment"], *listed]:
        assert_safe_html(comment["html"])
        assert comment["author"] == SCRIPT  # plain text: the widget puts it in a text node
    feed = client.http.get("/sites/myblog/feed.atom").body
    assert b"<script>" not in feed

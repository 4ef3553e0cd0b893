"""The public HTTP contract of API.md, through ``chalice.test.Client``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import pytest

from chalicelib.platform import clock, tokens
from chalicelib.store import sites
from tests.support import (
    JSON,
    MISSING_ID,
    ORIGIN,
    body_of,
    lock_thread,
    patch_settings,
    post_comment,
)

ATOM = "{http://www.w3.org/2005/Atom}"
EMAIL = "ann.secret@example.org"
LOCAL_IP = "127.0.0.1"


@pytest.fixture(autouse=True)
def generous_rate_limit(monkeypatch):
    """Tests post more than 5 comments from 127.0.0.1; the rate-limit test sets it back."""
    patch_settings(monkeypatch, rate_limit_per_minute=1000)


# --- helpers -----------------------------------------------------------------------------------


def header(response, name):
    wanted = name.lower()
    return next((v for k, v in response.headers.items() if k.lower() == wanted), None)


def assert_error(response, status, code, *, mentions=None):
    assert response.status_code == status, response.body
    error = body_of(response)
    assert set(error) == {"Code", "Message"}
    assert error["Code"] == code
    assert isinstance(error["Message"], str) and error["Message"]
    assert "Traceback" not in error["Message"]
    if mentions:
        assert mentions in error["Message"]
    return error


def new_comment(client, text="hello", *, thread="/a", **fields):
    response = post_comment(client, {"text": text, **fields}, thread=thread)
    assert response.status_code == 201, response.body
    return body_of(response)


def list_thread(client, thread="/a", headers=None, **params):
    query = urlencode({"thread": thread, **params})
    return client.http.get(f"/sites/myblog/comments?{query}", headers=headers or {})


# --- GET /sites/{site}/comments ---------------------------------------------------------------


def test_get_comments_of_a_thread_returns_thread_comments_and_cursor(client):
    posted = new_comment(
        client,
        "Hello **world**",
        author="Ann",
        website="https://ann.example",
        title="Outage",
        url="https://blog.example/2009/02/outage.html",
    )
    response = list_thread(client, "/a/")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("application/json")
    page = body_of(response)
    assert set(page) == {"thread", "comments", "cursor"}
    assert page["thread"] == {
        "key": "/a",
        "title": "Outage",
        "url": "https://blog.example/2009/02/outage.html",
        "locked": False,
        "count": 1,
        "linkbacks": 0,
    }
    (comment,) = page["comments"]
    assert set(comment) == {
        "id",
        "parent",
        "author",
        "website",
        "avatar",
        "html",
        "created",
        "edited",
        "deleted",
        "type",
    }
    assert comment["type"] == "comment"
    assert comment["id"] == posted["comment"]["id"]
    assert len(comment["id"]) == 26
    assert comment["parent"] is None
    assert comment["author"] == "Ann"
    assert comment["website"] == "https://ann.example"
    assert comment["html"] == "<p>Hello <strong>world</strong></p>"
    assert comment["created"].endswith("Z") and "T" in comment["created"]
    assert comment["edited"] is None
    assert comment["deleted"] is False
    assert page["cursor"] is None


def test_unknown_thread_is_empty_with_count_zero(client):
    page = body_of(list_thread(client, "/nothing-here"))
    assert page["comments"] == []
    assert page["thread"]["count"] == 0
    assert page["cursor"] is None


def test_thread_with_and_without_trailing_slash_is_the_same(client):
    new_comment(client, "one")
    assert (
        body_of(list_thread(client, "/a/"))["comments"]
        == body_of(list_thread(client, "/a"))["comments"]
    )


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_pages_follow_the_cursor_to_the_end(client, sort):
    ids = [new_comment(client, f"c{n}")["comment"]["id"] for n in range(5)]
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": "2", "sort": sort, **({"cursor": cursor} if cursor else {})}
        page = body_of(list_thread(client, **params))
        assert len(page["comments"]) <= 2
        seen += [c["id"] for c in page["comments"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == (ids if sort == "oldest" else ids[::-1])


def test_reply_carries_its_parent_id(client):
    parent = new_comment(client, "parent")["comment"]["id"]
    reply = new_comment(client, "reply", parent=parent)
    assert reply["comment"]["parent"] == parent
    listed = body_of(list_thread(client))["comments"]
    assert [c["parent"] for c in listed] == [None, parent]


def test_read_is_cacheable_with_stale_if_error(client):
    response = list_thread(client)
    cache = header(response, "Cache-Control")
    for directive in ("max-age=", "stale-while-revalidate=", "stale-if-error="):
        assert directive in cache
    assert header(response, "ETag")


def test_if_none_match_with_the_current_etag_gives_304(client):
    new_comment(client)
    first = list_thread(client)
    etag = header(first, "ETag")
    again = list_thread(client, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.body == b""
    assert header(again, "ETag") == etag
    weak = list_thread(client, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304


def test_etag_changes_when_the_thread_changes(client):
    etag = header(list_thread(client), "ETag")
    new_comment(client)
    response = list_thread(client, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert header(response, "ETag") != etag


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "InvalidRequest"),
        ({"limit": "201"}, "InvalidRequest"),
        ({"limit": "x"}, "InvalidRequest"),
        ({"sort": "random"}, "InvalidRequest"),
        ({"cursor": "not-a-cursor"}, "InvalidCursor"),
    ],
)
def test_bad_list_parameters_are_a_clear_400(client, params, code):
    assert_error(list_thread(client, **params), 400, code)


def test_list_without_a_thread_is_a_clear_400(client):
    assert_error(client.http.get("/sites/myblog/comments"), 400, "InvalidThread")


def test_deleted_comment_with_a_reply_is_listed_as_tombstone(client):
    parent = new_comment(client, "parent", author="Ann", website="https://ann.example")
    new_comment(client, "reply", parent=parent["comment"]["id"])
    response = client.http.delete(
        f"/sites/myblog/comments/{parent['comment']['id']}",
        headers={"X-Edit-Token": parent["edit_token"]},
    )
    assert response.status_code == 204
    page = body_of(list_thread(client))
    tombstone = page["comments"][0]
    assert tombstone["deleted"] is True
    assert tombstone["author"] == "" and tombstone["html"] == ""
    assert page["thread"]["count"] == 1


# --- POST /sites/{site}/comments -----------------------------------------------------------------


def test_post_comment_returns_201_with_comment_edit_token_and_deadline(client):
    response = post_comment(
        client, {"text": "Hi *there*", "author": "Ann", "email": EMAIL, "website": "https://a.ex"}
    )
    assert response.status_code == 201
    assert header(response, "Cache-Control") == "no-store"
    body = body_of(response)
    assert set(body) == {"comment", "edit_token", "edit_until"}
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["html"] == "<p>Hi <em>there</em></p>"
    assert body["edit_token"] == tokens.edit_token("myblog", body["comment"]["id"])
    assert body["edit_until"] > body["comment"]["created"]


def test_post_to_a_moderated_site_is_pending_and_not_listed(client):
    sites.update_site("myblog", {"moderation": "all"})
    body = new_comment(client, "held")
    assert body["comment"]["status"] == "pending"
    assert body_of(list_thread(client))["comments"] == []


def test_post_with_the_honeypot_filled_looks_pending(client):
    body = new_comment(client, "bot", hp="http://spam.example")
    assert body["comment"]["status"] == "pending"
    assert body_of(list_thread(client))["thread"]["count"] == 0


def test_post_from_an_allowed_origin_is_accepted_and_granted(client):
    response = post_comment(client, {"text": "hi"}, headers={"Origin": ORIGIN})
    assert response.status_code == 201
    assert header(response, "Access-Control-Allow-Origin") == ORIGIN


def test_same_idempotency_key_and_body_replays_the_first_response(client):
    headers = {"Idempotency-Key": "retry-123"}
    first = post_comment(client, {"text": "once"}, headers=headers)
    second = post_comment(client, {"text": "once"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert body_of(second) == body_of(first)
    assert body_of(list_thread(client))["thread"]["count"] == 1


def test_idempotency_key_reused_with_another_body_is_422(client):
    headers = {"Idempotency-Key": "retry-123"}
    post_comment(client, {"text": "once"}, headers=headers)
    response = post_comment(client, {"text": "different"}, headers=headers)
    assert_error(response, 422, "IdempotencyKeyReused")
    assert body_of(list_thread(client))["thread"]["count"] == 1


def test_idempotency_key_reused_on_another_thread_is_422(client):
    headers = {"Idempotency-Key": "retry-123"}
    post_comment(client, {"text": "once"}, headers=headers, thread="/a")
    response = post_comment(client, {"text": "once"}, headers=headers, thread="/b")
    assert_error(response, 422, "IdempotencyKeyReused")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": 5}, "text"),
        ({"text": "x", "author": ["Ann"]}, "author"),
        ({"text": "x", "email": "not-an-address"}, "email"),
        ({"text": "x", "website": "javascript:alert(1)"}, "website"),
        ({"text": "x", "url": "ftp://blog.example"}, "url"),
        ({"text": "x", "title": "t" * 301}, "title"),
        ({"text": "x", "parent": "nope"}, "parent"),
        ({"text": "x", "hp": 1}, "hp"),
    ],
)
def test_invalid_comment_is_400_naming_the_field(client, payload, field):
    assert_error(post_comment(client, payload), 400, "InvalidComment", mentions=f"'{field}'")


def test_required_author_and_email_follow_the_site_settings(client):
    sites.update_site("myblog", {"require_author": True, "require_email": True})
    assert_error(post_comment(client, {"text": "x", "email": EMAIL}), 400, "InvalidComment",
                 mentions="'author'")  # fmt: skip
    assert_error(post_comment(client, {"text": "x", "author": "Ann"}), 400, "InvalidComment",
                 mentions="'email'")  # fmt: skip
    assert post_comment(client, {"text": "x", "author": "Ann", "email": EMAIL}).status_code == 201


def test_post_without_a_thread_is_400(client):
    response = client.http.post("/sites/myblog/comments", headers=JSON, body='{"text": "x"}')
    assert_error(response, 400, "InvalidThread")


def test_banned_ip_gets_403_banned(client):
    sites.add_ban("myblog", "ip", LOCAL_IP)
    assert_error(post_comment(client, {"text": "hi"}), 403, "Banned")


def test_banned_email_gets_403_banned(client):
    sites.add_ban("myblog", "email", EMAIL)
    assert_error(post_comment(client, {"text": "hi", "email": EMAIL.upper()}), 403, "Banned")


def test_locked_thread_gets_403_thread_locked(client):
    lock_thread("myblog", "/a")
    assert_error(post_comment(client, {"text": "hi"}), 403, "ThreadLocked")
    assert body_of(list_thread(client))["thread"]["locked"] is True


def test_write_from_a_foreign_origin_gets_403_origin_not_allowed(client):
    response = post_comment(client, {"text": "hi"}, headers={"Origin": "https://evil.example"})
    assert_error(response, 403, "OriginNotAllowed")
    assert header(response, "Access-Control-Allow-Origin") is None
    assert body_of(list_thread(client))["thread"]["count"] == 0


def test_unknown_site_gets_404_site_not_found(client):
    assert_error(post_comment(client, {"text": "hi"}, site="nosuchsite"), 404, "SiteNotFound")


def test_reply_to_a_missing_parent_gets_404_parent_not_found(client):
    response = post_comment(client, {"text": "hi", "parent": MISSING_ID})
    assert_error(response, 404, "ParentNotFound")


def test_comment_longer_than_the_site_maximum_gets_413(client):
    sites.update_site("myblog", {"max_length": 100})
    assert_error(post_comment(client, {"text": "x" * 101}), 413, "CommentTooLarge")
    assert post_comment(client, {"text": "x" * 100}).status_code == 201


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_non_json_post_gets_415(client, content_type):
    response = client.http.post(
        "/sites/myblog/comments?thread=/a",
        headers={"Content-Type": content_type},
        body="text=hello",
    )
    assert response.status_code == 415
    assert set(body_of(response)) == {"Code", "Message"}
    assert body_of(list_thread(client))["thread"]["count"] == 0


def test_sixth_post_in_a_minute_gets_429_with_retry_after(client, monkeypatch):
    patch_settings(monkeypatch, rate_limit_per_minute=5)
    for n in range(5):
        assert post_comment(client, {"text": f"c{n}"}).status_code == 201
    response = post_comment(client, {"text": "too many"})
    assert_error(response, 429, "RateLimited")
    assert 1 <= int(header(response, "Retry-After")) <= 60
    assert body_of(list_thread(client))["thread"]["count"] == 5


def test_read_only_site_gets_503_with_retry_after_and_still_reads(client):
    new_comment(client, "before")
    sites.update_site("myblog", {"read_only": "Back at 5pm."})
    response = post_comment(client, {"text": "during"})
    assert_error(response, 503, "ReadOnly", mentions="Back at 5pm.")
    assert int(header(response, "Retry-After")) > 0
    assert list_thread(client).status_code == 200
    assert body_of(list_thread(client))["thread"]["count"] == 1


def test_operator_read_only_switch_gets_503_with_its_message(client, monkeypatch):
    patch_settings(monkeypatch, read_only_message="Down for upgrades.")
    response = post_comment(client, {"text": "during"})
    assert_error(response, 503, "ReadOnly", mentions="Down for upgrades.")
    assert header(response, "Retry-After")


# --- PATCH / DELETE /sites/{site}/comments/{id} ---------------------------------------------------


def edit(client, comment_id, text, token, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["X-Edit-Token"] = token
    return client.http.patch(
        f"/sites/myblog/comments/{comment_id}", headers=headers, body=json.dumps({"text": text})
    )


def delete(client, comment_id, token):
    headers = {"X-Edit-Token": token} if token is not None else {}
    return client.http.delete(f"/sites/myblog/comments/{comment_id}", headers=headers)


def test_patch_with_the_edit_token_returns_200_and_the_new_comment(client):
    posted = new_comment(client, "first")
    response = edit(client, posted["comment"]["id"], "*second*", posted["edit_token"])
    assert response.status_code == 200
    comment = body_of(response)["comment"]
    assert comment["html"] == "<p><em>second</em></p>"
    assert comment["edited"]
    assert body_of(list_thread(client))["comments"][0]["html"] == "<p><em>second</em></p>"


def test_delete_with_the_edit_token_returns_204(client):
    posted = new_comment(client, "gone")
    response = delete(client, posted["comment"]["id"], posted["edit_token"])
    assert response.status_code == 204
    assert response.body == b""
    assert body_of(list_thread(client))["comments"] == []


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_edit_or_delete_with_a_wrong_token_gets_403_edit_not_allowed(client, token):
    posted = new_comment(client, "mine")
    assert_error(edit(client, posted["comment"]["id"], "x", token), 403, "EditNotAllowed")
    assert_error(delete(client, posted["comment"]["id"], token), 403, "EditNotAllowed")


def test_edit_after_the_window_gets_403_edit_not_allowed(client, monkeypatch):
    posted = new_comment(client, "mine")
    late = clock.parse_rfc3339(posted["edit_until"]) + 1
    monkeypatch.setattr(clock, "now", lambda: late)
    response = edit(client, posted["comment"]["id"], "late", posted["edit_token"])
    assert_error(response, 403, "EditNotAllowed")
    assert_error(delete(client, posted["comment"]["id"], posted["edit_token"]), 403,
                 "EditNotAllowed")  # fmt: skip


@pytest.mark.parametrize("comment_id", [MISSING_ID, "not-an-id"])
def test_edit_or_delete_of_an_unknown_comment_gets_404(client, comment_id):
    assert_error(edit(client, comment_id, "x", "token"), 404, "CommentNotFound")
    assert_error(delete(client, comment_id, "token"), 404, "CommentNotFound")


def test_patch_that_is_not_json_gets_415(client):
    posted = new_comment(client, "mine")
    response = edit(client, posted["comment"]["id"], "x", posted["edit_token"], "text/plain")
    assert response.status_code == 415


def test_patch_with_an_invalid_body_gets_400_naming_text(client):
    posted = new_comment(client, "mine")
    response = client.http.patch(
        f"/sites/myblog/comments/{posted['comment']['id']}",
        headers={**JSON, "X-Edit-Token": posted["edit_token"]},
        body=json.dumps({"text": ""}),
    )
    assert_error(response, 400, "InvalidComment", mentions="'text'")


def test_delete_from_a_foreign_origin_gets_403_origin_not_allowed(client):
    posted = new_comment(client, "mine")
    response = client.http.delete(
        f"/sites/myblog/comments/{posted['comment']['id']}",
        headers={"X-Edit-Token": posted["edit_token"], "Origin": "https://evil.example"},
    )
    assert_error(response, 403, "OriginNotAllowed")
    assert body_of(list_thread(client))["thread"]["count"] == 1


# --- counts ------------------------------------------------------------------------------------


def test_get_counts_echoes_keys_as_given(client):
    new_comment(client, "one")
    new_comment(client, "two")
    query = urlencode([("thread", "/a/"), ("thread", "/a"), ("thread", "/b"), ("thread", "/a")])
    response = client.http.get(f"/sites/myblog/counts?{query}")
    assert response.status_code == 200
    assert body_of(response) == {
        "counts": {"/a/": 2, "/a": 2, "/b": 0},
        "trackbacks": {"/a/": 0, "/a": 0, "/b": 0},
    }
    assert "stale-if-error=" in header(response, "Cache-Control")
    assert header(response, "ETag")


def test_post_counts_echoes_keys_as_given(client):
    new_comment(client, "one")
    response = client.http.post(
        "/sites/myblog/counts", headers=JSON, body=json.dumps({"threads": ["/a/", "/a", "/a"]})
    )
    assert response.status_code == 200
    assert body_of(response) == {"counts": {"/a/": 1, "/a": 1}, "trackbacks": {"/a/": 0, "/a": 0}}


def test_counts_etag_gives_304(client):
    response = client.http.get("/sites/myblog/counts?thread=/a")
    again = client.http.get(
        "/sites/myblog/counts?thread=/a", headers={"If-None-Match": header(response, "ETag")}
    )
    assert again.status_code == 304


def test_counts_for_100_threads_are_fine_and_101_is_400(client):
    hundred = [f"/t{n}" for n in range(100)]
    ok = client.http.post(
        "/sites/myblog/counts", headers=JSON, body=json.dumps({"threads": hundred})
    )
    assert ok.status_code == 200
    assert len(body_of(ok)["counts"]) == 100
    too_many = json.dumps({"threads": [*hundred, "/t100"]})
    response = client.http.post("/sites/myblog/counts", headers=JSON, body=too_many)
    assert_error(response, 400, "InvalidRequest", mentions="100")
    query = urlencode([("thread", f"/t{n}") for n in range(101)])
    assert_error(client.http.get(f"/sites/myblog/counts?{query}"), 400, "InvalidRequest")


@pytest.mark.parametrize("body", [{}, {"threads": []}, {"threads": "/a"}, [], {"threads": [1]}])
def test_counts_without_usable_threads_is_400(client, body):
    response = client.http.post("/sites/myblog/counts", headers=JSON, body=json.dumps(body))
    assert response.status_code == 400
    assert set(body_of(response)) == {"Code", "Message"}


def test_counts_without_any_thread_parameter_is_400(client):
    assert_error(client.http.get("/sites/myblog/counts"), 400, "InvalidRequest")


def test_counts_of_an_unknown_site_is_404(client):
    assert_error(client.http.get("/sites/nosuchsite/counts?thread=/a"), 404, "SiteNotFound")


# --- feed -----------------------------------------------------------------------------------


def test_site_feed_is_atom_with_the_latest_approved_comments(client):
    first = new_comment(client, "first **one**", author="Ann", url="https://blog.example/a")
    new_comment(client, "spam", hp="x")
    second = new_comment(client, "second", thread="/b")
    response = client.http.get("/sites/myblog/feed.atom")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("application/atom+xml")
    assert "stale-if-error=" in header(response, "Cache-Control")
    feed = ET.fromstring(response.body)
    assert feed.tag == f"{ATOM}feed"
    for child in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{child}").text
    assert "My Blog" in feed.find(f"{ATOM}title").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith("/sites/myblog/feed.atom")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest, oldest = entries
    assert newest.find(f"{ATOM}id").text.endswith(second["comment"]["id"])
    assert oldest.find(f"{ATOM}id").text.endswith(first["comment"]["id"])
    assert oldest.find(f"{ATOM}author/{ATOM}name").text == "Ann"
    assert newest.find(f"{ATOM}author/{ATOM}name").text == "Anonymous"
    for entry in entries:
        for child in ("id", "title", "updated", "published"):
            assert entry.find(f"{ATOM}{child}").text
    content = oldest.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == "<p>first <strong>one</strong></p>"
    link = oldest.find(f"{ATOM}link[@rel='alternate']")
    assert link.get("href") == f"https://blog.example/a#comment-{first['comment']['id']}"


def test_thread_feed_holds_only_that_thread(client):
    new_comment(client, "on a", thread="/a")
    new_comment(client, "on b", thread="/b")
    response = client.http.get("/sites/myblog/feed.atom?thread=/b/")
    feed = ET.fromstring(response.body)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].find(f"{ATOM}content").text == "<p>on b</p>"
    assert "/b" in feed.find(f"{ATOM}title").text


def test_feed_of_a_site_without_comments_is_a_valid_empty_feed(client):
    feed = ET.fromstring(client.http.get("/sites/myblog/feed.atom").body)
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.find(f"{ATOM}updated").text


def test_feed_of_an_unknown_site_is_404(client):
    assert_error(client.http.get("/sites/nosuchsite/feed.atom"), 404, "SiteNotFound")


def test_feed_escapes_markup_in_author_and_thread(client):
    new_comment(client, "x", author="<b>&Ann</b>", thread="/<script>&")
    response = client.http.get("/sites/myblog/feed.atom")
    feed = ET.fromstring(response.body)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "<b>&Ann</b>"
    assert b"<script>" not in response.body


# --- service and static routes -------------------------------------------------------------------


def test_health_is_ok(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert body_of(response)["status"] == "ok"


def test_embed_js_is_served_as_javascript_with_long_caching(client):
    response = client.http.get("/embed.js")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("text/javascript")
    assert "max-age=" in header(response, "Cache-Control")
    etag = header(response, "ETag")
    assert client.http.get("/embed.js", headers={"If-None-Match": etag}).status_code == 304


def test_haloscan_shim_is_served_for_the_site(client):
    response = client.http.get("/haloscan/myblog.js")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("text/javascript")
    assert b"myblog" in response.body
    assert b"__SIDENOTE_SITE__" not in response.body


@pytest.mark.parametrize("name", ["myblog", "MyBlog.js", "x.js", "..%2Fembed.js", "a b.js"])
def test_haloscan_shim_with_a_bad_name_is_404(client, name):
    response = client.http.get(f"/haloscan/{quote(name, safe='%')}")
    assert response.status_code == 404
    assert set(body_of(response)) == {"Code", "Message"}


def test_demo_index_links_posts_with_comment_counts(client):
    response = client.http.get("/demo")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("text/html")
    assert b"data-sidenote-count=" in response.body
    assert b"/embed.js" in response.body


def test_demo_post_page_uses_the_documented_mount_point(client):
    response = client.http.get("/demo/post-1")
    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("text/html")
    assert b'id="sidenote"' in response.body
    assert b"data-site=" in response.body and b"data-thread=" in response.body


def test_unknown_demo_page_is_404(client):
    assert client.http.get("/demo/no-such-page").status_code == 404


# --- CORS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/sites/myblog/comments?thread=/a",
        "/sites/myblog/counts?thread=/a",
        "/sites/myblog/feed.atom",
    ],
)
def test_allowed_origin_is_echoed_and_others_are_not(client, path):
    granted = client.http.get(path, headers={"Origin": ORIGIN})
    assert header(granted, "Access-Control-Allow-Origin") == ORIGIN
    assert "Origin" in header(granted, "Vary")
    refused = client.http.get(path, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 200
    assert header(refused, "Access-Control-Allow-Origin") is None
    assert header(client.http.get(path), "Access-Control-Allow-Origin") is None


def test_allowed_origin_is_granted_on_errors_too(client):
    response = post_comment(client, {"text": ""}, headers={"Origin": ORIGIN})
    assert response.status_code == 400
    assert header(response, "Access-Control-Allow-Origin") == ORIGIN
    assert "Retry-After" in header(response, "Access-Control-Expose-Headers")


def test_origin_that_only_starts_like_an_allowed_one_is_not_echoed(client):
    for origin in (ORIGIN + ".evil.example", ORIGIN + ":8443", "http://blog.example", "null"):
        response = client.http.get("/sites/myblog/comments?thread=/a", headers={"Origin": origin})
        assert header(response, "Access-Control-Allow-Origin") is None


# --- privacy -------------------------------------------------------------------------------------


def test_public_responses_never_contain_the_email_or_the_ip(client):
    posted = post_comment(
        client,
        {"text": "hi", "author": "Ann", "email": EMAIL, "url": "https://blog.example/a"},
        headers={"Idempotency-Key": "k1"},
    )
    replayed = post_comment(
        client,
        {"text": "hi", "author": "Ann", "email": EMAIL, "url": "https://blog.example/a"},
        headers={"Idempotency-Key": "k1"},
    )
    comment_id = body_of(posted)["comment"]["id"]
    edited = edit(client, comment_id, "edited", body_of(posted)["edit_token"])
    bodies = [
        posted.body,
        replayed.body,
        edited.body,
        list_thread(client).body,
        list_thread(client, sort="newest").body,
        client.http.get("/sites/myblog/counts?thread=/a").body,
        client.http.get("/sites/myblog/feed.atom").body,
        client.http.get("/sites/myblog/feed.atom?thread=/a").body,
    ]
    for raw in bodies:
        text = raw.decode()
        assert EMAIL not in text.lower()
        assert LOCAL_IP not in text
        assert "ip_hash" not in text
        assert tokens.keyed_hash("ip", LOCAL_IP) not in text


# --- errors have one shape ------------------------------------------------------------------------


def test_unknown_site_on_every_public_read_is_404_site_not_found(client):
    for path in (
        "/sites/nosuchsite/comments?thread=/a",
        "/sites/nosuchsite/counts?thread=/a",
        "/sites/nosuchsite/feed.atom",
        "/sites/NoSuchSite/comments?thread=/a",
    ):
        assert_error(client.http.get(path), 404, "SiteNotFound")

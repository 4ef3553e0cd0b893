"""TrackBack pings and Webmentions: the specification's examples, verification, moderation,
counts. Sources are served by a real HTTP server on 127.0.0.1 (the test-only allowance)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from chalicelib.linkbacks import queue, webmention
from chalicelib.resilience import durable, writequeue
from chalicelib.store import sites
from tests.linkback_support import serve
from tests.support import ORIGIN, patch_settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
XML_OK = '<?xml version="1.0" encoding="utf-8"?><response><error>0</error></response>'


@pytest.fixture
def source():
    """A source server on 127.0.0.1 (stopped by the test's teardown): (base URL, handler)."""
    with serve() as served:
        yield served


def ping(client, fields, thread="/post-1", site="myblog", ip=None):
    return client.http.post(f"/sites/{site}/trackback?thread={thread}", headers=FORM,
                            body=urlencode(fields))  # fmt: skip


def listed(client, thread="/post-1"):
    return json.loads(client.http.get(f"/sites/myblog/comments?thread={thread}").body)


def counts(client, *threads):
    query = "&".join(f"thread={t}" for t in threads)
    return json.loads(client.http.get(f"/sites/myblog/counts?{query}").body)


# --- TrackBack 1.2 ------------------------------------------------------------------------------


def test_a_trackback_ping_is_answered_with_error_0_and_listed_as_a_trackback(client):
    response = ping(client, {"url": "https://other.example/a-post", "title": "A reply",
                             "excerpt": "I *disagree* <b>strongly</b>", "blog_name": "Other"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.body.decode() == XML_OK
    [item] = listed(client)["comments"]
    assert item["type"] == "trackback"
    assert item["author"] == "Other" and item["website"] == "https://other.example/a-post"
    assert "<b>" not in item["html"] and "<em>" not in item["html"]
    assert "A reply" in item["html"] and "I *disagree*" in item["html"]


def test_trackbacks_are_counted_apart_from_comments(client):
    ping(client, {"url": "https://other.example/a"})
    client.http.post("/sites/myblog/comments?thread=/post-1", headers={"Content-Type": "application/json"},
                     body=json.dumps({"text": "a comment"}))  # fmt: skip
    assert counts(client, "/post-1", "/none") == {
        "counts": {"/post-1": 1, "/none": 0},
        "trackbacks": {"/post-1": 1, "/none": 0},
    }
    thread = listed(client)["thread"]
    assert (thread["count"], thread["linkbacks"]) == (1, 1)


def test_a_ping_without_url_is_answered_with_error_1_and_a_message(client):
    response = ping(client, {"title": "no url"})
    assert response.status_code == 400
    body = response.body.decode()
    assert body.startswith(
        '<?xml version="1.0" encoding="utf-8"?><response><error>1</error><message>'
    )
    assert "url" in body and not listed(client)["comments"]


def test_a_ping_sent_with_get_is_refused_in_xml(client):
    response = client.http.get("/sites/myblog/trackback?thread=/post-1&url=https://x.example/")
    assert response.status_code == 200 and response.headers["Allow"] == "POST"
    assert "<error>1</error>" in response.body.decode()


def test_a_banned_sender_gets_error_1_in_xml(client, monkeypatch):
    sites.add_ban("myblog", "ip", "203.0.113.9")
    from chalicelib.platform import web

    monkeypatch.setattr(web, "client_ip", lambda request: "203.0.113.9")
    response = ping(client, {"url": "https://spam.example/"})
    assert response.status_code == 403
    assert "<error>1</error>" in response.body.decode() and "<message>" in response.body.decode()
    assert not listed(client)["comments"]


def test_errors_of_the_trackback_route_are_xml_even_for_an_unknown_site_or_media_type(client):
    unknown = ping(client, {"url": "https://x.example/"}, site="nosuchsite")
    assert unknown.status_code == 404 and "<error>1</error>" in unknown.body.decode()
    odd = client.http.post("/sites/myblog/trackback?thread=/p", headers={"Content-Type": "image/png"},
                           body=b"x")  # fmt: skip
    assert odd.status_code == 415 and "<error>1</error>" in odd.body.decode()


def test_a_trackback_is_held_under_the_links_policy_and_shown_in_the_moderation_queue(client, mod):
    sites.update_site("myblog", {"moderation": "links"})
    ping(client, {"url": "https://other.example/b", "blog_name": "Other"})
    assert listed(client)["comments"] == []
    status, body = mod("GET", "comments?status=pending")
    assert status == 200
    [held] = body["comments"]
    assert held["type"] == "trackback"
    assert mod("POST", f"comments/{held['id']}/approve")[0] == 200
    assert counts(client, "/post-1")["trackbacks"] == {"/post-1": 1}
    assert counts(client, "/post-1")["counts"] == {"/post-1": 0}


# --- Webmention -----------------------------------------------------------------------------------


@pytest.fixture
def mentions(client, monkeypatch):
    """The webmention queue in moto; ``verify()`` drains it as the SQS trigger would, with
    the test-only loopback allowance."""
    writequeue.reset()
    queue.reset()
    queue.create_queues(visibility_timeout=0)

    def verify():
        return queue.drain(lambda m: webmention.verify(m, allow_loopback=True))

    return verify


def mention(client, source_url, target=f"{ORIGIN}/post-1"):
    return client.http.post("/sites/myblog/webmention", headers=FORM,
                            body=urlencode({"source": source_url, "target": target}))  # fmt: skip


H_ENTRY = """<html><head><title>Page title</title></head><body><nav>menu</nav>
<article class="h-entry"><h1 class="p-name">Re: your post</h1>
<a class="p-author h-card" href="/me">Jane Blogger</a>
<div class="e-content">Great point about <a href="{target}">your post</a>.</div></article>
</body></html>"""


def test_a_webmention_is_accepted_at_once_and_verified_later(client, mentions, source):
    base, handler = source
    handler.routes["/reply"] = (200, {"Content-Type": "text/html; charset=utf-8"},
                                H_ENTRY.format(target=f"{ORIGIN}/post-1").encode())  # fmt: skip
    response = mention(client, f"{base}/reply")
    assert response.status_code == 202
    assert listed(client)["comments"] == []
    assert mentions().stored
    [item] = listed(client)["comments"]
    assert item["type"] == "webmention" and item["author"] == "Jane Blogger"
    assert "Re: your post" in item["html"] and "Great point about your post" in item["html"]
    assert item["website"] == f"{base}/reply"
    assert counts(client, "/post-1")["trackbacks"] == {"/post-1": 1}


def test_a_source_without_a_link_to_the_target_stores_nothing(client, mentions, source):
    base, handler = source
    handler.routes["/other"] = (
        200,
        {"Content-Type": "text/html"},
        b"<p>nothing <a href='/x'>here</a></p>",
    )
    assert mention(client, f"{base}/other").status_code == 202
    mentions()
    assert listed(client)["comments"] == []


def test_a_plain_html_source_is_shown_as_its_title_and_the_text_around_the_link(
    client, mentions, source
):
    base, handler = source
    page = f"<title>Plain</title><p>Before the link <a href='{ORIGIN}/post-1'>this</a> after.</p>"
    handler.routes["/plain"] = (200, {"Content-Type": "text/html"}, page.encode())
    mention(client, f"{base}/plain")
    mentions()
    [item] = listed(client)["comments"]
    assert item["author"] == "127.0.0.1" and "Plain" in item["html"]
    assert "Before the link this after." in item["html"]


def test_a_resent_webmention_updates_its_comment_and_a_gone_source_removes_it(
    client, mentions, source
):
    base, handler = source
    target = f"{ORIGIN}/post-1"
    handler.routes["/reply"] = (
        200,
        {"Content-Type": "text/html"},
        H_ENTRY.format(target=target).encode(),
    )
    mention(client, f"{base}/reply")
    mentions()
    first = listed(client)["comments"][0]
    handler.routes["/reply"] = (200, {"Content-Type": "text/html"},
                                H_ENTRY.format(target=target).replace("Great point", "Updated point").encode())  # fmt: skip
    mention(client, f"{base}/reply")
    mentions()
    [updated] = listed(client)["comments"]
    assert updated["id"] == first["id"] and "Updated point" in updated["html"]
    assert counts(client, "/post-1")["trackbacks"] == {"/post-1": 1}
    handler.routes["/reply"] = (410, {}, b"gone")
    mention(client, f"{base}/reply")
    mentions()
    assert listed(client)["comments"] == []
    assert counts(client, "/post-1")["trackbacks"] == {"/post-1": 0}


def test_a_source_redirecting_to_a_private_address_is_refused(client, mentions, source):
    base, handler = source
    handler.routes["/jump"] = (302, {"Location": "http://10.0.0.1/admin"}, b"")
    mention(client, f"{base}/jump")
    outcome = mentions()
    assert outcome.stored and not outcome.failed
    assert listed(client)["comments"] == []
    assert [s["path"] for s in handler.seen] == ["/jump"]


def test_without_the_test_allowance_a_loopback_source_is_never_fetched(client, mentions, source):
    base, handler = source
    handler.routes["/reply"] = (200, {"Content-Type": "text/html"},
                                H_ENTRY.format(target=f"{ORIGIN}/post-1").encode())  # fmt: skip
    mention(client, f"{base}/reply")
    queue.drain(webmention.verify)
    assert handler.seen == [] and listed(client)["comments"] == []


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"source": "https://a.example/x"}, 400),
     ({"source": "ftp://a.example/x", "target": f"{ORIGIN}/p"}, 400),
     ({"source": "https://a.example/x", "target": "https://elsewhere.example/p"}, 400),
     ({"source": f"{ORIGIN}/p", "target": f"{ORIGIN}/p"}, 400)],
)  # fmt: skip
def test_a_webmention_with_bad_fields_gets_a_clear_400(client, mentions, fields, status):
    response = client.http.post("/sites/myblog/webmention", headers=FORM, body=urlencode(fields))
    assert response.status_code == status
    assert json.loads(response.body)["Code"] == "InvalidComment"


def test_webmentions_count_against_the_senders_rate_limit(client, mentions, monkeypatch):
    patch_settings(monkeypatch, rate_limit_per_minute=2)
    answers = [mention(client, f"https://a.example/{n}").status_code for n in range(3)]
    assert answers == [202, 202, 429]


def test_the_sqs_handler_dead_letters_an_unreadable_message_and_retries_a_failing_source(
    client, mentions, source
):
    base, handler = source
    handler.routes["/busy"] = (503, {}, b"later")
    bodies = ["not json", json.dumps({"site": "myblog", "source": f"{base}/busy",
                                      "target": f"{ORIGIN}/post-1", "thread": "/post-1"})]  # fmt: skip
    event = client.events.generate_sqs_event(
        message_bodies=bodies, queue_name="sidenote-webmentions"
    )
    for n, record in enumerate(event["Records"]):
        record["messageId"] = f"m-{n}"
    result = client.lambda_.invoke("verify_webmentions", event)
    # the loopback source is refused in production code (no allowance): nothing to retry
    assert result.payload == {"batchItemFailures": []}
    dead = durable.client().receive_message(QueueUrl=queue.queue_url(dead_letter=True))
    assert [m["Body"] for m in dead["Messages"]] == ["not json"]
    outcome = queue.process([("m-2", bodies[1])],
                            lambda m: webmention.verify(m, allow_loopback=True))  # fmt: skip
    assert outcome.failed == ["m-2"]


def test_a_source_that_comes_back_after_being_gone_makes_a_new_comment(client, mentions, source):
    base, handler = source
    page = H_ENTRY.format(target=f"{ORIGIN}/post-1").encode()
    handler.routes["/reply"] = (200, {"Content-Type": "text/html"}, page)
    mention(client, f"{base}/reply")
    mentions()
    first = listed(client)["comments"][0]["id"]
    handler.routes["/reply"] = (404, {}, b"")
    mention(client, f"{base}/reply")
    mentions()
    # republished with new words (the same text again would be held as a duplicate)
    handler.routes["/reply"] = (200, {"Content-Type": "text/html"},
                                page.replace(b"Great point", b"Back again, great point"))  # fmt: skip
    mention(client, f"{base}/reply")
    mentions()
    [again] = listed(client)["comments"]
    assert again["id"] != first and counts(client, "/post-1")["trackbacks"] == {"/post-1": 1}


def test_a_webmentions_202_is_not_counted_as_a_queued_comment(client, mentions):
    """The probes read 202s of comments as "queued instead of stored": a webmention's 202 is
    its normal answer and must not make the region look degraded."""
    import time

    from chalicelib.health import outcomes
    from chalicelib.platform import config

    assert mention(client, "https://other.example/post").status_code == 202
    now = time.time()
    counted = outcomes.outcomes(config.settings.region, now - 120, now + 60)
    assert counted["queued"] == 0

"""Every Atom feed — a site's, a thread's, ``/status.atom`` — stays well-formed XML 1.0 after
hostile input, as a feed reader sees it (feedparser: ``bozo`` false), and its links are
percent-encoded. Input validation refuses what XML cannot carry; the feeds strip it from
whatever was stored before (chalice.test.Client on moto)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, quote, urlsplit

import feedparser
import pytest

from chalicelib.health import notes
from chalicelib.store import comments, sites
from chalicelib.store.models import Comment, Site

JSON = {"Content-Type": "application/json"}
#: A thread key with everything a URL or XML treats specially (all of it is a valid key).
HOSTILE_THREAD = "/posts/a b&thread=x?y=1#frag<b>\"quoted\" 'single' é ]]> %41 +plus"
HOSTILE_TEXT = "]]> <script>alert(1)</script> &amp; &#xFFFE; \ufdd0 \u202eevil 🙂 <![CDATA[x]]>"
#: What XML 1.0 cannot carry: C0 controls (tab, LF and CR aside), U+FFFE, U+FFFF.
NOT_XML = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ufffe", "\uffff"]


def _post(client, thread: str, **body):
    response = client.http.post(
        f"/sites/myblog/comments?thread={quote(thread, safe='')}", headers=JSON,
        body=json.dumps(body),
    )  # fmt: skip
    return response


def _feed(client, path: str) -> feedparser.FeedParserDict:
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
    assert content_type.startswith("application/atom+xml")
    parsed = feedparser.parse(response.body)
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def _every_feed(client, thread: str) -> list[feedparser.FeedParserDict]:
    return [
        _feed(client, "/sites/myblog/feed.atom"),
        _feed(client, f"/sites/myblog/feed.atom?thread={quote(thread, safe='')}"),
        _feed(client, "/status.atom"),
    ]


@pytest.mark.parametrize("bad", NOT_XML)
@pytest.mark.parametrize("field", ["text", "author", "title"])
def test_a_comment_field_with_what_xml_cannot_carry_is_refused(client, field, bad):
    body = {"text": "hello", field: f"before{bad}after"}
    response = _post(client, "/a", **body)
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["Code"] == "InvalidComment"
    assert f"'{field}'" in json.loads(response.body)["Message"]


@pytest.mark.parametrize("bad", ["\ufffe", "\uffff", "\x0b", "\x01"])
def test_a_thread_key_with_what_xml_cannot_carry_is_refused(client, bad):
    response = _post(client, f"/a{bad}b", text="hello")
    assert response.status_code == 400
    assert json.loads(response.body)["Code"] == "InvalidThread"
    feed = client.http.get(f"/sites/myblog/feed.atom?thread={quote(f'/a{bad}b', safe='')}")
    assert feed.status_code == 400


def test_every_feed_is_well_formed_after_hostile_comments_and_links_are_encoded(client):
    page = 'https://blog.example/p?a=1&b=<x>"é#old-fragment'
    posted = _post(client, HOSTILE_THREAD, text=HOSTILE_TEXT, author="<b>&Ann</b>", url=page)
    assert posted.status_code == 201, posted.body
    comment_id = json.loads(posted.body)["comment"]["id"]
    notes.post("Slow writes <b>&amp;</b> ]]> é", site=None)

    site_feed, thread_feed, status_feed = _every_feed(client, HOSTILE_THREAD)

    for parsed in (site_feed, thread_feed):
        (entry,) = parsed.entries
        assert entry.author == "<b>&Ann</b>"
        assert entry.title == f"<b>&Ann</b> on {HOSTILE_THREAD}"
        html = entry.content[0].value  # the comment's HTML, with its text escaped in it
        assert "&lt;script&gt;" in html and "<script>" not in html and "\ufdd0 \u202eevil" in html
        link = entry.link
        assert link == f"https://blog.example/p?a=1&b=%3Cx%3E%22%C3%A9#comment-{comment_id}"
    self_link = next(link.href for link in thread_feed.feed.links if link.rel == "self")
    assert parse_qs(urlsplit(self_link).query) == {"thread": [HOSTILE_THREAD]}
    assert urlsplit(self_link).fragment == ""
    assert thread_feed.feed.title == f"Comments on My Blog: {HOSTILE_THREAD}"
    assert status_feed.entries[0].title == "Slow writes <b>&amp;</b> ]]> é"


def test_every_feed_is_well_formed_when_stored_items_hold_what_xml_cannot_carry(client):
    """Items stored before today's validation (or written by other tools) cannot break a feed:
    what XML 1.0 cannot carry is dropped at rendering, the rest of the text stays."""
    assert _post(client, "/old", text="plain", url="https://blog.example/old").status_code == 201
    (stored,) = comments.latest(sites.get_site("myblog"), None)
    poison = "".join(NOT_XML)
    stored.update(
        actions=[
            Comment.author.set(f"Ann{poison}"),
            Comment.html.set(f"<p>bad{poison}text</p>"),
            Comment.url.set(f"https://blog.example/old{poison}"),
        ]
    )
    Site.get("SITE#myblog", "#SITE").update(actions=[Site.name.set(f"My\x07 Blog{poison}")])
    sites.clear_cache()
    notes.post("Incident\x00\x01\x1b\ufffe\uffff here")  # a note's title is its first line

    site_feed, thread_feed, status_feed = _every_feed(client, "/old")

    for parsed in (site_feed, thread_feed):
        (entry,) = parsed.entries
        assert entry.author == "Ann"
        assert entry.content[0].value == "<p>badtext</p>"
        assert parsed.feed.title.startswith("Comments on My Blog")
    assert status_feed.entries[0].title == "Incident here"


def test_feeds_of_an_empty_site_and_thread_are_well_formed(client):
    site_feed, thread_feed, status_feed = _every_feed(client, HOSTILE_THREAD)
    assert site_feed.entries == thread_feed.entries == status_feed.entries == []
    assert site_feed.feed.title == "Comments on My Blog"

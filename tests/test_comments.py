"""The comments service against moto: posting, moderation modes, listing, counts, edits."""

from __future__ import annotations

import pytest

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import (
    Banned,
    CommentNotFound,
    EditNotAllowed,
    IdempotencyKeyReused,
    InvalidCursor,
    ParentNotFound,
    RateLimited,
    ReadOnly,
    ThreadLocked,
)
from chalicelib.platform.validation import NewComment
from chalicelib.store import comments, sites
from chalicelib.store.models import ThreadMeta
from chalicelib.threads import authoring, posting

IP = "203.0.113.9"
from tests.support import MISSING_ID, lock_thread, patch_settings, stored_comments


def post(config, text="hello", *, key="/a", ip=None, idem=None, body_hash=None, **fields):
    """Post through the service; return the response body (asserting a 201)."""
    status, body = posting.post(
        config,
        key,
        NewComment(text=text, **fields),
        ip=ip,
        idempotency_key=idem,
        body_hash=body_hash or ("hash-" + text if idem else None),
    )
    assert status == 201
    return body


def configure(**changes):
    return sites.update_site("myblog", changes)


def listed(config, key="/a", **options):
    return comments.list_thread(config, key, **options)


def listed_ids(config, key="/a", **options):
    return [c["id"] for c in listed(config, key, **options)["comments"]]


def count(config, key="/a"):
    return comments.counts(config, [key])[key]


def stored(comment_id):
    (found,) = [c for c in stored_comments() if c.id == comment_id]
    return found


def token_of(body):
    return body["edit_token"]


def all_pages(config, key="/a", *, sort, limit):
    """Follow cursors to the end; return the pages."""
    pages, cursor = [], None
    for _ in range(100):
        page = listed(config, key, sort=sort, limit=limit, cursor=cursor)
        pages.append(page)
        cursor = page["cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


# --- posting and moderation modes ---------------------------------------------------------


def test_comment_on_an_unmoderated_site_is_approved_and_listed(site):
    body = post(site, "Hello *there*", author="Ann", email="ann@example.org")
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["html"] == "<p>Hello <em>there</em></p>"
    assert body["comment"]["author"] == "Ann"
    assert listed_ids(site) == [body["comment"]["id"]]
    assert count(site) == 1


def test_post_response_carries_an_edit_token_and_the_edit_deadline(site):
    body = post(site)
    assert body["edit_token"] == tokens.edit_token("myblog", body["comment"]["id"])
    created = clock.parse_rfc3339(body["comment"]["created"])
    assert clock.parse_rfc3339(body["edit_until"]) == created + 15 * 60


def test_stored_comment_keeps_email_and_hashed_ip_but_never_the_raw_ip(site):
    body = post(site, email="ann@example.org", ip=IP)
    item = stored(body["comment"]["id"])
    assert item.email == "ann@example.org"
    assert item.ip_hash and IP not in item.ip_hash
    assert IP not in str(item.attribute_values)


def test_public_view_of_a_posted_comment_has_no_email_or_ip(site):
    body = post(site, email="ann@example.org", ip=IP)
    text = repr(body) + repr(listed(site))
    assert "ann@example.org" not in text
    assert IP not in text
    assert "ip_hash" not in text and "email" not in text


def test_moderation_all_holds_every_comment_as_pending(site):
    config = configure(moderation="all")
    body = post(config, "plain words")
    assert body["comment"]["status"] == "pending"
    assert listed_ids(config) == []
    assert count(config) == 0
    assert stored(body["comment"]["id"]).status == "pending"


def test_moderation_links_holds_comments_with_links(site):
    config = configure(moderation="links")
    held = post(config, "visit https://spam.example")
    passed = post(config, "no links at all")
    assert held["comment"]["status"] == "pending"
    assert passed["comment"]["status"] == "approved"
    assert listed_ids(config) == [passed["comment"]["id"]]
    assert count(config) == 1


def test_moderation_first_time_holds_unknown_authors_and_passes_known_ones(site):
    known = post(site, "earlier, approved", email="ann@example.org")
    assert known["comment"]["status"] == "approved"
    config = configure(moderation="first-time")
    again = post(config, "I am back", email="ANN@example.org".lower())
    stranger = post(config, "I am new", email="bob@example.org")
    anonymous = post(config, "no address")
    assert again["comment"]["status"] == "approved"
    assert stranger["comment"]["status"] == "pending"
    assert anonymous["comment"]["status"] == "pending"
    assert count(config) == 2


def test_pending_comment_does_not_make_its_author_known(site):
    config = configure(moderation="first-time")
    post(config, "first", email="bob@example.org")
    assert post(config, "second", email="bob@example.org")["comment"]["status"] == "pending"


def test_honeypot_comment_is_stored_as_spam_but_answered_as_pending(site):
    body = post(site, "buy things", honeypot="http://spam.example")
    assert body["comment"]["status"] == "pending"
    assert stored(body["comment"]["id"]).status == "spam"
    assert listed_ids(site) == []
    assert count(site) == 0


def test_honeypot_wins_over_an_unmoderated_site_and_a_known_author(site):
    post(site, "real", email="ann@example.org")
    body = post(site, "bot", email="ann@example.org", honeypot="x")
    assert stored(body["comment"]["id"]).status == "spam"
    assert count(site) == 1


def test_thread_meta_takes_the_first_title_and_url(site):
    post(site, "one", title="First title", url="https://blog.example/a")
    post(site, "two", title="Other title", url="https://blog.example/b")
    thread = listed(site)["thread"]
    assert thread == {
        "key": "/a",
        "title": "First title",
        "url": "https://blog.example/a",
        "locked": False,
        "count": 2,
        "linkbacks": 0,
    }


def test_unknown_thread_lists_empty_with_count_zero(site):
    page = listed(site, "/never")
    assert page == {
        "thread": {
            "key": "/never",
            "title": None,
            "url": None,
            "locked": False,
            "count": 0,
            "linkbacks": 0,
        },
        "comments": [],
        "cursor": None,
    }


def test_threads_of_two_sites_are_separate(site):
    other = sites.create_site("other", "Other", origins=["https://other.example"])
    post(site, "on myblog")
    assert listed_ids(other) == []
    assert count(other) == 0


# --- replies, locked threads -------------------------------------------------------------


def test_reply_names_its_parent(site):
    parent = post(site, "parent")["comment"]["id"]
    reply = post(site, "reply", parent=parent)
    assert reply["comment"]["parent"] == parent
    assert listed_ids(site) == [parent, reply["comment"]["id"]]


def test_reply_to_a_missing_parent_is_refused_and_nothing_is_stored(site):
    with pytest.raises(ParentNotFound):
        post(site, "orphan", parent=MISSING_ID)
    assert stored_comments() == []
    assert count(site) == 0


def test_reply_to_a_comment_of_another_thread_is_refused(site):
    parent = post(site, "parent", key="/a")["comment"]["id"]
    with pytest.raises(ParentNotFound):
        post(site, "reply", key="/b", parent=parent)
    assert count(site, "/b") == 0


def test_reply_to_a_pending_comment_is_refused(site):
    config = configure(moderation="links")
    held = post(config, "see https://x.example")["comment"]["id"]
    with pytest.raises(ParentNotFound):
        post(config, "reply", parent=held)


def test_held_reply_to_an_approved_comment_is_stored_as_pending(site):
    parent = post(site, "parent")["comment"]["id"]
    config = configure(moderation="all")
    reply = post(config, "reply", parent=parent)
    assert reply["comment"]["status"] == "pending"
    assert count(config) == 1


def test_locked_thread_refuses_new_comments_and_stores_nothing(site):
    post(site, "before the lock")
    ThreadMeta.get(comments.thread_pk("myblog", "/a"), comments.META_SK).update(
        actions=[ThreadMeta.locked.set(True)]
    )
    with pytest.raises(ThreadLocked):
        post(site, "after the lock")
    assert len(stored_comments()) == 1
    assert count(site) == 1
    assert listed(site)["thread"]["locked"] is True


def test_thread_locked_before_its_first_comment_refuses_comments(site):
    lock_thread(site.id, "/quiet")
    with pytest.raises(ThreadLocked):
        post(site, "hello", key="/quiet")
    assert stored_comments() == []


# --- listing order and pagination --------------------------------------------------------


def test_thread_lists_oldest_first_by_default_and_newest_first_on_request(site):
    ids = [post(site, f"comment {n}")["comment"]["id"] for n in range(5)]
    assert listed_ids(site) == ids
    assert listed_ids(site, sort="oldest") == ids
    assert listed_ids(site, sort="newest") == ids[::-1]


@pytest.mark.parametrize("sort", ["oldest", "newest"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8, 50])
def test_cursor_pages_cover_every_comment_exactly_once_in_order(site, sort, limit):
    ids = [post(site, f"comment {n}")["comment"]["id"] for n in range(7)]
    expected = ids if sort == "oldest" else ids[::-1]
    pages = all_pages(site, sort=sort, limit=limit)
    seen = [c["id"] for page in pages for c in page["comments"]]
    assert seen == expected
    for page in pages:
        assert len(page["comments"]) <= limit
        assert page["thread"]["count"] == 7
        assert page["thread"]["key"] == "/a"


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_pages_respect_the_limit_when_another_region_has_no_counter_yet(site, sort, monkeypatch):
    patch_settings(monkeypatch, regions=("us-east-1", "eu-west-1"))
    ids = [post(site, f"comment {n}")["comment"]["id"] for n in range(5)]
    pages = all_pages(site, sort=sort, limit=2)
    assert [len(page["comments"]) for page in pages][:2] == [2, 2]
    seen = [c["id"] for page in pages for c in page["comments"]]
    assert seen == (ids if sort == "oldest" else ids[::-1])
    assert {page["thread"]["count"] for page in pages} == {5}


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_pagination_skips_held_and_spam_comments_and_keeps_tombstones(site, sort):
    visible = []
    for n in range(4):
        visible.append(post(site, f"approved {n}")["comment"]["id"])
        post(site, f"spam {n}", honeypot="x")
    tombstone = visible[1]
    reply = post(site, "reply", parent=tombstone)["comment"]["id"]
    visible.append(reply)
    authoring.delete_own(site, tombstone, tokens.edit_token("myblog", tombstone))
    expected = visible if sort == "oldest" else visible[::-1]
    pages = all_pages(site, sort=sort, limit=2)
    seen = [c["id"] for page in pages for c in page["comments"]]
    assert seen == expected
    assert pages[0]["thread"]["count"] == 4


def test_cursor_of_one_sort_order_is_refused_for_the_other(site):
    for n in range(3):
        post(site, f"comment {n}")
    cursor = listed(site, sort="oldest", limit=1)["cursor"]
    assert cursor
    with pytest.raises(InvalidCursor):
        listed(site, sort="newest", limit=1, cursor=cursor)


@pytest.mark.parametrize(
    "cursor", ["garbage", "!!!", "", "b2xk", "eyJwayI6ICJ4In0", "o" * 40, "\ud800", "%00"]
)
def test_cursor_not_issued_by_the_api_is_refused(site, cursor):
    post(site, "hello")
    if cursor == "":
        assert listed_ids(site, cursor=cursor) == listed_ids(site)
        return
    with pytest.raises(InvalidCursor):
        listed(site, cursor=cursor)


# --- tombstones and counts ------------------------------------------------------------------


def test_deleted_comment_with_an_approved_reply_stays_as_tombstone(site):
    parent = post(site, "parent", author="Ann", website="https://ann.example")
    reply = post(site, "reply", author="Bob", parent=parent["comment"]["id"])
    authoring.delete_own(site, parent["comment"]["id"], token_of(parent))
    page = listed(site)
    assert [c["id"] for c in page["comments"]] == [
        parent["comment"]["id"],
        reply["comment"]["id"],
    ]
    tombstone = page["comments"][0]
    assert tombstone["deleted"] is True
    assert tombstone["author"] == ""
    assert tombstone["html"] == ""
    assert tombstone["website"] is None
    assert tombstone["avatar"] is None
    assert page["comments"][1]["deleted"] is False
    assert page["comments"][1]["author"] == "Bob"
    assert page["thread"]["count"] == 1


def test_deleted_comment_text_and_email_are_erased_from_storage(site):
    body = post(site, "secret words", author="Ann", email="ann@example.org")
    post(site, "reply", parent=body["comment"]["id"])
    authoring.delete_own(site, body["comment"]["id"], token_of(body))
    item = stored(body["comment"]["id"])
    assert item.status == "deleted"
    assert item.text == "" and item.html == "" and item.author == ""
    assert item.email is None and item.website is None


def test_deleted_comment_without_replies_disappears(site):
    keep = post(site, "keep")
    gone = post(site, "gone")
    authoring.delete_own(site, gone["comment"]["id"], token_of(gone))
    assert listed_ids(site) == [keep["comment"]["id"]]
    assert count(site) == 1


def test_pending_reply_does_not_keep_a_deleted_parent_as_tombstone(site):
    parent = post(site, "parent")
    config = configure(moderation="all")
    post(config, "held reply", parent=parent["comment"]["id"])
    authoring.delete_own(config, parent["comment"]["id"], token_of(parent))
    assert listed_ids(config) == []


def test_count_is_exact_after_posts_and_deletes(site):
    bodies = [post(site, f"c{n}") for n in range(4)]
    post(site, "spam", honeypot="x")
    assert count(site) == 4
    authoring.delete_own(site, bodies[0]["comment"]["id"], token_of(bodies[0]))
    authoring.delete_own(site, bodies[3]["comment"]["id"], token_of(bodies[3]))
    assert count(site) == 2
    assert listed(site)["thread"]["count"] == 2
    config = configure(moderation="all")
    held = post(config, "held")
    authoring.delete_own(config, held["comment"]["id"], token_of(held))
    assert count(config) == 2


def test_deleting_twice_is_refused_and_counts_once(site):
    body = post(site)
    post(site, "other")
    authoring.delete_own(site, body["comment"]["id"], token_of(body))
    with pytest.raises(CommentNotFound):
        authoring.delete_own(site, body["comment"]["id"], token_of(body))
    assert count(site) == 1


def test_counts_echo_keys_as_given_and_share_normalised_threads(site):
    post(site, "one", key="/a")
    post(site, "two", key="/a")
    post(site, "three", key="/b")
    assert comments.counts(site, ["/a/", "/a", " /a ", "/b", "/none", "/a"]) == {
        "/a/": 2,
        "/a": 2,
        " /a ": 2,
        "/b": 1,
        "/none": 0,
    }


def test_counts_refuse_more_than_100_threads(site):
    from chalicelib.platform.errors import InvalidRequest

    assert len(comments.counts(site, [f"/t{n}" for n in range(100)])) == 100
    with pytest.raises(InvalidRequest, match="100"):
        comments.counts(site, [f"/t{n}" for n in range(101)])
    with pytest.raises(InvalidRequest):
        comments.counts(site, [])


# --- idempotency ----------------------------------------------------------------------------


def test_storing_the_same_prepared_comment_twice_stores_one_comment(site):
    prepared = posting.prepare(site, "/a", NewComment(text="once"), ip=None)
    first = posting.store(prepared)
    second = posting.store(prepared)
    assert first == second
    assert [c.id for c in stored_comments()] == [prepared.id]
    assert count(site) == 1
    assert listed_ids(site) == [prepared.id]


def test_storing_the_same_approved_reply_twice_counts_once(site):
    parent = post(site, "parent")["comment"]["id"]
    prepared = posting.prepare(site, "/a", NewComment(text="reply", parent=parent), ip=None)
    posting.store(prepared)
    posting.store(prepared)
    assert count(site) == 2


def test_idempotency_key_replay_returns_the_first_response_and_creates_nothing(site):
    first = post(site, "hello", idem="key-1")
    again = post(site, "hello", idem="key-1")
    assert again == first
    assert len(stored_comments()) == 1
    assert count(site) == 1


def test_idempotency_key_reused_with_another_body_is_refused(site):
    post(site, "hello", idem="key-1")
    with pytest.raises(IdempotencyKeyReused):
        post(site, "something else", idem="key-1")
    assert len(stored_comments()) == 1


def test_idempotency_keys_are_scoped_per_site(site):
    other = sites.create_site("other", "Other")
    post(site, "hello", idem="key-1")
    body = post(other, "elsewhere", idem="key-1")
    assert body["comment"]["html"] == "<p>elsewhere</p>"
    assert len(stored_comments()) == 2


def test_keyed_retry_is_replayed_even_when_rate_limited(site):
    first = post(site, "hello", ip=IP, idem="key-1")
    for n in range(4):
        post(site, f"more {n}", ip=IP)
    assert post(site, "hello", ip=IP, idem="key-1") == first
    assert len(stored_comments()) == 5


# --- rate limits, bans, read-only ------------------------------------------------------------


def test_sixth_post_in_a_minute_from_one_ip_is_rate_limited(site):
    for n in range(5):
        post(site, f"c{n}", ip=IP)
    with pytest.raises(RateLimited) as caught:
        post(site, "one too many", ip=IP)
    retry_after = int(caught.value.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert len(stored_comments()) == 5


def test_rate_limit_is_per_ip_and_per_site(site):
    other = sites.create_site("other", "Other")
    for n in range(5):
        post(site, f"c{n}", ip=IP)
    post(site, "from another ip", ip="198.51.100.7")
    post(other, "on another site", ip=IP)
    assert len(stored_comments()) == 7


def test_rate_limit_window_resets_after_a_minute(site, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    for n in range(5):
        post(site, f"c{n}", ip=IP)
    monkeypatch.setattr(clock, "now", lambda: start + 61)
    assert post(site, "later", ip=IP)["comment"]["status"] == "approved"


def test_banned_email_cannot_comment(site):
    sites.add_ban("myblog", "email", "Troll@Example.org")
    config = sites.get_site("myblog")
    with pytest.raises(Banned):
        post(config, "hi", email="troll@example.org")
    post(config, "hi", email="ann@example.org")
    assert len(stored_comments()) == 1


def test_banned_ip_cannot_comment(site):
    sites.add_ban("myblog", "ip", IP)
    config = sites.get_site("myblog")
    with pytest.raises(Banned):
        post(config, "hi", ip=IP)
    post(config, "hi", ip="198.51.100.7")
    assert len(stored_comments()) == 1


def test_expired_ban_no_longer_applies(site, monkeypatch):
    sites.add_ban("myblog", "ip", IP, days=1)
    later = clock.now() + 2 * 86400
    monkeypatch.setattr(clock, "now", lambda: later)
    sites.clear_cache()
    assert post(sites.get_site("myblog"), "hi", ip=IP)["comment"]["status"] == "approved"


def test_read_only_site_refuses_posts_with_its_message(site):
    config = configure(read_only="Moving house, back tomorrow.")
    with pytest.raises(ReadOnly, match="Moving house") as caught:
        post(config, "hi")
    assert caught.value.headers["Retry-After"]
    assert caught.value.STATUS_CODE == 503
    assert stored_comments() == []


def test_read_only_site_still_lists_comments(site):
    body = post(site, "before")
    config = configure(read_only="Paused.")
    assert listed_ids(config) == [body["comment"]["id"]]


def test_operator_read_only_switch_refuses_posts_edits_and_deletes(site, monkeypatch):
    body = post(site, "before")
    patch_settings(monkeypatch, read_only_message="Maintenance until 5pm.")
    with pytest.raises(ReadOnly, match="Maintenance"):
        post(site, "during")
    with pytest.raises(ReadOnly):
        authoring.edit_own(site, body["comment"]["id"], token_of(body), "edited")
    with pytest.raises(ReadOnly):
        authoring.delete_own(site, body["comment"]["id"], token_of(body))
    assert len(stored_comments()) == 1
    assert listed_ids(site) == [body["comment"]["id"]]


# --- the author's own edit and delete -------------------------------------------------------


def test_author_can_edit_with_the_token_inside_the_window(site):
    body = post(site, "first version")
    result = authoring.edit_own(site, body["comment"]["id"], token_of(body), "**second**")
    assert result["comment"]["html"] == "<p><strong>second</strong></p>"
    assert result["comment"]["edited"]
    assert result["comment"]["status"] == "approved"
    (listed_comment,) = listed(site)["comments"]
    assert listed_comment["html"] == "<p><strong>second</strong></p>"
    assert listed_comment["edited"] == result["comment"]["edited"]
    assert stored(body["comment"]["id"]).text == "**second**"


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 43])
def test_edit_or_delete_with_a_wrong_token_is_refused(site, token):
    body = post(site, "mine")
    with pytest.raises(EditNotAllowed):
        authoring.edit_own(site, body["comment"]["id"], token, "hijacked")
    with pytest.raises(EditNotAllowed):
        authoring.delete_own(site, body["comment"]["id"], token)
    assert stored(body["comment"]["id"]).text == "mine"


def test_token_of_one_comment_does_not_open_another(site):
    mine = post(site, "mine")
    theirs = post(site, "theirs")
    with pytest.raises(EditNotAllowed):
        authoring.edit_own(site, theirs["comment"]["id"], token_of(mine), "hijacked")


def test_edit_and_delete_are_refused_after_the_edit_window(site, monkeypatch):
    body = post(site, "mine")
    deadline = clock.parse_rfc3339(body["edit_until"])
    monkeypatch.setattr(clock, "now", lambda: deadline + 1)
    with pytest.raises(EditNotAllowed, match="passed"):
        authoring.edit_own(site, body["comment"]["id"], token_of(body), "late")
    with pytest.raises(EditNotAllowed, match="passed"):
        authoring.delete_own(site, body["comment"]["id"], token_of(body))
    assert count(site) == 1


def test_edit_is_allowed_up_to_the_last_second_of_the_window(site, monkeypatch):
    body = post(site, "mine")
    deadline = clock.parse_rfc3339(body["edit_until"])
    monkeypatch.setattr(clock, "now", lambda: deadline)
    result = authoring.edit_own(site, body["comment"]["id"], token_of(body), "just in time")
    assert result["comment"]["html"] == "<p>just in time</p>"


def test_edit_window_follows_the_site_setting(site, monkeypatch):
    config = configure(edit_window_minutes=60)
    body = post(config, "mine")
    created = clock.parse_rfc3339(body["comment"]["created"])
    assert clock.parse_rfc3339(body["edit_until"]) == created + 3600
    monkeypatch.setattr(clock, "now", lambda: created + 30 * 60)
    authoring.edit_own(config, body["comment"]["id"], token_of(body), "still mine")


def test_deleted_comment_cannot_be_edited(site):
    body = post(site, "mine")
    authoring.delete_own(site, body["comment"]["id"], token_of(body))
    with pytest.raises(CommentNotFound):
        authoring.edit_own(site, body["comment"]["id"], token_of(body), "back")


def test_spam_comment_cannot_be_edited_by_its_bot(site):
    body = post(site, "spam", honeypot="x")
    with pytest.raises(CommentNotFound):
        authoring.edit_own(site, body["comment"]["id"], token_of(body), "now innocent")


def test_comment_of_another_site_is_not_found(site):
    other = sites.create_site("other", "Other")
    body = post(site, "mine")
    with pytest.raises(CommentNotFound):
        authoring.edit_own(other, body["comment"]["id"], token_of(body), "x")


@pytest.mark.parametrize("comment_id", [MISSING_ID, "nope", "", MISSING_ID.lower()])
def test_unknown_comment_is_not_found(site, comment_id):
    with pytest.raises(CommentNotFound):
        authoring.delete_own(site, comment_id, "token")


# --- feed source ------------------------------------------------------------------------------


def test_latest_lists_approved_comments_newest_first(site):
    first = post(site, "first", key="/a")["comment"]["id"]
    post(site, "spam", key="/a", honeypot="x")
    second = post(site, "second", key="/b")["comment"]["id"]
    assert [c.id for c in comments.latest(site, None)] == [second, first]
    assert [c.id for c in comments.latest(site, "/a")] == [first]

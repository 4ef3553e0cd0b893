"""Moderation over HTTP (chalice.test.Client on moto): the queue, actions and exact counts,
policies, edits, bulk actions, thread locks, settings and the audit log."""

from __future__ import annotations

import json

import pytest

from chalicelib.moderation import audit
from chalicelib.moderation import service as moderation
from chalicelib.moderation.auth import Moderator
from chalicelib.platform.config import settings
from chalicelib.store import comments, sites
from chalicelib.store.models import Comment, Counter, ThreadItem
from chalicelib.threads import posting
from tests.support import JSON, stored_status, thread_count

WHO = Moderator("k-test", "myblog", "test")


def configure(**changes):
    return sites.update_site("myblog", changes)


def post(client, text="hello", thread="/a", ip="203.0.113.9", **fields):
    response = client.http.post(
        f"/sites/myblog/comments?thread={thread}", headers=JSON,
        body=json.dumps({"text": text, **fields}),
    )  # fmt: skip
    assert response.status_code == 201, response.body
    return json.loads(response.body)["comment"]


def public(client, thread="/a"):
    return json.loads(client.http.get(f"/sites/myblog/comments?thread={thread}").body)


# --- the queue -------------------------------------------------------------------------------


def test_held_comments_wait_in_the_queue_with_moderator_fields(client, mod):
    configure(moderation="all")
    held = post(client, "Hold me", email="ann@example.org", author="Ann")
    assert held["status"] == "pending"
    status, page = mod("GET", "comments")
    assert status == 200
    (queued,) = page["comments"]
    assert queued["id"] == held["id"]
    assert queued["status"] == "pending"
    assert queued["email"] == "ann@example.org"
    assert queued["text"] == "Hold me"
    assert queued["thread"] == "/a"
    assert len(queued["ip_hash"]) == 32
    assert page["cursor"] is None


def test_held_comments_are_visible_to_nobody_but_their_author(client):
    configure(moderation="all")
    held = post(client, "Only I see this")
    assert held["status"] == "pending"  # the author's own answer
    assert public(client)["comments"] == []
    assert public(client)["thread"]["count"] == 0
    feed = client.http.get("/sites/myblog/feed.atom").body.decode()
    assert "Only I see this" not in feed


def test_the_queue_is_newest_first_and_pages_with_a_cursor(client, mod):
    configure(moderation="all")
    ids = [post(client, f"comment {n}", thread=f"/t{n}")["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        status, page = mod("GET", "comments?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200
        seen += [c["id"] for c in page["comments"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    _, oldest = mod("GET", "comments?sort=oldest&limit=1")
    assert oldest["comments"][0]["id"] == ids[0]


def test_the_queue_can_be_narrowed_to_one_thread(client, mod):
    configure(moderation="all")
    mine = post(client, "here", thread="/x")
    post(client, "elsewhere", thread="/y")
    _, page = mod("GET", "comments?thread=/x/")
    assert [c["id"] for c in page["comments"]] == [mine["id"]]


def test_each_status_has_its_own_listing(client, mod):
    configure(moderation="all")
    a, b, c, d = (post(client, f"c{n}")["id"] for n in range(4))
    mod("POST", f"comments/{b}/approve")
    mod("POST", f"comments/{c}/spam")
    mod("POST", f"comments/{d}/delete")
    listed = {s: [x["id"] for x in mod("GET", f"comments?status={s}")[1]["comments"]]
              for s in ("pending", "approved", "spam", "deleted")}  # fmt: skip
    assert listed == {"pending": [a], "approved": [b], "spam": [c], "deleted": [d]}
    _, by_thread = mod("GET", "comments?status=spam&thread=/a")
    assert [x["id"] for x in by_thread["comments"]] == [c]


def test_a_bad_status_or_a_forged_cursor_is_a_400(client, mod):
    assert mod("GET", "comments?status=weird")[0] == 400
    status, body = mod("GET", "comments?cursor=bm90LWEtY3Vyc29y")
    assert (status, body["Code"]) == (400, "InvalidCursor")


def test_a_cursor_of_one_listing_is_refused_by_another(client, mod):
    configure(moderation="all")
    for n in range(3):
        post(client, f"c{n}")
    _, page = mod("GET", "comments?limit=1")
    status, body = mod("GET", f"comments?status=spam&cursor={page['cursor']}")
    assert (status, body["Code"]) == (400, "InvalidCursor")


def test_listing_the_queue_never_scans(client, mod, monkeypatch):
    configure(moderation="all")
    post(client)

    def no_scan(*args, **kwargs):
        raise AssertionError("scan")

    monkeypatch.setattr(ThreadItem, "scan", no_scan)
    monkeypatch.setattr(ThreadItem._get_connection(), "scan", no_scan, raising=False)
    for status in ("pending", "approved", "spam", "deleted"):
        assert mod("GET", f"comments?status={status}")[0] == 200


# --- actions and exact counts ------------------------------------------------------------------


def test_counts_stay_exact_through_every_transition(client, mod):
    configure(moderation="all")
    cid = post(client, "counted")["id"]
    steps = [
        ("approve", "approved", 1), ("approve", "approved", 1), ("spam", "spam", 0),
        ("restore", "approved", 1), ("delete", "deleted", 0), ("delete", "deleted", 0),
        ("restore", "approved", 1), ("spam", "spam", 0), ("delete", "deleted", 0),
        ("restore", "approved", 1), ("delete", "deleted", 0), ("approve", "approved", 1),
    ]  # fmt: skip
    for action, expected_status, expected_count in steps:
        status, body = mod("POST", f"comments/{cid}/{action}")
        assert status == 200, body
        assert body["comment"]["status"] == expected_status, action
        assert thread_count() == expected_count, (action, expected_status)
        assert public(client)["thread"]["count"] == expected_count


def test_a_pending_comment_deleted_and_restored_waits_again_without_being_counted(client, mod):
    configure(moderation="all")
    cid = post(client)["id"]
    assert mod("POST", f"comments/{cid}/delete")[1]["comment"]["status"] == "deleted"
    assert mod("POST", f"comments/{cid}/restore")[1]["comment"]["status"] == "pending"
    assert thread_count() == 0
    assert [c["id"] for c in mod("GET", "comments")[1]["comments"]] == [cid]


def test_honeypot_spam_restored_goes_to_the_queue_not_straight_online(client, mod):
    cid = post(client, "I am a bot", hp="gotcha")["id"]
    assert stored_status(cid) == "spam"
    assert mod("POST", f"comments/{cid}/restore")[1]["comment"]["status"] == "pending"
    assert thread_count() == 0


def test_counts_use_this_regions_counter_item(client, mod):
    configure(moderation="all")
    cid = post(client)["id"]
    mod("POST", f"comments/{cid}/approve")
    counters = [i for i in ThreadItem.query(comments.thread_pk("myblog", "/a"))
                if isinstance(i, Counter)]  # fmt: skip
    assert [(c.sk, int(c.n)) for c in counters] == [(comments.keys.counter_sk(settings.region), 1)]


def test_a_stale_read_cannot_count_a_change_twice(client):
    configure(moderation="all")
    config = sites.get_site("myblog")
    cid = post(client)["id"]
    first, stale = comments.find(config, cid), comments.find(config, cid)
    comments.change_status(
        first, "approved", audit.new_entry("myblog", WHO, "approve", cid, None, None)
    )
    with pytest.raises(comments.Changed):
        comments.change_status(
            stale, "approved", audit.new_entry("myblog", WHO, "approve", cid, None, None)
        )
    assert thread_count() == 1


def test_an_action_racing_another_decides_again_on_a_fresh_read(client, monkeypatch):
    configure(moderation="all")
    config = sites.get_site("myblog")
    cid = post(client)["id"]
    stale = comments.find(config, cid)
    moderation.act(config, cid, "approve", WHO)  # the other moderator was first
    real_find, calls = comments.find, []

    def find_stale_once(site, comment_id):
        calls.append(comment_id)
        return stale if len(calls) == 1 else real_find(site, comment_id)

    monkeypatch.setattr(comments, "find", find_stale_once)
    assert moderation.act(config, cid, "approve", WHO)["comment"]["status"] == "approved"
    assert thread_count() == 1
    assert len(calls) >= 2


def test_approving_a_reply_makes_its_deleted_parent_a_tombstone(client, mod):
    parent = post(client, "parent")["id"]
    configure(moderation="all")
    reply = post(client, "reply", parent=parent)["id"]
    mod("POST", f"comments/{reply}/approve")
    mod("POST", f"comments/{parent}/delete")
    listed = public(client)["comments"]
    assert [(c["id"], c["deleted"], c["html"]) for c in listed] == [
        (parent, True, ""), (reply, False, "<p>reply</p>"),
    ]  # fmt: skip
    assert public(client)["thread"]["count"] == 1


def test_a_comment_its_author_erased_cannot_be_restored_or_approved(client, mod):
    response = client.http.post(
        "/sites/myblog/comments?thread=/a", headers=JSON, body=json.dumps({"text": "mine"})
    )
    body = json.loads(response.body)
    cid = body["comment"]["id"]
    client.http.delete(
        f"/sites/myblog/comments/{cid}", headers={"X-Edit-Token": body["edit_token"]}
    )
    for action in ("restore", "approve"):
        status, error = mod("POST", f"comments/{cid}/{action}")
        assert (status, error["Code"]) == (409, "InvalidTransition")
    assert thread_count() == 0


def test_a_moderator_deletion_keeps_the_content_for_the_moderator_only(client, mod):
    cid = post(client, "keep me", author="Ann")["id"]
    _, body = mod("POST", f"comments/{cid}/delete")
    assert body["comment"]["text"] == "keep me"
    assert body["comment"]["author"] == "Ann"
    assert body["comment"]["restorable"] is True
    assert "keep me" not in json.dumps(public(client))


def test_an_unknown_comment_or_another_sites_comment_is_404(client, mod):
    sites.create_site("other", "Other")
    other = posting.post(
        sites.get_site("other"), "/a",
        __import__("chalicelib.platform.validation", fromlist=["NewComment"]).NewComment(text="theirs"),
        ip=None, idempotency_key=None, body_hash=None,
    )[1]["comment"]["id"]  # fmt: skip
    for cid in ("01J9Z6Q3M8V7K2X4T5R6Y7W8N9", other, "not-an-id"):
        status, body = mod("POST", f"comments/{cid}/approve")
        assert (status, body["Code"]) == (404, "CommentNotFound")


def test_approving_a_first_time_author_trusts_their_next_comment(client, mod):
    configure(moderation="first-time")
    first = post(client, "first", email="new@example.org")
    assert first["status"] == "pending"
    mod("POST", f"comments/{first['id']}/approve")
    assert post(client, "second", email="NEW@example.org")["status"] == "approved"


def test_a_moderator_edit_rerenders_and_keeps_the_status(client, mod):
    cid = post(client, "typo")["id"]
    status, body = mod("PATCH", f"comments/{cid}", {"text": "fixed *now* <script>x</script>"})
    assert status == 200
    assert body["comment"]["html"].startswith("<p>fixed <em>now</em>")
    assert "<script>" not in body["comment"]["html"]
    assert body["comment"]["status"] == "approved"
    assert body["comment"]["edited"]
    assert thread_count() == 1


def test_bulk_actions_apply_each_and_report_each(client, mod):
    configure(moderation="all")
    ids = [post(client, f"c{n}")["id"] for n in range(3)]
    missing = "01J9Z6Q3M8V7K2X4T5R6Y7W8N9"
    status, body = mod("POST", "bulk", {"action": "approve", "ids": [*ids, missing]})
    assert status == 200
    assert [r.get("status") for r in body["results"]] == ["approved"] * 3 + [None]
    assert body["results"][3]["error"]["Code"] == "CommentNotFound"
    assert thread_count() == 3
    mod("POST", "bulk", {"action": "spam", "ids": ids[:2]})
    assert thread_count() == 1


def test_bulk_requests_are_checked(client, mod):
    for bad in ({}, {"action": "nuke", "ids": ["x"]}, {"action": "approve", "ids": []},
                {"action": "approve", "ids": ["x"] * 101}, [1]):  # fmt: skip
        assert mod("POST", "bulk", bad)[0] == 400


# --- policies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "text", "email", "expected"),
    [
        ("none", "plain", None, "approved"),
        ("none", "see https://a.example", None, "approved"),
        ("all", "plain", "known@example.org", "pending"),
        ("links", "plain", None, "approved"),
        ("links", "see https://a.example", None, "pending"),
        ("links", "see [this](/x)", None, "pending"),
        ("first-time", "plain", "stranger@example.org", "pending"),
        ("first-time", "plain", None, "pending"),
        ("first-time", "plain", "known@example.org", "approved"),
    ],
)
def test_each_moderation_policy_decides_as_documented(client, mode, text, email, expected):
    post(client, "I was here before", email="known@example.org", thread="/old")
    configure(moderation=mode)
    fields = {"email": email} if email else {}
    assert post(client, text, **fields)["status"] == expected


def test_changing_the_policy_through_the_settings_applies_to_the_next_comment(client, mod):
    status, body = mod("PATCH", "settings", {"moderation": "all"})
    assert (status, body["settings"]["moderation"]) == (200, "all")
    sites.clear_cache()
    assert post(client)["status"] == "pending"


# --- threads, settings ---------------------------------------------------------------------------


def test_a_locked_thread_takes_no_comments_until_unlocked(client, mod):
    post(client)
    status, body = mod("PATCH", "threads?thread=/a/", {"locked": True})
    assert status == 200
    assert body["thread"] == {"key": "/a", "title": None, "url": None, "locked": True, "count": 1}
    refused = client.http.post(
        "/sites/myblog/comments?thread=/a", headers=JSON, body=json.dumps({"text": "late"})
    )
    assert refused.status_code == 403
    assert json.loads(refused.body)["Code"] == "ThreadLocked"
    assert public(client)["thread"]["locked"] is True
    assert mod("PATCH", "threads?thread=/a", {"locked": False})[1]["thread"]["locked"] is False
    post(client, "on time again")


def test_a_thread_can_be_locked_before_its_first_comment(client, mod):
    assert mod("PATCH", "threads?thread=/new", {"locked": True})[1]["thread"]["count"] == 0
    refused = client.http.post(
        "/sites/myblog/comments?thread=/new", headers=JSON, body=json.dumps({"text": "first!"})
    )
    assert refused.status_code == 403


def test_locking_needs_a_thread_and_a_boolean(client, mod):
    assert mod("PATCH", "threads", {"locked": True})[0] == 400
    assert mod("PATCH", "threads?thread=/a", {"locked": "yes"})[0] == 400


def test_settings_are_read_and_changed_with_validation(client, mod):
    status, body = mod("GET", "settings")
    assert status == 200
    assert body["settings"]["moderation"] == "none"
    assert body["settings"]["origins"] == ["https://blog.example"]
    changed = mod("PATCH", "settings", {"require_email": True, "max_length": 500})[1]
    assert changed["settings"]["require_email"] is True
    assert changed["settings"]["max_length"] == 500
    for bad in ({"moderation": "sometimes"}, {"max_length": "long"}, {"secret": 1},
                {"origins": ["not an origin"]}):  # fmt: skip
        status, error = mod("PATCH", "settings", bad)
        assert (status, error["Code"]) == (400, "InvalidRequest"), bad


# --- the audit log --------------------------------------------------------------------------------


def test_every_action_is_in_the_audit_log_newest_first(client, mod):
    configure(moderation="all")
    cid = post(client)["id"]
    mod("POST", f"comments/{cid}/approve")
    mod("PATCH", f"comments/{cid}", {"text": "edited"})
    mod("POST", f"comments/{cid}/spam")
    ban = mod("POST", "bans", {"email": "troll@example.org", "days": 7, "reason": "trolling"})[1]
    mod("DELETE", f"bans/{ban['ban']['id']}")
    mod("PATCH", "threads?thread=/a", {"locked": True})
    mod("PATCH", "settings", {"moderation": "links"})
    status, log = mod("GET", "audit")
    assert status == 200
    actions = [(e["action"], e["target"]) for e in log["entries"]]
    assert actions == [
        ("settings", "settings"), ("lock", "thread:/a"),
        ("unban", f"ban:{ban['ban']['id']}"), ("ban", f"ban:{ban['ban']['id']}"),
        ("spam", f"comment:{cid}"), ("edit", f"comment:{cid}"), ("approve", f"comment:{cid}"),
    ]  # fmt: skip
    by_action = {e["action"]: e for e in log["entries"]}
    assert by_action["approve"]["before"]["status"] == "pending"
    assert by_action["approve"]["after"]["status"] == "approved"
    assert by_action["edit"]["after"] == {"text": "edited"}
    assert by_action["settings"]["before"] == {"moderation": "all"}
    assert by_action["settings"]["after"] == {"moderation": "links"}
    assert by_action["lock"]["before"] == {"locked": False}
    assert all(e["key_name"] == "ann" and e["key_id"] and e["time"] for e in log["entries"])
    assert "troll@example.org" not in json.dumps(log)


def test_no_op_actions_leave_no_audit_entry(client, mod):
    cid = post(client)["id"]
    mod("POST", f"comments/{cid}/approve")
    mod("POST", f"comments/{cid}/restore")
    mod("PATCH", "threads?thread=/a", {"locked": False})
    assert mod("GET", "audit")[1]["entries"] == []


def test_the_audit_log_pages_with_a_cursor(client, mod):
    for mode in ("all", "links", "none", "first-time", "all"):
        mod("PATCH", "settings", {"moderation": mode})
    seen, cursor = [], None
    while True:
        _, page = mod("GET", "audit?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        seen += [e["after"]["moderation"] for e in page["entries"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == ["all", "first-time", "none", "links", "all"]


def test_audit_entries_and_comment_changes_are_written_together(client, mod):
    configure(moderation="all")
    cid = post(client)["id"]
    mod("POST", f"comments/{cid}/approve")
    stored = comments.find(sites.get_site("myblog"), cid)
    assert isinstance(stored, Comment) and stored.status == "approved"
    assert len(mod("GET", "audit")[1]["entries"]) == 1

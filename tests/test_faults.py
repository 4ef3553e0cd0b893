"""Fault injection at the botocore layer: the failure table of docs/architecture.md, from outside.

{write path, read path, both, queue} x {post, list, counts, feed, edits}: reads stay 200
whenever the local replica or the fallback answers (marked degraded when it is the
fallback); posts are 201 or 202 and every one exists exactly once after the queue
drains; the queue failing as well gives 503 ReadOnly + Retry-After; never a 500.
"""

from __future__ import annotations

import json

import pytest

from chalicelib.resilience import switches
from chalicelib.store import replicas, sites
from tests.support import (
    ALL_FAULTS,
    FAULTS,
    HOME,
    JSON,
    OTHER,
    body_of,
    copy_region,
    drain,
    fault_stack,
    post_comment,
    stored_texts,
)


@pytest.fixture
def stack(client, monkeypatch):
    """Two regions (us-east-1 local, eu-west-1 fallback), a write queue, faults off."""
    with fault_stack(monkeypatch, regions=(HOME, OTHER), rate_limit_per_minute=100_000):
        yield client


def post(client, text, thread="/a", headers=None, **fields):
    return post_comment(client, {"text": text, **fields}, thread=thread, headers=headers)


def get(client, path):
    return client.http.get(path)


def list_a(client):
    return get(client, "/sites/myblog/comments?thread=%2Fa")


def counts_a(client):
    return get(client, "/sites/myblog/counts?thread=%2Fa")


def seed(client, n=2):
    texts = [f"seed {i}" for i in range(n)]
    for text in texts:
        assert post(client, text).status_code == 201
    copy_region()  # the fallback replica has caught up
    return texts


def recover():
    """Faults off and this container's breakers closed (the table is back)."""
    FAULTS.clear()
    replicas.reset()


# --- the write path fails -----------------------------------------------------------------


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_reads_survive_write_outage(stack, fault):
    seed(stack)
    FAULTS.fail(fault, writes=True)
    listed, counted = list_a(stack), counts_a(stack)
    assert listed.status_code == 200
    assert "X-Sidenote-Degraded" not in listed.headers
    assert len(body_of(listed)["comments"]) == 2
    assert "degraded" not in body_of(listed)
    assert counted.status_code == 200
    assert body_of(counted)["counts"] == {"/a": 2}


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_posts_are_queued_while_the_table_refuses_writes_and_stored_once_after(stack, fault):
    FAULTS.fail(fault, writes=True)
    response = post(stack, f"queued under {fault}")
    assert response.status_code == 202
    queued = body_of(response)
    assert queued["comment"]["status"] == "queued"
    assert queued["edit_token"]
    assert stored_texts() == {}
    recover()
    outcome = drain()
    assert outcome.stored and not outcome.failed
    assert stored_texts() == {f"queued under {fault}": 1}
    listed = body_of(list_a(stack))
    assert [c["id"] for c in listed["comments"]] == [queued["comment"]["id"]]
    assert listed["thread"]["count"] == 1


def test_queued_comment_delivered_twice_is_stored_once(stack):
    FAULTS.fail("internal-500", writes=True)
    post(stack, "delivered twice")
    recover()
    from chalicelib.resilience import writequeue
    from chalicelib.threads import posting

    message = writequeue.client().receive_message(QueueUrl=writequeue.queue_url())["Messages"][0]
    first = writequeue.process([(message["MessageId"], message["Body"])], posting.store_queued)
    second = writequeue.process([(message["MessageId"], message["Body"])], posting.store_queued)
    assert first.stored == second.stored == [message["MessageId"]]
    assert stored_texts() == {"delivered twice": 1}
    assert body_of(counts_a(stack))["counts"] == {"/a": 1}


def test_write_that_committed_but_timed_out_is_queued_and_still_stored_once(stack):
    """The ambiguous failure: DynamoDB applied the transaction, the response was lost."""
    FAULTS.fail("read-timeout", writes=True, after_commit=True)
    response = post(stack, "committed, answer lost")
    assert response.status_code == 202
    recover()
    drain()
    assert stored_texts() == {"committed, answer lost": 1}
    assert body_of(counts_a(stack))["counts"] == {"/a": 1}


def test_queue_replay_and_client_retry_with_one_idempotency_key_store_one_comment(stack):
    key = {"Idempotency-Key": "retry-1"}
    FAULTS.fail("throttling", writes=True)
    first = post(stack, "keyed", headers=key)
    retried = post(stack, "keyed", headers=key)
    assert first.status_code == retried.status_code == 202
    recover()
    drain()
    assert stored_texts() == {"keyed": 1}
    again = post(stack, "keyed", headers=key)
    assert again.status_code == 201
    assert body_of(again)["comment"]["id"] in {
        body_of(first)["comment"]["id"],
        body_of(retried)["comment"]["id"],
    }
    assert stored_texts() == {"keyed": 1}


def test_queued_comment_for_a_thread_locked_meanwhile_goes_to_the_dead_letter_queue(stack):
    from chalicelib.resilience import writequeue
    from chalicelib.store.models import ThreadMeta

    FAULTS.fail("unavailable-503", writes=True)
    assert post(stack, "too late").status_code == 202
    recover()
    ThreadMeta("myblog#/a", "#META", site="myblog", key="/a", created="x", locked=True).save()
    outcome = drain()
    assert len(outcome.dead_lettered) == 1
    assert writequeue.depth() == {"queue": 0, "dead_letter": 1}
    assert stored_texts() == {}


@pytest.mark.parametrize("fault", ["internal-500", "read-timeout"])
def test_queue_failing_as_well_is_503_read_only_with_retry_after(stack, fault):
    FAULTS.fail(fault, writes=True, queue=True)
    response = post(stack, "nowhere to go")
    assert response.status_code == 503
    assert body_of(response)["Code"] == "ReadOnly"
    assert int(response.headers["Retry-After"]) > 0
    recover()
    drain()
    assert stored_texts() == {}


def test_queue_failing_alone_changes_nothing(stack):
    FAULTS.fail("internal-500", queue=True)
    assert post(stack, "direct").status_code == 201
    assert list_a(stack).status_code == 200
    assert stored_texts() == {"direct": 1}


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_author_edits_during_a_write_outage_are_503_read_only_not_500(stack, method):
    created = body_of(post(stack, "to change"))
    FAULTS.fail("internal-500", writes=True)
    path = f"/sites/myblog/comments/{created['comment']['id']}"
    headers = {**JSON, "X-Edit-Token": created["edit_token"]}
    if method == "patch":
        response = stack.http.patch(path, headers=headers, body=json.dumps({"text": "new"}))
    else:
        response = stack.http.delete(path, headers=headers)
    assert response.status_code == 503
    assert body_of(response)["Code"] == "ReadOnly"
    assert response.headers["Retry-After"]


# --- the read path fails too ------------------------------------------------------------


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_reads_fall_back_to_the_other_region_marked_degraded(stack, fault):
    seed(stack)
    sites.clear_cache()  # a cold container: the site itself comes from the fallback too
    FAULTS.fail(fault, reads=True, writes=True)
    listed = list_a(stack)
    assert listed.status_code == 200
    assert listed.headers["X-Sidenote-Degraded"] == f"fallback-region={OTHER}"
    page = body_of(listed)
    assert page["degraded"] is True
    assert [c["html"] for c in page["comments"]] == ["<p>seed 0</p>", "<p>seed 1</p>"]
    assert page["thread"]["count"] == 2
    counted = counts_a(stack)
    assert counted.status_code == 200
    assert body_of(counted) == {"counts": {"/a": 2}, "trackbacks": {"/a": 0}, "degraded": True}
    posted_counts = stack.http.post(
        "/sites/myblog/counts", headers=JSON, body=json.dumps({"threads": ["/a"]})
    )
    assert posted_counts.status_code == 200
    assert body_of(posted_counts)["degraded"] is True
    feed = get(stack, "/sites/myblog/feed.atom")
    assert feed.status_code == 200
    assert feed.headers["X-Sidenote-Degraded"]


def test_degraded_reads_are_cached_briefly(stack):
    seed(stack)
    FAULTS.fail("internal-500", reads=True)
    listed = list_a(stack)
    assert "max-age=5" in listed.headers["Cache-Control"]
    assert "stale-if-error" in listed.headers["Cache-Control"]


def test_posts_are_queued_when_reads_and_writes_fail(stack):
    seed(stack)
    sites.clear_cache()
    FAULTS.fail("connection", reads=True, writes=True)
    response = post(stack, "while everything local is down")
    assert response.status_code == 202
    recover()
    drain()
    assert stored_texts()["while everything local is down"] == 1


def test_reads_alone_failing_still_store_posts_directly(stack):
    seed(stack)
    FAULTS.fail("throttling", reads=True)
    assert post(stack, "reads down, writes fine").status_code == 201
    assert stored_texts()["reads down, writes fine"] == 1


def test_reads_are_503_not_500_when_no_replica_answers(stack):
    seed(stack)
    FAULTS.fail("internal-500", reads=True, region=HOME)
    FAULTS.fail("read-timeout", reads=True, region=OTHER)
    for response in (list_a(stack), counts_a(stack)):
        assert response.status_code == 503
        assert body_of(response)["Code"] == "Unavailable"
        assert response.headers["Retry-After"]


def test_unknown_site_is_still_404_while_served_from_the_fallback(stack):
    seed(stack)
    FAULTS.fail("internal-500", reads=True)
    response = get(stack, "/sites/nosuchblog/comments?thread=%2Fa")
    assert response.status_code == 404
    assert body_of(response)["Code"] == "SiteNotFound"


def test_local_replica_is_tried_again_after_the_breaker_window(stack, monkeypatch):
    seed(stack)
    FAULTS.fail("internal-500", reads=True)
    assert list_a(stack).headers.get("X-Sidenote-Degraded")
    FAULTS.clear()
    assert list_a(stack).headers.get("X-Sidenote-Degraded")  # breaker still open
    monkeypatch.setattr(replicas.reads, "open_until", 0.0)  # the window has passed
    assert "X-Sidenote-Degraded" not in list_a(stack).headers


def test_read_with_a_healthy_local_replica_is_one_query(stack):
    seed(stack)
    get(stack, "/sites/myblog/comments?thread=%2Fa")  # warm the site cache
    calls = []
    from chalicelib.store.models import ThreadItem

    events = ThreadItem._get_connection().connection.client.meta.events
    events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    try:
        assert list_a(stack).status_code == 200
    finally:
        events.unregister("before-call.dynamodb", lambda **_: None)
    assert calls[-1:] == ["Query"]
    assert calls.count("Query") == 1


# --- the matrix -----------------------------------------------------------------------------

#: where the fault is -> expected (post status, read degraded?)
MATRIX = {
    "none": (201, False),
    "write": (202, False),
    "read": (201, True),
    "both": (202, True),
    "queue": (201, False),
    "both+queue": (503, True),
}


@pytest.mark.parametrize(
    ("where", "fault"),
    [(where, "throttling") for where in sorted(MATRIX)] + [("both+queue", "read-timeout")],
)
def test_failure_matrix_reads_stay_up_and_accepted_posts_exist_exactly_once(stack, where, fault):
    seed(stack)
    FAULTS.fail(
        fault,
        reads=where in {"read", "both", "both+queue"},
        writes=where in {"write", "both", "both+queue"},
        queue="queue" in where,
    )
    want_post, want_degraded = MATRIX[where]
    posted = post(stack, f"matrix {where}")
    listed, counted = list_a(stack), counts_a(stack)
    assert posted.status_code == want_post
    for response in (listed, counted):
        assert response.status_code == 200
        assert ("X-Sidenote-Degraded" in response.headers) is want_degraded
    recover()
    drain()
    texts = stored_texts()
    assert texts.get(f"matrix {where}", 0) == (1 if want_post in {201, 202} else 0)
    assert all(n == 1 for n in texts.values())


def test_moderation_reads_fall_back_like_public_reads(stack):
    key = sites.create_key("myblog", "resilience")[0]
    seed(stack)
    sites.clear_cache()
    FAULTS.fail("internal-500", reads=True, writes=True)
    response = stack.http.get(
        "/sites/myblog/moderation/comments?status=approved",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert response.headers.get("X-Sidenote-Degraded")


def test_operator_switch_is_checked_before_queueing(stack):
    switches.set_service("Upgrading the database.")
    FAULTS.fail("internal-500", writes=True)
    response = post(stack, "no")
    assert response.status_code == 503
    assert body_of(response)["Message"] == "Upgrading the database."

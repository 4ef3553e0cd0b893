"""The durable write queue's Lambda handler, the operator's read-only switch, and
``sidenote tables create --regions``."""

from __future__ import annotations

import json

import pytest

from chalicelib.platform import clock
from chalicelib.platform.validation import NewComment
from chalicelib.resilience import switches, writequeue
from chalicelib.store import provisioning, replicas, sites
from chalicelib.store.models import ALL_TABLES, Site
from chalicelib.threads import posting
from tests.support import (
    FAULTS,
    HOME,
    OTHER,
    create_other_region,
    fault_stack,
    patch_settings,
    post_comment,
    stored_texts,
)


@pytest.fixture
def stack(client, monkeypatch):
    with fault_stack(monkeypatch, rate_limit_per_minute=100_000):
        yield client


def post(client, text):
    return post_comment(client, {"text": text}, thread="/q")


def prepared_body(site, text):
    new = NewComment(text=text, author="Ann", email=None)
    return json.dumps(posting.prepare(site, "/q", new, ip=None).to_dict())


def sqs_event(client, bodies):
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name="sidenote-writes")
    for n, record in enumerate(event["Records"]):
        record["messageId"] = f"m-{n}"
    return event


# --- the SQS-triggered handler ---------------------------------------------------------------


def test_sqs_handler_stores_each_queued_comment_once_however_often_delivered(stack, site):
    bodies = [prepared_body(site, f"from the queue {n}") for n in range(3)]
    event = sqs_event(stack, bodies)
    first = stack.lambda_.invoke("store_queued_comments", event)
    again = stack.lambda_.invoke("store_queued_comments", event)
    assert first.payload == again.payload == {"batchItemFailures": []}
    assert stored_texts() == {f"from the queue {n}": 1 for n in range(3)}


def test_sqs_handler_reports_only_the_messages_it_could_not_store(stack, site):
    good = prepared_body(site, "stored now")
    event = sqs_event(stack, [good])
    FAULTS.fail("throttling", writes=True)
    failed = stack.lambda_.invoke("store_queued_comments", event)
    assert failed.payload == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    FAULTS.clear()
    assert stack.lambda_.invoke("store_queued_comments", event).payload == {"batchItemFailures": []}
    assert stored_texts() == {"stored now": 1}


def test_unreadable_message_goes_straight_to_the_dead_letter_queue(stack, site):
    event = sqs_event(stack, ["{not json", json.dumps({"id": "x"})])
    result = stack.lambda_.invoke("store_queued_comments", event)
    assert result.payload == {"batchItemFailures": []}
    assert writequeue.depth()["dead_letter"] == 2


def test_redrive_moves_dead_letters_back_to_the_queue(stack, site):
    writequeue.client().send_message(
        QueueUrl=writequeue.queue_url(dead_letter=True), MessageBody=prepared_body(site, "back")
    )
    assert writequeue.redrive() == 1
    assert writequeue.depth() == {"queue": 1, "dead_letter": 0}
    assert writequeue.drain(posting.store_queued).stored
    assert stored_texts() == {"back": 1}


def test_messages_that_keep_failing_end_in_the_dead_letter_queue(stack, site):
    """The redrive policy (maxReceiveCount) moves a message after N failed receives."""
    writequeue.enqueue(json.loads(prepared_body(site, "stuck")))
    FAULTS.fail("internal-500", writes=True)
    for _ in range(6):
        writequeue.drain(posting.store_queued)
    assert writequeue.depth() == {"queue": 0, "dead_letter": 1}
    FAULTS.clear()
    writequeue.redrive()
    writequeue.drain(posting.store_queued)
    assert stored_texts() == {"stuck": 1}


def test_queue_unreachable_with_table_down_is_read_only_and_keeps_nothing(stack):
    FAULTS.fail("connection", writes=True, queue=True)
    response = post(stack, "draft")
    assert response.status_code == 503
    assert json.loads(response.body)["Code"] == "ReadOnly"
    assert response.headers["Retry-After"] == str(posting.QUEUE_RETRY_AFTER)


def test_write_breaker_sends_posts_straight_to_the_queue_until_it_closes(stack):
    FAULTS.fail("read-timeout", writes=True)
    assert post(stack, "first").status_code == 202
    FAULTS.clear()
    assert replicas.writes.is_open()
    assert post(stack, "second").status_code == 202  # no table call: the breaker is open
    replicas.writes.close()
    assert post(stack, "third").status_code == 201
    writequeue.drain(posting.store_queued)
    assert stored_texts() == {"first": 1, "second": 1, "third": 1}


# --- the operator's switch --------------------------------------------------------------------


def _later(monkeypatch, seconds):
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now + seconds)


def test_service_switch_stored_by_another_process_takes_effect_within_30_seconds(
    stack, monkeypatch
):
    assert post(stack, "before").status_code == 201  # this container has cached "writable"
    from chalicelib.store import sites

    sites.write_switch("Back at 5pm.", by="another process")  # not through this container
    _later(monkeypatch, 30)
    response = post(stack, "during")
    assert response.status_code == 503
    assert json.loads(response.body) == {"Code": "ReadOnly", "Message": "Back at 5pm."}
    assert response.headers["Retry-After"]
    listed = stack.http.get("/sites/myblog/comments?thread=%2Fq")
    assert listed.status_code == 200
    assert len(json.loads(listed.body)["comments"]) == 1


def test_site_switch_stored_by_another_process_takes_effect_within_30_seconds(stack, monkeypatch):
    assert post(stack, "before").status_code == 201
    Site.get("SITE#myblog", "#SITE").update(actions=[Site.read_only.set("Moving house.")])
    _later(monkeypatch, 30)
    response = post(stack, "during")
    assert response.status_code == 503
    assert json.loads(response.body)["Message"] == "Moving house."


def test_switching_back_makes_the_service_writable(stack):
    switches.set_service("Maintenance.")
    assert post(stack, "no").status_code == 503
    switches.set_service("")
    assert post(stack, "yes").status_code == 201


def test_switch_read_failure_keeps_the_last_known_state(stack, monkeypatch):
    switches.set_service("Maintenance.")
    assert switches.service_message() == "Maintenance."
    _later(monkeypatch, 60)
    FAULTS.fail("internal-500", reads=True)
    assert switches.service_message() == "Maintenance."


# --- sidenote tables create --regions -----------------------------------------------------------


def test_tables_create_with_regions_adds_each_missing_replica_and_is_safe_to_rerun(
    aws, monkeypatch
):
    patch_settings(monkeypatch, regions=(HOME, OTHER))
    create_other_region()  # moto ignores ReplicaUpdates: the replicas' tables exist already
    updates: list[tuple[str, list]] = []
    replicas_seen: dict[str, list] = {}

    def before(params, **_):
        if "ReplicaUpdates" in params:
            updates.append((params["TableName"], params["ReplicaUpdates"]))
            replicas_seen.setdefault(params["TableName"], []).append(
                {"RegionName": OTHER, "ReplicaStatus": "ACTIVE"}
            )

    def after(parsed, **_):
        table = parsed.get("Table", {})
        table["Replicas"] = replicas_seen.get(table.get("TableName"), [])

    for model in ALL_TABLES:
        events = model._get_connection().connection.client.meta.events
        events.register("before-parameter-build.dynamodb.UpdateTable", before)
        events.register("after-call.dynamodb.DescribeTable", after)
    first = list(provisioning.create_global_tables([HOME, OTHER], poll=0))
    assert sorted(name for name, _ in updates) == sorted(m.Meta.table_name for m in ALL_TABLES)
    assert all(u == [{"Create": {"RegionName": OTHER}}] for _, u in updates)
    assert sum("added" in line for line in first) == len(ALL_TABLES)
    again = list(provisioning.create_global_tables([HOME, OTHER], poll=0))
    assert len(updates) == len(ALL_TABLES)  # nothing more to add
    assert all("exists" in line for line in again)
    sites.clear_cache()

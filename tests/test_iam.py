"""IAM, proven against the code: every AWS call a Lambda function makes is allowed by that
function's role in every stage, and no role grants what no call needs.

Two sources of calls, both recorded by ``tests/iam_recorder.py`` (a botocore event hook that
conftest installs before any client exists; see its docstring for the mapping to IAM):

- the whole in-process suite: conftest runs this module last, so the recorder then holds
  every call that any test's Lambda handler made (routes through ``chalice.test.Client``,
  ``lambda_.invoke`` of the authorizer, schedules and the queue consumer);
- :func:`tour`: this module drives every Lambda function itself through its real handler,
  in one moto world with two regions, the write queue, the three SNS topics and the
  Secrets Manager secret configured as in production, including the failure paths (reads
  falling back to the other region, writes going to the queue, alerts). So the verdict does
  not depend on which other tests ran: run alone, this module still covers every path.

Each recorded call is rendered with each stage's own settings (``.chalice/config.json`` plus
what its merge template sets) and held against the policy chalice attaches to that
function's role in that stage. What the Lambda service itself does with the role (logs,
traces, the SQS event source mapping) is added as platform requests.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest

from tests import iam_recorder
from tests.iam_recorder import RECORDER, Call, decide
from tests.support import (
    FAULTS,
    HOME,
    JSON,
    ORIGIN,
    OTHER,
    copy_region,
    moderate,
    moto_tables,
    post_comment,
    reset_state,
)

SECRET_NAME = "sidenote/test/secret"
FUNCTIONS = {
    "api_handler",
    "moderator_key",
    "probe",
    "daily_digest",
    "notify_moderators",
    "store_queued_comments",
}


def _topics() -> dict[str, str]:
    import boto3

    sns = boto3.client("sns", region_name=HOME)
    return {
        field: sns.create_topic(Name=f"sidenote-test-{field.split('_')[0]}")["TopicArn"]
        for field in ("notify_topic_arn", "alert_topic_arn", "digest_topic_arn")
    }


def _create_secret() -> None:
    import boto3

    boto3.client("secretsmanager", region_name=HOME).create_secret(
        Name=SECRET_NAME, SecretString="s" * 64
    )


def _invoke(client, function: str, **event) -> object:
    if function == "store_queued_comments":
        payload = client.events.generate_sqs_event(
            message_bodies=event["bodies"], queue_name="sidenote-writes"
        )
    else:
        payload = client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            resources=[f"arn:aws:events:{HOME}:123456789012:rule/{function}"],
        )  # fmt: skip
    return client.lambda_.invoke(function, payload).payload


def _ok(response) -> None:
    """Answered as the contract says: anything but a crash (503 is a documented answer)."""
    assert response.status_code < 500 or response.status_code == 503, response.body


def _drive(client, key: str) -> None:
    """Every Lambda function through its handler: the happy paths, then the failure paths."""
    from chalicelib.platform import tokens
    from chalicelib.store import sites

    mod = lambda method, path, body=None: moderate(client, key, method, path, body)  # noqa: E731

    # Readers and authors.
    posted = post_comment(client, {"text": "hello", "author": "Ann", "email": "a@example.org"},
                          headers={"Origin": ORIGIN, "Idempotency-Key": "k-1"})  # fmt: skip
    assert posted.status_code == 201, posted.body
    body = json.loads(posted.body)
    cid, token = body["comment"]["id"], body["edit_token"]
    reply = post_comment(client, {"text": "a reply", "parent": cid}, headers={"Origin": ORIGIN})
    assert reply.status_code == 201, reply.body  # the parent is a condition of the transaction
    for path in ("/sites/myblog/comments?thread=%2Fa", "/sites/myblog/counts?thread=%2Fa",
                 "/sites/myblog/feed.atom", "/sites/myblog/status", "/status", "/status.html",
                 "/status.atom", "/health"):  # fmt: skip
        _ok(client.http.get(path))
    _ok(client.http.post("/sites/myblog/counts", headers=JSON, body=json.dumps(["/a", "/b"])))
    edit_headers = {**JSON, "X-Edit-Token": token, "Origin": ORIGIN}
    _ok(client.http.patch(f"/sites/myblog/comments/{cid}", headers=edit_headers,
                          body=json.dumps({"text": "hello again"})))  # fmt: skip
    _ok(client.http.delete(f"/sites/myblog/comments/{cid}", headers=edit_headers))

    # Moderators (through the authorizer), with comments held and moderators notified.
    sites.update_site("myblog", {"moderation": "all", "notify_email": "mods@blog.example"})
    sites.clear_cache()
    held = [
        json.loads(post_comment(client, {"text": f"held {n}", "email": f"{n}@example.org"},
                                headers={"Origin": ORIGIN}).body)["comment"]["id"]
        for n in range(4)
    ]  # fmt: skip
    for method, path, payload in [
        ("GET", "comments", None),
        ("POST", f"comments/{held[0]}/approve", None),
        ("POST", f"comments/{held[1]}/spam", None),
        ("POST", f"comments/{held[1]}/restore", None),
        ("POST", f"comments/{held[2]}/delete", None),
        ("PATCH", f"comments/{held[0]}", {"text": "edited by a moderator"}),
        ("POST", "bulk", {"action": "approve", "ids": held[1:]}),
        ("POST", "bans", {"comment": held[3], "reason": "tour"}),
        ("POST", "bans", {"ip": "203.0.113.0/24"}),
        ("POST", "bans", {"email": "troll@example.org"}),
        ("GET", "bans", None),
        ("PATCH", "threads?thread=/b", {"locked": True}),
        ("GET", "settings", None),
        ("PATCH", "settings", {"max_length": 4000}),
        ("GET", "audit", None),
        ("GET", "report", None),
        ("GET", "report?day=2026-01-01", None),
    ]:
        status, answer = mod(method, path, payload)
        assert status < 500, (method, path, status, answer)
    status, bans = mod("GET", "bans")
    for ban in bans["bans"]:  # the comment's ban covers this client's address too
        assert mod("DELETE", f"bans/{ban['id']}")[0] == 204
    held_reply = post_comment(client, {"text": "held reply", "parent": held[0]},
                              headers={"Origin": ORIGIN})  # fmt: skip
    assert held_reply.status_code == 201, held_reply.body  # its parent is checked, not updated
    _ok(client.http.get("/moderate"))

    # Schedules.
    _invoke(client, "notify_moderators")
    _invoke(client, "probe")
    _invoke(client, "daily_digest")

    # Failure paths: this region's replica refuses reads and writes.
    copy_region()
    FAULTS.fail("internal-500", reads=True, writes=True)
    sites.clear_cache()  # the site and its bans are read from the other region too
    queued = post_comment(client, {"text": "while the table is down"}, headers={"Origin": ORIGIN})
    assert queued.status_code == 202, queued.body
    for path in ("/sites/myblog/comments?thread=%2Fa", "/sites/myblog/counts?thread=%2Fa",
                 "/sites/myblog/feed.atom", "/sites/myblog/status", "/status", "/status.atom"):  # fmt: skip
        _ok(client.http.get(path))
    assert mod("GET", "comments")[0] in {200, 503}
    assert mod("GET", "report")[0] in {200, 503}
    _invoke(client, "probe")  # the probe sees the failure and alerts
    FAULTS.clear()
    reset_state()

    # The queue consumer stores what was queued; an unreadable message is dead-lettered.
    from chalicelib.resilience import writequeue

    sqs = writequeue.client()
    messages = sqs.receive_message(QueueUrl=writequeue.queue_url(), MaxNumberOfMessages=10)
    bodies = [m["Body"] for m in messages.get("Messages", [])]
    assert bodies, "the failed post was not queued"
    result = _invoke(client, "store_queued_comments", bodies=[*bodies, "not json"])
    assert result == {"batchItemFailures": []}, result
    assert tokens.secret()  # the secret came from Secrets Manager


@pytest.fixture(scope="module")
def tour() -> Iterator[Counter[Call]]:
    """The calls :func:`_drive` made, under production-like settings (two regions, topics,
    the write queue, the secret in Secrets Manager)."""
    from chalice.test import Client

    from app import app
    from chalicelib.health import states
    from chalicelib.platform import clients, tokens
    from chalicelib.store import sites
    from tests.support import create_other_region, create_queues, no_backoff, patch_settings

    with pytest.MonkeyPatch.context() as monkeypatch, moto_tables():
        _create_secret()
        patch_settings(
            monkeypatch,
            regions=(HOME, OTHER),
            secret_id=SECRET_NAME,
            probe_confirm=1,
            rate_limit_per_minute=1000,
            **_topics(),
        )
        from chalicelib.health import probes

        monkeypatch.setattr(probes, "SLOW_MS", 3_600_000.0)
        # The digest and the overall state are made by one region (the first in sorted
        # order, eu-west-1 here); which one does not change the role, so let it be this one.
        monkeypatch.setattr(states, "home_region", lambda: HOME)
        no_backoff(monkeypatch)
        reset_state()
        states.forget()
        tokens.reset()
        clients.reset()
        create_other_region()
        create_queues()
        FAULTS.hook()
        site = sites.create_site("myblog", "My Blog", origins=[ORIGIN])
        key = sites.create_key(site.id, "tour")[0]
        before = RECORDER.snapshot()
        try:
            with Client(app) as client:
                _drive(client, key)
        finally:
            FAULTS.clear()
            reset_state()
            states.forget()
            tokens.reset()
            clients.reset()
        yield RECORDER.snapshot() - before


# --- the verdict --------------------------------------------------------------------------------


def test_the_tour_runs_every_lambda_function_and_every_service_it_uses(tour):
    by_function = {call.function for call in tour}
    assert by_function == FUNCTIONS
    reached = {
        (call.action, call.target.kind, call.target.name, call.target.region) for call in tour
    }
    expected = {
        ("dynamodb:Query", "table", "comments", "fallback"),
        ("dynamodb:GetItem", "table", "sites", "fallback"),
        ("sns:Publish", "topic", "notify_topic_arn", "home"),
        ("sns:Publish", "topic", "alert_topic_arn", "home"),
        ("sns:Publish", "topic", "digest_topic_arn", "home"),
        ("sqs:SendMessage", "queue", "write_queue", "home"),
        ("sqs:SendMessage", "queue", "dead_letter_queue", "home"),
        ("secretsmanager:GetSecretValue", "secret", "secret_id", "home"),
    }
    assert expected <= reached, expected - reached
    assert any(c.target.name == "ephemeral" and c.target.region == "fallback" for c in tour)
    assert not RECORDER.errors, RECORDER.errors


def test_every_call_a_lambda_function_makes_is_allowed_in_every_stage(tour):
    """The tour's calls and every call the suite's handlers made before this module ran."""
    calls = RECORDER.snapshot() + tour
    result = iam_recorder.verdict(calls)
    assert not result.unknown, f"calls the mapping cannot place: {result.unknown[:5]}"
    assert not result.refused, "refused in production:\n" + iam_recorder.table(result)
    assert len(result.checked) > 100


def test_no_role_grants_what_no_call_needs(tour):
    result = iam_recorder.verdict(RECORDER.snapshot() + tour)
    unused = [f"{g.file} {g.sid}: {g.action} on {g.resource}" for g in result.unused]
    assert not unused, "grants no call uses:\n" + "\n".join(unused)


def test_the_authorizer_has_its_own_role_that_only_looks_keys_up():
    for stage in iam_recorder.stages():
        mine = iam_recorder.policy_file(stage, "moderator_key")
        assert mine != iam_recorder.policy_file(stage, "api_handler"), stage
        actions = {
            grant.action
            for _, grant in iam_recorder.grants(json.loads(mine.read_text()), mine.name)
        }
        assert {a for a in actions if not a.startswith(("logs:", "xray:"))} == {
            "dynamodb:GetItem"
        }, (stage, actions)


def test_no_policy_grants_a_wildcard_action_or_any_resource_but_tracing():
    for stage in iam_recorder.stages():
        for function in iam_recorder.functions():
            path = iam_recorder.policy_file(stage, function)
            for _, grant in iam_recorder.grants(json.loads(path.read_text()), path.name):
                assert "*" not in grant.action, grant
                if grant.resource == "*":
                    assert grant.action.startswith("xray:"), grant


# --- the evaluator itself ---------------------------------------------------------------------


def test_the_evaluator_matches_wildcards_the_way_iam_does():
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:Get*"],
             "Resource": "arn:aws:dynamodb:us-east-1:*:table/t"},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:us-east-1:*:secret:s-??????"},
        ]
    }  # fmt: skip
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
    assert decide(document, "p", "DynamoDB:getitem", table)[0]
    assert not decide(document, "p", "dynamodb:GetItem", table + "/index/i")[0]
    assert not decide(document, "p", "dynamodb:PutItem", table)[0]
    assert not decide(document, "p", "dynamodb:GetItem", table.replace("us-east-1", "eu-west-1"))[0]
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"
    assert decide(document, "p", "secretsmanager:GetSecretValue", secret + "-AbC123")[0]
    assert not decide(document, "p", "secretsmanager:GetSecretValue", secret)[0]


def test_an_explicit_deny_wins_over_any_allow():
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": "arn:aws:sqs:*:*:q"},
        ]
    }
    assert decide(document, "p", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")[0]
    assert decide(document, "p", "sqs:DeleteMessage", "arn:aws:sqs:us-east-1:1:q") == (False, [])


def test_a_transaction_needs_each_items_action_on_each_table():
    from chalicelib.platform import config

    params = {
        "TransactItems": [
            {"Put": {"TableName": "sidenote-test-comments"}},
            {"ConditionCheck": {"TableName": "sidenote-test-sites"}},
            {"Update": {"TableName": "sidenote-test-ephemeral"}},
        ]
    }
    requests = iam_recorder.iam_requests(
        "dynamodb", "TransactWriteItems", params, config.settings, config.settings.region
    )
    assert [(action, target.name) for action, target in requests] == [
        ("dynamodb:PutItem", "comments"),
        ("dynamodb:ConditionCheckItem", "sites"),
        ("dynamodb:UpdateItem", "ephemeral"),
    ]

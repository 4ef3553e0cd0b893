"""The deployment secret fails closed inside Lambda and is the same value in every region.

Settings are built the way a Lambda function builds them (``config.load`` of its
environment), with ``AWS_LAMBDA_FUNCTION_NAME`` set as Lambda sets it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from urllib.parse import quote

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.health import probes
from chalicelib.platform import clock, config, tokens
from chalicelib.platform.validation import NewComment
from chalicelib.resilience import writequeue
from chalicelib.store import sites
from chalicelib.threads import posting
from sidenote_cli import main as cli
from tests.support import ORIGIN, patch_settings

#: The built-in value, as anyone reading the source sees it.
PUBLIC_DEFAULT = "local-development-secret"
SECRET_NAME = "sidenote/test/secret"
REAL_SECRET = "8c1d6f0e5b9a4f7e2d3c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e"
JSON = {"Content-Type": "application/json", "Origin": ORIGIN}


@pytest.fixture(autouse=True)
def no_cached_secret():
    tokens.reset()
    yield
    tokens.reset()


def in_lambda(monkeypatch, **env: str) -> config.Settings:
    """Settings as a fresh Lambda container of a stage with ``env`` (and no SIDENOTE_SECRET)
    sees them."""
    tokens.reset()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sidenote-dev")
    monkeypatch.delenv("SIDENOTE_SECRET", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    loaded = config.load()
    fields = {f.name: getattr(loaded, f.name) for f in dataclasses.fields(loaded)}
    return patch_settings(monkeypatch, **fields)


def post(client, text: str = "hello"):
    return client.http.post(
        f"/sites/myblog/comments?thread={quote('/p', safe='')}",
        headers=JSON,
        body=json.dumps({"text": text, "author": "Ann"}),
    )


def refused(response) -> dict:
    assert response.status_code == 503, response.body
    body = json.loads(response.body)
    assert body["Code"] == "SecretUnavailable"
    assert int(response.headers["Retry-After"]) > 0
    return body


def store_secret(regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> None:
    replicas = [{"Region": region} for region in regions[1:]]
    boto3.client("secretsmanager", region_name=regions[0]).create_secret(
        Name=SECRET_NAME,
        SecretString=REAL_SECRET,
        **({"AddReplicaRegions": replicas} if replicas else {}),
    )


def test_a_token_forged_from_the_public_default_is_refused_inside_lambda(client, monkeypatch):
    posted = json.loads(post(client, "mine").body)["comment"]
    in_lambda(monkeypatch)
    forged = hmac.new(
        PUBLIC_DEFAULT.encode(), f"edit\x00myblog/{posted['id']}".encode(), hashlib.sha256
    ).hexdigest()[:43]

    response = client.http.delete(
        f"/sites/myblog/comments/{posted['id']}", headers={**JSON, "X-Edit-Token": forged}
    )

    refused(response)
    thread = json.loads(client.http.get("/sites/myblog/comments?thread=%2Fp").body)
    assert [c["html"] for c in thread["comments"]] == ["<p>mine</p>"]


def test_a_lambda_without_a_secret_refuses_comments_with_503_and_logs_why(
    client, monkeypatch, log_lines
):
    in_lambda(monkeypatch)

    body = refused(post(client))

    assert "secret" in body["Message"]
    reasons = [r for r in log_lines() if r["message"] == "deployment secret unavailable"]
    assert reasons and "SIDENOTE_SECRET_ID" in reasons[0]["reason"]
    assert json.loads(client.http.get("/sites/myblog/comments?thread=%2Fp").body)["comments"] == []


def test_a_lambda_without_a_secret_refuses_moderation_with_503(client, monkeypatch):
    key, _ = sites.create_key("myblog", "ann")
    in_lambda(monkeypatch)

    response = client.http.get(
        "/sites/myblog/moderation/comments", headers={"Authorization": f"Bearer {key}"}
    )

    refused(response)


def test_moderation_answers_503_not_500_when_the_secret_store_fails(client, monkeypatch):
    key, _ = sites.create_key("myblog", "ann")
    in_lambda(monkeypatch, SIDENOTE_SECRET_ID=SECRET_NAME)  # never created: the read fails

    response = client.http.get(
        "/sites/myblog/moderation/comments", headers={"Authorization": f"Bearer {key}"}
    )

    refused(response)


def test_the_secret_client_waits_one_second_to_connect_two_to_read_and_retries_once(aws):
    client = tokens.secrets_client()

    assert client.meta.config.connect_timeout == 1.0
    assert client.meta.config.read_timeout == 2.0
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_a_failed_secret_read_is_remembered_for_a_few_seconds(aws, monkeypatch):
    in_lambda(monkeypatch, SIDENOTE_SECRET_ID=SECRET_NAME)
    calls = []
    tokens.secrets_client().meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **_: calls.append(1)
    )
    started = clock.now()

    for _ in range(3):
        with pytest.raises(tokens.SecretUnavailable):
            tokens.edit_token("myblog", "c1")
    assert len(calls) == 1

    store_secret(("us-east-1",))
    monkeypatch.setattr(clock, "now", lambda: started + tokens.FAILURE_CACHE_SECONDS + 1)
    assert tokens.edit_token("myblog", "c1")
    assert len(calls) == 2


def test_every_region_reads_the_same_replicated_secret(aws, monkeypatch):
    store_secret()
    made = {}
    for region in ("us-east-1", "eu-west-1"):
        in_lambda(
            monkeypatch,
            AWS_REGION=region,
            SIDENOTE_REGIONS="us-east-1,eu-west-1",
            SIDENOTE_SECRET_ID=SECRET_NAME,
        )
        made[region] = tokens.edit_token("myblog", "c1")

    expected = hmac.new(REAL_SECRET.encode(), b"edit\x00myblog/c1", hashlib.sha256)
    assert made == dict.fromkeys(made, expected.hexdigest()[:43])


def test_a_secret_shorter_than_32_characters_is_refused_inside_lambda(aws, monkeypatch):
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=SECRET_NAME, SecretString="short"
    )
    in_lambda(monkeypatch, SIDENOTE_SECRET_ID=SECRET_NAME)

    with pytest.raises(tokens.SecretUnavailable):
        tokens.keyed_hash("ip", "192.0.2.1")


def test_the_probe_reports_a_missing_secret(aws, monkeypatch):
    in_lambda(monkeypatch)

    report = probes.run()

    check = next(c for c in report.checks if c.name == "secret")
    assert check.state == "degraded"
    assert "comments and moderation are refused" in check.detail
    assert report.state == "degraded"


def test_the_probe_finds_a_readable_secret_ok(aws, monkeypatch):
    store_secret(("us-east-1",))
    in_lambda(monkeypatch, SIDENOTE_SECRET_ID=SECRET_NAME)

    check = probes.check_secret()

    assert check.state == "ok"
    assert REAL_SECRET not in json.dumps(dataclasses.asdict(check))


def test_a_queued_comment_waits_for_the_secret_instead_of_being_dead_lettered(site, monkeypatch):
    new = NewComment(text="queued", author="Ann", email="ann@example.org")
    body = json.dumps(posting.prepare(site, "/q", new, ip=None).to_dict())
    in_lambda(monkeypatch)

    outcome = writequeue.process([("m1", body)], posting.store_queued)

    assert outcome.failed == ["m1"]
    assert outcome.dead_lettered == []


def run_cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_sidenote_secret_create_replicates_one_value_and_check_confirms_it(aws, monkeypatch):
    patch_settings(monkeypatch, regions=("us-east-1", "eu-west-1"), secret_id=SECRET_NAME)

    created = run_cli("secret", "create")
    checked = run_cli("secret", "check")

    assert created.exit_code == 0, created.output
    assert checked.exit_code == 0, checked.output
    assert "the same secret in us-east-1, eu-west-1" in checked.output
    values = {
        region: boto3.client("secretsmanager", region_name=region).get_secret_value(
            SecretId=SECRET_NAME
        )["SecretString"]
        for region in ("us-east-1", "eu-west-1")
    }
    assert len(set(values.values())) == 1 and len(values["us-east-1"]) >= 32


def test_sidenote_secret_check_fails_when_a_region_lacks_the_secret(aws, monkeypatch):
    patch_settings(monkeypatch, regions=("us-east-1", "eu-west-1"), secret_id=SECRET_NAME)
    store_secret(("us-east-1",))

    checked = run_cli("secret", "check")

    assert checked.exit_code == 1
    assert "eu-west-1: not readable (ResourceNotFoundException)" in checked.output

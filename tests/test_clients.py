"""One bounded client factory: every AWS client sidenote builds has short timeouts and a
small, standard retry budget, and is built once."""

from __future__ import annotations

import boto3
import pytest
from botocore.session import Session

from chalicelib.health import outcomes, reports
from chalicelib.moderation import notify
from chalicelib.platform import clients, tokens
from chalicelib.resilience import writequeue
from tests.support import patch_settings


@pytest.fixture
def built(monkeypatch):
    """Every botocore client created during the test: (service, its config)."""
    clients.reset()
    tokens.reset()
    made: list[tuple[str, object]] = []
    original = Session.create_client

    def recording(self, service_name, *args, **kwargs):
        client = original(self, service_name, *args, **kwargs)
        made.append((service_name, client.meta.config))
        return client

    monkeypatch.setattr(Session, "create_client", recording)
    yield made
    clients.reset()
    tokens.reset()


def test_a_client_waits_one_second_to_connect_two_to_read_and_tries_twice(aws):
    sqs = clients.client("sqs")

    assert sqs.meta.config.connect_timeout == 1.0
    assert sqs.meta.config.read_timeout == 2.0
    assert sqs.meta.config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert sqs.meta.region_name == "us-east-1"


def test_the_same_arguments_give_the_same_client_until_reset(aws):
    first = clients.client("sns", region="eu-west-1")

    assert clients.client("sns", region="eu-west-1") is first
    assert clients.client("sns", region="us-east-1") is not first
    clients.reset("sns")
    assert clients.client("sns", region="eu-west-1") is not first


def test_every_client_of_notifications_alerts_queue_and_secret_is_bounded(site, monkeypatch, built):
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="t")["TopicArn"]
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="sidenote/test/secret", SecretString="x" * 64
    )
    patch_settings(
        monkeypatch, notify_topic_arn=topic, alert_topic_arn=topic, secret_id="sidenote/test/secret"
    )
    built.clear()  # the test's own boto3 clients above are not sidenote's

    notify.publish("myblog", 1, ["/a"])
    assert reports.send_alert("us-east-1", "Region us-east-1 is degraded: testing.")
    writequeue.create_queues()
    assert tokens.keyed_hash("ip", "192.0.2.1")

    services = sorted({service for service, _ in built})
    assert services == ["secretsmanager", "sns", "sqs"]
    for service, config in built:
        assert (config.connect_timeout, config.read_timeout) == (1.0, 2.0), service
        assert config.retries == {"mode": "standard", "total_max_attempts": 2}, service


def test_outcome_counts_use_a_tighter_client_than_requests(aws, built):
    outcomes.count_outcome(503, "myblog")

    (service, config) = built[-1]
    assert service == "dynamodb"
    assert (config.connect_timeout, config.read_timeout) == (0.3, 0.3)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}

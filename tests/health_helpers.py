"""Helpers for the health-report tests: faults injected at the botocore layer, and an SNS
topic whose messages land in an SQS queue the test can read."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
from botocore.exceptions import ClientError

from chalicelib.health import reports
from chalicelib.platform import config
from chalicelib.store.models import (
    Canary,
    DigestRecord,
    EphemeralItem,
    ProbeReport,
    RegionState,
    SiteItem,
    StatusBucket,
    StatusNote,
    ThreadItem,
)

MODELS = (ThreadItem, Canary, SiteItem, EphemeralItem, ProbeReport, RegionState,
          StatusBucket, StatusNote, DigestRecord)  # fmt: skip
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


class Faults:
    """Make DynamoDB calls fail the way AWS fails them (a ClientError from the service),
    through ``before-parameter-build`` hooks on every model's botocore client."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, set[str], str]] = []
        for model in MODELS:
            model._connection = None
        for model in MODELS:
            client = model._get_connection().connection.client
            client.meta.events.register("before-parameter-build.dynamodb", self._hook)

    def fail(self, table: str, operations: set[str], code: str = "InternalServerError") -> None:
        self.rules.append((table, operations, code))

    def clear(self) -> None:
        self.rules.clear()

    def forget(self) -> None:
        """No more faults, and fresh clients (without the hook) for the next test."""
        self.rules.clear()
        for model in MODELS:
            model._connection = None

    def _hook(self, model, params, **_):
        tables = {params.get("TableName")} | set(params.get("RequestItems", {}))
        for item in params.get("TransactItems", []):
            tables |= {op["TableName"] for op in item.values()}
        for table, operations, code in self.rules:
            if table in tables and model.name in operations:
                raise ClientError(
                    {"Error": {"Code": code, "Message": "injected fault"},
                     "ResponseMetadata": {"HTTPStatusCode": 500}},
                    model.name,
                )  # fmt: skip


class Inbox:
    """An SNS topic subscribed by an SQS queue (raw delivery): what was published."""

    def __init__(self, name: str) -> None:
        region = config.settings.region
        self.sns = boto3.client("sns", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )  # fmt: skip

    def messages(self) -> list[dict]:
        """Every notification so far (SNS envelope: Subject, Message, MessageAttributes)."""
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            got = batch.get("Messages", [])
            if not got:
                return found
            for message in got:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])


def with_queues() -> None:
    """The write queue and its dead-letter queue, in moto (fresh SQS client)."""
    from chalicelib.resilience import writequeue

    writequeue.reset()
    writequeue.create_queues()


def use_settings(monkeypatch, **changes) -> None:
    """Other settings for this test; and no "slow store" verdicts (tests don't time things)."""
    from chalicelib.health import probes

    monkeypatch.setattr(config, "settings", replace(config.settings, **changes))
    monkeypatch.setattr(probes, "SLOW_MS", 3_600_000.0)
    reports.forget()

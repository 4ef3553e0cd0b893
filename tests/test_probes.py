"""Probes against moto with faults injected at the botocore layer: states with hysteresis,
exactly one alert per change, reports stored, metrics emitted, scheduled function invoked."""

from __future__ import annotations

import json

import pytest

from chalicelib.health import outcomes, probes, reports, states
from chalicelib.platform import config
from chalicelib.store.comments import CANARY_PK
from chalicelib.store.models import Canary, ProbeReport, RegionState, StatusBucket
from tests.support import Inbox, create_queues, patch_probe_settings


@pytest.fixture
def alerts(site, monkeypatch):
    from chalicelib.resilience import writequeue

    create_queues()
    inbox = Inbox("sidenote-alerts")
    patch_probe_settings(monkeypatch, probe_confirm=2, alert_topic_arn=inbox.topic)
    yield inbox
    states.forget()
    writequeue.reset()


def probe_states(n: int) -> list[str]:
    return [reports.probe_and_record().state.state for _ in range(n)]


def test_a_healthy_region_is_ok_and_sends_no_alert(alerts):
    outcome = reports.probe_and_record()
    assert outcome.report.state == "ok"
    assert outcome.state.state == "ok"
    assert outcome.alert is None
    assert alerts.messages() == []


def test_faults_drive_ok_degraded_down_ok_with_exactly_one_alert_per_change(alerts, faults):
    comments = config.settings.comments_table
    assert probe_states(1) == ["ok"]

    faults.fail("internal-500", writes=True, table=comments)
    assert probe_states(3) == ["ok", "degraded", "degraded"]

    faults.fail("internal-500", reads=True, table=comments)
    assert probe_states(3) == ["degraded", "down", "down"]

    faults.clear()
    assert probe_states(3) == ["down", "ok", "ok"]

    sent = alerts.messages()
    assert [m["Subject"].split(": ", 1)[1] for m in sent] == [
        "state changed", "state changed", "recovered"]  # fmt: skip
    degraded, down, recovered = (m["Message"] for m in sent)
    assert degraded.startswith("Region us-east-1 is degraded: comment writes fail in us-east-1")
    assert "InternalServerError" in degraded and "queued or refused" in degraded
    assert down.startswith("Region us-east-1 is down: comment reads fail in us-east-1")
    assert "threads can't be served" in down
    assert recovered.startswith("Region us-east-1 has recovered after")
    assert all("Overall, sidenote is" in m for m in (degraded, down, recovered))


def test_a_single_bad_probe_changes_nothing(alerts, faults):
    probe_states(1)
    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    assert probe_states(1) == ["ok"]
    faults.clear()
    assert probe_states(2) == ["ok", "ok"]
    assert alerts.messages() == []


def test_the_probe_still_alerts_when_the_store_holding_states_fails(alerts, faults):
    probe_states(1)
    for table in (config.settings.comments_table, config.settings.ephemeral_table,
                  config.settings.sites_table):  # fmt: skip
        faults.fail("unavailable-503", reads=True, writes=True, table=table)
    assert probe_states(2) == ["ok", "down"]
    [alert] = alerts.messages()
    assert "is down" in alert["Message"] and "ServiceUnavailable" in alert["Message"]


def test_a_failed_alert_is_sent_with_the_next_probe(alerts, faults, monkeypatch):
    probe_states(1)
    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    monkeypatch.setattr(reports, "send_alert", lambda region, message: False)
    assert probe_states(2) == ["ok", "degraded"]
    assert states.load("us-east-1").alert_pending.startswith("Region us-east-1 is degraded")
    monkeypatch.undo()
    patch_probe_settings(monkeypatch, probe_confirm=2, alert_topic_arn=alerts.topic)
    probe_states(1)
    [alert] = alerts.messages()
    assert "is degraded" in alert["Message"]


def test_each_probe_stores_a_report_with_a_thirty_day_ttl_and_fills_its_bucket(alerts):
    outcome = reports.probe_and_record()
    [stored] = ProbeReport.query("PROBE#us-east-1")
    assert json.loads(stored.report)["checks"][0]["name"] == "canary"
    days = (stored.expires.timestamp() - reports.clock.parse_rfc3339(stored.sk)) / 86400
    assert round(days) == 30
    [bucket] = StatusBucket.query("BUCKET#us-east-1")
    assert bucket.ok == 1 and bucket.latencies == [outcome.report.latency_ms]
    state = RegionState.get("STATE#us-east-1", "#")
    assert state.state == "ok" and json.loads(state.report)["region"] == "us-east-1"


def test_replication_lag_comes_from_the_other_regions_canaries(alerts, monkeypatch):
    patch_probe_settings(monkeypatch, regions=("us-east-1", "eu-west-1"), probe_confirm=1,
                         alert_topic_arn=alerts.topic)  # fmt: skip
    now = reports.clock.now()
    Canary(CANARY_PK, "eu-west-1", region="eu-west-1", written=now - 30).save()
    report = probes.run(now)
    assert report.value("replication", "lag_s") == {"eu-west-1": 30.0}
    assert next(c for c in report.checks if c.name == "replication").state == "ok"

    Canary(CANARY_PK, "eu-west-1", region="eu-west-1", written=now - 900).save()
    report = probes.run(now)
    replication = next(c for c in report.checks if c.name == "replication")
    assert replication.state == "degraded"
    assert replication.detail == ("replication from eu-west-1 is behind: its newest canary "
                                  "here is 15 min old")  # fmt: skip


def test_a_region_without_recent_reports_makes_the_overall_state_degraded(alerts, monkeypatch):
    patch_probe_settings(monkeypatch, regions=("us-east-1", "us-west-2"), probe_confirm=1,
                         alert_topic_arn=alerts.topic)  # fmt: skip
    outcome = reports.probe_and_record()
    assert outcome.state.state == "ok"
    assert outcome.overall.state == "degraded"
    assert "us-west-2: no recent report" in outcome.overall.reason
    [alert] = alerts.messages()
    assert alert["Message"].startswith("sidenote is degraded: us-west-2: no recent report")


def test_queue_backlog_and_dead_letters_are_reported(alerts):
    from chalicelib.resilience import writequeue

    dead = writequeue.queue_url(dead_letter=True)
    writequeue.client().send_message(QueueUrl=dead, MessageBody="{}")
    check = probes.check_queue()
    assert check.state == "degraded"
    assert check.values == {"backlog": 0, "dead_letters": 1}
    assert "1 queued comments could not be stored" in check.detail


def test_an_unreachable_queue_degrades_the_region(alerts):
    from botocore.exceptions import ClientError

    from chalicelib.resilience import writequeue

    def refuse(model, **_):
        raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.ServiceUnavailable",
                                     "Message": "injected"}}, model.name)  # fmt: skip

    writequeue.client().meta.events.register("before-call.sqs.GetQueueAttributes", refuse)
    check = probes.check_queue()
    assert check.state == "degraded"
    assert check.detail.startswith("the write queue doesn't answer "
                                   "(AWS.SimpleQueueService.ServiceUnavailable)")  # fmt: skip


def test_moderation_backlog_is_counted_per_site(alerts, client):
    from chalicelib.store import sites

    sites.create_site("heldblog", "Held", origins=["https://held.example"], moderation="all")
    for text in ("one", "two"):
        r = client.http.post("/sites/heldblog/comments?thread=/a",
                             headers={"Content-Type": "application/json"},
                             body=json.dumps({"text": text}))  # fmt: skip
        assert r.status_code == 201
    check = probes.check_moderation()
    assert check.values["waiting"] == {"heldblog": 2, "myblog": 0}
    assert check.detail == "heldblog: 2 waiting"


def test_refused_and_queued_answers_are_counted_for_the_probe(alerts, client, monkeypatch):
    from chalicelib.store import comments

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(comments, "list_thread", broken)
    for _ in range(2):
        assert client.http.get("/sites/myblog/comments?thread=/a").status_code == 500
    outcomes.count_outcome(202, "myblog")
    outcomes.count_outcome(503, "myblog")
    check = probes.check_responses("us-east-1", reports.clock.now())
    assert check.values == {"queued": 1, "refused": 1, "errors": 2}
    assert check.state == "degraded"
    assert check.detail == ("1 comment queued instead of stored in the last 3 min; "
                            "1 request refused with 503 in the last 3 min")  # fmt: skip
    assert outcomes.outcomes("us-east-1", 0, 2e9, site="myblog")["queued"] == 1


def test_probe_metrics_are_printed_in_embedded_metric_format(alerts, capsys):
    reports.probe_and_record()
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    [emf] = [x for x in lines if "CanaryWriteLatency" in x]
    names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"StateLevel", "CanaryWriteLatency", "CanaryReadLatency", "ModerationBacklog"} <= names
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "sidenote"
    assert emf["region"] == "us-east-1"


def test_the_scheduled_probe_runs_through_a_cloudwatch_event(alerts, client):
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/probe"],
    )  # fmt: skip
    client.lambda_.invoke("probe", event)
    assert RegionState.get("STATE#us-east-1", "#").state == "ok"
    assert len(list(ProbeReport.query("PROBE#us-east-1"))) == 1

"""The daily digest: figures computed from seeded data, stored, sent, readable by the site's
moderator key, and made by the scheduled function."""

from __future__ import annotations

import json

import pytest
from ulid import ULID

from chalicelib.health import digest, reports
from chalicelib.platform import clock
from chalicelib.store import sites
from chalicelib.store.models import Comment, DigestRecord, StatusBucket
from tests.support import Inbox, patch_probe_settings

DAY = "2026-11-24"
NOON = clock.parse_rfc3339(f"{DAY}T12:00:00Z")


def seed_comment(site: str, status: str, created: str) -> None:
    comment_id = str(ULID())
    Comment(f"{site}#/post", f"C#{comment_id}", id=comment_id, site=site, thread="/post",
            status=status, created=created, edit_until=created, html="<p>x</p>").save()  # fmt: skip


def seed_bucket(region: str, start: str, ok: int, degraded: int, down: int,
                latencies: list[float]) -> None:  # fmt: skip
    StatusBucket(f"BUCKET#{region}", start, ok=ok, degraded=degraded, down=down,
                 latencies=latencies).save()  # fmt: skip


@pytest.fixture
def seeded(site, monkeypatch):
    """myblog's day: 7 comments, 2 queued and 1 refused post, 96 probes with one outage."""
    inbox = Inbox("sidenote-digests")
    patch_probe_settings(monkeypatch, digest_topic_arn=inbox.topic)
    sites.update_site("myblog", {"notify_email": "owner@blog.example"})
    sites.create_site("other", "Other", origins=["https://other.example"])
    for status in ["approved"] * 3 + ["pending"] * 2 + ["spam", "deleted"]:
        seed_comment("myblog", status, f"{DAY}T10:00:00Z")
    seed_comment("myblog", "approved", "2026-11-23T23:59:59Z")  # the day before
    seed_comment("myblog", "approved", "2026-11-25T00:00:00Z")  # the day after
    seed_comment("other", "approved", f"{DAY}T11:00:00Z")
    for status in (202, 202, 503):
        reports.count_outcome(status, "myblog", now=NOON)
    reports.count_outcome(202, "other", now=NOON)
    reports.count_outcome(202, "myblog", now=NOON + 86400)  # the day after
    # 20 latencies 1..20 ms: nearest-rank p95 is 19
    seed_bucket("us-east-1", f"{DAY}T00:00", 60, 0, 0, [float(v) for v in range(1, 11)])
    seed_bucket("us-east-1", f"{DAY}T00:15", 30, 6, 4, [float(v) for v in range(11, 21)])
    seed_bucket("us-east-1", "2026-11-25T00:00", 0, 0, 50, [999.0])  # the day after
    return inbox


def test_digest_figures_come_from_the_days_data(seeded):
    site = sites.get_site("myblog", fresh=True)
    made = digest.build(site, DAY)
    assert made["comments"] == {"posted": 7, "approved": 3, "held": 2, "spam": 1, "deleted": 1}
    assert made["queue"] == {"queued": 2, "refused": 1}
    assert made["probes"] == 100
    assert made["availability_percent"] == 96.0
    assert made["ok_percent"] == 90.0
    assert made["p95_probe_latency_ms"] == 19.0
    assert made["regions"]["us-east-1"]["down"] == 4


def test_the_scheduled_digest_stores_and_sends_each_sites_digest(seeded, client, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOON + 86400)  # the next day, 12:00 UTC
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/daily_digest"],
    )  # fmt: skip
    client.lambda_.invoke("daily_digest", event)

    stored = json.loads(DigestRecord.get("DIGEST#myblog", DAY).body)
    assert stored["comments"]["posted"] == 7 and stored["queue"]["queued"] == 2
    assert json.loads(DigestRecord.get("DIGEST#other", DAY).body)["comments"]["posted"] == 1

    [sent] = seeded.messages()  # only myblog has a notify address
    assert sent["Subject"] == f"sidenote digest: myblog {DAY}"
    assert sent["MessageAttributes"]["notify_email"]["Value"] == "owner@blog.example"
    assert sent["MessageAttributes"]["site"]["Value"] == "myblog"
    assert "Comments posted: 7 — approved 3, held 2, spam 1, deleted 1" in sent["Message"]
    assert "Availability: 96% of 100 probes could serve" in sent["Message"]
    assert "p95 probe latency: 19 ms" in sent["Message"]


def test_only_the_home_region_makes_digests(seeded, monkeypatch):
    patch_probe_settings(monkeypatch, region="us-west-2", regions=("us-west-2", "us-east-1"))
    assert digest.run(DAY) == []
    assert list(DigestRecord.scan()) == []


def _report(client, site: str, key: str | None, day: str | None = None):
    path = f"/sites/{site}/moderation/report" + (f"?day={day}" if day else "")
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.http.get(path, headers=headers)


def test_moderators_read_their_sites_digest(seeded, client, monkeypatch):
    key, _ = sites.create_key("myblog", "mod")
    monkeypatch.setattr(clock, "now", lambda: NOON + 86400)
    digest.run(DAY)
    response = _report(client, "myblog", key)
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["day"] == DAY and body["comments"]["posted"] == 7
    assert json.loads(_report(client, "myblog", key, DAY).body)["day"] == DAY


def test_a_past_day_without_a_stored_digest_is_made_on_request(seeded, client, monkeypatch):
    key, _ = sites.create_key("myblog", "mod")
    monkeypatch.setattr(clock, "now", lambda: NOON + 86400)
    body = json.loads(_report(client, "myblog", key, DAY).body)
    assert body["comments"]["approved"] == 3
    assert DigestRecord.get("DIGEST#myblog", DAY).day == DAY
    today = json.loads(_report(client, "myblog", key, "2026-11-25").body)
    assert today["partial"] is True and today["comments"]["posted"] == 1


def test_the_report_needs_the_sites_own_moderator_key(seeded, client):
    other_key, _ = sites.create_key("other", "mod")
    assert _report(client, "myblog", None).status_code == 401
    assert _report(client, "myblog", "sn_" + "x" * 43).status_code == 401
    response = _report(client, "myblog", other_key)
    assert response.status_code == 403
    assert json.loads(response.body)["Code"] == "Forbidden"


def test_a_malformed_day_is_a_400(seeded, client):
    key, _ = sites.create_key("myblog", "mod")
    for day in ("yesterday", "2026-13-01", "2999-01-01"):
        response = _report(client, "myblog", key, day)
        assert response.status_code == 400, day
        assert json.loads(response.body)["Code"] == "InvalidRequest"


def test_p95_is_the_nearest_rank_percentile():
    assert reports.p95([]) is None
    assert reports.p95([5.0]) == 5.0
    assert reports.p95([float(v) for v in range(1, 101)]) == 95.0

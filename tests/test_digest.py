"""The daily digest: figures computed from seeded data, stored, sent, readable by the site's
moderator key, and made by the scheduled function."""

from __future__ import annotations

import json

import pytest

from chalicelib.health import digest, outcomes, reports
from chalicelib.moderation import service as moderation
from chalicelib.moderation.auth import Moderator
from chalicelib.platform import clock
from chalicelib.platform.validation import NewComment
from chalicelib.store import sites
from chalicelib.store.models import DigestRecord, StatusBucket
from chalicelib.threads import posting
from tests.support import Inbox, patch_probe_settings

DAY = "2026-11-24"
NOON = clock.parse_rfc3339(f"{DAY}T12:00:00Z")


def seed_comments(monkeypatch, site_id: str, statuses: list[str], created: str) -> None:
    """Post comments at ``created`` through the posting path, then move each to its status
    as a moderator would (the day figures follow the production transactions)."""
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: clock.parse_rfc3339(created))
    site = sites.get_site(site_id, fresh=True)
    who = Moderator("k-seed", site_id, "seed")
    for n, status in enumerate(statuses):
        _, body = posting.post(site, "/post", NewComment(text=f"comment {n} of {created}"),
                               ip=None, idempotency_key=None, body_hash=None)  # fmt: skip
        action = {"approved": "approve", "spam": "spam", "deleted": "delete"}.get(status)
        if action:
            moderation.act(site, body["comment"]["id"], action, who)
    monkeypatch.setattr(clock, "now", real_now)


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
    sites.update_site("myblog", {"moderation": "all"})  # held until a moderator acts
    sites.update_site("other", {"moderation": "all"})
    seed_comments(monkeypatch, "myblog", ["approved"] * 3 + ["pending"] * 2 + ["spam", "deleted"],
                  f"{DAY}T10:00:00Z")  # fmt: skip
    seed_comments(monkeypatch, "myblog", ["approved"], "2026-11-23T23:59:59Z")  # the day before
    seed_comments(monkeypatch, "myblog", ["approved"], "2026-11-25T00:00:00Z")  # the day after
    seed_comments(monkeypatch, "other", ["approved"], f"{DAY}T11:00:00Z")
    for status in (202, 202, 503):
        outcomes.count_outcome(status, "myblog", now=NOON)
    outcomes.count_outcome(202, "other", now=NOON)
    outcomes.count_outcome(202, "myblog", now=NOON + 86400)  # the day after
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


def test_todays_report_is_read_from_day_figures_without_a_scan(client, monkeypatch):
    from tests.support import DYNAMODB_CALLS

    key, _ = sites.create_key("myblog", "mod")
    sites.update_site("myblog", {"moderation": "all"})
    today = clock.rfc3339()[:10]
    seed_comments(
        monkeypatch, "myblog", ["approved", "approved", "pending", "spam"], clock.rfc3339()
    )
    with DYNAMODB_CALLS.recording() as made:
        response = _report(client, "myblog", key, today)
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["partial"] is True
    assert body["comments"] == {"posted": 4, "approved": 2, "held": 1, "spam": 1, "deleted": 0}
    assert "Scan" not in {operation for operation, _ in made}


def test_day_figures_follow_every_later_change_of_a_comment(client, monkeypatch):
    from chalicelib.store import comments
    from chalicelib.threads import authoring

    site = sites.get_site("myblog", fresh=True)
    who = Moderator("k-test", "myblog", "test")
    _, first = posting.post(site, "/post", NewComment(text="first"), ip=None,
                            idempotency_key=None, body_hash=None)  # fmt: skip
    _, second = posting.post(site, "/post", NewComment(text="second"), ip=None,
                             idempotency_key=None, body_hash=None)  # fmt: skip
    day = first["comment"]["created"][:10]
    moderation.act(site, first["comment"]["id"], "spam", who)
    moderation.act(site, first["comment"]["id"], "restore", who)
    authoring.delete_own(site, second["comment"]["id"], second["edit_token"])
    assert comments.day_figures("myblog", day) == {
        "posted": 2, "approved": 1, "held": 0, "spam": 0, "deleted": 1,
    }  # fmt: skip

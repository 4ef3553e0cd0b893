"""/health, /status, /status.html, /status.atom, /sites/{site}/status and the notes CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from chalicelib.health import notes, reports, states
from chalicelib.platform import config
from sidenote_cli import main as cli
from tests.support import create_queues, patch_probe_settings

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def probed(client, monkeypatch):
    """The client, after one healthy probe; hysteresis of two probes."""
    create_queues()
    patch_probe_settings(monkeypatch, probe_confirm=2)
    reports.probe_and_record()
    yield client
    states.forget()


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_health_is_ok_with_the_probes_state(probed):
    response = probed.http.get("/health")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "ok" and body["state"] == "ok" and body["region"] == "us-east-1"


def test_health_is_503_once_the_probes_confirm_the_region_is_down(probed, faults):
    faults.fail("internal-500", reads=True, writes=True, table=config.settings.comments_table)
    reports.probe_and_record()
    assert probed.http.get("/health").status_code == 200  # one probe is not enough
    reports.probe_and_record()
    response = probed.http.get("/health")
    assert response.status_code == 503
    body = json.loads(response.body)
    assert body["status"] == "down"
    assert body["reason"].startswith("comment reads fail in us-east-1")


def test_health_is_503_when_the_store_does_not_answer(probed, faults):
    faults.fail("internal-500", reads=True, table=config.settings.ephemeral_table)
    response = probed.http.get("/health")
    assert response.status_code == 503
    assert json.loads(response.body)["reason"] == ("comment store unreachable: InternalServerError")


def test_health_stays_ok_while_degraded(probed, faults):
    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    reports.probe_and_record()
    reports.probe_and_record()
    body = json.loads(probed.http.get("/health").body)
    assert body["status"] == "ok" and body["state"] == "degraded"
    assert "comment writes fail" in body["reason"]


def test_status_json_has_states_reports_timeline_and_notes(probed):
    note = notes.post("Slow writes in us-east-1\nWe are looking into it.")
    response = probed.http.get("/status")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body["status"] == "ok"
    [region] = body["regions"]
    assert region["region"] == "us-east-1" and region["status"] == "ok"
    assert [c["name"] for c in region["report"]["checks"]][:4] == [
        "canary", "replication", "secret", "read_only"]  # fmt: skip
    assert len(region["timeline"]) in {96, 97}
    assert region["timeline"][-1]["state"] == "ok" and region["timeline"][-1]["ok"] == 1
    assert body["notes"][0]["id"] == note.id
    assert body["notes"][0]["summary"] == "Slow writes in us-east-1"
    assert "sidenote-test-" not in response.body.decode()  # no table names in public
    moderation = next(c for c in region["report"]["checks"] if c["name"] == "moderation")
    assert moderation["values"] == {"waiting": 0} and "myblog" not in json.dumps(moderation)


def test_status_shows_a_state_still_waiting_for_confirmation(probed, faults):
    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    reports.probe_and_record()
    [region] = json.loads(probed.http.get("/status").body)["regions"]
    assert region["status"] == "ok" and region["changing_to"] == "degraded"


def test_status_page_shows_the_state_the_regions_and_the_notes(probed, faults):
    notes.post("Comments are slow to appear\nThe queue is draining.")
    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    reports.probe_and_record()
    reports.probe_and_record()
    faults.clear()
    response = probed.http.get("/status.html")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.body.decode()
    assert "<h1>sidenote is degraded</h1>" in page
    assert 'data-region="us-east-1" data-state="degraded"' in page
    assert "comment writes fail in us-east-1" in page
    assert "<h3>Comments are slow to appear</h3>" in page
    assert page.count('class="slot state-') in {96, 97}
    assert 'href="http://localhost/status.atom"' in page or "/status.atom" in page


def test_status_page_says_down_when_its_store_does_not_answer(probed, faults):
    faults.fail("internal-500", reads=True, table=config.settings.ephemeral_table)
    response = probed.http.get("/status.html")
    assert response.status_code == 503
    page = response.body.decode()
    assert "<h1>sidenote is down</h1>" in page
    assert "the status store in us-east-1 doesn&#x27;t answer (InternalServerError)" in page


def test_status_atom_lists_notes_with_resolved_ones_marked(probed):
    first = notes.post("Writes are queued")
    notes.resolve(first.id, "The table is back; the queue is drained.")
    notes.post("Another incident", site="myblog")
    response = probed.http.get("/status.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.body)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Another incident", "[Resolved] Writes are queued"]
    content = feed.findall(f"{ATOM}entry")[1].findtext(f"{ATOM}content")
    assert "Resolution: The table is back" in content


def test_site_status_offers_the_note_only_when_degraded_or_read_only(probed, faults):
    from chalicelib.store import sites

    note = notes.post("Comments may take a few minutes to appear\nDetails on the status page.")
    body = json.loads(probed.http.get("/sites/myblog/status").body)
    assert body["status"] == "ok" and body["read_only"] is False
    assert body["note"]["summary"] == "Comments may take a few minutes to appear"
    assert body["note"]["id"] == note.id
    assert body["show_note"] is False

    faults.fail("internal-500", writes=True, table=config.settings.comments_table)
    reports.probe_and_record()
    reports.probe_and_record()
    body = json.loads(probed.http.get("/sites/myblog/status").body)
    assert body["status"] == "degraded" and body["show_note"] is True

    faults.clear()
    reports.probe_and_record()
    reports.probe_and_record()
    sites.update_site("myblog", {"read_only": "Moving house"})
    sites.clear_cache()
    body = json.loads(probed.http.get("/sites/myblog/status").body)
    assert body["status"] == "ok" and body["read_only"] is True
    assert body["message"] == "Moving house" and body["show_note"] is True


def test_site_status_grants_cors_to_the_sites_origin(probed):
    response = probed.http.get("/sites/myblog/status", headers={"Origin": "https://blog.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://blog.example"
    other = probed.http.get("/sites/myblog/status", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_sites_own_note_comes_before_a_service_wide_one(probed):
    notes.post("Everyone: slow")
    mine = notes.post("myblog is being moved", site="myblog")
    notes.post("Someone else's blog", site="otherblog")
    body = json.loads(probed.http.get("/sites/myblog/status").body)
    assert body["note"]["id"] == mine.id


def test_operators_post_list_and_resolve_notes_with_the_cli(aws):
    posted = json.loads(run_cli("status", "note", "Writes are queued\nNothing is lost."))
    assert posted["summary"] == "Writes are queued" and posted["resolved"] is None
    listed = json.loads(run_cli("status", "list"))
    assert [n["id"] for n in listed] == [posted["id"]]
    resolved = json.loads(run_cli("status", "resolve", posted["id"], "--text", "Drained."))
    assert resolved["resolved"] and resolved["resolution"] == "Drained."
    assert json.loads(run_cli("status", "list")) == []
    assert [n["id"] for n in json.loads(run_cli("status", "list", "--all"))] == [posted["id"]]


def test_resolving_an_unknown_note_is_a_clear_error(aws):
    result = CliRunner().invoke(cli, ["status", "resolve", "01J00000000000000000000000"])
    assert result.exit_code == 2
    assert "There is no note 01J00000000000000000000000." in result.output


def test_cli_probe_prints_the_state(site, monkeypatch):
    create_queues()
    patch_probe_settings(monkeypatch, probe_confirm=2)
    output = run_cli("status", "probe")
    assert output.startswith("20") and "us-east-1: ok, canary " in output
    shown = json.loads(run_cli("status", "show"))
    assert shown["status"] == "ok" and "timeline" not in shown["regions"][0]
    states.forget()


def test_the_operators_read_only_switch_degrades_the_region_and_shows_the_note(probed):
    from chalicelib.resilience import switches

    notes.post("Maintenance tonight")
    switches.set_service("Writes are off until 20:00 UTC")
    try:
        reports.probe_and_record()
        reports.probe_and_record()
        body = json.loads(probed.http.get("/sites/myblog/status").body)
    finally:
        switches.set_service("")
    assert body["status"] == "degraded" and body["read_only"] is True
    assert body["message"] == "Writes are off until 20:00 UTC"
    assert body["show_note"] is True and body["note"]["summary"] == "Maintenance tonight"

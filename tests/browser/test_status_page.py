"""The status page in real Chromium, fed by a probe run against the live local stack."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def probed(live_stack):
    """Probes stored in DynamoDB Local (until ok: a cold DynamoDB Local can be slow enough
    for the first probe to find it degraded), and an active incident note. The 503s that
    other tests of the session provoked on purpose (read-only, refused queues) are
    forgotten first: they would rightly make the probe report the region degraded."""
    live_stack.forget_ephemeral("OUTCOMES#")
    for _ in range(8):
        live_stack.cli("status", "probe")
        if json.loads(live_stack.cli("status", "show"))["status"] == "ok":
            break
    note = json.loads(live_stack.cli(
        "status", "note",
        "Comments may take a few minutes to appear\nNew comments are queued; nothing is lost.",
    ))  # fmt: skip
    yield note
    live_stack.cli("status", "resolve", note["id"])


def test_status_page_shows_the_state_regions_timeline_and_notes(page, probed, errors):
    page.goto("/status.html")
    banner = page.locator("#overall")
    expect(banner.locator("h1")).to_have_text("sidenote is operating normally")
    expect(banner).to_have_css("background-color", "rgb(26, 127, 55)")

    region = page.locator("article.region[data-region='us-east-1']")
    expect(region).to_have_attribute("data-state", "ok")
    expect(region.locator(".badge")).to_have_text("ok")
    expect(region.locator("dl.checks")).to_contain_text("Comment store")
    slots = region.locator(".timeline .slot")
    assert slots.count() in {96, 97}
    expect(slots.last).to_have_class("slot state-ok")
    assert " ok" in slots.last.get_attribute("title")

    note = page.locator(f"article.note[data-note='{probed['id']}']")
    expect(note.locator("h3")).to_have_text("Comments may take a few minutes to appear")
    expect(note).to_contain_text("New comments are queued; nothing is lost.")
    expect(note).to_contain_text("Active")
    assert errors == []


def test_status_page_links_the_notes_feed_and_refreshes_itself(page, probed):
    page.goto("/status.html")
    feed = page.locator("link[rel='alternate'][type='application/atom+xml']")
    href = feed.get_attribute("href")
    assert href.endswith("/status.atom")
    refresh = page.locator("meta[http-equiv='refresh']").get_attribute("content")
    assert int(refresh) > 0
    response = page.request.get(href)
    assert response.status == 200
    assert "Comments may take a few minutes to appear" in response.text()


def test_the_widget_summary_names_the_active_note(page, probed):
    response = page.request.get("/sites/demo/status")
    body = response.json()
    assert body["note"]["summary"] == "Comments may take a few minutes to appear"
    assert body["status"] == "ok" and body["show_note"] is False

"""A thread imported with ``sidenote import`` shows in the widget like one written here:
its approved comments in the source's order, replies under their parents, a deleted
parent as a tombstone over its reply, spam left out, and the imported count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DISQUS = Path(__file__).parent.parent / "fixtures" / "migrate" / "disqus-export.xml"
WIDGET = "#sidenote"


def test_an_imported_disqus_thread_shows_its_comments_and_count_in_the_widget(
    page, open_thread, new_site, live_stack, api, errors, tmp_path
):
    site_id = new_site()
    report = tmp_path / "report.json"
    live_stack.cli("import", "disqus", str(DISQUS), "--site", site_id, "--report", str(report))
    assert json.loads(report.read_text())["imported"] == 9

    open_thread("hello-post", site=site_id)

    expect(page.locator(f"{WIDGET} h2")).to_have_text("5 comments")
    shown = page.locator(f"{WIDGET} .sn-c")
    for text in ("First!", "A reply & more", "Replying to a deleted comment",
                 "My parent comes later in the file", "Out of order parent"):  # fmt: skip
        expect(shown.filter(has_text=text)).not_to_have_count(0)
    expect(shown.filter(has_text="Buy cheap watches")).to_have_count(0)  # spam stays out
    expect(shown.filter(has_text="I said something I regret")).to_have_count(0)
    expect(page.locator(f"{WIDGET} .sn-x")).to_have_text(["This comment was deleted."])
    tombstone = page.locator(f"{WIDGET} .sn-c", has=page.locator(":scope > .sn-x"))
    expect(tombstone.locator(".sn-l .sn-c .sn-b")).to_have_text("Replying to a deleted comment")
    first = shown.filter(has_text="First!").first
    expect(first.locator(".sn-l .sn-c .sn-b")).to_have_text("A reply & more")
    expect(first.locator(".sn-b a[href='https://example.org/']")).to_have_count(1)
    expect(first.locator("script, img")).to_have_count(0)
    assert api.counts(["hello-post"], site=site_id)["hello-post"] == 5
    assert errors == []

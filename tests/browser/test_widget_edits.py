"""The widget after an author's edit that the site's policy holds."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDGET = "#sidenote"


def test_an_edit_the_policy_holds_tells_its_author_and_leaves_the_count(
    page, open_thread, new_site, errors
):
    site = new_site(moderation="links")
    open_thread(site=site)
    form = page.locator(f"{WIDGET} section > form")
    form.get_by_role("textbox").first.fill("No links in here")
    form.get_by_role("button", name="Post comment").click()
    mine = page.locator(f"{WIDGET} .sn-c").filter(has_text="No links in here")
    expect(mine).to_have_count(1)
    expect(page.locator(f"{WIDGET} h2")).to_contain_text("1")

    mine.get_by_role("button", name="Edit").click()
    mine.get_by_label("Edit").fill("Now with https://link.example")
    mine.get_by_role("button", name="Save").click()

    held = page.locator(f"{WIDGET} .sn-c").filter(has_text="link.example")
    expect(held).to_contain_text("Waiting for approval")
    expect(page.locator(f"{WIDGET} h2")).not_to_contain_text("1")
    # A reload shows the public thread without it, and its author still sees it held.
    page.reload()
    expect(page.locator(f"{WIDGET} h2")).not_to_contain_text("1")
    expect(page.locator(f"{WIDGET} .sn-c").filter(has_text="link.example")).to_contain_text(
        "Waiting for approval"
    )
    assert errors == []

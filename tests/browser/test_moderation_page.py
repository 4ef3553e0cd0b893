"""The moderation page (/moderate) in a real Chromium against chalice local + DynamoDB Local:
sign in with a key, approve from the queue (one by one, by keyboard and in bulk), ban, lock a
thread, change settings. The key stays in sessionStorage and never in the page."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def held_site(new_site, live_stack):
    """A site holding every comment, and a moderator key for it."""
    site_id = new_site(moderation="all")
    key = live_stack.cli("key", "create", site_id, "--name", "browser").strip()
    return site_id, key


def thread_key() -> str:
    return f"/moderate/{uuid.uuid4().hex[:10]}"


def sign_in(page, site_id: str, key: str) -> None:
    page.goto(f"/moderate?site={site_id}")
    expect(page.get_by_label("Site id", exact=True)).to_have_value(site_id)
    page.get_by_label("Moderator key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("tab", name="Comments")).to_be_visible()


def comment(page, text: str):
    return page.locator("#comments article").filter(has_text=text)


def test_a_moderator_approves_from_the_queue_one_by_one_and_in_bulk(page, api, held_site, errors):
    site_id, key = held_site
    thread = thread_key()
    for text in ("first held", "second held", "third held", "fourth held"):
        assert api.post(thread, site=site_id, text=text)["comment"]["status"] == "pending"
    assert api.comments(thread, site=site_id)["comments"] == []

    sign_in(page, site_id, key)
    expect(page.locator("#comments article")).to_have_count(4)
    expect(page.get_by_role("status")).to_have_text("4 pending comments shown.")

    comment(page, "first held").get_by_role("button", name="Approve").click()
    expect(comment(page, "first held")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Comment approved.")

    second = comment(page, "second held")
    second.focus()
    page.keyboard.press("a")  # keyboard: approve the focused comment
    expect(comment(page, "second held")).to_have_count(0)

    page.get_by_label("Select all").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator("#comments article")).to_have_count(0)
    expect(page.get_by_text("Nothing here. Well done.")).to_be_visible()

    listed = api.comments(thread, site=site_id)
    assert sorted(c["html"] for c in listed["comments"]) == sorted(
        f"<p>{n} held</p>" for n in ("first", "second", "third", "fourth")
    )
    assert listed["thread"]["count"] == 4
    assert errors == []


def test_a_moderator_edits_a_comments_text(page, api, held_site, errors):
    site_id, key = held_site
    thread = thread_key()
    api.post(thread, site=site_id, text="teh typo")
    sign_in(page, site_id, key)
    comment(page, "teh typo").get_by_role("button", name="Edit").click()
    box = page.get_by_role("textbox", name=re.compile("^Text of the comment"))
    expect(box).to_be_focused()
    box.fill("the *typo*, fixed")
    page.get_by_role("button", name="Save text").click()
    expect(page.get_by_role("status")).to_have_text("Comment text saved.")
    expect(comment(page, "the *typo*, fixed")).to_have_count(1)
    comment(page, "fixed").get_by_role("button", name="Approve").click()
    expect(comment(page, "fixed")).to_have_count(0)
    (shown,) = api.comments(thread, site=site_id)["comments"]
    assert shown["html"] == "<p>the <em>typo</em>, fixed</p>"
    assert errors == []


def test_a_moderator_marks_spam_and_finds_it_in_the_spam_folder(page, api, held_site, errors):
    site_id, key = held_site
    thread = thread_key()
    api.post(thread, site=site_id, text="cheap pills")
    sign_in(page, site_id, key)
    comment(page, "cheap pills").get_by_role("button", name="Spam").click()
    expect(comment(page, "cheap pills")).to_have_count(0)
    page.get_by_label("Show").select_option("spam")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(comment(page, "cheap pills")).to_have_count(1)
    expect(comment(page, "cheap pills").get_by_role("button", name="Restore")).to_be_visible()
    assert api.counts([thread], site=site_id) == {thread: 0}
    assert errors == []


def test_a_moderator_bans_a_comments_author_and_an_address(page, api, held_site, errors):
    site_id, key = held_site
    thread = thread_key()
    api.post(thread, site=site_id, text="troll text", email="troll@example.org")
    sign_in(page, site_id, key)

    page.once("dialog", lambda dialog: dialog.accept("7"))
    comment(page, "troll text").get_by_role("button", name="Ban author").click()
    expect(page.get_by_role("status")).to_have_text("Author banned.")
    api.post(thread, site=site_id, text="again", email="troll@example.org", expect_status=403)

    page.get_by_role("tab", name="Bans").click()
    expect(page.locator("#bans tr")).to_have_count(1)
    expect(page.locator("#bans")).to_contain_text("t•••@example.org")
    # The author ban covers their IP too: here that is every test's 127.0.0.1. Lift it.
    page.get_by_role("button", name=re.compile("Lift the ban on author")).click()
    expect(page.locator("#bans")).to_contain_text("No bans.")
    api.post(thread, site=site_id, text="allowed again", email="troll@example.org")

    page.get_by_role("combobox", name=re.compile("^Ban by")).select_option("email")
    page.get_by_label("Value", exact=True).fill("other@example.org")
    page.get_by_label("Reason", exact=True).fill("flooding")
    page.get_by_role("button", name="Add ban").click()
    expect(page.locator("#bans")).to_contain_text("flooding")
    expect(page.locator("#bans tr")).to_have_count(1)
    api.post(thread, site=site_id, text="hello", email="other@example.org", expect_status=403)

    page.get_by_role("button", name=re.compile("Lift the ban on o")).click()
    expect(page.locator("#bans")).to_contain_text("No bans.")
    api.post(thread, site=site_id, text="hello", email="other@example.org")
    assert errors == []


def test_a_moderator_locks_and_unlocks_a_thread(page, api, held_site, errors):
    site_id, key = held_site
    thread = thread_key()
    api.post(thread, site=site_id, text="before the lock")
    sign_in(page, site_id, key)

    page.get_by_role("tab", name="Threads").click()
    page.get_by_label("Thread key").fill(thread)
    page.get_by_role("button", name="Lock", exact=True).click()
    expect(page.locator("#thread-result")).to_contain_text("is locked")
    assert api.comments(thread, site=site_id)["thread"]["locked"] is True
    api.post(thread, site=site_id, text="too late", expect_status=403)

    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#thread-result")).to_contain_text("is open")
    api.post(thread, site=site_id, text="open again")
    assert errors == []


def test_a_moderator_changes_settings_and_they_apply(page, api, held_site, errors):
    site_id, key = held_site
    sign_in(page, site_id, key)
    page.get_by_role("tab", name="Settings").click()
    expect(page.get_by_role("combobox", name=re.compile("^Moderation"))).to_have_value("all")
    page.get_by_role("combobox", name=re.compile("^Moderation")).select_option("none")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    assert api.post(thread_key(), site=site_id, text="straight in")["comment"]["status"] == (
        "approved"
    )
    page.get_by_role("tab", name="Audit log").click()
    expect(page.locator("#audit tr").first).to_contain_text("settings")
    expect(page.locator("#audit tr").first).to_contain_text('"moderation":"none"')
    assert errors == []


def test_the_key_lives_in_session_storage_only_and_sign_out_forgets_it(page, held_site, errors):
    site_id, key = held_site
    sign_in(page, site_id, key)
    stored = page.evaluate("() => [sessionStorage.length, localStorage.length, document.cookie]")
    assert stored[1:] == [0, ""]
    assert key in page.evaluate("() => sessionStorage.getItem('sidenote.moderation')")
    assert key not in page.content()

    page.reload()  # same tab: still signed in
    expect(page.get_by_role("tab", name="Comments")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Moderator key", exact=True)).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('sidenote.moderation')") is None
    assert errors == []


def test_a_wrong_key_is_refused_with_a_clear_message(page, held_site, live_stack):
    site_id, _ = held_site
    page.goto(f"/moderate?site={site_id}")
    page.get_by_label("Moderator key", exact=True).fill("sn_" + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown or has been revoked")
    other = live_stack.cli("key", "create", "demo", "--name", "elsewhere").strip()
    page.get_by_label("Moderator key", exact=True).fill(other)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This key belongs to another site.")
    assert page.get_by_role("tab", name="Comments").is_hidden()


def test_the_page_is_served_with_a_strict_content_security_policy(page, errors):
    response = page.goto("/moderate")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert "sn_" not in page.content()
    assert errors == []

"""The embed widget in a real Chromium: post, reply, edit, delete, pages, sort, states."""

from __future__ import annotations

import json
import re

import pytest
from browserkit import mount_markup, new_thread_key, serve
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDGET = "#sidenote"


def fill_form(form, text: str, name: str = "", email: str = "", website: str = "") -> None:
    form.get_by_role("textbox").first.fill(text)
    if name:
        form.get_by_label("Name", exact=True).fill(name)
    if email:
        form.get_by_label("E-mail (never shown)").fill(email)
    if website:
        form.get_by_label("Website").fill(website)


def main_form(page):
    return page.locator(f"{WIDGET} section > form")


def item(page, comment_id: str):
    return page.locator(f"#sn-{comment_id}")


def actions(page, comment_id: str):
    return page.locator(f"#sn-{comment_id} > article .sn-a button")


def storage(page) -> dict[str, object]:
    raw = page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage)"
        ".filter(k => k.startsWith('sidenote:')).map(k => [k, localStorage[k]]))"
    )
    return {k: json.loads(v) for k, v in raw.items()}


def drafts(page) -> dict[str, dict]:
    return {k: v for k, v in storage(page).items() if k.startswith("sidenote:d:")}


def requests_to(page, method: str, part: str) -> list:
    seen = []
    page.on(
        "request",
        lambda r: r.method == method and part in r.url and seen.append(r),
    )
    return seen


def test_post_a_comment_with_the_keyboard(page, open_thread, api, errors):
    thread = open_thread()
    expect(page.locator(f"{WIDGET} h2")).to_have_text("No comments")
    posts = requests_to(page, "POST", "/comments")
    form = main_form(page)
    fill_form(form, "Hello **there**", "Ann", "ann@example.org", "https://ann.example/")
    form.get_by_role("button", name="Post comment").focus()
    page.keyboard.press("Enter")

    first = page.locator(f"{WIDGET} .sn-c").first
    expect(first.locator(".sn-b strong")).to_have_text("there")
    expect(page.locator(f"{WIDGET} h2")).to_have_text("1 comment")
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Your comment is posted.")
    author = first.get_by_role("link", name="Ann")
    expect(author).to_have_attribute("href", "https://ann.example/")
    expect(author).to_have_attribute("rel", "nofollow ugc noopener")
    expect(form.get_by_role("textbox").first).to_have_value("")

    stored = api.all_comments(thread)
    assert [c["author"] for c in stored] == ["Ann"]
    # One request, JSON, with an Idempotency-Key and the honeypot; no cookies anywhere.
    assert len(posts) == 1
    request = posts[0]
    assert request.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", request.headers["idempotency-key"])
    body = request.post_data_json
    assert body["hp"] == "" and body["email"] == "ann@example.org"
    assert "cookie" not in request.headers and page.context.cookies() == []
    # The edit token is kept for the author; the draft is gone; the e-mail is never shown.
    assert f"sidenote:t:{stored[0]['id']}" in storage(page)
    assert drafts(page) == {}
    assert "ann@example.org" not in page.locator(f"{WIDGET} .sn-l").first.inner_text()
    # The profile is remembered for the next comment.
    page.reload()
    expect(main_form(page).get_by_label("Name", exact=True)).to_have_value("Ann")
    expect(page.locator(f"{WIDGET} .sn-c")).to_have_count(1)
    assert errors == []


def test_reply_is_nested_under_its_parent(page, open_thread, api, errors):
    thread = new_thread_key()
    parent = api.post(thread, text="First!", author="Bob")["comment"]
    open_thread(thread)
    item(page, parent["id"]).get_by_role("button", name="Reply").click()
    reply_form = item(page, parent["id"]).locator("form")
    expect(reply_form.get_by_label("Reply to Bob")).to_be_focused()
    fill_form(reply_form, "Second, in reply", "Ann")
    reply_form.get_by_role("button", name="Post comment").click()

    nested = page.locator(f"#sn-{parent['id']} > .sn-l > .sn-c")
    expect(nested).to_have_count(1)
    expect(nested.locator(".sn-b")).to_have_text("Second, in reply")
    expect(reply_form).to_have_count(0)  # the reply form closes
    expect(page.locator(f"{WIDGET} h2")).to_have_text("2 comments")
    replies = [c for c in api.all_comments(thread) if c["parent"] == parent["id"]]
    assert [c["author"] for c in replies] == ["Ann"]
    # Cancel closes an open reply form; the reply button toggles it too.
    item(page, parent["id"]).get_by_role("button", name="Reply").first.click()
    item(page, parent["id"]).get_by_role("button", name="Cancel").click()
    expect(item(page, parent["id"]).locator("form")).to_have_count(0)
    assert errors == []


def test_author_edits_own_comment(page, open_thread, api, errors):
    thread = open_thread()
    other = api.post(thread, text="Not yours", author="Bob")["comment"]
    page.reload()
    fill_form(main_form(page), "Teh original", "Ann")
    main_form(page).get_by_role("button", name="Post comment").click()
    expect(page.locator(f"{WIDGET} .sn-c").filter(has_text="Teh original")).to_have_count(1)
    mine = item(page, next(c["id"] for c in api.all_comments(thread) if c["author"] == "Ann"))
    # Only the author's own comment offers Edit/Delete.
    expect(item(page, other["id"]).get_by_role("button", name="Edit")).to_have_count(0)

    mine.get_by_role("button", name="Edit").click()
    editor = mine.get_by_label("Edit")
    expect(editor).to_have_value("Teh original")
    editor.fill("The *corrected* text")
    mine.get_by_role("button", name="Save").click()
    expect(mine.locator(".sn-b em")).to_have_text("corrected")
    expect(mine.locator(".sn-h")).to_contain_text("edited")
    stored = next(c for c in api.all_comments(thread) if c["author"] == "Ann")
    assert "<em>corrected</em>" in stored["html"] and stored["edited"]
    # A reload keeps the edited text, and the editor starts from it.
    page.reload()
    mine.get_by_role("button", name="Edit").click()
    expect(mine.get_by_label("Edit")).to_have_value("The *corrected* text")
    assert errors == []


def test_author_deletes_own_comment_tombstone_keeps_replies(page, open_thread, api, errors):
    thread = open_thread()
    form = main_form(page)
    fill_form(form, "I will regret this", "Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator(f"{WIDGET} .sn-c")).to_have_count(1)
    mine_id = api.all_comments(thread)[0]["id"]
    api.post(thread, text="A reply that stays", author="Bob", parent=mine_id)
    fill_form(form, "Short-lived", "Ann")
    form.get_by_role("button", name="Post comment").click()
    # Reload once the post has landed: a reload while it is in flight makes the widget send
    # it again after the thread renders (see the next test), a render this test is not about.
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Your comment is posted.")
    page.reload()
    expect(page.locator(f"{WIDGET} h2")).to_have_text("3 comments")

    # Deleting asks once more, then the comment with a reply becomes a tombstone.
    button = actions(page, mine_id).nth(2)
    expect(button).to_have_text("Delete")
    button.click()
    expect(button).to_have_text("Really delete?")
    button.click()
    expect(item(page, mine_id).locator(".sn-x")).to_have_text("This comment was deleted.")
    expect(item(page, mine_id).locator(".sn-l .sn-c .sn-b")).to_have_text("A reply that stays")
    expect(page.locator(f"{WIDGET} h2")).to_have_text("2 comments")

    # A comment without replies disappears.
    short = page.locator(f"{WIDGET} .sn-c").filter(has_text="Short-lived")
    short.get_by_role("button", name="Delete").click()
    short.get_by_role("button", name="Really delete?").click()
    expect(page.locator(f"{WIDGET} .sn-c").filter(has_text="Short-lived")).to_have_count(0)
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Your comment was deleted.")

    listed = api.all_comments(thread)
    assert [(c["deleted"], c["author"]) for c in listed] == [(True, ""), (False, "Bob")]
    page.reload()
    expect(item(page, mine_id).locator(".sn-x")).to_have_text("This comment was deleted.")
    expect(page.locator(f"{WIDGET} h2")).to_have_text("1 comment")
    assert errors == []


def test_a_delete_confirmation_survives_a_re_render_of_the_thread(page, open_thread, api, errors):
    """A reload while a post is in flight sends it again after the thread has rendered; the
    list is then rendered again. A reader who has just clicked Delete must still be asked
    only once: the next click deletes."""
    thread = open_thread()
    form = main_form(page)
    fill_form(form, "Delete me after a reload", "Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Your comment is posted.")
    mine_id = api.all_comments(thread)[0]["id"]
    held = []  # posts kept in flight until the test lets them through

    def hold_posts(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.fallback()

    page.route(re.compile(r"/sites/demo/comments\?thread="), hold_posts)
    fill_form(form, "In flight while the page reloads", "Ann")
    form.get_by_role("button", name="Post comment").click()
    page.reload()  # the widget keeps the queued draft and sends it again once loaded
    expect(page.locator(f"{WIDGET} h2")).to_have_text("1 comment")

    button = actions(page, mine_id).nth(2)
    expect(button).to_have_text("Delete")
    button.click()
    expect(button).to_have_text("Really delete?")
    assert len(held) == 2  # the post before the reload (aborted) and the one resent after it
    held[-1].continue_()
    expect(page.locator(f"{WIDGET} h2")).to_have_text("2 comments")  # rendered again
    expect(button).to_have_text("Really delete?")
    button.click()
    expect(item(page, mine_id)).to_have_count(0)
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Your comment was deleted.")
    expect(page.locator(f"{WIDGET} h2")).to_have_text("1 comment")
    assert [c["id"] for c in api.all_comments(thread)] != [mine_id]
    assert len(api.all_comments(thread)) == 1
    assert errors == []


def test_load_more_and_sort(page, open_thread, api, errors):
    thread = new_thread_key()
    ids = [
        api.post(thread, text=f"Comment number {i}", author=f"R{i}")["comment"]["id"]
        for i in range(105)
    ]
    gets = requests_to(page, "GET", "/comments")
    open_thread(thread)
    items = page.locator(f"{WIDGET} section > .sn-l > .sn-c")
    expect(items).to_have_count(100)
    expect(items.first).to_have_id(f"sn-{ids[0]}")
    more = page.get_by_role("button", name="Load more comments")
    more.click()
    expect(items).to_have_count(105)
    expect(items.last).to_have_id(f"sn-{ids[-1]}")
    expect(more).to_be_hidden()
    assert "cursor=" in gets[-1].url and "cursor=" not in gets[0].url
    expect(page.locator(f"{WIDGET} h2")).to_have_text("105 comments")

    newest = page.get_by_role("button", name="Newest")
    newest.click()
    expect(newest).to_have_attribute("aria-pressed", "true")
    expect(items.first).to_have_id(f"sn-{ids[-1]}")
    expect(items).to_have_count(100)
    more.click()
    expect(items).to_have_count(105)
    expect(items.last).to_have_id(f"sn-{ids[0]}")
    assert "sort=newest" in gets[-1].url
    # The choice is remembered.
    page.reload()
    expect(page.get_by_role("button", name="Newest")).to_have_attribute("aria-pressed", "true")
    expect(items.first).to_have_id(f"sn-{ids[-1]}")
    assert errors == []


def test_replies_arrive_before_their_parent_when_newest_first(page, open_thread, api):
    thread = new_thread_key()
    root = api.post(thread, text="The root", author="Ann")["comment"]
    for i in range(100):
        api.post(thread, text=f"Reply {i}", parent=root["id"])
    page.add_init_script("localStorage['sidenote:sort'] = '\"newest\"'")
    open_thread(thread)
    # Page one holds only replies; their parent comes with page two, then the tree is built.
    page.get_by_role("button", name="Load more comments").click()
    expect(page.locator(f"{WIDGET} section > .sn-l > .sn-c")).to_have_count(1)
    expect(page.locator(f"#sn-{root['id']} > .sn-l > .sn-c")).to_have_count(100)


def test_counts_one_batched_request_with_labels(page, live_server, api, errors):
    keys = [new_thread_key("/counts") for _ in range(4)]
    for n, key in enumerate(keys[:3]):
        for _ in range(n):
            api.post(key)
    api.post(keys[3])
    api.post(keys[3])
    markup = (
        f'<a href="#a" data-sidenote-count="{keys[0]}">Comments</a>'
        f'<a href="#b" data-sidenote-count="{keys[1]}">Comments</a>'
        f'<a href="#c" data-sidenote-count="{keys[2]}">Comments</a>'
        f'<a href="#d" data-sidenote-count="{keys[3]}" data-i18n-many="{{n}} notes">Comments</a>'
        f'<span data-sidenote-count="{keys[0]}" data-i18n-zero="Be the first">?</span>'
        '<script async src="/embed.js" data-sidenote-site="demo"></script>'
    )
    posts = requests_to(page, "POST", "/counts")
    page.goto(serve(page, live_server, markup))
    labels = page.locator("[data-sidenote-count]")
    expect(labels).to_have_text(
        ["No comments", "1 comment", "2 comments", "2 notes", "Be the first"]
    )
    assert len(posts) == 1
    assert sorted(posts[0].post_data_json["threads"]) == sorted(keys)
    assert errors == []


def test_demo_index_counts(page, api, errors):
    expected = api.counts(["/demo/post-1", "post-2"])
    posts = requests_to(page, "POST", "/counts")
    page.goto("/demo")

    def label(n: int, zero: str = "No comments yet") -> str:
        return zero if n == 0 else "1 comment" if n == 1 else f"{n} comments"

    links = page.locator("[data-sidenote-count]")
    expect(links).to_have_text([label(expected["/demo/post-1"]), label(expected["post-2"])])
    assert len(posts) == 1
    assert errors == []


def test_pending_is_shown_only_to_its_author(page, browse, open_thread, new_site, api, errors):
    site = new_site(moderation="all")
    thread = open_thread(site=site)
    form = main_form(page)
    fill_form(form, "Please approve me", "Ann")
    form.get_by_role("button", name="Post comment").click()
    mine = page.locator(f"{WIDGET} .sn-c").filter(has_text="Please approve me")
    expect(mine.locator(".sn-p")).to_have_text("Waiting for approval (only you can see this).")
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text(
        "Waiting for approval (only you can see this)."
    )
    expect(page.locator(f"{WIDGET} h2")).to_have_text("No comments")
    assert api.all_comments(thread, site) == []
    assert drafts(page) == {}
    page.reload()
    expect(mine.locator(".sn-p")).to_have_text("Waiting for approval (only you can see this).")
    # Another reader sees nothing.
    other = browse()
    open_thread(thread, site=site, on=other)
    expect(other.locator(f"{WIDGET} .sn-c")).to_have_count(0)
    assert errors == []


def test_queued_202_is_shown_as_received(page, open_thread, errors):
    """The local stack cannot be made to queue (it needs a failing table and a working SQS
    queue), so this one response is a 202 fulfilled by ``page.route`` with the API's body."""
    thread = open_thread()
    comment = {
        "id": "01KQ0000000000000000000000",
        "parent": None,
        "author": "Ann",
        "website": None,
        "avatar": "0123456789abcdef",
        "html": "<p>Queued words</p>",
        "created": "2026-11-25T16:00:00Z",
        "edited": None,
        "deleted": False,
        "status": "queued",
    }
    body = {"comment": comment, "edit_token": "tok", "edit_until": "2099-01-01T00:00:00Z"}
    page.route(
        re.compile(r".*/sites/demo/comments\?thread=.*"),
        lambda route: (
            route.fulfill(status=202, json=body)
            if route.request.method == "POST"
            else route.fallback()
        ),
    )
    form = main_form(page)
    fill_form(form, "Queued words", "Ann")
    form.get_by_role("button", name="Post comment").click()
    queued = page.locator(f"#sn-{comment['id']}")
    expect(queued.locator(".sn-p")).to_have_text("Received: it will appear shortly.")
    expect(page.locator(f"{WIDGET} .sn-s").first).to_have_text("Received: it will appear shortly.")
    expect(queued.get_by_role("button")).to_have_count(0)  # no reply/edit on a queued comment
    assert drafts(page) == {}
    page.reload()
    expect(queued.locator(".sn-p")).to_have_text("Received: it will appear shortly.")
    assert thread
    assert errors == []


def fulfil_post(page, status: int, body: dict, headers: dict | None = None):
    """Answer every POST to comments with this response until stop() is called.

    Returns (intercepted requests, stop)."""
    seen = []
    pattern = re.compile(r".*/sites/[^/]+/comments\?thread=.*")

    def handler(route):
        if route.request.method != "POST":
            return route.fallback()
        seen.append(route.request)
        route.fulfill(status=status, json=body, headers=headers or {})

    page.route(pattern, handler)
    return seen, lambda: page.unroute(pattern, handler)


def test_rate_limited_uses_retry_after_and_keeps_the_draft(page, open_thread):
    open_thread()
    fulfil_post(page, 429, {"Code": "RateLimited", "Message": "Slow down."}, {"Retry-After": "7"})
    form = main_form(page)
    fill_form(form, "Too fast", "Ann")
    button = form.get_by_role("button", name="Post comment")
    button.click()
    expect(form.locator(".sn-s")).to_have_text("Too many comments. Try again in 7 s.")
    expect(button).to_be_disabled()
    expect(form.get_by_role("textbox").first).to_have_value("Too fast")
    assert [d["text"] for d in drafts(page).values()] == ["Too fast"]


def test_locked_thread(page, open_thread, live_server, live_stack, api):
    """Locked by a moderator through the API while the reader is writing."""
    thread = open_thread()
    fill_form(main_form(page), "Racing the lock", "Ann")
    r = api.http.patch(
        f"{live_server}/sites/demo/moderation/threads",
        params={"thread": thread},
        json={"locked": True},
        headers={"Authorization": f"Bearer {live_stack.moderator_key}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    main_form(page).get_by_role("button", name="Post comment").click()
    status = page.locator(f"{WIDGET} .sn-s").first
    expect(status).not_to_be_empty()
    expect(main_form(page)).to_be_hidden()
    assert drafts(page), "the draft is kept"
    page.reload()
    expect(status).to_have_text("Comments are closed.")
    expect(main_form(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Reply")).to_have_count(0)


def test_thread_locked_response(page, open_thread, api):
    """The widget's side of a lock: 403 ThreadLocked on post, then locked: true on read."""
    thread = new_thread_key()
    api.post(thread, text="Before the lock", author="Bob")
    open_thread(thread)
    fulfil_post(page, 403, {"Code": "ThreadLocked", "Message": "This thread is closed."})
    fill_form(main_form(page), "Too late", "Ann")
    main_form(page).get_by_role("button", name="Post comment").click()
    status = page.locator(f"{WIDGET} .sn-s").first
    expect(status).to_have_text("This thread is closed.")
    expect(main_form(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Reply")).to_have_count(0)
    assert [d["text"] for d in drafts(page).values()] == ["Too late"]

    def locked(route):
        response = route.fetch()
        body = response.json()
        body["thread"]["locked"] = True
        route.fulfill(response=response, json=body)

    page.route(re.compile(r".*/sites/demo/comments\?thread=.*"), locked)
    page.reload()
    expect(status).to_have_text("Comments are closed.")
    expect(main_form(page)).to_be_hidden()
    expect(page.locator(f"{WIDGET} .sn-c .sn-b")).to_have_text("Before the lock")


def test_read_only_shows_the_server_message(page, open_thread, new_site):
    site = new_site(read_only="Writes are paused for maintenance until 18:00 UTC.")
    open_thread(site=site)
    form = main_form(page)
    fill_form(form, "Hello?", "Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".sn-s")).to_contain_text(
        "Writes are paused for maintenance until 18:00 UTC."
    )
    expect(form.locator(".sn-s")).to_contain_text("Your text is kept; retrying in")
    assert [d["text"] for d in drafts(page).values()] == ["Hello?"]


def test_a_refused_post_shows_the_operators_status_note(page, open_thread, new_site, live_stack):
    site = new_site(read_only="Writes are paused for maintenance.")
    live_stack.cli(
        "status", "note", "Database maintenance until 18:00 UTC\nDetails…", "--site", site
    )
    open_thread(site=site)
    form = main_form(page)
    fill_form(form, "Hello?", "Ann")
    form.get_by_role("button", name="Post comment").click()
    note = page.locator("#sidenote .sn-s a")
    expect(note).to_have_text("Database maintenance until 18:00 UTC")
    assert "/status.html" in (note.get_attribute("href") or "")


def test_other_errors_show_the_message(page, open_thread):
    open_thread()
    form = main_form(page)
    form.get_by_role("textbox").first.fill("x")
    form.get_by_label("E-mail (never shown)").fill("ann@localhost")  # the browser accepts it
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".sn-s")).to_have_text(re.compile("e-mail", re.I))
    assert [d["text"] for d in drafts(page).values()] == ["x"]


def test_draft_survives_503_and_reload_and_is_sent_once(page, open_thread, api):
    thread = open_thread()
    form = main_form(page)
    fill_form(form, "Words I must not lose", "Ann")
    # Saved while typing: a reload brings the text back.
    page.reload()
    expect(form.get_by_role("textbox").first).to_have_value("Words I must not lose")

    sent = requests_to(page, "POST", "/comments?")
    failed, stop = fulfil_post(
        page, 503, {"Code": "ReadOnly", "Message": "We are upgrading."}, {"Retry-After": "1"}
    )
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".sn-s")).to_contain_text("We are upgrading.")
    expect(form.locator(".sn-s")).to_contain_text("Your text is kept; retrying in")
    # The widget retries on its own while the server says 503 (same key each time).
    page.wait_for_timeout(2500)
    assert len(failed) >= 2
    assert [d["text"] for d in drafts(page).values()] == ["Words I must not lose"]

    # The server is back; the reader reloads: the saved send resumes by itself.
    stop()
    page.reload()
    posted = page.locator(f"{WIDGET} .sn-c").filter(has_text="Words I must not lose")
    expect(posted).to_have_count(1)
    expect(form.get_by_role("textbox").first).to_have_value("")
    assert drafts(page) == {}
    keys = {r.headers["idempotency-key"] for r in sent}
    assert len(keys) == 1 and len(sent) >= 3
    stored = api.all_comments(thread)
    assert [c["author"] for c in stored] == ["Ann"]
    # A late duplicate of the same request (a retry racing the success) creates nothing.
    again = api.call(
        "POST",
        sent[-1].url.removeprefix(api.base),
        json=sent[-1].post_data_json,
        headers={"Idempotency-Key": keys.pop()},
    )
    assert again.status_code == 201 and again.json()["comment"]["id"] == stored[0]["id"]
    assert len(api.all_comments(thread)) == 1


def test_network_error_retries_with_backoff(page, open_thread, api):
    thread = open_thread()
    blocked = []

    def handler(route):
        if route.request.method != "POST":
            return route.fallback()
        blocked.append(route.request.headers["idempotency-key"])
        if len(blocked) == 1:
            return route.abort("connectionrefused")
        return route.fallback()

    page.route(re.compile(r".*/sites/demo/comments\?thread=.*"), handler)
    form = main_form(page)
    fill_form(form, "Offline words", "Ann")
    form.get_by_role("button", name="Post comment").click()
    expect(form.locator(".sn-s")).to_have_text(
        "The server is unreachable. Your text is kept; retrying in 2 s."
    )
    expect(page.locator(f"{WIDGET} .sn-c").filter(has_text="Offline words")).to_have_count(1)
    assert len(blocked) == 2 and blocked[0] == blocked[1]
    assert len(api.all_comments(thread)) == 1


def test_saved_copy_when_the_api_is_unreachable(page, open_thread, api):
    thread = new_thread_key()
    api.post(thread, text="Cached words", author="Ann")
    open_thread(thread)
    expect(page.locator(f"{WIDGET} .sn-c")).to_have_count(1)
    pattern = re.compile(r".*/sites/demo/comments\?.*")

    def unreachable(route):
        route.abort("connectionrefused")

    page.route(pattern, unreachable)
    page.reload()
    status = page.locator(f"{WIDGET} .sn-s").first
    expect(status).to_contain_text("Saved copy: the server is unreachable.")
    expect(page.locator(f"{WIDGET} .sn-c .sn-b")).to_have_text("Cached words")
    page.unroute(pattern, unreachable)
    status.get_by_role("button", name="Retry").click()
    expect(status).to_be_empty()
    expect(page.locator(f"{WIDGET} .sn-c .sn-b")).to_have_text("Cached words")


def test_unreachable_without_a_saved_copy(page, live_server):
    page.route(re.compile(r".*/sites/demo/comments\?.*"), lambda r: r.abort("connectionrefused"))
    page.goto(serve(page, live_server, mount_markup("demo", new_thread_key())))
    status = page.locator(f"{WIDGET} .sn-s").first
    expect(status).to_contain_text("The server is unreachable.")
    expect(status.get_by_role("button", name="Retry")).to_be_visible()


def test_strings_theme_and_dark_mode(browse, live_server):
    page = browse(color_scheme="dark")
    markup = mount_markup(
        "demo",
        new_thread_key(),
        i18n_post="Send it",
        i18n_zero="Be the first to comment",
        i18n_text="Your words",
    )
    page.goto(serve(page, live_server, markup))
    expect(page.locator(f"{WIDGET} h2")).to_have_text("Be the first to comment")
    expect(page.get_by_role("button", name="Send it")).to_be_visible()
    expect(page.get_by_label("Your words")).to_be_visible()
    accent = page.evaluate(
        "getComputedStyle(document.querySelector('.sn')).getPropertyValue('--a').trim()"
    )
    assert accent == "var(--sn-accent,#93b4ff)" or accent.lower() == "#93b4ff"
    # Themable: a custom property on the mount wins in both schemes.
    page.add_style_tag(content="#sidenote { --sn-accent: rgb(200, 0, 0); }")
    color = page.evaluate(
        "getComputedStyle(document.querySelector('#sidenote [type=submit]')).backgroundColor"
    )
    assert color == "rgb(200, 0, 0)"


def test_thread_defaults_to_the_page_path(page, live_server, api):
    path = serve(page, live_server, mount_markup("demo", None))
    api.post(path, text="By path", author="Ann")
    page.goto(path)
    expect(page.locator(f"{WIDGET} .sn-c .sn-b")).to_have_text("By path")


def test_comment_markup_keeps_its_own_styles(page, open_thread, api):
    """The widget's CSS styles its own lists and headings, not those inside comments."""
    thread = new_thread_key()
    api.post(thread, text="# Big title\n\n1. first\n2. second\n\n- a\n- b", author="Ann")
    open_thread(thread)
    body = page.locator(f"{WIDGET} .sn-b")
    expect(body.locator("ol > li")).to_have_count(2)
    styles = body.evaluate(
        """b => [getComputedStyle(b.querySelector('ol')).listStyleType,
                 getComputedStyle(b.querySelector('ul')).listStyleType,
                 getComputedStyle(b.querySelector('h1')).fontSize === getComputedStyle(b).fontSize]"""
    )
    assert styles[0] == "decimal" and styles[1] != "none" and styles[2]
    expect(page.locator(f"{WIDGET} .sn-c")).to_have_count(1)

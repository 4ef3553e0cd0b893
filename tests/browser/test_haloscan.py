"""A blog template written for Haloscan keeps working with /haloscan/{site}.js."""

from __future__ import annotations

import pytest
from browserkit import serve
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def label(n: int) -> str:
    return f"Comments ({n})"


def watch(page, method: str, part: str) -> list:
    seen = []
    page.on("request", lambda r: r.method == method and part in r.url and seen.append(r))
    return seen


def test_demo_post_with_haloscan_template(page, api, errors):
    before = api.counts(["post-2"])["post-2"]
    counts = watch(page, "POST", "/counts")
    scripts = watch(page, "GET", "/embed.js")
    page.goto("/demo/post-2")
    link = page.locator("a[href^=\"javascript:HaloScan('post-2')\"]")
    expect(link).to_have_text(label(before))
    assert page.evaluate("hs['post-2']") == before
    expect(page.locator("a[href^=\"javascript:HaloScanTB('post-2')\"]")).to_have_text(
        "Trackback (0)"
    )
    assert len(counts) == 1
    assert scripts == []  # the widget loads only when a reader opens the thread

    url = page.url
    link.click()
    thread = page.locator("#sidenote-post-2")
    expect(thread.locator("h2")).to_be_visible()
    expect(thread).to_be_focused()
    assert page.url == url  # javascript: link ran, the page stayed
    assert len(scripts) == 1
    form = thread.locator("section > form")
    form.get_by_role("textbox").first.fill("Still works after all these years")
    form.get_by_label("Name", exact=True).fill("Old reader")
    form.get_by_role("button", name="Post comment").click()
    expect(thread.locator(".sn-c").filter(has_text="Still works after all")).to_have_count(1)
    assert api.counts(["post-2"])["post-2"] == before + 1

    # A second click closes the thread (like closing the popup); a third opens it again.
    link.click()
    expect(thread).to_be_hidden()
    link.click()
    expect(thread).to_be_visible()
    assert len(scripts) == 1

    page.locator("a[href^=\"javascript:HaloScanTB('post-2')\"]").click()
    expect(page.locator("#sidenote-tb-post-2")).to_have_text("No trackbacks.")

    page.reload()
    expect(link).to_have_text(label(before + 1))
    assert errors == []


def test_index_template_many_posts_one_request(page, live_server, api, errors):
    ids = ["3141592653", "2718281828", "1414213562"]
    for _ in range(2):
        api.post(ids[1], text="hello")
    api.post(ids[2], text="hello")
    posts = "".join(
        f"<article><h2>Post {pid}</h2><p>Text.</p>"
        f'<p><a href="javascript:HaloScan(\'{pid}\');" target="_self">'
        f"<script type=\"text/javascript\">postCount('{pid}');</script></a></p></article>"
        for pid in ids
    )
    # A page may say where the thread goes: #sidenote-<id>.
    body = posts + f'<aside id="sidenote-{ids[2]}"></aside>'
    head = '<script src="/haloscan/demo.js"></script>'
    counts = watch(page, "POST", "/counts")
    page.goto(serve(page, live_server, body, head=head))
    labels = page.locator("a[href^='javascript:HaloScan(']")
    expect(labels).to_have_text([label(0), label(2), label(1)])
    assert len(counts) == 1
    assert sorted(counts[0].post_data_json["threads"]) == sorted(ids)
    assert page.evaluate("hs") == {ids[0]: 0, ids[1]: 2, ids[2]: 1}

    # The thread for a post opens right after its link…
    labels.nth(1).click()
    opened = page.locator(f"#sidenote-{ids[1]}")
    expect(opened.locator(".sn-c")).to_have_count(2)
    assert (
        page.evaluate(
            f"document.getElementById('sidenote-{ids[1]}').previousElementSibling.tagName"
        )
        == "P"
    )
    # …or in the container the page provides.
    labels.nth(2).click()
    expect(page.locator(f"aside#sidenote-{ids[2]} .sn-c")).to_have_count(1)
    assert errors == []


def test_labels_are_configurable(page, live_server, api):
    api.post("cfg-1", text="hello")
    head = '<script src="/haloscan/demo.js" data-i18n-one="One reply" data-i18n-many="{n} replies"></script>'
    body = "<p><script>postCount('cfg-1');</script> · <script>postCount('cfg-2');</script></p>"
    page.goto(serve(page, live_server, body, head=head))
    expect(page.locator(".sidenote-count")).to_have_text(["One reply", "Comments (0)"])

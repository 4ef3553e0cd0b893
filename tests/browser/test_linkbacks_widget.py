"""Done for linkbacks: a TrackBack ping and a Webmention sent to a site over real HTTP appear,
after a moderator approves them (the site's policy holds links), in the widget's own
"Mentions" section and in the counts.

The live stack has no SQS, so this module starts moto_server's SQS and a second
``chalice local`` on the same DynamoDB Local with ``SQS_ENDPOINT`` set; the queue is
drained in a subprocess (the local stand-in for the SQS trigger) with the test-only loopback
allowance, since the source blog is a server on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import expect

from tests.linkback_support import serve

pytestmark = pytest.mark.browser

DRAIN = (
    "from chalicelib.linkbacks import queue, webmention\n"
    "out = queue.drain(lambda m: webmention.verify(m, allow_loopback=True))\n"
    "print(len(out.stored), len(out.failed), len(out.dead_lettered))\n"
)


@pytest.fixture(scope="module")
def with_queue(live_stack) -> Iterator[tuple[str, dict[str, str]]]:
    """(URL of a chalice local that has the webmention queue, its environment)."""
    stack = live_stack.devstack
    port = stack.free_port()
    sqs = subprocess.Popen(
        [str(stack.VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    server = None
    try:
        stack.wait_for_port(port, 30, sqs)
        env = {**live_stack.env, "SQS_ENDPOINT": f"http://127.0.0.1:{port}"}
        stack.cli(env, "webmentions", "create")
        server = stack.ApiServer(env).start()
        yield server.url, env
    finally:
        if server:
            server.stop()
        stack.stop_process(sqs)


def drain(env: dict[str, str]) -> list[int]:
    result = subprocess.run([sys.executable, "-c", DRAIN], cwd=str(_root()), env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return [int(n) for n in result.stdout.split()]


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def test_a_trackback_and_a_webmention_appear_in_the_widget_and_counts_after_approval(
    live_stack, live_server, with_queue, new_site, open_thread, page
):
    site = new_site(moderation="links")
    key = live_stack.cli("key", "create", site).strip()
    thread = "/2026/12/linked-post"
    api, env = with_queue
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    pinged = requests.post(
        f"{live_server}/sites/{site}/trackback?thread={quote(thread, safe='')}", headers=form,
        data={"url": "https://other.example/reply", "title": "A reply from afar",
              "excerpt": "They wrote about it.", "blog_name": "Other Blog"}, timeout=10,
    )  # fmt: skip
    assert pinged.status_code == 200 and "<error>0</error>" in pinged.text

    with serve() as (base, handler):
        handler.routes["/my-reply"] = (200, {"Content-Type": "text/html; charset=utf-8"}, (
            '<article class="h-entry"><h1 class="p-name">Replying here</h1>'
            '<a class="p-author h-card" href="/">Jane Blogger</a><div class="e-content">'
            f'Good post: <a href="{live_server}{thread}">this one</a>.</div></article>'
        ).encode())  # fmt: skip
        sent = requests.post(f"{api}/sites/{site}/webmention", headers=form, timeout=10,
                             data={"source": f"{base}/my-reply", "target": f"{live_server}{thread}"})  # fmt: skip
        assert sent.status_code == 202, sent.text
        assert drain(env) == [1, 0, 0]

    # held by the policy (a linkback is a link): a moderator approves both
    held = requests.get(f"{live_server}/sites/{site}/moderation/comments?status=pending",
                        headers={"Authorization": f"Bearer {key}"}, timeout=10).json()["comments"]  # fmt: skip
    assert sorted(c["type"] for c in held) == ["trackback", "webmention"]
    for comment in held:
        approved = requests.post(
            f"{live_server}/sites/{site}/moderation/comments/{comment['id']}/approve",
            headers={"Authorization": f"Bearer {key}"}, timeout=10,
        )  # fmt: skip
        assert approved.status_code == 200, approved.text

    counted = requests.get(f"{live_server}/sites/{site}/counts", params={"thread": thread},
                           timeout=10).json()  # fmt: skip
    assert counted == {"counts": {thread: 0}, "trackbacks": {thread: 2}}

    open_thread(thread, site=site)
    section = page.locator("#sidenote h3", has_text="Mentions (2)").locator("..")
    expect(section).to_be_visible()
    expect(section.locator("li")).to_have_count(2)
    expect(section.get_by_role("link", name="Other Blog")).to_have_attribute(
        "href", "https://other.example/reply"
    )
    expect(section.locator("li", has_text="Jane Blogger")).to_contain_text("Good post: this one.")
    expect(page.locator("#sidenote h2")).to_have_text("No comments")
    expect(page.locator("#sidenote .sn-l .sn-c article")).to_have_count(0)

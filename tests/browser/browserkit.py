"""Helpers shared by the browser tests (pages served on the API's origin, an API client)."""

from __future__ import annotations

import html
import uuid
from urllib.parse import quote

import requests

#: Chromium flags for tests and the widget bench: headless, quiet, nothing fetched on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Every new context otherwise opens the omnibox popup's page, a second busy renderer.
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup",
]


def new_thread_key(prefix: str = "/browser") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def serve(page, base_url: str, body: str, head: str = "") -> str:
    """Serve an HTML page at a fresh path on the API's origin; returns the path."""
    path = f"/__browser-test__/{uuid.uuid4().hex}"
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<link rel="icon" href="data:,"><title>Browser test</title>{head}</head>'
        f"<body><main>{body}</main></body></html>"
    )
    page.route(
        base_url + path,
        lambda route: route.fulfill(status=200, content_type="text/html", body=document),
    )
    return path


def mount_markup(site: str, thread: str | None, **data: str) -> str:
    attrs = {"site": site, **({"thread": thread} if thread is not None else {}), **data}
    rendered = " ".join(
        f'data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in attrs.items()
    )
    return f'<div id="sidenote" {rendered}></div><script async src="/embed.js"></script>'


class Api:
    """The HTTP API, as a blog's server or a script would call it (no Origin header)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def call(self, method: str, path: str, json=None, headers=None) -> requests.Response:
        return self.http.request(method, self.base + path, json=json, headers=headers, timeout=10)

    def post(self, thread: str, site: str = "demo", expect_status: int = 201, **fields) -> dict:
        fields.setdefault("text", "A comment")
        r = self.call(
            "POST", f"/sites/{site}/comments?thread={quote(thread, safe='')}", json=fields
        )
        assert r.status_code == expect_status, r.text
        return r.json()

    def comments(self, thread: str, site: str = "demo", **params) -> dict:
        r = self.http.get(
            f"{self.base}/sites/{site}/comments", params={"thread": thread, **params}, timeout=10
        )
        assert r.status_code == 200, r.text
        return r.json()

    def all_comments(self, thread: str, site: str = "demo") -> list[dict]:
        out, cursor = [], None
        while True:
            page = self.comments(thread, site, limit=200, **({"cursor": cursor} if cursor else {}))
            out += page["comments"]
            cursor = page["cursor"]
            if not cursor:
                return out

    def counts(self, keys: list[str], site: str = "demo") -> dict[str, int]:
        r = self.call("POST", f"/sites/{site}/counts", json={"threads": keys})
        assert r.status_code == 200, r.text
        return r.json()["counts"]

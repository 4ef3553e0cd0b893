"""Real responses held against the OpenAPI document (test support for tests/test_openapi.py).

:class:`Conformance` checks one response the way a schema-driven fuzzer does (status
documented, content type, required headers, JSON body valid) and stricter: every object in
the body may hold only documented fields. :func:`walk_every_route` calls every route of the
app through ``chalice.test.Client`` (moto), successes and typical errors.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator

from chalicelib.store import sites
from tests.support import ORIGIN

JSON = {"Content-Type": "application/json"}


class Conformance:
    """Checks responses against ``doc`` and remembers which operations answered 2xx."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.checked = 0
        self.succeeded: set[tuple[str, str]] = set()

    def _resolve(self, node: Any) -> Any:
        """``node`` with every ``$ref`` inlined, and objects closed to undocumented fields."""
        if isinstance(node, list):
            return [self._resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return self._resolve(target)
        resolved = {key: self._resolve(value) for key, value in node.items()}
        if "properties" in resolved and "additionalProperties" not in resolved:
            resolved["additionalProperties"] = False
        return resolved

    def __call__(self, method: str, template: str, response: Any) -> Any:
        """Check ``response`` to ``method template``; return its JSON body (or text)."""
        operation = self.doc["paths"][template][method.lower()]
        status = str(response.status_code)
        where = f"{method} {template} -> {status}: {response.body[:300]!r}"
        assert status in operation["responses"], f"undocumented status: {where}"
        spec = self._resolve(operation["responses"][status])
        headers = {name.lower(): value for name, value in response.headers.items()}
        for name, header in spec.get("headers", {}).items():
            if header.get("required"):
                assert name.lower() in headers, f"missing header {name}: {where}"
        self.checked += 1
        if 200 <= response.status_code < 300:
            self.succeeded.add((template, method.lower()))
        content = spec.get("content")
        if not content:
            assert not response.body, f"a body where none is documented: {where}"
            return None
        media = headers.get("content-type", "application/json").split(";")[0].strip()
        assert media in content, f"content type {media} not documented: {where}"
        if media != "application/json":
            return response.body.decode() if isinstance(response.body, bytes) else response.body
        body = json.loads(response.body)
        problems = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in Draft202012Validator(content[media]["schema"]).iter_errors(body)
        ]
        assert not problems, f"{where}\n" + "\n".join(problems[:10])
        return body

    def operations_without_success(self) -> list[tuple[str, str]]:
        every = {(path, method) for path, item in self.doc["paths"].items() for method in item}
        return sorted(every - self.succeeded)


def _call(client: Any, method: str, url: str, *, key: str | None = None, body: Any = None,
          headers: dict[str, str] | None = None, raw: bytes | None = None) -> Any:  # fmt: skip
    sent = {**JSON, **(headers or {})}
    if key:
        sent["Authorization"] = f"Bearer {key}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return client.http.request(method, url, headers=sent, body=data)


def walk_every_route(client: Any, check: Conformance) -> None:
    """Call every route of the app, for its successes and its usual errors."""
    key, _ = sites.create_key("myblog", "ann")
    sites.create_site("other", "Other")
    other_key, _ = sites.create_key("other", "bob")
    base, mod = "/sites/myblog", "/sites/myblog/moderation"
    comments_t, one_t = "/sites/{site}/comments", "/sites/{site}/comments/{comment_id}"
    mod_t = "/sites/{site}/moderation"

    def go(method: str, template: str, url: str, **kwargs: Any) -> Any:
        return check(method, template, _call(client, method, url, **kwargs))

    # threads: post, read, count, edit, delete
    first = go(
        "POST",
        comments_t,
        f"{base}/comments?thread=%2Fa",
        body={
            "text": "Hello **there**",
            "author": "Ann",
            "email": "ann@example.org",
            "website": "https://ann.example",
            "title": "A",
            "url": "https://b.example/a",
        },
    )
    reply = go(
        "POST",
        comments_t,
        f"{base}/comments?thread=%2Fa",
        body={"text": "a reply", "parent": first["comment"]["id"]},
        headers={"Idempotency-Key": "k-1"},
    )
    go(
        "POST",
        comments_t,
        f"{base}/comments?thread=%2Fa",
        body={"text": "other"},
        headers={"Idempotency-Key": "k-1"},
    )  # 422
    go("GET", comments_t, f"{base}/comments?thread=%2Fa&limit=1&sort=newest")
    go("GET", comments_t, f"{base}/comments?thread=%2Fa")
    go("GET", comments_t, f"{base}/comments?thread=%2Fa&cursor=nonsense")  # 400 InvalidCursor
    go("GET", comments_t, f"{base}/comments?thread=%2Fa&limit=0")  # 400 InvalidRequest
    go("GET", comments_t, f"{base}/comments")  # 400 InvalidThread
    go("GET", comments_t, "/sites/nosuch/comments?thread=%2Fa")  # 404
    go("POST", comments_t, f"{base}/comments?thread=%2Fa", body={"text": " "})  # 400
    go("POST", comments_t, f"{base}/comments?thread=%2Fa", raw=b"x" * 70_000)  # 413
    go(
        "POST",
        comments_t,
        f"{base}/comments?thread=%2Fa",
        raw=b"hi",
        headers={"Content-Type": "text/plain"},
    )  # 415
    go(
        "POST",
        comments_t,
        f"{base}/comments?thread=%2Fa",
        body={"text": "x"},
        headers={"Origin": "https://evil.example"},
    )  # 403 OriginNotAllowed
    for method, url in (
        ("OPTIONS", f"{base}/comments"),
        ("OPTIONS", f"{base}/counts"),
        ("OPTIONS", f"{base}/comments/{first['comment']['id']}"),
    ):
        template = url.replace(base, "/sites/{site}").replace(
            first["comment"]["id"], "{comment_id}"
        )
        go(
            method,
            template,
            url,
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
    go("GET", "/sites/{site}/counts", f"{base}/counts?thread=%2Fa&thread=%2Fb")
    go("GET", "/sites/{site}/counts", f"{base}/counts")  # 400
    go("POST", "/sites/{site}/counts", f"{base}/counts", body={"threads": ["/a", "/c"]})
    go("POST", "/sites/{site}/counts", f"{base}/counts", raw=b"[" * 70_000)  # 413
    go("GET", "/sites/{site}/feed.atom", f"{base}/feed.atom")
    go("GET", "/sites/{site}/feed.atom", f"{base}/feed.atom?thread=%2Fa")
    reply_id, token = reply["comment"]["id"], {"X-Edit-Token": reply["edit_token"]}
    go("PATCH", one_t, f"{base}/comments/{reply_id}", body={"text": "edited"}, headers=token)
    go(
        "PATCH",
        one_t,
        f"{base}/comments/{reply_id}",
        body={"text": "x"},
        headers={"X-Edit-Token": "wrong"},
    )  # 403
    go("DELETE", one_t, f"{base}/comments/{reply_id}", headers=token)
    go("DELETE", one_t, f"{base}/comments/{reply_id}", headers=token)  # 404 now

    # linkbacks: a TrackBack ping (XML answers), a webmention (queued for verification)
    from chalicelib.linkbacks import queue

    queue.reset()
    queue.create_queues()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    tb_t, wm_t = "/sites/{site}/trackback", "/sites/{site}/webmention"
    go("POST", tb_t, f"{base}/trackback?thread=%2Fa", raw=b"url=https%3A%2F%2Fo.example%2Fp",
       headers=form)  # fmt: skip
    go("POST", tb_t, f"{base}/trackback?thread=%2Fa", raw=b"title=no+url", headers=form)  # 400
    go("GET", tb_t, f"{base}/trackback?thread=%2Fa")
    target = "https%3A%2F%2Fblog.example%2Fa"
    go("POST", wm_t, f"{base}/webmention", headers=form,
       raw=f"source=https%3A%2F%2Fo.example%2Fp&target={target}".encode())  # fmt: skip
    go("POST", wm_t, f"{base}/webmention", raw=b"source=x", headers=form)  # 400

    # moderation
    first_id = first["comment"]["id"]
    go("GET", f"{mod_t}/comments", f"{mod}/comments")  # 401, API Gateway's own body
    go("GET", f"{mod_t}/comments", f"{mod}/comments", key="sn_" + "x" * 43)  # 401 Code
    go("GET", f"{mod_t}/comments", f"{mod}/comments", key=other_key)  # 403
    go("GET", f"{mod_t}/comments", f"{mod}/comments?status=approved&limit=5", key=key)
    go("GET", f"{mod_t}/comments", f"{mod}/comments?status=deleted&thread=%2Fa", key=key)
    go("GET", f"{mod_t}/comments", f"{mod}/comments?status=nope", key=key)  # 400
    for action in ("spam", "restore", "delete", "restore", "approve"):
        go(
            "POST",
            f"{mod_t}/comments/{{comment_id}}/{action}",
            f"{mod}/comments/{first_id}/{action}",
            key=key,
        )
    go(
        "POST",
        f"{mod_t}/comments/{{comment_id}}/restore",
        f"{mod}/comments/{reply_id}/restore",
        key=key,
    )  # 409: its author deleted it
    go(
        "POST",
        f"{mod_t}/comments/{{comment_id}}/approve",
        f"{mod}/comments/01ARZ3NDEKTSV4RRFFQ69G5FAV/approve",
        key=key,
    )  # 404
    go(
        "PATCH",
        f"{mod_t}/comments/{{comment_id}}",
        f"{mod}/comments/{first_id}",
        body={"text": "moderated"},
        key=key,
    )
    go(
        "POST",
        f"{mod_t}/bulk",
        f"{mod}/bulk",
        body={"action": "approve", "ids": [first_id, "nope"]},
        key=key,
    )
    go("POST", f"{mod_t}/bulk", f"{mod}/bulk", body={"action": "approve"}, key=key)  # 400
    ban = go(
        "POST",
        f"{mod_t}/bans",
        f"{mod}/bans",
        body={"comment": first_id, "range": True, "days": 1, "reason": "spam"},
        key=key,
    )
    go("POST", f"{mod_t}/bans", f"{mod}/bans", body={"email": "x@example.org"}, key=key)
    go("GET", f"{mod_t}/bans", f"{mod}/bans", key=key)
    go("DELETE", f"{mod_t}/bans/{{ban_id}}", f"{mod}/bans/{ban['ban']['id']}", key=key)
    go("DELETE", f"{mod_t}/bans/{{ban_id}}", f"{mod}/bans/{ban['ban']['id']}", key=key)  # 404
    go("PATCH", f"{mod_t}/threads", f"{mod}/threads?thread=%2Fa", body={"locked": True}, key=key)
    go("POST", comments_t, f"{base}/comments?thread=%2Fa", body={"text": "late"})  # 403 locked
    go("GET", f"{mod_t}/settings", f"{mod}/settings", key=key)
    go(
        "PATCH",
        f"{mod_t}/settings",
        f"{mod}/settings",
        body={"notify_email": "mods@example.org", "read_only": ""},
        key=key,
    )
    go("PATCH", f"{mod_t}/settings", f"{mod}/settings", body={"colour": "red"}, key=key)  # 400
    go("GET", f"{mod_t}/audit", f"{mod}/audit?limit=3", key=key)
    from chalicelib.platform import clock

    go("GET", f"{mod_t}/report", f"{mod}/report?day={clock.rfc3339()[:10]}", key=key)
    go("GET", f"{mod_t}/report", f"{mod}/report?day=2999-01-01", key=key)  # 400

    # health and status
    for template in ("/health", "/status", "/status.html", "/status.atom"):
        go("GET", template, template)
    go("GET", "/sites/{site}/status", f"{base}/status")
    go("GET", "/sites/{site}/status", "/sites/nosuch/status")  # 404

    # static pages and this document
    for template, url in (
        ("/embed.js", "/embed.js?v=1"),
        ("/moderate", "/moderate"),
        ("/moderate.js", "/moderate.js"),
        ("/demo", "/demo"),
        ("/demo/{page}", "/demo/post-1"),
        ("/demo/{page}", "/demo/nope"),
        ("/haloscan/{name}", "/haloscan/myblog.js"),
        ("/haloscan/{name}", "/haloscan/x"),
        ("/openapi.json", "/openapi.json"),
    ):
        response = client.http.get(url)
        check("GET", template, response)
        if response.status_code == 200:
            again = client.http.get(url, headers={"If-None-Match": response.headers["ETag"]})
            check("GET", template, again)  # 304


def walk_degraded_reads(client: Any, check: Conformance, monkeypatch: Any) -> int:
    """Reads answered by the fallback region (this region's reads fail): each is documented,
    and each carries X-Sidenote-Degraded. Returns how many were marked degraded."""
    from tests.support import (
        FAULTS,
        HOME,
        OTHER,
        copy_region,
        create_other_region,
        no_backoff,
        patch_settings,
        reset_state,
    )  # fmt: skip

    patch_settings(monkeypatch, regions=(HOME, OTHER), rate_limit_per_minute=100_000)
    no_backoff(monkeypatch)
    reset_state()
    create_other_region()
    FAULTS.hook()
    try:
        key, _ = sites.create_key("myblog", "ann")
        posted = _call(client, "POST", "/sites/myblog/comments?thread=%2Fa", body={"text": "hi"})
        assert posted.status_code == 201
        copy_region()
        sites.clear_cache()
        FAULTS.fail("connection", reads=True)
        reads = [
            ("GET", "/sites/{site}/comments", "/sites/myblog/comments?thread=%2Fa", None),
            ("GET", "/sites/{site}/counts", "/sites/myblog/counts?thread=%2Fa", None),
            ("GET", "/sites/{site}/feed.atom", f"/sites/myblog/feed.atom?thread={quote('/a')}",
             None),
            ("GET", "/sites/{site}/status", "/sites/myblog/status", None),
            ("GET", "/sites/{site}/moderation/comments",
             "/sites/myblog/moderation/comments?status=approved", key),
            ("GET", "/sites/{site}/moderation/settings", "/sites/myblog/moderation/settings",
             key),
        ]  # fmt: skip
        marked = 0
        for method, template, url, moderator in reads:
            response = _call(client, method, url, key=moderator)
            body = check(method, template, response)
            if "X-Sidenote-Degraded" in response.headers:
                marked += 1
                assert not isinstance(body, dict) or body["degraded"] is True
        return marked
    finally:
        reset_state()

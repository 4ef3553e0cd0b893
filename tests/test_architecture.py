"""The architecture, checked from outside: every route whose view touches a table wears the
storage guard (and only those), found by driving the whole route table under moto with a
recorder on botocore; and the import contracts of pyproject.toml cover every package."""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from chalicelib.store import sites
from tests.support import DYNAMODB_CALLS, JSON, body_of, moderate, post_comment

ROOT = Path(__file__).resolve().parent.parent
Route = tuple[str, str]  # (path, method)

#: Routes that read the store unguarded on purpose: they report on the store's health, so a
#: failure is their answer (503 with the reason), and a fallback replica would report another
#: region's view. ``test_the_self_reporting_routes_answer_503_not_500_when_the_store_fails``
#: holds them to that.
SELF_REPORTING: set[Route] = {("/health", "GET"), ("/status", "GET"), ("/status.html", "GET")}

#: Request bodies that get each write past validation to the store.
BODIES: dict[Route, Any] = {
    ("/sites/{site}/comments", "POST"): {"text": "A comment that gets stored"},
    ("/sites/{site}/comments/{comment_id}", "PATCH"): {"text": "Edited by its author"},
    ("/sites/{site}/counts", "POST"): {"threads": ["/a"]},
    ("/sites/{site}/moderation/comments/{comment_id}", "PATCH"): {"text": "Edited by a moderator"},
    ("/sites/{site}/moderation/bulk", "POST"): {"action": "approve", "ids": ["{comment_id}"]},
    ("/sites/{site}/moderation/bans", "POST"): {"email": "troll@example.org", "reason": "test"},
    ("/sites/{site}/moderation/threads", "PATCH"): {"locked": False},
    ("/sites/{site}/moderation/settings", "PATCH"): {"moderation": "links"},
}
WITH_THREAD = ("/comments", "/counts", "/feed.atom", "/moderation/threads")


class Driven(NamedTuple):
    calls: dict[Route, list]  # the DynamoDB operations each route's view made
    guarded: set[Route]  # the routes whose view wears the storage guard


def _route_table() -> dict[Route, Any]:
    from app import app

    return {(path, method): entry for path, entries in app.routes.items()
            for method, entry in entries.items()}  # fmt: skip


def _guarded(view: Any) -> bool:
    return getattr(view, "storage_guarded", False) is True


def _recording(view: Any, route: Route, calls: dict[Route, list]) -> Any:
    """``view``, recording the DynamoDB operations it makes (not the middleware's or the
    authorizer's). Caches are emptied first, so the view reads what a cold container reads."""

    @functools.wraps(view)
    def recorded(*args: Any, **kwargs: Any) -> Any:
        from chalicelib.resilience import switches

        sites.clear_cache()
        switches.clear_cache()
        with DYNAMODB_CALLS.recording() as made:
            try:
                return view(*args, **kwargs)
            finally:
                calls[route] = calls.get(route, []) + list(made)

    return recorded


def _url(path: str, ids: dict[str, str]) -> str:
    url = path.replace("{site}", "myblog")
    url = re.sub(r"{(\w+)}", lambda m: ids.get(m.group(1), "x"), url)
    return url + ("?thread=%2Fa" if url.endswith(WITH_THREAD) else "")


def _drive_every_route(client: Any, key: str, monkeypatch: Any) -> Driven:
    """One request per route of ``app.routes`` (a real comment and ban to act on, a
    moderator key where one is needed) and what each view did with the store."""
    posted = body_of(post_comment(client, {"text": "Hello", "author": "Ann"}))
    status, banned = moderate(client, key, "POST", "bans", {"ip": "198.51.100.7"})
    assert status == 201, banned
    ids = {"comment_id": posted["comment"]["id"], "ban_id": banned["ban"]["id"]}
    table = _route_table()
    guarded = {route for route, entry in table.items() if _guarded(entry.view_function)}
    calls: dict[Route, list] = {}
    for route, entry in table.items():
        monkeypatch.setattr(entry, "view_function", _recording(entry.view_function, route, calls))
    # Deletions last, so the other routes find the comment and the ban.
    for path, method in sorted(table, key=lambda r: (r[1] == "DELETE", r[0].endswith("/delete"))):
        headers = {**JSON, "X-Edit-Token": posted["edit_token"]}
        if "/moderation/" in path:
            headers["Authorization"] = f"Bearer {key}"
        body = BODIES.get((path, method))
        if body is None and method in {"POST", "PATCH", "PUT"}:
            body = {}
        raw = (
            None
            if body is None
            else re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], json.dumps(body))
        )
        response = client.http.request(method, _url(path, ids), headers=headers, body=raw)
        assert response.status_code < 500, (path, method, response.body)
        calls.setdefault((path, method), [])
    return Driven(calls, guarded)


@pytest.fixture
def driven(client, moderator_key, monkeypatch) -> Driven:
    return _drive_every_route(client, moderator_key, monkeypatch)


def test_every_route_of_the_route_table_is_driven_and_answers_without_a_500(driven):
    assert set(driven.calls) == set(_route_table())


def test_every_route_whose_view_touches_a_table_wears_the_storage_guard(driven):
    unguarded = {route: calls[:3] for route, calls in driven.calls.items()
                 if calls and route not in SELF_REPORTING and route not in driven.guarded}  # fmt: skip
    assert unguarded == {}


def test_the_guarded_routes_are_exactly_the_routes_whose_view_touches_a_table(driven):
    touching = {route for route, calls in driven.calls.items() if calls}
    assert driven.guarded == touching - SELF_REPORTING
    assert touching >= SELF_REPORTING  # still reading the store, still needing the exemption


def test_the_self_reporting_routes_answer_503_not_500_when_the_store_fails(client, faults):
    faults.fail("internal-500", reads=True, writes=True)
    for path, _ in sorted(SELF_REPORTING):
        assert client.http.get(path).status_code == 503, path


def test_the_layers_contract_names_every_package_of_chalicelib():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [layers] = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    named = {m.strip() for layer in layers for m in layer.split("|")}
    packages = {f"chalicelib.{p.parent.name}" for p in (ROOT / "chalicelib").glob("*/__init__.py")}
    assert packages == named


def test_the_storage_guard_marks_what_it_wraps_and_keeps_its_name():
    from chalicelib.resilience.guard import storage_guard

    def view() -> None:
        """A view."""

    guarded = storage_guard(view)
    assert _guarded(guarded) and not _guarded(view)
    assert guarded.__name__ == "view" and guarded.__doc__ == "A view."

"""Personal data as documented (docs/architecture.md, "Personal data"): a commenter's raw
e-mail address is kept only in the comment item, where its moderators see it, and is erased
when its author deletes the comment; raw IP addresses are never stored anywhere."""

from __future__ import annotations

import json

from chalicelib.platform import config
from tests.support import HOME, JSON, body_of, moderate, post_comment, scan

EMAIL = "ann.private@example.org"
IP = "203.0.113.77"


def _post(client, monkeypatch, **fields):
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", IP)
    payload = {"text": "A comment with personal data", "author": "Ann", "email": EMAIL, **fields}
    response = post_comment(client, payload)
    assert response.status_code == 201, response.body
    return body_of(response)


def _items_holding(text: str) -> list[tuple[str, tuple[str, str]]]:
    settings = config.settings
    tables = (settings.comments_table, settings.sites_table, settings.ephemeral_table)
    return [
        (table, key)
        for table in tables
        for key, item in scan(HOME, table).items()
        if text in json.dumps(item)
    ]


def test_the_raw_email_is_stored_only_in_the_comment_item(client, monkeypatch):
    posted = _post(client, monkeypatch)
    holders = _items_holding(EMAIL)
    comment_sk = f"C#{posted['comment']['id']}"
    assert holders == [(config.settings.comments_table, ("myblog#/a", comment_sk))]


def test_a_raw_ip_address_is_never_stored(client, monkeypatch):
    _post(client, monkeypatch, parent=None)
    assert _items_holding(IP) == []


def test_moderators_see_the_address_the_public_never_does(client, monkeypatch, moderator_key):
    posted = _post(client, monkeypatch)
    public = client.http.get("/sites/myblog/comments?thread=/a").body.decode()
    assert EMAIL not in public
    status, listing = moderate(client, moderator_key, "GET", "comments?status=approved")
    assert status == 200
    assert [c["email"] for c in listing["comments"]] == [EMAIL]
    assert posted["comment"].get("email") is None


def test_an_authors_delete_erases_the_address_everywhere(client, monkeypatch):
    posted = _post(client, monkeypatch)
    response = client.http.delete(
        f"/sites/myblog/comments/{posted['comment']['id']}",
        headers={**JSON, "X-Edit-Token": posted["edit_token"]},
    )
    assert response.status_code == 204
    assert _items_holding(EMAIL) == []

"""An author's edit cannot bypass moderation: it is held to the rules of a new comment."""

from __future__ import annotations

import json

from chalicelib.store import sites
from tests.support import JSON, body_of, patch_settings, post_comment, stored_status, thread_count

SPAMMY = "Great deals: https://a.example https://b.example https://c.example https://d.example"


def edit(client, posted: dict, text: str, *, ip: str | None = None):
    headers = {**JSON, "X-Edit-Token": posted["edit_token"]}
    return client.http.request(
        "PATCH",
        f"/sites/myblog/comments/{posted['comment']['id']}",
        headers=headers,
        body=json.dumps({"text": text}),
    )


def approved_comment(client, text: str = "A fair point, well made.") -> dict:
    posted = body_of(post_comment(client, {"text": text, "author": "Ann", "email": "a@x.example"}))
    assert posted["comment"]["status"] == "approved"
    return posted


def set_mode(mode: str) -> None:
    sites.update_site("myblog", {"moderation": mode})


def test_an_approved_comment_edited_on_a_moderate_all_site_goes_back_to_pending(client):
    posted = approved_comment(client)
    set_mode("all")
    response = edit(client, posted, SPAMMY)
    assert response.status_code == 200
    assert body_of(response)["comment"]["status"] == "pending"
    assert stored_status(posted["comment"]["id"]) == "pending"
    assert thread_count() == 0


def test_the_held_edit_leaves_the_public_thread(client):
    posted = approved_comment(client)
    set_mode("all")
    edit(client, posted, SPAMMY)
    listed = body_of(client.http.get("/sites/myblog/comments?thread=/a"))
    assert listed["comments"] == []
    assert listed["thread"]["count"] == 0


def test_an_edit_adding_too_many_links_is_held_even_on_an_open_site(client):
    posted = approved_comment(client)
    response = edit(client, posted, SPAMMY)
    assert body_of(response)["comment"]["status"] == "pending"
    assert thread_count() == 0


def test_an_edit_adding_a_link_on_a_links_site_is_held(client):
    posted = approved_comment(client)
    set_mode("links")
    assert body_of(edit(client, posted, "See https://a.example"))["comment"]["status"] == "pending"


def test_an_edit_that_still_passes_the_policy_stays_approved_and_counted(client):
    posted = approved_comment(client)
    response = edit(client, posted, "A fair point, well made. (typo fixed)")
    assert body_of(response)["comment"]["status"] == "approved"
    assert thread_count() == 1


def test_an_edit_never_approves_a_held_comment(client):
    set_mode("links")
    posted = body_of(post_comment(client, {"text": "See https://a.example"}))
    assert posted["comment"]["status"] == "pending"
    set_mode("none")
    assert body_of(edit(client, posted, "No links now."))["comment"]["status"] == "pending"
    assert thread_count() == 0


def test_a_banned_author_cannot_edit(client):
    posted = approved_comment(client)
    sites.add_ban("myblog", "email", "a@x.example")
    sites.clear_cache()
    response = edit(client, posted, "Edited after the ban")
    assert response.status_code == 403
    assert body_of(response)["Code"] == "Banned"
    assert thread_count() == 1


def test_a_registered_spam_check_sees_edits_too(client, monkeypatch):
    from chalicelib.threads import spam

    class NoCasinos:
        name = "no-casinos"

        def __call__(self, site, candidate):
            return spam.Verdict(spam.SPAM, "casino") if "casino" in candidate.text else None

    remove = spam.register(NoCasinos())
    try:
        posted = approved_comment(client)
        response = edit(client, posted, "Visit my casino")
    finally:
        remove()
    assert body_of(response)["comment"]["status"] == "pending"  # spam is never announced
    assert stored_status(posted["comment"]["id"]) == "spam"
    assert thread_count() == 0


def test_a_read_only_site_refuses_edits(client, monkeypatch):
    posted = approved_comment(client)
    patch_settings(monkeypatch, read_only_message="Maintenance")
    response = edit(client, posted, "Changed")
    assert response.status_code == 503
    assert body_of(response)["Code"] == "ReadOnly"

"""``sidenote export`` (jsonl, Disqus's WXR import format) and round trips (moto).

Export → import into a new site → export gives the same comments: statuses, parents,
times, types, authors, e-mails, websites, HTML (and Markdown source through jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from chalicelib.store import sites
from sidenote_cli import main
from tests.support import ORIGIN

FIXTURES = Path(__file__).parent / "fixtures" / "migrate"


def cli(*args: str) -> str:
    if args[0] == "import":
        args = (*args, "--workers", "1")  # moto's transactions are not thread-safe
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def export(tmp_path: Path, site_id: str, fmt: str = "jsonl") -> Path:
    out = tmp_path / f"{site_id}.{fmt}"
    cli("export", "--site", site_id, "--format", fmt, "--output", str(out))
    return out


def comparable(path: Path, *, markdown: bool = True) -> dict[str, list[tuple]]:
    """Per thread, the comments of a jsonl export without ids (parents by position)."""
    threads: dict[str, list[dict]] = {}
    current: list[dict] = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record["record"] == "thread":
            current = threads.setdefault(record["key"], [])
        elif record["record"] == "comment":
            current.append(record)
    found: dict[str, list[tuple]] = {}
    for key, records in threads.items():
        position = {r["id"]: i for i, r in enumerate(records)}
        found[key] = [
            (r["created"], r["status"], r["type"], r["author"], r["email"], r["website"],
             r["html"], r["text"] if markdown else None, position.get(r["parent"]))
            for r in records
        ]  # fmt: skip
    return found


def post(client, thread: str, body: dict) -> dict:
    from tests.support import body_of, post_comment

    response = post_comment(client, body, thread=thread)
    assert response.status_code == 201, response.body
    return body_of(response)


def posted_here(client) -> None:
    """A few native comments too (Markdown source, a reply, a held one)."""
    first = post(client, "/native", {"text": "**Native** comment", "author": "Ivy"})
    post(client, "/native", {"text": "a reply", "author": "Jo", "parent": first["comment"]["id"]})


def test_a_jsonl_export_imported_into_a_new_site_exports_the_same_comments(site, client, tmp_path):
    cli("import", "disqus", str(FIXTURES / "disqus-export.xml"), "--site", "myblog")
    cli("import", "wordpress", str(FIXTURES / "wordpress-wxr12-latin1.xml"), "--site", "myblog")
    posted_here(client)
    first = export(tmp_path, "myblog")
    sites.create_site("newblog", "New Blog", origins=[ORIGIN])

    cli("import", "sidenote", str(first), "--site", "newblog")
    second = export(tmp_path, "newblog")

    before, after = comparable(first), comparable(second)
    assert after == before
    assert sum(len(c) for c in before.values()) == 9 + 1 + 8 + 2  # with the tombstone
    statuses = {c[1] for comments in before.values() for c in comments}
    assert statuses == {"approved", "pending", "spam", "deleted"}
    types = {c[2] for comments in before.values() for c in comments}
    assert types == {"comment", "pingback", "trackback"}


def test_running_the_jsonl_import_twice_adds_nothing(site, tmp_path):
    cli("import", "disqus", str(FIXTURES / "disqus-export.xml"), "--site", "myblog")
    first = export(tmp_path, "myblog")
    sites.create_site("newblog", "New Blog", origins=[ORIGIN])
    cli("import", "sidenote", str(first), "--site", "newblog")

    output = cli("import", "sidenote", str(first), "--site", "newblog")

    assert "imported 0" in output and "duplicates skipped 10" in output


def test_the_disqus_export_is_wxr_that_reads_back_whole(site, client, tmp_path):
    cli("import", "disqus", str(FIXTURES / "disqus-export.xml"), "--site", "myblog")
    cli("import", "wordpress", str(FIXTURES / "wordpress-wxr12-latin1.xml"), "--site", "myblog")
    posted_here(client)
    wxr = export(tmp_path, "myblog", "disqus")
    text = wxr.read_text()
    assert 'xmlns:dsq="http://www.disqus.com/"' in text
    assert "<dsq:thread_identifier>hello-post</dsq:thread_identifier>" in text
    assert "<wp:comment_date_gmt>2010-03-01 10:00:00</wp:comment_date_gmt>" in text
    assert "<link>https://blog.example/native</link>" in text  # made from the site's origin

    sites.create_site("newblog", "New Blog", origins=[ORIGIN])
    cli("import", "wordpress", str(wxr), "--site", "newblog")

    assert comparable(export(tmp_path, "newblog"), markdown=False) == comparable(
        export(tmp_path, "myblog"), markdown=False
    )


def test_an_export_holds_comments_their_authors_deleted(site, client, tmp_path):
    """Author-deleted comments are in no index; the export still has them (tombstones)."""
    from chalicelib.store import comments

    first = post(client, "/a", {"text": "soon gone", "author": "Kim"})
    post(client, "/a", {"text": "reply", "parent": first["comment"]["id"]})
    comments.erase(comments.find(site, first["comment"]["id"]))

    records = comparable(export(tmp_path, "myblog"))["/a"]

    assert [(r[1], r[3], r[8]) for r in records] == [("deleted", "", None), ("approved", "", 0)]

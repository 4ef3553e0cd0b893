"""End to end: each format's fixture imported with the real CLI into its own site of the
local stack (DynamoDB Local), then read back over real HTTP from ``chalice local``: every
thread lists its imported comments and ``/counts`` counts them.

What a thread must count comes from the fixture itself, read by the format's parser: the
approved comments (linkbacks counted apart) of each thread key, duplicates and comments
the importer rejects (with a reason, in its report) left out.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from chalicelib.platform.errors import SidenoteError
from sidenote_cli.migrate.commands import parser_for
from sidenote_cli.migrate.keys import thread_key

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures" / "migrate"

#: format → fixture file; ``isso.sql`` is turned into Isso's SQLite database first.
SOURCES = [
    ("disqus", "disqus-export.xml"),
    ("wordpress", "wordpress-wxr12-latin1.xml"),
    ("isso", "isso.sql"),
    ("remark42", "remark42-backup.gz"),
    ("remark42", "remark42-backup.jsonl"),
    ("commento", "commento-export.json"),
    ("haloscan", "haloscan-export.xml"),
    ("haloscan", "haloscan-elements.xml"),
]


def source_file(name: str, directory: Path) -> Path:
    """The fixture as the importer takes it (an Isso database built from its SQL)."""
    if not name.endswith(".sql"):
        return FIXTURES / name
    database = directory / "comments.db"
    connection = sqlite3.connect(database)
    connection.executescript((FIXTURES / name).read_text())
    connection.commit()
    connection.close()
    return database


def expected_counts(fmt: str, path: Path) -> tuple[Counter, Counter, int]:
    """From the file: per thread key, approved comments and approved linkbacks; and how
    many comments have no usable thread (the importer rejects those)."""
    comments, linkbacks, keyless = Counter(), Counter(), 0
    for comment in parser_for(fmt)(path):
        if comment.duplicate_of is not None:
            continue
        try:
            key = thread_key(comment, {})[0]
        except SidenoteError:
            keyless += 1
            continue
        comments[key] += 0
        if comment.status == "approved":
            (comments if comment.kind == "comment" else linkbacks)[key] += 1
    return comments, linkbacks, keyless


def new_site(live_stack, fmt: str) -> str:
    site_id = f"mig-{fmt}-{uuid.uuid4().hex[:6]}"
    live_stack.cli("site", "create", site_id, "--name", f"Imported from {fmt}",
                   "--origin", live_stack.url)  # fmt: skip
    return site_id


def import_into(live_stack, fmt: str, path: Path, site_id: str, directory: Path) -> dict:
    report = directory / f"report-{site_id}.json"
    live_stack.cli("import", fmt, str(path), "--site", site_id, "--report", str(report))
    return json.loads(report.read_text())


def thread_page(base: str, site_id: str, key: str) -> dict:
    response = requests.get(
        f"{base}/sites/{site_id}/comments", params={"thread": key, "limit": 200}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def counts(base: str, site_id: str, keys: list[str]) -> dict:
    response = requests.get(f"{base}/sites/{site_id}/counts", params={"thread": keys}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def shows_what_the_file_holds(live_stack, fmt: str, path: Path, site_id: str, report: dict):
    """Every thread of the file lists and counts its approved comments over HTTP."""
    want, want_linkbacks, keyless = expected_counts(fmt, path)
    assert report["outcome"] == "complete"
    assert report["rejected"] == keyless, report["rejections"]
    assert {t["key"] for t in report["threads"]} == set(want)
    found = counts(live_stack.url, site_id, sorted(want))
    assert found["counts"] == dict(want)
    assert found["trackbacks"] == {key: want_linkbacks[key] for key in want}
    for key, number in want.items():
        page = thread_page(live_stack.url, site_id, key)
        listed = [c for c in page["comments"] if c["type"] == "comment" and not c["deleted"]]
        assert len(listed) == number == page["thread"]["count"], key
        assert len([c for c in page["comments"] if c["type"] != "comment"]) == want_linkbacks[key]
        assert page["cursor"] is None
    return want


@pytest.mark.parametrize(("fmt", "name"), SOURCES, ids=[name for _, name in SOURCES])
def test_each_formats_fixture_imports_and_shows_over_http_with_exact_counts(
    live_stack, tmp_path, fmt, name
):
    path = source_file(name, tmp_path)
    site_id = new_site(live_stack, fmt)

    report = import_into(live_stack, fmt, path, site_id, tmp_path)

    want = shows_what_the_file_holds(live_stack, fmt, path, site_id, report)
    assert sum(want.values()) > 0
    again = import_into(live_stack, fmt, path, site_id, tmp_path)
    assert again["imported"] == 0 and again["duplicates"] >= report["imported"]
    assert counts(live_stack.url, site_id, sorted(want))["counts"] == dict(want)


def test_a_sites_own_export_imports_into_a_new_site_with_the_same_counts(live_stack, tmp_path):
    first = new_site(live_stack, "disqus")
    import_into(live_stack, "disqus", FIXTURES / "disqus-export.xml", first, tmp_path)
    exported = tmp_path / "export.jsonl"
    live_stack.cli("export", "--site", first, "--format", "jsonl", "--output", str(exported))
    second = new_site(live_stack, "sidenote")

    report = import_into(live_stack, "sidenote", exported, second, tmp_path)

    want = shows_what_the_file_holds(live_stack, "sidenote", exported, second, report)
    assert counts(live_stack.url, first, sorted(want))["counts"] == dict(want)

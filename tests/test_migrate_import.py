"""``sidenote import``: Disqus and WordPress files into a site through the posting path (moto).

Fixtures in tests/fixtures/migrate were written from the formats' documentation, with the
awkward cases: threads without identifier, a plain ``?p=`` permalink, an orphan, a deleted
parent with a reply, a reply before its parent, spam, CDATA with hostile HTML, an
ISO-8859-1 file, pingbacks and trackbacks, a zero GMT date.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib.store import comments, sites
from chalicelib.store.models import ThreadMeta
from sidenote_cli import main
from tests.support import DYNAMODB_CALLS, WRITES, stored_comments

FIXTURES = Path(__file__).parent / "fixtures" / "migrate"
DISQUS = FIXTURES / "disqus-export.xml"
WXR = FIXTURES / "wordpress-wxr12-latin1.xml"


def run(*args: str) -> object:
    """The CLI, in process. Imports store one thread at a time here: moto's transactions
    are not thread-safe (a refused one restores a copy of the whole table)."""
    if args[0] == "import" and "--workers" not in args:
        args = (*args, "--workers", "1")
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def imported(tmp_path: Path, fmt: str, path: Path, *extra: str, site: str = "myblog") -> dict:
    """Run the import with a JSON report; return the report."""
    out = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
    result = run("import", fmt, str(path), "--site", site, "--report", str(out), *extra)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def counts_are_exact(site_id: str = "myblog") -> None:
    """Every thread's stored count equals its approved comments (linkbacks apart)."""
    site = sites.get_site(site_id)
    expected: dict[str, int] = {}
    for comment in stored_comments():
        counted = comment.status == "approved" and (comment.type or "comment") == "comment"
        if comment.site == site_id and counted:
            expected[comment.thread] = expected.get(comment.thread, 0) + 1
    threads = {c.thread for c in stored_comments() if c.site == site_id}
    found = comments.thread_counts(site, sorted(threads))
    assert found == {key: expected.get(key, 0) for key in threads}


def test_a_disqus_export_imports_with_statuses_times_authors_and_thread_keys(site, tmp_path):
    report = imported(tmp_path, "disqus", DISQUS)

    assert report["parsed"] == 9
    assert report["imported"] == 9
    assert report["by_status"] == {"approved": 7, "deleted": 1, "spam": 1}
    assert report["tombstones"] == 1  # the orphan's missing parent
    assert report["rejected"] == 0
    threads = {t["key"]: t for t in report["threads"]}
    assert threads["hello-post"]["rules"] == ["identifier"]
    assert threads["/2010/second"]["rules"] == ["url-path"]
    assert threads["/?p=42"]["rules"] == ["url-path"]
    assert threads["hello-post"]["title"] == "Hello, world"

    stored = {c.author: c for c in stored_comments() if c.author}
    first = stored["Zoë"]
    assert first.created == "2010-03-01T10:00:00Z"
    assert first.edit_until == first.created
    assert first.email == "zoe@example.org"
    assert first.ip_hash and first.ip_hash != "192.0.2.10"
    assert first.imported == "disqus"
    assert "javascript" not in first.html and "<script" not in first.html
    assert "<img" not in first.html
    assert 'href="https://example.org/"' in first.html and "nofollow" in first.html
    assert stored["Watches"].status == "spam"
    assert stored["Carol"].status == "deleted"
    assert stored["Dan"].parent == stored["Carol"].id
    assert stored["Bob"].parent == first.id
    assert stored["Eve"].parent == stored["Fay"].id  # stored after its later parent
    assert stored["Hal"].thread == "/?p=42"
    # The ids keep the source's order: a ULID whose time is the source's time.
    assert stored["Fay"].id < stored["Eve"].id
    assert first.id < stored["Bob"].id
    counts_are_exact()


def test_a_reply_to_a_deleted_comment_shows_under_its_tombstone(site, client):
    run("import", "disqus", str(DISQUS), "--site", "myblog")

    page = comments.list_thread(site, "hello-post")
    shown = {c["id"]: c for c in page["comments"]}
    carol = next(c for c in stored_comments() if c.author == "Carol")
    assert shown[carol.id]["deleted"] is True and shown[carol.id]["html"] == ""
    dan = next(c for c in page["comments"] if c["author"] == "Dan")
    assert dan["parent"] == carol.id
    assert page["thread"]["count"] == 5


def test_an_orphan_hangs_under_a_tombstone_made_for_its_missing_parent(site):
    run("import", "disqus", str(DISQUS), "--site", "myblog")

    orphan = next(c for c in stored_comments() if c.author == "Gus")
    tombstone = next(c for c in stored_comments() if c.id == orphan.parent)
    assert tombstone.status == "deleted" and tombstone.html == ""
    assert tombstone.thread == orphan.thread and tombstone.has_replies
    assert tombstone.id < orphan.id
    shown = comments.list_thread(site, "/2010/second")["comments"]
    assert [c["id"] for c in shown] == [tombstone.id, orphan.id]


def test_running_an_import_again_creates_nothing_and_counts_nothing_twice(site, tmp_path):
    first = imported(tmp_path, "disqus", DISQUS)
    before = {c.id: c.status for c in stored_comments()}
    counts_before = comments.thread_counts(site, ["hello-post", "/2010/second", "/?p=42"])

    again = imported(tmp_path, "disqus", DISQUS)

    assert again["imported"] == 0 and again["tombstones"] == 0
    assert again["duplicates"] == first["imported"]
    assert {c.id: c.status for c in stored_comments()} == before
    assert comments.thread_counts(site, ["hello-post", "/2010/second", "/?p=42"]) == counts_before
    assert comments.day_figures("myblog", "2010-03-01")["approved"] == 2


def test_an_import_that_crashes_midway_resumes_without_duplicates(site, tmp_path, monkeypatch):
    from pynamodb.exceptions import PutError

    from chalicelib.threads import posting
    from sidenote_cli.migrate import importer

    monkeypatch.setattr(importer, "ATTEMPTS", 2)
    monkeypatch.setattr(importer.time, "sleep", lambda s: None)
    real_store, calls = posting.store_imported_batch, []

    def failing_store(batch, *args):
        calls.append([prepared.id for prepared in batch])
        if len(calls) > 2:
            raise PutError("the table went away")
        return real_store(batch, *args)

    monkeypatch.setattr(posting, "store_imported_batch", failing_store)
    out = tmp_path / "crash.json"
    result = run("import", "disqus", str(DISQUS), "--site", "myblog", "--report", str(out),
                 "--workers", "1")  # fmt: skip
    assert result.exit_code == 1
    crashed = json.loads(out.read_text())
    assert crashed["outcome"].startswith("stopped")
    assert 0 < crashed["imported"] < 9
    counts_are_exact()  # what was stored is counted, nothing else

    monkeypatch.setattr(posting, "store_imported_batch", real_store)
    resumed = imported(tmp_path, "disqus", DISQUS)

    assert resumed["outcome"] == "complete", resumed
    assert resumed["imported"] + resumed["duplicates"] == 9, resumed
    assert resumed["duplicates"] == crashed["imported"]
    assert len([c for c in stored_comments() if c.author]) == 9
    counts_are_exact()


def test_a_dry_run_checks_everything_and_writes_nothing(site, tmp_path):
    with DYNAMODB_CALLS.recording() as calls:
        report = imported(tmp_path, "disqus", DISQUS, "--dry-run")

    assert report["dry_run"] is True and report["imported"] == 9
    assert not [op for op, _ in calls if op in WRITES]
    assert stored_comments() == []


def test_a_wordpress_wxr_in_latin1_keeps_statuses_linkbacks_and_paragraphs(site, tmp_path):
    report = imported(tmp_path, "wordpress", WXR)

    assert report["parsed"] == 8 and report["imported"] == 8 and report["rejected"] == 0
    assert report["by_type"] == {"comment": 6, "pingback": 1, "trackback": 1}
    stored = {c.author: c for c in stored_comments() if c.author}
    renee = stored["Renée"]
    assert renee.html == "<p>Délicieux!</p><p>Second paragraph,<br>\nwith a line break.</p>"
    assert renee.website == "https://renee.example/" and renee.thread == "/2011/creme-brulee"
    held = stored["Held reply"]
    assert held.status == "pending" and held.parent == renee.id
    assert held.email is None and held.website is None  # invalid ones are not kept
    assert stored["Cheap pills"].status == "spam"
    assert stored["Trashed"].status == "deleted"
    assert stored["Under the bin"].parent == stored["Trashed"].id
    assert stored["Under the bin"].created == "2011-06-04T11:00:00Z"  # the local date
    assert stored["Another Blog » A post"].type == "pingback"
    assert stored["Third Blog"].type == "trackback"
    assert stored["Visitor"].thread == "/?page_id=2"
    counts_are_exact()


def test_a_map_rewrites_thread_keys_and_the_report_says_so(site, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("old,new\nhello-post,/2010/hello\n/?p=42,/2010/plain\n")

    report = imported(tmp_path, "disqus", DISQUS, "--map", str(mapping))

    threads = {t["key"]: t["rules"] for t in report["threads"]}
    assert threads == {"/2010/hello": ["map"], "/2010/second": ["url-path"],
                       "/2010/plain": ["map"]}  # fmt: skip
    assert comments.thread_counts(site, ["/2010/hello"]) == {"/2010/hello": 5}


@pytest.mark.parametrize("name", ["hostile-billion-laughs.xml", "hostile-external-entity.xml"])
def test_hostile_xml_is_refused_with_a_clear_error_and_nothing_written(site, name, tmp_path):
    source = (FIXTURES / name).read_text()
    hostile = tmp_path / "hostile.xml"
    # The same attack, dressed as each XML format.
    for fmt in ("disqus", "wordpress"):
        hostile.write_text(source)
        result = run("import", fmt, str(hostile), "--site", "myblog")
        assert result.exit_code == 2
        assert "refused" in result.output and "nothing was imported" in result.output
    assert stored_comments() == []


def test_a_broken_file_stops_with_its_line_before_anything_is_written(site, tmp_path):
    broken = tmp_path / "broken.xml"
    lines = DISQUS.read_text().splitlines()
    at = max(i for i, line in enumerate(lines) if "</isSpam>" in line)
    lines[at] = lines[at].replace("</isSpam>", "</isSpammy>")
    broken.write_text("\n".join(lines))

    result = run("import", "disqus", str(broken), "--site", "myblog")

    assert result.exit_code == 2
    assert f"line {at + 1}" in result.output and "nothing was imported" in result.output
    assert stored_comments() == []
    assert not [m for m in ThreadMeta.scan() if isinstance(m, ThreadMeta)]


def test_comments_that_cannot_be_stored_are_rejected_with_a_reason(site, tmp_path):
    long_key = "k" * 600
    text = DISQUS.read_text().replace("<id>hello-post</id>", f"<id>{long_key}</id>")
    source = tmp_path / "long.xml"
    source.write_text(text)

    report = imported(tmp_path, "disqus", source)

    assert report["rejected"] == 6
    assert {r["reason"] for r in report["rejections"]} == {
        "The thread key is longer than 512 characters."
    }
    assert report["imported"] == 3
    counts_are_exact()


def test_a_missing_parser_module_is_a_clear_error_not_a_broken_cli(site, tmp_path, monkeypatch):
    from sidenote_cli.migrate import commands

    monkeypatch.setitem(commands.FORMATS, "isso", "sidenote_cli.migrate.formats.not_there")
    result = run("import", "isso", str(DISQUS), "--site", "myblog")

    assert result.exit_code == 2
    assert "the isso parser is not installed" in result.output


def test_importing_into_an_unknown_site_is_refused(aws):
    result = run("import", "disqus", str(DISQUS), "--site", "nosuch")
    assert result.exit_code == 2 and "error:" in result.output

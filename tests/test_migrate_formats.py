"""The Isso, Remark42, Commento and Haloscan parsers: what each yields from its fixture,
how broken and hostile files are refused, and that memory stays flat on big files.

Fixtures live in ``tests/fixtures/migrate/`` (written from each format's description:
Isso's schema, Remark42's backup lines, Commento's export object, Haloscan's undocumented
XML in the shapes exports were kept in).
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sidenote_cli.migrate.formats import commento, haloscan, isso, remark42
from sidenote_cli.migrate.source import SourceComment, SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "migrate"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def isso_db(directory: Path, sql: str | None = None) -> Path:
    """An Isso database built from ``isso.sql`` (or the given SQL)."""
    path = directory / "comments.db"
    connection = sqlite3.connect(path)
    connection.executescript(sql if sql is not None else (FIXTURES / "isso.sql").read_text())
    connection.commit()
    connection.close()
    return path


# --- Isso ---------------------------------------------------------------------------------


def test_isso_database_yields_every_comment_with_its_thread_status_and_parent(tmp_path):
    comments = list(isso.parse(isso_db(tmp_path)))

    assert comments == [
        SourceComment(
            source_id="1",
            thread_id="/2019/hello-world/",
            thread_url="/2019/hello-world/",
            thread_title="Hello, world",
            created=datetime(2019, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
            text="First *post*, with [a link](https://example.org).",
            author="Ada",
            email="ada@example.org",
            website="https://ada.example.org",
            ip="192.0.2.0",
            where="comment id 1",
        ),
        SourceComment(
            source_id="2",
            thread_id="/2019/hello-world/",
            thread_url="/2019/hello-world/",
            thread_title="Hello, world",
            created=utc(2019, 1, 1, 1),
            text="Pending reply",
            parent_id="1",
            author="Bob",
            ip="2001:db8::",
            status="pending",
            where="comment id 2",
        ),
        SourceComment(
            source_id="3",
            thread_id="/2019/hello-world/",
            thread_url="/2019/hello-world/",
            thread_title="Hello, world",
            created=utc(2019, 1, 1, 2),
            text="",
            email="gone@example.org",
            ip="198.51.100.0",
            status="deleted",
            where="comment id 3",
        ),
        SourceComment(
            source_id="4",
            thread_id="/2019/hello-world/",
            thread_url="/2019/hello-world/",
            thread_title="Hello, world",
            created=datetime(2019, 1, 1, 3, 0, 0, 500000, tzinfo=UTC),
            text="Reply to a deleted comment — ünïcödé",
            parent_id="3",
            author="Chloé",
            ip="198.51.100.0",
            where="comment id 4",
        ),
        SourceComment(
            source_id="5",
            thread_id="talk-about-sqlite",
            thread_url=None,
            thread_title=None,
            created=utc(2020, 1, 1),
            text="Anonymous words",
            ip="203.0.113.0",
            where="comment id 5",
        ),
        SourceComment(
            source_id="6",
            thread_id=None,
            thread_url=None,
            thread_title=None,
            created=utc(2020, 1, 1, 1),
            text="Orphaned by its thread",
            author="Dan",
            where="comment id 6",
        ),
    ]


def test_isso_refuses_a_file_that_is_not_an_sqlite_database(tmp_path):
    path = tmp_path / "comments.db"
    path.write_text("this is not a database\n" * 100)

    with pytest.raises(SourceError, match="not an SQLite database"):
        list(isso.parse(path))


def test_isso_refuses_an_sqlite_database_without_isso_tables(tmp_path):
    path = isso_db(tmp_path, "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);")

    with pytest.raises(SourceError, match="not an Isso database"):
        list(isso.parse(path))


def test_isso_stops_on_a_mode_isso_never_writes_naming_the_comment(tmp_path):
    sql = (FIXTURES / "isso.sql").read_text() + (
        "INSERT INTO comments (tid, id, created, mode, text, voters) "
        "VALUES (1, 7, 1600000000, 3, 'odd', x'00');"
    )

    with pytest.raises(SourceError, match="comment id 7: mode 3"):
        list(isso.parse(isso_db(tmp_path, sql)))


# --- Remark42 -----------------------------------------------------------------------------

REMARK42_EXPECTED = [
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000001",
        thread_id=None,
        thread_url="https://blog.example.org/2020/first/",
        thread_title="First post",
        created=datetime(2020, 3, 1, 9, 0, 0, 123456, tzinfo=UTC),
        text="<p>Hello <strong>there</strong> &amp; welcome</p>\n",
        is_html=True,
        markdown="Hello **there** & welcome",
        author="Ada",
        email="ada@example.org",
        where="line 2",
    ),
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000002",
        thread_id=None,
        thread_url="https://blog.example.org/2020/first/",
        thread_title="First post",
        created=utc(2020, 3, 1, 9, 30),
        text="<p>a reply</p>\n",
        is_html=True,
        markdown="a reply",
        parent_id="c0ffee01-0000-4000-8000-000000000001",
        author="Bob",  # blocked until 2001: the block is over
        where="line 3",
    ),
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000003",
        thread_id=None,
        thread_url="https://blog.example.org/2020/first/",
        thread_title="First post",
        created=utc(2020, 3, 2, 8),
        text="<p>buy cheap things</p>\n",
        is_html=True,
        markdown="buy cheap things",
        author="Troll",
        status="spam",  # a blocked user's comment
        where="line 5",
    ),
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000004",
        thread_id=None,
        thread_url="https://blog.example.org/2020/second/",
        thread_title=None,
        created=utc(2020, 4, 1, 12),
        text="",
        is_html=True,
        author="Ada",
        email="ada@example.org",
        status="deleted",
        where="line 6",
    ),
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000005",
        thread_id=None,
        thread_url="https://blog.example.org/2020/second/",
        thread_title=None,
        created=utc(2020, 4, 1, 13),
        text="<p>answer to a deleted one</p>\n",
        is_html=True,
        parent_id="c0ffee01-0000-4000-8000-000000000004",
        author="deleted",
        status="deleted",
        where="line 7",
    ),
    SourceComment(
        source_id="c0ffee01-0000-4000-8000-000000000006",
        thread_id="post-17",
        thread_url=None,
        thread_title=None,
        created=utc(2021, 5, 5, 12, 5, 5),
        text="<p>on a page id</p>\n",
        is_html=True,
        markdown="on a page id",
        author="Zoë",
        where="line 8",
    ),
]


def test_remark42_backup_yields_every_comment_with_html_statuses_and_emails_from_the_meta():
    assert list(remark42.parse(FIXTURES / "remark42-backup.jsonl")) == REMARK42_EXPECTED


def test_remark42_gzipped_backup_reads_the_same_as_the_plain_one():
    assert list(remark42.parse(FIXTURES / "remark42-backup.gz")) == REMARK42_EXPECTED


def test_remark42_line_that_is_not_json_stops_with_its_line_number(tmp_path):
    lines = (FIXTURES / "remark42-backup.jsonl").read_text().splitlines(keepends=True)
    lines[4] = '{"id": "x", "text": "cut off\n'
    path = tmp_path / "backup"
    path.write_text("".join(lines))

    with pytest.raises(SourceError, match="not JSON") as caught:
        list(remark42.parse(path))
    assert caught.value.line == 5


def test_remark42_truncated_gzip_stops_with_a_line_number(tmp_path):
    data = gzip.compress((FIXTURES / "remark42-backup.jsonl").read_bytes())
    path = tmp_path / "backup.gz"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(SourceError, match="gzip") as caught:
        list(remark42.parse(path))
    assert caught.value.line is not None


def test_remark42_comment_without_a_time_stops_with_its_line(tmp_path):
    path = tmp_path / "backup"
    path.write_text(
        '{"version": 1, "users": [], "posts": []}\n'
        '{"id": "a", "text": "x", "user": {"name": "n", "id": "u"}, '
        '"locator": {"url": "https://e.org/"}}\n'
    )

    with pytest.raises(SourceError, match="comment a: no time") as caught:
        list(remark42.parse(path))
    assert caught.value.line == 2


def test_remark42_backup_of_an_unknown_version_is_refused(tmp_path):
    path = tmp_path / "backup"
    path.write_text('{"version": 7, "users": [], "posts": []}\n')

    with pytest.raises(SourceError, match="version 7") as caught:
        list(remark42.parse(path))
    assert caught.value.line == 1


# --- Commento -----------------------------------------------------------------------------


def commento_comment(source_id: str, **fields) -> SourceComment:
    path = fields.pop("path", "/posts/hello.html")
    return SourceComment(
        source_id=source_id,
        thread_id=path,
        thread_url=f"https://blog.example.com{path}",
        thread_title=None,
        **fields,
    )


def test_commento_export_yields_every_comment_anonymous_ones_included():
    comments = list(commento.parse(FIXTURES / "commento-export.json"))

    assert comments == [
        commento_comment(
            "a1a1",
            created=datetime(2019, 6, 1, 10, 0, 0, 123000, tzinfo=UTC),
            text="Nice **post**!",
            author="Ada",
            email="ada@example.com",
            website="https://ada.example.com",
            where="comments[0]",
        ),
        commento_comment(
            "a2a2",
            created=utc(2019, 6, 1, 11),
            text="I agree, anonymously",
            parent_id="a1a1",
            author="Anonymous",
            where="comments[1]",
        ),
        commento_comment(
            "a3a3",
            created=utc(2019, 6, 2, 7),
            text="Anonymous and waiting",
            author="Anonymous",
            status="pending",
            where="comments[2]",
        ),
        commento_comment(
            "a4a4",
            created=utc(2019, 6, 3),
            text="cheap pills",
            author="Spammer",
            email="spam@example.net",
            status="spam",
            where="comments[3]",
        ),
        commento_comment(
            "a5a5",
            path="/posts/other.html",
            created=utc(2019, 7, 1, 8),
            text="[deleted]",
            author="Anonymous",
            status="deleted",
            where="comments[4]",
        ),
        commento_comment(
            "a6a6",
            path="/posts/other.html",
            created=utc(2019, 7, 1, 9),
            text="Replying to what was deleted",
            parent_id="a5a5",
            author="Spammer",
            email="spam@example.net",
            where="comments[5]",
        ),
        commento_comment(
            "a7a7",
            path="/posts/other.html",
            created=utc(2019, 7, 2, 9),
            text="My commenter is not in the file; my parent neither",
            parent_id="ffff",
            where="comments[6]",
        ),
    ]


def test_commento_keeps_every_anonymous_comment_of_the_export():
    exported = json.loads((FIXTURES / "commento-export.json").read_text())["comments"]
    anonymous = {c["commentHex"] for c in exported if c["commenterHex"] == "anonymous"}

    parsed = {c.source_id for c in commento.parse(FIXTURES / "commento-export.json")}

    assert anonymous == {"a2a2", "a3a3", "a5a5"}
    assert anonymous <= parsed


def test_commento_gzipped_export_reads_the_same_as_the_plain_one(tmp_path):
    path = tmp_path / "commento.json.gz"
    path.write_bytes(gzip.compress((FIXTURES / "commento-export.json").read_bytes()))

    assert list(commento.parse(path)) == list(commento.parse(FIXTURES / "commento-export.json"))


def test_commento_malformed_json_stops_with_its_line_number(tmp_path):
    lines = (FIXTURES / "commento-export.json").read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace('"markdown":', '"markdown"', 1)
    path = tmp_path / "commento.json"
    path.write_text("".join(lines))

    with pytest.raises(SourceError, match="not valid JSON") as caught:
        list(commento.parse(path))
    assert caught.value.line == 6


def test_commento_unknown_state_stops_naming_the_comment_and_line(tmp_path):
    text = (FIXTURES / "commento-export.json").read_text()
    path = tmp_path / "commento.json"
    path.write_text(text.replace('"state": "flagged"', '"state": "quarantined"'))

    with pytest.raises(SourceError, match=r"comments\[3\] \(a4a4\): state 'quarantined'") as e:
        list(commento.parse(path))
    assert e.value.line == 7


def test_commento_file_that_is_not_an_export_object_is_refused(tmp_path):
    path = tmp_path / "commento.json"
    path.write_text("[1, 2, 3]\n")

    with pytest.raises(SourceError, match="not a Commento export"):
        list(commento.parse(path))


# --- Haloscan -----------------------------------------------------------------------------

HELLO = {
    "thread_id": "110512345",
    "thread_url": "http://blog.example.org/2005/01/hello.html",
    "thread_title": "Hello, world",
}
RENEE = "First! <b>bold</b> & <i>proud</i>"


def test_haloscan_export_yields_comments_trackbacks_and_orphans_in_iso_8859_1():
    comments = list(haloscan.parse(FIXTURES / "haloscan-export.xml"))
    first = comments[0].source_id
    carol = comments[5].source_id

    assert first.startswith("haloscan-")
    assert comments == [
        SourceComment(
            source_id=first,
            **HELLO,
            created=utc(2005, 1, 10, 12, 34, 56),
            text=RENEE,
            is_html=True,
            author="Renée",
            email="renee@example.org",
            website="http://renee.example.org/",
            ip="192.0.2.10",
            where="line 7",
        ),
        SourceComment(
            source_id=f"{first}#copy2",
            **HELLO,
            created=utc(2005, 1, 10, 12, 34, 56),
            text=RENEE,
            is_html=True,
            author="Renée",
            email="renee@example.org",
            website="http://renee.example.org/",
            ip="192.0.2.10",
            where="line 15",
            duplicate_of=first,
        ),
        SourceComment(
            source_id=comments[2].source_id,
            **HELLO,
            created=utc(2005, 1, 11, 21, 15),
            text="Plain words, 5 < 6 and a café.",
            author="Bob",
            where="line 23",
        ),
        SourceComment(
            source_id=f"{first}#copy3",
            **HELLO,
            created=utc(2005, 1, 10, 12, 34, 56),
            text=RENEE,
            is_html=True,
            author="Renée",
            where="line 28",
            duplicate_of=first,
        ),
        SourceComment(
            source_id=comments[4].source_id,
            **HELLO,
            created=utc(2005, 1, 11, 13),
            text="A reply elsewhere\n\nI disagree with hello.",
            author="Other blog",
            website="http://other.example.net/2005/01/reply.html",
            kind="trackback",
            where="line 33",
        ),
        SourceComment(
            source_id=carol,
            thread_id="110599999",
            thread_url=None,
            thread_title=None,
            created=utc(2005, 1, 11, 14),
            text="Attribute style, epoch seconds",
            author="Carol",
            where="line 42",
        ),
        SourceComment(
            source_id=f"{carol}#copy2",
            thread_id="110599999",
            thread_url=None,
            thread_title=None,
            created=utc(2005, 1, 11, 14),
            text="Attribute style, epoch seconds",
            author="Carol",
            where="line 43",
            duplicate_of=carol,
        ),
        SourceComment(
            source_id=comments[7].source_id,
            thread_id="110599999",
            thread_url=None,
            thread_title=None,
            created=utc(2005, 1, 12, 10),
            text="After the id",
            author="Carol",
            status="spam",
            where="line 45",
        ),
        SourceComment(
            source_id=comments[8].source_id,
            thread_id=None,
            thread_url=None,
            thread_title=None,
            created=utc(2005, 2, 1, 9),
            text="Lost thread",
            author="Dave",
            where="line 48",
        ),
        SourceComment(
            source_id=comments[9].source_id,
            thread_id="110512345",
            thread_url=None,
            thread_title=None,
            created=utc(2005, 3, 1),
            text="Orphan naming its thread",
            author="Eve",
            where="line 50",
        ),
        SourceComment(
            source_id=comments[10].source_id,
            thread_id=None,
            thread_url=None,
            thread_title=None,
            created=utc(2005, 3, 2, 10, 30),
            text="Orphan, nowhere",
            author="Frank",
            where="line 51",
        ),
    ]


def test_haloscan_duplicates_are_marked_once_each_and_counted():
    comments = list(haloscan.parse(FIXTURES / "haloscan-export.xml"))
    duplicates = [c for c in comments if c.duplicate_of]
    originals = [c for c in comments if not c.duplicate_of]

    assert len(comments) == 11
    assert len(duplicates) == 3
    assert len(originals) == 8
    assert len({c.source_id for c in comments}) == 11
    assert {c.duplicate_of for c in duplicates} <= {c.source_id for c in originals}


def test_haloscan_derived_ids_are_the_same_on_every_run():
    first = [c.source_id for c in haloscan.parse(FIXTURES / "haloscan-export.xml")]
    again = [c.source_id for c in haloscan.parse(FIXTURES / "haloscan-export.xml")]

    assert first == again


def test_haloscan_element_variant_with_namespace_ids_and_markup_is_read():
    comments = list(haloscan.parse(FIXTURES / "haloscan-elements.xml"))
    thread = {
        "thread_id": "post-2006-05",
        "thread_url": "http://zoe.example.com/2006/05/post.html",
        "thread_title": None,
    }

    assert comments == [
        SourceComment(
            source_id="987",
            **thread,
            created=utc(2006, 5, 5, 10),
            text="Line one<br>line two",
            is_html=True,
            author="Zoë",
            website="http://zoe.example.com",
            ip="203.0.113.7",
            where="line 8",
        ),
        SourceComment(
            source_id="988",
            **thread,
            created=utc(2006, 5, 6, 8),
            text="Hidden one",
            author="Yann",
            status="pending",
            where="line 16",
        ),
        SourceComment(
            source_id="989",
            **thread,
            created=utc(2006, 5, 6, 12),
            text="Mentioned you",
            author="Linking blog",
            website="http://linker.example.net/p/1",
            kind="trackback",
            where="line 23",
        ),
    ]


def test_haloscan_thread_known_only_by_its_url_gives_the_url_and_no_identifier(tmp_path):
    path = tmp_path / "haloscan.xml"
    path.write_text(
        '<threads>\n<thread url="http://e.org/2005/01/a.html" title="A">\n'
        '<comment date="2005-01-01" name="Al">hi</comment>\n</thread>\n</threads>\n'
    )

    (comment,) = haloscan.parse(path)

    assert (comment.thread_id, comment.thread_url, comment.thread_title) == (
        None,
        "http://e.org/2005/01/a.html",
        "A",
    )


def test_haloscan_windows_1252_file_is_decoded_as_declared(tmp_path):
    path = tmp_path / "haloscan.xml"
    path.write_bytes(
        b'<?xml version="1.0" encoding="windows-1252"?>\n'
        b'<threads><thread id="9"><comment><date>2005-01-01 10:00</date>'
        b"<name>Ren\xe9</name><text>\x93quoted\x94 \x80 5</text></comment></thread></threads>\n"
    )

    (comment,) = haloscan.parse(path)

    assert (comment.author, comment.text) == ("René", "\u201cquoted\u201d \u20ac 5")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1105360496", utc(2005, 1, 10, 12, 34, 56)),
        ("1105360496000", utc(2005, 1, 10, 12, 34, 56)),
        ("2005-01-10T12:34:56Z", utc(2005, 1, 10, 12, 34, 56)),
        ("2005-01-10T07:34:56-05:00", utc(2005, 1, 10, 12, 34, 56)),
        ("2005-01-10 12:34:56 GMT", utc(2005, 1, 10, 12, 34, 56)),
        ("Mon, 10 Jan 2005 07:34:56 -0500", utc(2005, 1, 10, 12, 34, 56)),
        ("2005/01/10 12:34:56", utc(2005, 1, 10, 12, 34, 56)),
        ("01/10/2005 12:34:56", utc(2005, 1, 10, 12, 34, 56)),
        ("01/10/2005 12:34 PM", utc(2005, 1, 10, 12, 34)),
        ("25/01/2005 08:00", utc(2005, 1, 25, 8)),
        ("10.01.2005 12:34", utc(2005, 1, 10, 12, 34)),
        ("January 10, 2005 12:34 PM", utc(2005, 1, 10, 12, 34)),
        ("Jan 10, 2005", utc(2005, 1, 10)),
    ],
)
def test_haloscan_times_in_the_common_forms_are_read_as_utc(written, expected):
    assert haloscan.parse_time(written) == expected


def test_haloscan_unreadable_date_stops_with_its_line(tmp_path):
    path = tmp_path / "haloscan.xml"
    path.write_text(
        '<threads>\n<thread id="1">\n<comment>\n<date>sometime in spring</date>\n'
        "<text>x</text></comment>\n</thread>\n</threads>\n"
    )

    with pytest.raises(SourceError, match="sometime in spring") as caught:
        list(haloscan.parse(path))
    assert caught.value.line == 3


def test_haloscan_comment_without_a_date_stops_with_its_line(tmp_path):
    path = tmp_path / "haloscan.xml"
    path.write_text(
        '<threads>\n<thread id="1">\n<comment><text>x</text></comment>\n</thread>\n</threads>'
    )

    with pytest.raises(SourceError, match="without a date") as caught:
        list(haloscan.parse(path))
    assert caught.value.line == 3


def test_haloscan_malformed_xml_stops_with_its_line_after_what_came_before():
    read: list[SourceComment] = []

    with pytest.raises(SourceError, match="not well-formed XML: mismatched tag") as caught:
        read.extend(haloscan.parse(FIXTURES / "haloscan-broken.xml"))

    assert caught.value.line == 13
    assert [c.author for c in read] == ["Ann"]


@pytest.mark.parametrize(
    ("fixture", "entity"),
    [("hostile-billion-laughs.xml", "lol"), ("hostile-external-entity.xml", "secret")],
)
def test_haloscan_refuses_hostile_xml_with_a_clear_error(fixture, entity):
    with pytest.raises(SourceError, match=f"declares the XML entity '{entity}': refused") as e:
        list(haloscan.parse(FIXTURES / fixture))
    assert e.value.line == 3


# --- Streaming ----------------------------------------------------------------------------


def write_haloscan(path: Path, count: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<haloscan>\n')
        for thread in range(count // 10):
            out.write(f' <thread id="t{thread}">\n')
            for n in range(10):
                out.write(
                    f"  <comment><date>{1100000000 + thread * 10 + n}</date><name>user {n}"
                    f"</name><text>comment {thread}-{n}, some words</text></comment>\n"
                )
            out.write(" </thread>\n")
        out.write("</haloscan>\n")
    return path


def write_remark42(path: Path, count: int) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write('{"version": 1, "users": [], "posts": []}\n')
        for n in range(count):
            record = {
                "id": f"c{n}",
                "pid": "",
                "text": f"<p>comment {n}</p>",
                "user": {"name": "someone", "id": f"user{n % 50}"},
                "locator": {"site": "blog", "url": f"https://e.org/p{n // 10}/"},
                "time": "2020-01-01T00:00:00Z",
            }
            out.write(json.dumps(record) + "\n")
    return path


def write_commento(path: Path, count: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"version": 1, "comments": [\n')
        for n in range(count):
            record = {
                "commentHex": f"h{n}",
                "domain": "e.org",
                "url": f"/p{n // 10}",
                "commenterHex": f"u{n % 50}",
                "markdown": f"comment {n}",
                "parentHex": "root",
                "state": "approved",
                "creationDate": "2020-01-01T00:00:00Z",
            }
            out.write(("," if n else "") + json.dumps(record) + "\n")
        commenters = [{"commenterHex": f"u{n}", "name": f"User {n}"} for n in range(50)]
        out.write(f'], "commenters": {json.dumps(commenters)}}}\n')
    return path


def write_isso(path: Path, count: int) -> Path:
    schema = (FIXTURES / "isso.sql").read_text().split("INSERT", 1)[0]
    connection = sqlite3.connect(path)
    connection.executescript(schema)
    connection.executemany(
        "INSERT INTO threads (id, uri) VALUES (?, ?)", ((t, f"/p{t}/") for t in range(count))
    )
    connection.executemany(
        "INSERT INTO comments (tid, id, created, mode, text, voters) VALUES (?, ?, ?, 1, ?, '')",
        ((n // 10, n + 1, 1.5e9 + n, f"comment {n}") for n in range(count)),
    )
    connection.commit()
    connection.close()
    return path


def peak_while_parsing(parse: Callable[[Path], Iterator[SourceComment]], path: Path) -> int:
    """Peak traced memory (bytes) while every comment of ``path`` is read and let go."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in parse(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 0
    return peak


@pytest.mark.parametrize(
    ("parse", "write", "suffix"),
    [
        (haloscan.parse, write_haloscan, ".xml"),
        (remark42.parse, write_remark42, ".gz"),
        (commento.parse, write_commento, ".json"),
        (isso.parse, write_isso, ".db"),
    ],
    ids=["haloscan", "remark42", "commento", "isso"],
)
def test_memory_stays_flat_when_the_file_is_ten_times_bigger(tmp_path, parse, write, suffix):
    small = peak_while_parsing(parse, write(tmp_path / f"small{suffix}", 2_000))
    big = peak_while_parsing(parse, write(tmp_path / f"big{suffix}", 20_000))

    # Growing with the file would make the big peak ~10x the small one.
    assert big < 2 * small, (small, big)

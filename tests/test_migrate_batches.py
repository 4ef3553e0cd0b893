"""Imported comments stored a thread's batch at a time (``posting.store_imported_batch``):
one transaction per batch with the same effects as storing each comment alone — counts,
day figures, reply flags, known authors — and exact counts after re-runs and resumes (moto).
"""

from __future__ import annotations

from collections import Counter as Tally
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.store import comments, sites
from chalicelib.store.comments import PreparedComment
from chalicelib.store.models import Comment
from chalicelib.threads import posting
from tests.support import DYNAMODB_CALLS, stored_comments
from tests.test_migrate_import import counts_are_exact, imported

THREAD = "/2010/batched"
#: 2010-03-01T10:00:00Z
T0 = datetime(2010, 3, 1, 10, tzinfo=UTC).timestamp()


def prepared(
    site, n: int, *, status: str = "approved", parent: str | None = None,
    email: str | None = None, day: int = 0, thread: str = THREAD,
) -> PreparedComment:  # fmt: skip
    """The ``n``-th imported comment of the thread (source id ``c<n>``)."""
    return posting.prepare_imported(
        site, thread, source="disqus", source_id=f"c{n}", created=T0 + day * 86400 + n * 60,
        text=f"comment {n}", is_html=False, source_status=status, parent=parent, email=email,
        author=f"Reader {n}", title="Batched", url="https://blog.example/2010/batched",
    )  # fmt: skip


def transactions(calls) -> int:
    return len([op for op, _ in calls if op == "TransactWriteItems"])


def figures(site_id: str, day: str) -> dict[str, int]:
    return comments.day_figures(site_id, day)


def expected_figures(site_id: str) -> dict[str, dict[str, int]]:
    """Per creation day, what the day figures must say about the stored comments."""
    names = {"approved": "approved", "pending": "held", "spam": "spam", "deleted": "deleted"}
    days: dict[str, Tally] = {}
    for comment in stored_comments():
        if comment.site == site_id:
            tally = days.setdefault(comment.created[:10], Tally())
            tally["posted"] += 1
            tally[names[comment.status]] += 1
    return {day: {name: tally[name] for name in (*names.values(), "posted")}
            for day, tally in days.items()}  # fmt: skip


def day_figures_are_exact(site_id: str = "myblog") -> None:
    for day, want in expected_figures(site_id).items():
        found = figures(site_id, day)
        assert {name: found[name] for name in want} == want, day


def test_a_batch_is_one_transaction_with_the_effects_of_storing_each_comment(site):
    batch = [
        prepared(site, 1, email="ann@example.org"),
        prepared(site, 2, status="spam"),
        prepared(site, 3, email="ann@example.org", day=1),
        prepared(site, 4, status="pending", day=1),
        prepared(site, 5, status="deleted", day=1),
    ]

    with DYNAMODB_CALLS.recording() as calls:
        outcomes = posting.store_imported_batch(batch)

    assert outcomes == [201] * 5
    assert transactions(calls) == 1
    assert comments.thread_counts(site, [THREAD]) == {THREAD: 2}
    assert figures("myblog", "2010-03-01") == {
        "posted": 2, "approved": 1, "held": 0, "spam": 1, "deleted": 0
    }  # fmt: skip
    assert figures("myblog", "2010-03-02") == {
        "posted": 3, "approved": 1, "held": 1, "spam": 0, "deleted": 1
    }  # fmt: skip
    assert sites.is_known_author("myblog", "ann@example.org")
    meta = comments.thread_meta("myblog", THREAD)
    assert meta.title == "Batched" and meta.url == "https://blog.example/2010/batched"
    assert meta.created == batch[0].created
    assert {c.id for c in stored_comments()} == {p.id for p in batch}


def test_running_a_batch_again_stores_nothing_and_changes_no_counts(site):
    batch = [prepared(site, n, status="spam" if n == 3 else "approved") for n in range(1, 6)]
    posting.store_imported_batch(batch)
    before = {c.id: (c.status, c.has_replies) for c in stored_comments()}

    again = posting.store_imported_batch(batch)

    assert again == [200] * 5
    assert {c.id: (c.status, c.has_replies) for c in stored_comments()} == before
    assert comments.thread_counts(site, [THREAD]) == {THREAD: 4}
    assert figures("myblog", "2010-03-01")["posted"] == 5
    day_figures_are_exact()


def test_a_reply_to_a_comment_of_the_same_batch_sets_its_parents_reply_flag(site):
    parent = prepared(site, 1)
    held_parent = prepared(site, 2)
    batch = [
        parent,
        held_parent,
        prepared(site, 3, parent=parent.id),
        prepared(site, 4, parent=parent.id),  # two replies, one flag
        prepared(site, 5, parent=held_parent.id, status="pending"),  # not approved: no flag
    ]

    with DYNAMODB_CALLS.recording() as calls:
        assert posting.store_imported_batch(batch) == [201] * 5

    assert transactions(calls) == 1
    stored = {c.id: c for c in stored_comments()}
    assert stored[parent.id].has_replies is True
    assert stored[held_parent.id].has_replies is False
    assert stored[batch[2].id].parent == parent.id
    page = comments.list_thread(site, THREAD)
    assert page["thread"]["count"] == 4
    assert [c["parent"] for c in page["comments"] if c["author"] == "Reader 4"] == [parent.id]


def test_a_reply_to_a_comment_of_an_earlier_batch_flags_that_parent(site):
    first = prepared(site, 1)
    posting.store_imported_batch([first])

    assert posting.store_imported_batch([prepared(site, 2, parent=first.id)]) == [201]

    assert Comment.get(first.as_model().pk, first.as_model().sk).has_replies is True


def test_a_batch_partly_stored_before_stores_the_rest_and_counts_exactly(site):
    batch = [prepared(site, n, status="pending" if n == 4 else "approved", day=n % 2)
             for n in range(1, 7)]  # fmt: skip
    for earlier in (batch[0], batch[3]):  # a run that stopped after these
        posting.store(earlier)

    outcomes = posting.store_imported_batch(batch)

    assert outcomes == [200, 201, 201, 200, 201, 201]
    assert len(stored_comments()) == 6
    assert comments.thread_counts(site, [THREAD]) == {THREAD: 5}
    counts_are_exact()
    day_figures_are_exact()


def test_a_missing_parent_refuses_only_its_reply(site):
    ghost = prepared(site, 99)  # never stored
    batch = [prepared(site, 1), prepared(site, 2, parent=ghost.id), prepared(site, 3)]

    outcomes = posting.store_imported_batch(batch)

    assert outcomes[0] == 201 and outcomes[2] == 201
    assert type(outcomes[1]).__name__ == "ParentNotFound"
    assert len(stored_comments()) == 2
    counts_are_exact()
    day_figures_are_exact()


def test_known_authors_given_as_stored_are_not_written_again(site):
    batch = [prepared(site, 1, email="ann@example.org"), prepared(site, 2, email="ann@example.org")]

    with DYNAMODB_CALLS.recording() as calls:
        assert posting.store_imported_batch(batch, known={"ann@example.org"}) == [201, 201]

    assert [op for op, _ in calls] == ["TransactWriteItems"]
    assert not sites.is_known_author("myblog", "ann@example.org")
    assert comments.thread_counts(site, [THREAD]) == {THREAD: 2}


def test_batches_keep_under_a_transactions_hundred_actions(site):
    parent = prepared(site, 0)
    many = [parent] + [
        prepared(site, n, email=f"r{n}@example.org", parent=parent.id if n % 2 else None, day=n)
        for n in range(1, 160)
    ]

    batches = posting.imported_batches(many)

    assert [p for batch in batches for p in batch] == many
    for batch in batches:
        days = {p.created[:10] for p in batch}
        ids = {p.id for p in batch}
        parents = {p.parent for p in batch if p.parent and p.parent not in ids}
        authors = {p.email for p in batch if p.email}
        assert len(batch) + 2 + len(days) + len(parents) + len(authors) <= 100
    for batch in batches:
        assert posting.store_imported_batch(batch) == [201] * len(batch)
    counts_are_exact()
    day_figures_are_exact()


def test_a_batch_of_several_threads_or_posted_comments_is_refused(site):
    with pytest.raises(ValueError):
        posting.store_imported_batch([prepared(site, 1), prepared(site, 2, thread="/other")])
    too_many = [prepared(site, n) for n in range(120)]
    with pytest.raises(ValueError):
        posting.store_imported_batch(too_many)
    assert stored_comments() == []


def big_disqus(path: Path, threads: int, per_thread: int) -> int:
    """A Disqus export of ``threads`` threads of ``per_thread`` posts: replies, spam,
    deleted, several days, repeated e-mails. Returns the number of posts."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<disqus xmlns="http://disqus.com" '
             'xmlns:dsq="http://disqus.com/disqus-internals">']  # fmt: skip
    for t in range(threads):
        lines.append(f'<thread dsq:id="t{t}"><id>thread-{t}</id>'
                     f"<link>https://blog.example/{t}</link><title>T{t}</title></thread>")  # fmt: skip
    post = 0
    for t in range(threads):
        first = post
        for i in range(per_thread):
            spam, deleted = post % 17 == 0, post % 23 == 0
            parent = f'<parent dsq:id="p{first + i // 2}"/>' if i and i % 3 == 0 else ""
            hours = t * 30 + i * 5
            lines.append(
                f'<post dsq:id="p{post}"><message><![CDATA[<p>post {post}</p>]]></message>'
                f"<createdAt>2011-01-{1 + hours // 24:02d}T{hours % 24:02d}:00:00Z</createdAt>"
                f"<isDeleted>{str(deleted).lower()}</isDeleted>"
                f"<isSpam>{str(spam).lower()}</isSpam><author><name>R{post % 7}</name>"
                f"<email>r{post % 7}@example.org</email></author>"
                f'<thread dsq:id="t{t}"/>{parent}</post>'
            )
            post += 1
    lines.append("</disqus>")
    path.write_text("\n".join(lines))
    return post


def test_counts_and_day_figures_are_exact_after_a_batched_import(site, tmp_path):
    source = tmp_path / "big.xml"
    posts = big_disqus(source, threads=3, per_thread=110)  # threads over a transaction

    with DYNAMODB_CALLS.recording() as calls:
        report = imported(tmp_path, "disqus", source)

    assert report["imported"] == posts and report["rejected"] == 0
    assert report["outcome"] == "complete"
    assert 3 * 2 <= transactions(calls) < posts / 10  # batches, not one per comment
    stored = [c for c in stored_comments() if c.site == "myblog"]
    assert len(stored) == posts
    replied = {c.parent for c in stored if c.parent and c.status == "approved"}
    assert {c.id for c in stored if c.has_replies} == replied
    counts_are_exact()
    day_figures_are_exact()
    assert all(sites.is_known_author("myblog", f"r{n}@example.org") for n in range(7))

"""The migration bench's generated Disqus export is a real one: the importer's parser reads
every post, in threads, with replies to earlier posts of their thread, spam and deleted.
(The bench's figures themselves are never asserted.)"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

from sidenote_cli.migrate.formats import disqus

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("sidenote_bench_migrate", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_generated_disqus_export_parses_whole_with_threads_replies_and_statuses(tmp_path):
    path = tmp_path / "bench.xml"

    threads, posts = load_bench().write_disqus_export(path, 3000)

    parsed = list(disqus.parse(path))
    assert posts == len(parsed) == 3000
    assert len({c.thread_url for c in parsed}) == threads > 20
    statuses = Counter(c.status for c in parsed)
    assert statuses["spam"] > 0 and statuses["deleted"] > 0 and statuses["approved"] > 2500
    thread_of = {c.source_id: c.thread_url for c in parsed}
    seen: set[str] = set()
    replies = 0
    for comment in parsed:
        if comment.parent_id:
            replies += 1
            assert comment.parent_id in seen  # an earlier post…
            assert thread_of[comment.parent_id] == comment.thread_url  # …of the same thread
        seen.add(comment.source_id)
    assert replies > 300
    assert any(c.email for c in parsed) and any(not c.email for c in parsed)

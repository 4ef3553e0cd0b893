"""``make bench``: sidenote's performance figures. Prints a report; asserts nothing about time.

1. Import time of ``app`` in a fresh interpreter (median of runs) beside the floor of
   importing ``chalice`` + ``pynamodb.models`` alone, and what the rest is spent on.
2. DynamoDB round trips per operation, counted from botocore events on the models' clients,
   and the capacity units each consumed (from ``ConsumedCapacity`` in the responses) turned
   into dollars per million operations at on-demand prices. Against DynamoDB Local (started
   here, in memory) or ``DYNAMODB_ENDPOINT`` when set; moto in-process where neither works.
3. In-process µs per request (median) through ``chalice.test.Client`` against moto
   in-process: the app's CPU cost (plus moto's, shown apart), no network.
4. Cold start as deployed (``--part package``): the deployment package built by
   ``deploy/bytecode.py``, unpacked read-only, ``import app`` in isolated interpreters (median
   of 7) against the same tree with bytecode compiled the ordinary way; the package's size.
   ``--package-zip`` times a given zip instead (e.g. plain ``chalice package`` output).
5. The widget in Chromium (``--part widget``): script time from the thread response to the
   first and last comment (100 and 500 comments, answered from memory), and navigation → first
   comment painted for 100 comments on loopback beside the server's time for the thread
   request (``tests/browser/bench_widget.py``). ``--embed`` times another widget file.
6. Migration (``--part migrate``; the default run ends with it): a generated Disqus export of
   ``--comments`` (200,000) comments, streamed to a temporary file, imported with
   ``sidenote import`` (``--workers``) into DynamoDB Local in its own process: comments/s,
   CPU of the importer and of the database, and the importer's peak RSS (targets: at least
   1,000 comments/s, under 150 MB). ``--part import`` is the cold-start import *time* above.

Each part that imports ``chalicelib`` runs in its own interpreter, because settings (the
endpoint, the table prefix) are read once at import. ``tests/test_bench_smoke.py`` runs the
round-trip part against moto and checks the structural targets (counts, not timings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: The environment of every part (like the tests'): no AWS, no tracing, no rate limit.
BENCH_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_XRAY_SDK_ENABLED": "false",
    "SIDENOTE_TABLE_PREFIX": "sidenote-bench-",
    "SIDENOTE_SECRET": "bench-secret",
    "SIDENOTE_RATE_LIMIT_PER_MINUTE": "1000000",
    "SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE": "1000000",
    # A loaded machine must not turn into timeouts (the counts do not depend on these).
    "SIDENOTE_DDB_CONNECT_TIMEOUT": "10",
    "SIDENOTE_DDB_READ_TIMEOUT": "30",
    "SIDENOTE_LOG_LEVEL": "WARNING",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

#: On-demand prices, us-east-1, USD per million request units.
PRICE_READ = 0.125
PRICE_WRITE = 0.625
READ_OPERATIONS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}

ORIGIN = "https://blog.example"
SITE_ID = "bench"
BIG_THREAD = "/2009/02/outage.html"


def heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 86 - len(title)), flush=True)


# --- 1. import time -----------------------------------------------------------------------


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT"}
    env.update(BENCH_ENV, PYTHONDONTWRITEBYTECODE="0", **extra)
    return env


def _import_seconds(statement: str) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_child_env(), capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def _import_breakdown(limit: int = 8) -> list[tuple[str, float]]:
    """Self time (ms) of what ``import app`` loads beyond the floor, by top-level package."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import chalice, pynamodb.models; import app"],
        cwd=ROOT, env=_child_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    totals: dict[str, float] = {}
    seen_floor = False
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        if not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].strip()
        if not seen_floor:  # the floor's own imports end with pynamodb.models' line
            seen_floor = name == "pynamodb.models"
            continue
        package = name.split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(parts[0]) / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])[:limit]


def bench_import(runs: int) -> None:
    heading("Cold start: import time in a fresh interpreter")
    app_times, floor_times = [], []
    for _ in range(runs):  # interleaved, so drift hits both alike
        floor_times.append(_import_seconds("import chalice, pynamodb.models"))
        app_times.append(_import_seconds("import app"))
    app_ms = statistics.median(app_times) * 1000
    floor_ms = statistics.median(floor_times) * 1000
    print(f"median of {runs} runs each ({sys.executable}, -c, bytecode cached)")
    print(f"  import chalice, pynamodb.models (floor) {floor_ms:8.1f} ms")
    print(f"  import app                              {app_ms:8.1f} ms")
    print(f"  app beyond the floor                    {app_ms - floor_ms:8.1f} ms")
    print(f"  (min/max import app: {min(app_times) * 1000:.1f} / {max(app_times) * 1000:.1f} ms)")
    breakdown = _import_breakdown()
    if breakdown:
        print(
            "  beyond the floor, self time by top-level package (one -X importtime run, which inflates):"
        )
        for package, ms in breakdown:
            print(f"    {package:<28} {ms:7.1f} ms")


# --- 2. round trips and capacity ------------------------------------------------------------


@dataclass
class Call:
    operation: str
    read: float
    write: float
    seconds: float
    reported: bool
    #: Items in a TransactWriteItems request.
    items: int = 0

    @property
    def billed_write(self) -> float:
        """WRU as AWS bills them: at least 2 per item of a transactional write. (AWS rounds
        each item up to 1 KB; DynamoDB Local rounds the transaction's total size instead,
        so it reports 2 WRU for a transaction of several small items.)"""
        return max(self.write, 2.0 * self.items) if self.reported else self.write

    @property
    def adjusted(self) -> bool:
        return self.billed_write > self.write


@dataclass
class CallLog:
    """Every DynamoDB call the models make, from botocore ``before-call``/``after-call``."""

    calls: list[Call] = field(default_factory=list)

    def attach(self) -> None:
        """Hook the botocore client of each table's model. Discriminator subclasses are made
        to share their base's connection, so one client per table sees every call."""
        from chalicelib.store.models import ALL_TABLES

        for base in ALL_TABLES:
            for sub in _subclasses(base):
                if "_connection" in vars(sub):
                    delattr(sub, "_connection")
            events = base._get_connection().connection.client.meta.events
            events.register(
                "before-parameter-build.dynamodb", self._before, unique_id="bench-before"
            )
            events.register("after-call.dynamodb", self._after, unique_id="bench-after")

    def _before(self, params: dict, context: dict, **_: Any) -> None:
        context["bench_started"] = time.perf_counter()
        context["bench_items"] = len(params.get("TransactItems") or ())

    def _after(self, parsed: dict, model: Any, context: dict, **_: Any) -> None:
        seconds = time.perf_counter() - context.get("bench_started", time.perf_counter())
        read, write, reported = capacity(model.name, parsed)
        items = context.get("bench_items", 0) if model.name == "TransactWriteItems" else 0
        self.calls.append(Call(model.name, read, write, seconds, reported, items))

    @contextmanager
    def measure(self) -> Iterator[list[Call]]:
        taken: list[Call] = []
        start = len(self.calls)
        try:
            yield taken
        finally:
            taken.extend(self.calls[start:])


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def capacity(operation: str, parsed: dict) -> tuple[float, float, bool]:
    """(read units, write units, reported?) from a response's ``ConsumedCapacity``."""
    consumed = parsed.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    read = write = 0.0
    for entry in entries:
        r, w = entry.get("ReadCapacityUnits"), entry.get("WriteCapacityUnits")
        if r is None and w is None:
            total = float(entry.get("CapacityUnits", 0.0))
            r, w = (total, 0.0) if operation in READ_OPERATIONS else (0.0, total)
        read += float(r or 0.0)
        write += float(w or 0.0)
    return read, write, bool(entries)


def dollars_per_million(read: float, write: float) -> float:
    return read * PRICE_READ + write * PRICE_WRITE


@dataclass
class Measured:
    name: str
    calls: list[Call]
    note: str = ""

    @property
    def operations(self) -> list[str]:
        return [c.operation for c in self.calls]

    @property
    def read(self) -> float:
        return sum(c.read for c in self.calls)

    @property
    def write(self) -> float:
        return sum(c.billed_write for c in self.calls)

    @property
    def adjusted(self) -> bool:
        return any(c.adjusted for c in self.calls)

    @property
    def reported(self) -> bool:
        return all(c.reported for c in self.calls)


def seed(site: Any, *, thread_size: int, count_threads: int, seeded: int) -> list[str]:
    """A thread of ``thread_size`` approved comments and ``seeded`` of ``count_threads``
    threads with one comment each. Stored directly (no HTTP, no rate limit)."""
    from chalicelib.platform.validation import NewComment
    from chalicelib.threads import posting

    def add(key: str, n: int) -> None:
        text = (
            f"Comment {n} on {key}: the *outage* was [long](https://example.org/{n}). "
            + "We waited for the comments to come back, and they did, hours later. " * 3
        )  # about 300 characters of Markdown, one link: a typical approved comment
        new = NewComment(text=text.strip(), author=f"Reader {n}", email=f"reader{n}@example.org")
        posting.store(posting.prepare(site, key, new, ip=None))

    for n in range(thread_size):
        add(BIG_THREAD, n)
    keys = [f"post-{i}" for i in range(count_threads)]
    for i, key in enumerate(keys[:seeded]):
        add(key, i)
    return keys


def _expect(response: Any, status: int, what: str) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{what}: HTTP {response.status_code} (wanted {status}): {response.body!r}"
        )
    import json

    kind = response.headers.get("Content-Type", "")
    return (
        json.loads(response.body) if response.body and kind.startswith("application/json") else None
    )


def round_trips(
    client: Any,
    log: CallLog,
    site: Any,
    *,
    thread_size: int = 100,
    count_threads: int = 100,
    seeded: int = 100,
    page: int = 50,
) -> list[Measured]:
    """Seed the data, then make each request once and record its DynamoDB calls."""
    import json
    from urllib.parse import quote

    from chalicelib.store import sites

    keys = seed(site, thread_size=thread_size, count_threads=count_threads, seeded=seeded)
    sid = site.id
    headers = {"Origin": site.origins[0] if site.origins else ORIGIN}
    json_headers = {**headers, "Content-Type": "application/json"}
    thread_q = f"thread={quote(BIG_THREAD, safe='')}"
    base = f"/sites/{sid}/comments?{thread_q}"
    results: list[Measured] = []

    def run(name: str, request: Callable[[], Any], status: int, note: str = "") -> Any:
        with log.measure() as calls:
            body = _expect(request(), status, name)
        results.append(Measured(name, calls, note))
        return body

    get, post = client.http.get, client.http.post
    _expect(get(base, headers=headers), 200, "warm-up")  # warm site cache and lazy imports

    first = run(
        f"list: first page ({thread_size} comments)", lambda: get(base, headers=headers), 200
    )
    assert len(first["comments"]) == min(thread_size, 100), len(first["comments"])
    results[-1].note = "next cursor: " + ("null (last page)" if first["cursor"] is None else "set")
    if first["cursor"] and thread_size <= 100:
        after = run("list: page after the first (cursor)",
                    lambda: get(f"{base}&cursor={first['cursor']}", headers=headers), 200)  # fmt: skip
        results[-1].note = (
            f"{len(after['comments'])} comments, cursor "
            + ("null" if after["cursor"] is None else "set")
            + ": the first page held them all, yet gave a cursor"
        )
    sites.clear_cache()
    run("list: first page, cold site cache", lambda: get(base, headers=headers), 200,
        "+1 Query for the site (cached 30 s per container)")  # fmt: skip
    paged = _expect(get(f"{base}&limit={page}", headers=headers), 200, "page 1")
    cursor = paged["cursor"]
    run(f"list: later page (limit {page})",
        lambda: get(f"{base}&limit={page}&cursor={cursor}", headers=headers), 200)  # fmt: skip
    run(f"list: newest first (limit {page})",
        lambda: get(f"{base}&limit={page}&sort=newest", headers=headers), 200)  # fmt: skip

    # Texts of a real comment's length (spam checks skip very short ones), each unique.
    comment = {"text": "I saw it **too**: the page was blank for an hour.", "author": "Ann",
               "email": "ann@example.org"}  # fmt: skip
    posted = run("post: approved comment",
                 lambda: post(base, headers=json_headers, body=json.dumps(comment)), 201)  # fmt: skip
    keyed = {**json_headers, "Idempotency-Key": "bench-key-1"}
    body = json.dumps({**comment, "text": "A keyed comment, sent again if the network fails."})
    run("post: with Idempotency-Key", lambda: post(base, headers=keyed, body=body), 201)
    run("post: retry, same key and body", lambda: post(base, headers=keyed, body=body), 201,
        "replays the first response")  # fmt: skip
    reply = {**comment, "text": "A reply to the first comment, with *thanks*.",
             "parent": posted["comment"]["id"]}  # fmt: skip
    run("post: reply (parent flag in the transaction)",
        lambda: post(base, headers=json_headers, body=json.dumps(reply)), 201)  # fmt: skip

    counts_q = "&".join(f"thread={quote(k, safe='')}" for k in keys)
    counted = run(f"counts: GET {count_threads} threads",
                  lambda: get(f"/sites/{sid}/counts?{counts_q}", headers=headers), 200)  # fmt: skip
    assert len(counted["counts"]) == count_threads
    run(f"counts: POST {count_threads} threads",
        lambda: post(f"/sites/{sid}/counts", headers=json_headers,
                     body=json.dumps({"threads": keys})), 200)  # fmt: skip

    token = {**json_headers, "X-Edit-Token": posted["edit_token"]}
    path = f"/sites/{sid}/comments/{posted['comment']['id']}"
    run("edit own comment (PATCH)", lambda: client.http.request(
        "PATCH", path, headers=token, body=json.dumps({"text": "Edited."})), 200)  # fmt: skip
    run("delete own comment (DELETE)",
        lambda: client.http.request("DELETE", path, headers=token, body=b""), 204)  # fmt: skip
    run("feed: site (Atom)", lambda: get(f"/sites/{sid}/feed.atom"), 200)
    return results


def _call_label(call: Call) -> str:
    if not call.reported:
        return f"{call.operation} (units not reported)"
    units = [f"{v:g} {k}" for k, v in (("RRU", call.read), ("WRU", call.write)) if v]
    label = f"{call.operation} {'+'.join(units) or '0'}"
    if call.items:
        label += f" [{call.items} items" + (
            f" -> {call.billed_write:g} WRU*]" if call.adjusted else "]"
        )
    return label


def print_round_trips(results: list[Measured], backend: str) -> None:
    heading(f"DynamoDB round trips and cost per operation ({backend})")
    print("warm site cache unless noted; Origin is an allowed origin (CORS path included)")
    print(f"{'operation':<46}{'calls':>5}  {'RRU':>6} {'WRU':>6} {'$/M ops':>8}  DynamoDB calls")
    for m in results:
        cost = dollars_per_million(m.read, m.write)
        mark = ("" if m.reported else "+") + ("*" if m.adjusted else "")
        units = f"{m.read:6.1f} {m.write:6.1f} {cost:8.2f}{mark}"
        print(f"{m.name:<46}{len(m.calls):>5}  {units:<23}  {', '.join(map(_call_label, m.calls))}")
        if m.note:
            print(f"{'':<53}{m.note}")
    notes = [
        f"prices: on-demand, us-east-1: ${PRICE_READ} per million read request units (RRU),"
        f" ${PRICE_WRITE} per million write request units (WRU); $/M ops = RRU x {PRICE_READ}"
        f" + WRU x {PRICE_WRITE}.",
        "units as the database reports them (ConsumedCapacity TOTAL: table + indexes): an"
        " eventually consistent read is 0.5 RRU per 4 KB, a strong read 1 RRU per 4 KB, a"
        " transactional read 2 RRU per 4 KB (as returned); a write 1 WRU per 1 KB of each item"
        " and of each index copy; a transactional write 2 WRU per item per 1 KB.",
        "DynamoDB Local rounds a transaction's total size, not each item: its figure is a"
        " lower bound of what AWS bills. Where it is below AWS's floor of 2 WRU per item, the"
        " WRU and $ columns use that floor (marked *).",
        "the bench's comments carry an e-mail address, so each approved post also writes the"
        " site's known-author item.",
    ]
    if not all(m.reported for m in results):
        notes.append(
            "+ a call returned no ConsumedCapacity (an error, e.g. a cancelled transaction):"
            " its units are not in the sum, though AWS may charge for them."
        )
    if backend.startswith("moto"):
        notes.insert(0, "WARNING: moto's ConsumedCapacity is not DynamoDB's (flat units, none for"
                     " transactions): the RRU, WRU and $ columns are not meaningful here; the"
                     " call counts are.")  # fmt: skip
    for note in notes:
        print(textwrap.fill(note, 96, subsequent_indent="  "))
    targets = {r.name.split(" (")[0]: len(r.calls) for r in results}
    first = next(v for k, v in targets.items() if k.startswith("list: first page"))
    post = targets.get("post: approved comment")
    counts = next(v for k, v in targets.items() if k.startswith("counts: GET"))
    from chalicelib.platform.config import settings

    regions = len(settings.regions)
    print(f"targets: list first page = 1 call: {first}; post <= 2: {post};"
          f" counts for 100 threads <= {regions} (regions): {counts}")  # fmt: skip


def part_round_trips(backend: str) -> None:
    """Runs in a child whose environment already points at the database."""
    from contextlib import nullcontext

    mock: Any = nullcontext()
    if backend == "moto":
        from moto import mock_aws

        mock = mock_aws()
    with mock:
        from chalice.test import Client

        from app import app
        from chalicelib.store import sites
        from chalicelib.store.models import ALL_TABLES

        for model in ALL_TABLES:
            if model.exists():
                model.delete_table()
            model.create_table(wait=True)
        site = sites.create_site(SITE_ID, "Bench blog", origins=[ORIGIN])
        log = CallLog()
        log.attach()
        with Client(app) as client:
            results = round_trips(client, log, site)
        names = {
            "moto": "moto in-process (Java or DynamoDB Local unavailable)",
        }
        print_round_trips(results, names.get(backend, backend))
        if backend != "moto":
            for model in ALL_TABLES:
                model.delete_table()


# --- 3. in-process µs per request -----------------------------------------------------------


def part_timing(requests: int) -> None:
    import json
    from urllib.parse import quote

    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        from app import app
        from chalicelib.store import sites
        from chalicelib.store.models import ALL_TABLES

        for model in ALL_TABLES:
            model.create_table(wait=True)
        site = sites.create_site(SITE_ID, "Bench blog", origins=[ORIGIN])
        keys = seed(site, thread_size=100, count_threads=100, seeded=100)
        log = CallLog()
        log.attach()
        headers = {"Origin": ORIGIN}
        json_headers = {**headers, "Content-Type": "application/json"}
        list_path = f"/sites/{SITE_ID}/comments?thread={quote(BIG_THREAD, safe='')}"
        counts_path = f"/sites/{SITE_ID}/counts?" + "&".join(f"thread={k}" for k in keys)
        # Posts go to their own thread, so the list figure stays at 100 comments.
        post_path = f"/sites/{SITE_ID}/comments?thread=post-timing"
        sent = iter(range(10**9))

        def post_body() -> str:
            return json.dumps({"text": f"Timing *comment* number {next(sent)}.", "author": "Ann"})

        cases: list[tuple[str, Callable[[], Any], int]] = [
            ("list: first page, 100 comments", lambda: client.http.get(list_path, headers=headers), 200),
            ("post: approved comment",
             lambda: client.http.post(post_path, headers=json_headers, body=post_body()), 201),
            ("counts: GET 100 threads", lambda: client.http.get(counts_path, headers=headers), 200),
        ]  # fmt: skip
        heading("In-process cost per request (chalice.test.Client + moto in-process)")
        print(f"median of {requests} requests after 10 warm-up ones; no network: total is the")
        print("app's CPU plus the in-process DynamoDB calls (botocore serialisation + moto),")
        print("which are shown apart; 'app' = total minus those calls, per request.")
        print(f"{'request':<34}{'total µs':>10}{'DynamoDB µs':>13}{'app µs':>9}")
        with Client(app) as client:
            for name, request, status in cases:
                totals, in_db = [], []
                for i in range(requests + 10):
                    with log.measure() as calls:
                        started = time.perf_counter()
                        response = request()
                        elapsed = time.perf_counter() - started
                    if response.status_code != status:
                        raise RuntimeError(
                            f"{name}: HTTP {response.status_code}: {response.body!r}"
                        )
                    if i >= 10:
                        totals.append(elapsed)
                        in_db.append(sum(c.seconds for c in calls))
                total = statistics.median(totals) * 1e6
                db = statistics.median(in_db) * 1e6
                app_only = (
                    statistics.median(t - d for t, d in zip(totals, in_db, strict=True)) * 1e6
                )
                print(f"{name:<34}{total:>10.0f}{db:>13.0f}{app_only:>9.0f}")


# --- 6. migration: a big Disqus export into DynamoDB Local -----------------------------------


def write_disqus_export(path: Path, comments: int, *, seed: int = 9) -> tuple[int, int]:
    """Stream a generated Disqus export of ``comments`` posts to ``path``: threads of
    varied sizes (about 40 comments on average, a few of thousands), a quarter of posts
    replies to an earlier post of their thread, 3 % spam, 2 % deleted, e-mails for most
    authors. Posts are listed thread by thread, as exports usually are. Returns
    (threads, posts)."""
    import random
    from datetime import UTC, datetime, timedelta
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < comments:
        sizes.append(max(1, int(rng.lognormvariate(3.0, 1.1))))
    sizes[-1] -= sum(sizes) - comments
    start = datetime(2008, 1, 1, tzinfo=UTC)
    words = ["sidenote", "comments", "outage", "archive", "thread", "reply", "blog",
             "migration", "haloscan", "disqus", "export", "counts", "widget", "spam"]  # fmt: skip
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                  'xmlns:dsq="http://disqus.com/disqus-internals">\n')  # fmt: skip
        for t in range(len(sizes)):
            identifier = f"post-{t}" if t % 3 else ""  # a third by URL path only
            out.write(f'<thread dsq:id="t{t}"><id>{identifier}</id><forum>bench</forum>'
                      f"<link>{ORIGIN}/{2008 + t % 15}/post-{t}.html</link>"
                      f"<title>Post number {t}</title><createdAt>2008-01-01T00:00:00Z</createdAt>"
                      "</thread>\n")  # fmt: skip
        post = 0
        for t, size in enumerate(sizes):
            first = post
            when = start + timedelta(hours=t * 7)
            for _ in range(size):
                when += timedelta(minutes=rng.randint(1, 600))
                text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 60)))
                roll = rng.random()
                spam, deleted = roll < 0.03, 0.03 <= roll < 0.05
                parent = ""
                if post > first and rng.random() < 0.25:
                    parent = f'<parent dsq:id="p{rng.randint(first, post - 1)}"/>'
                person = rng.randint(0, 20_000)
                email = f"<email>reader{person}@example.org</email>" if person % 4 else ""
                out.write(
                    f'<post dsq:id="p{post}"><id/><message><![CDATA[<p>{escape(text)}</p>]]>'
                    f"</message><createdAt>{when:%Y-%m-%dT%H:%M:%SZ}</createdAt>"
                    f"<isDeleted>{str(deleted).lower()}</isDeleted>"
                    f"<isSpam>{str(spam).lower()}</isSpam><author>{email}"
                    f"<name>Reader {person}</name><isAnonymous>false</isAnonymous></author>"
                    f"<ipAddress>192.0.2.{person % 250}</ipAddress>"
                    f'<thread dsq:id="t{t}"/>{parent}</post>\n'
                )
                post += 1
        out.write("</disqus>\n")
    return len(sizes), post


def _cpu_seconds(database: Any) -> float:
    """CPU time (user + system) the database process has used so far (0 when unknown)."""
    try:
        fields = Path(f"/proc/{database.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, IndexError, ValueError):
        return 0.0


def bench_migrate(comments: int, workers: int) -> None:
    """``sidenote import disqus`` of a generated export into DynamoDB Local (started here,
    in memory), in its own process: comments/s and that process's peak RSS."""
    import tempfile

    heading(f"Migration: a {comments:,}-comment Disqus export into a local DynamoDB")
    database, endpoint, backend = _start_database()
    if not endpoint:
        print("no local DynamoDB: skipped")
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import devstack

    try:
        with tempfile.TemporaryDirectory(prefix="sidenote-bench-") as tmp:
            source, report_path = Path(tmp) / "disqus.xml", Path(tmp) / "report.json"
            began = time.monotonic()
            threads, posts = write_disqus_export(source, comments)
            size = source.stat().st_size / 1e6
            print(f"file: {posts:,} posts in {threads:,} threads, {size:.0f} MB, "
                  f"written in {time.monotonic() - began:.1f} s; into {backend}")  # fmt: skip
            env = {**devstack.stack_env(endpoint), **BENCH_ENV, "SIDENOTE_TABLE_PREFIX": "mig-"}
            devstack.cli(env, "tables", "create")
            devstack.cli(env, "site", "create", SITE_ID, "--name", "Bench", "--origin", ORIGIN)
            command = [sys.executable, "-m", "sidenote_cli", "import", "disqus", str(source),
                       "--site", SITE_ID, "--report", str(report_path),
                       "--workers", str(workers)]  # fmt: skip
            began, db_cpu = time.monotonic(), _cpu_seconds(database)
            child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - began
            if child.returncode != 0 and not report_path.exists():
                print(f"the import failed (exit {child.returncode})")
                return
            report = json.loads(report_path.read_text())
            stored = report["imported"] + report["tombstones"]
            print(f"outcome: {report['outcome']}; imported {report['imported']:,} "
                  f"({', '.join(f'{n:,} {s}' for s, n in sorted(report['by_status'].items()))}),"
                  f" tombstones {report['tombstones']}, rejected {report['rejected']}, "
                  f"workers {workers}")  # fmt: skip
            print(f"  import run (check + store)    {report['seconds']:8.1f} s   "
                  f"{report['imported'] / max(report['seconds'], 1e-9):8.0f} comments/s"
                  "   (target >= 1,000)")  # fmt: skip
            print(f"  whole process (with start-up) {wall:8.1f} s   "
                  f"{stored / max(wall, 1e-9):8.0f} comments/s")  # fmt: skip
            print(f"  CPU: importer {usage.ru_utime + usage.ru_stime:.1f} s, database "
                  f"{_cpu_seconds(database) - db_cpu:.1f} s (a shared machine's other load "
                  "slows both)")  # fmt: skip
            # ru_maxrss is in KiB on Linux
            print(f"  peak RSS of the importing process {usage.ru_maxrss / 1024:6.0f} MB"
                  "   (target < 150 MB)")  # fmt: skip
    finally:
        if database is not None:
            database.stop()


# --- orchestration ---------------------------------------------------------------------------


def _start_database() -> tuple[Any, str, str]:
    """(database to stop or None, endpoint or '', backend label)."""
    given = os.environ.get("DYNAMODB_ENDPOINT")
    if given:
        return None, given, f"DYNAMODB_ENDPOINT={given}"
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from devstack import Database

        database = Database(data_dir=None).start()
    except Exception as exc:  # any failure: fall back to moto, and say so
        print(f"could not start a local DynamoDB ({exc!r}): using moto in-process")
        return None, "", "moto"
    if database.kind != "DynamoDB Local":
        print(f"WARNING: Java or DynamoDB Local is missing: measuring against {database.kind}")
    return database, database.endpoint, f"{database.kind} at {database.endpoint}, in memory"


def _child(part: str, env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, __file__, "--part", part, *args], cwd=ROOT, env=env, check=True)


# --- cold start as deployed ----------------------------------------------------------------


def _deploy_module(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"sidenote_{name}", ROOT / "deploy" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_package(runs: int, package_zip: str | None = None) -> None:
    """``import app`` from the deployment package unpacked read-only (as Lambda runs it),
    against the same tree with its bytecode compiled and cached the ordinary way."""
    import compileall
    import shutil
    import tempfile

    coldstart = _deploy_module("coldstart")
    bytecode = _deploy_module("bytecode")
    heading("Cold start as deployed: import app from the unpacked package")
    with tempfile.TemporaryDirectory(prefix="sidenote-bench-package-") as tmp:
        work = Path(tmp)
        if package_zip:
            zip_path = Path(package_zip)
            how = f"given: {zip_path}"
        else:
            out = work / "built"
            subprocess.run(
                [sys.executable, str(ROOT / "deploy" / "bytecode.py"), "package", str(out)],
                cwd=ROOT, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            zip_path = out / "deployment.zip"
            how = "built by deploy/bytecode.py package (chalice package + compiled bytecode)"
        files, size = bytecode.unpacked_size(zip_path)
        zipped = zip_path.stat().st_size
        with zipfile.ZipFile(zip_path) as zf:
            names = zf.namelist()
        pyc = sum(n.endswith(".pyc") for n in names)
        py = sum(n.endswith(".py") for n in names)
        deployed = coldstart.unpack(zip_path, work / "deployed")
        reference = coldstart.unpack(zip_path, work / "compiled", read_only=False)
        for cache in list(reference.rglob("__pycache__")):
            shutil.rmtree(cache)
        compileall.compile_dir(str(reference), quiet=2, workers=0)  # timestamp .pyc, cached
        sdk = coldstart.runtime_sdk(work / "runtime")
        compiled_at_start = len(coldstart.import_app(deployed, sdk)["compiled"])
        as_deployed, as_compiled = [], []
        for _ in range(runs):  # interleaved, so drift hits both alike
            as_deployed.append(coldstart.import_app(deployed, sdk, audit=False)["seconds"])
            as_compiled.append(coldstart.import_app(reference, sdk, audit=False)["seconds"])
        coldstart.make_writable(deployed)
    deployed_ms = statistics.median(as_deployed) * 1000
    compiled_ms = statistics.median(as_compiled) * 1000
    print(f"package: {how}")
    print(f"  {zipped / 1e6:.1f} MB zipped, {size / 1e6:.1f} MB unpacked, "
          f"{files} files ({py} .py, {pyc} .pyc)")  # fmt: skip
    print(f"median of {runs} isolated interpreters each (-I -S -B: package + runtime SDK only)")
    print(f"  as deployed (read-only, bytecode as shipped) {deployed_ms:8.1f} ms  "
          f"(modules compiled from source at import: {compiled_at_start})")  # fmt: skip
    print(f"  same tree, bytecode compiled and cached     {compiled_ms:8.1f} ms")
    print(f"  ratio deployed / compiled                   {deployed_ms / compiled_ms:8.2f}"
          "  (target <= 1.2)")  # fmt: skip


# --- the widget ---------------------------------------------------------------------------


def _print_widget_script(figures: dict) -> None:
    print("  script time after the thread response, Chromium Performance API (Resource Timing")
    print("  responseEnd -> comments in the DOM), network answered from memory, median of "
          f"{len(figures[0]['to_first_ms_runs'])} cold runs:")  # fmt: skip
    for row in figures:
        print(f"    {row['comments']:>4} comments: to first {row['to_first_ms_median']:7.1f} ms, "
              f"to last {row['to_last_ms_median']:7.1f} ms  (runs {row['to_last_ms_runs']})")  # fmt: skip
    print("  the same window in parts (medians): handoff = responseEnd -> the widget's fetch()")
    print("  resolves (the browser's scheduling); body = -> json() resolves; render = -> last")
    print("  comment in the DOM (the widget's own work); then paint = -> the next frame's")
    print("  style, layout and paint done (not script time; what the reader waits for too):")
    for row in figures:
        print(f"    {row['comments']:>4} comments: handoff {row['handoff_ms_median']:6.1f}, "
              f"body {row['body_ms_median']:5.1f}, render {row['render_ms_median']:6.1f} "
              f"(runs {row['render_ms_runs']}), paint {row['paint_ms_median']:6.1f} ms")  # fmt: skip


def bench_widget(embed: str | None = None) -> None:
    """The widget in real Chromium: script time (in memory), then navigation → first comment
    painted against chalice local on DynamoDB Local."""
    heading("Widget: script time and navigation -> first comment painted (Chromium)")
    if not Path("/usr/bin/chromium").exists():
        print("  skipped: /usr/bin/chromium is missing (make system-deps installs it)")
        return
    script = [sys.executable, str(ROOT / "tests" / "browser" / "bench_widget.py")]
    if embed:
        script += ["--embed", embed]
        print(f"  widget timed: {embed}")
    sys.path.insert(0, str(ROOT / "scripts"))
    import devstack

    database = devstack.Database().start()
    server = None
    try:
        env = devstack.stack_env(
            database.endpoint,
            SIDENOTE_RATE_LIMIT_PER_MINUTE="1000000",
            SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE="1000000",
            SIDENOTE_LOG_LEVEL="WARNING",
        )
        server = devstack.ApiServer(env)
        devstack.prepare(env, [server.url])
        server.start()
        result = subprocess.run(
            [*script, server.url], cwd=ROOT, capture_output=True, text=True, check=True
        )
        figures = json.loads(result.stdout)
        _print_widget_script(figures["script"])
        nav = figures["navigation"]
        print(
            f"  embed.js served: {nav['embed_js_bytes']} bytes, "
            f"{nav['embed_js_gzip_bytes']} gzipped (budget 6144)"
        )
        print(f"  navigation -> first comment painted, {nav['thread_comments']}-comment thread on "
              f"loopback (chalice local + DynamoDB Local), median of "
              f"{len(nav['first_comment_paint_ms_runs'])} cold runs:")  # fmt: skip
        print(f"    first comment painted      {nav['first_comment_paint_ms_median']:7.1f} ms "
              f"{nav['first_comment_paint_ms_runs']}")  # fmt: skip
        print(f"    thread response ended      {nav['thread_response_end_ms_median']:7.1f} ms")
        print(f"    server time for the thread {nav['thread_server_ms_median']:7.1f} ms "
              "(requestStart -> responseStart in the browser)")  # fmt: skip
        print(
            f"    same request from Python   {nav['thread_request_from_python_ms_median']:7.1f} ms"
        )
    finally:
        if server:
            server.stop()
        database.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        choices=["all", "import", "package", "widget", "roundtrips", "timing", "migrate"],
        default="all",
    )
    parser.add_argument("--runs", type=int, default=9, help="interpreters per import figure")
    parser.add_argument("--requests", type=int, default=50, help="requests per µs figure")
    parser.add_argument("--no-timing", action="store_true", help="skip the µs figures")
    parser.add_argument("--backend", default="moto", help=argparse.SUPPRESS)
    parser.add_argument("--package-zip", help="time this deployment zip instead of building one")
    parser.add_argument(
        "--package-runs", type=int, default=7, help="interpreters per package figure"
    )
    parser.add_argument("--embed", help="time this widget file instead of embed.min.js")
    parser.add_argument(
        "--comments", type=int, default=200_000, help="comments in the migration's Disqus file"
    )
    parser.add_argument("--workers", type=int, default=4, help="the migration's --workers")
    args = parser.parse_args()
    if args.part == "roundtrips":
        part_round_trips(args.backend)
        return
    if args.part == "timing":
        part_timing(args.requests)
        return
    print(f"sidenote bench — {time.strftime('%Y-%m-%d %H:%M:%S')}, Python {sys.version.split()[0]}")
    print("figures only: nothing here is asserted (the structural targets are checked by tests)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load} (timings are only as quiet as this)"
    )
    if args.part in {"all", "import"}:
        bench_import(args.runs)
    if args.part in {"all", "package"}:
        bench_package(args.package_runs, args.package_zip)
    if args.part == "widget":
        bench_widget(args.embed)
    if args.part == "migrate":
        bench_migrate(args.comments, args.workers)
    if args.part != "all":
        return
    database, endpoint, backend = _start_database()
    try:
        env = _child_env(**({"DYNAMODB_ENDPOINT": endpoint} if endpoint else {}))
        if endpoint and "AWS_ACCESS_KEY_ID" not in os.environ:
            env.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
        _child("roundtrips", env, "--backend", backend if endpoint else "moto")
    finally:
        if database is not None:
            database.stop()
    if not args.no_timing:
        _child("timing", _child_env(), "--requests", str(args.requests))
        bench_widget(args.embed)
    bench_migrate(args.comments, args.workers)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

"""Game day: ``make chaos``. Kill the database under steady traffic and count what survives.

Starts a local two-region stack on 127.0.0.1 only:
- "us-east-1": DynamoDB Local (data on disk under .data/chaos/, so it survives a kill);
- "eu-west-1": a second DynamoDB Local, kept in step by a replicator thread (a stand-in
  for global-table replication, which no emulator has);
- the write queue: moto_server's SQS (an SQS-compatible API; the only local option here);
- ``chalice local`` and a queue worker (``sidenote queue drain --follow``, the local
  stand-in for the SQS trigger).

Then it drives steady read and write traffic over real HTTP (bounded in requests and in
time), SIGKILLs DynamoDB Local mid-run, restarts it a while later, waits for the queue to
drain, and prints: requests by status, reads served %, comments accepted / stored / lost
/ doubled. Exit status 1 if anything was lost or doubled, or a read got a 500.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devstack

SITE = "chaos"
HOME, OTHER = "us-east-1", "eu-west-1"
PREFIX = "sidenote-chaos-"


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def client(service: str, endpoint: str, region: str):
    from botocore.config import Config
    from botocore.session import get_session

    return get_session().create_client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id="local", aws_secret_access_key="local",
        config=Config(connect_timeout=1, read_timeout=3, retries={"total_max_attempts": 1}),
    )  # fmt: skip


def scan_all(ddb, table: str) -> list[dict]:
    items: list[dict] = []
    kwargs = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class Replicator(threading.Thread):
    """Copies every item from the home replica to the other one, about once a second."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(daemon=True)
        self.source, self.target = source, target
        self.stop = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                src, dst = (
                    client("dynamodb", self.source, HOME),
                    client("dynamodb", self.target, OTHER),
                )
                for table in ("comments", "sites"):
                    for item in scan_all(src, PREFIX + table):
                        dst.put_item(TableName=PREFIX + table, Item=item)
                self.rounds += 1
            except Exception:
                continue


class Traffic:
    """Readers and writers over real HTTP; every post has a unique text and key."""

    def __init__(self, base: str, *, max_posts: int, seconds: float, workers: int) -> None:
        self.base = base
        self.max_posts = max_posts
        self.deadline = time.monotonic() + seconds
        self.workers = workers
        self.lock = threading.Lock()
        self.next = 0
        self.statuses: Counter[str] = Counter()
        self.reads = self.served = self.degraded = 0
        self.accepted: list[str] = []
        self.status_of: dict[str, int] = {}
        self.started = time.monotonic()
        #: (seconds since start, "POST 202" / "GET 200 degraded" …) for the timeline.
        self.events: list[tuple[float, str]] = []

    def _take(self) -> int | None:
        with self.lock:
            if self.next >= self.max_posts or time.monotonic() > self.deadline:
                return None
            self.next += 1
            return self.next

    def _call(self, method: str, path: str, body: dict | None = None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0, {}

    def worker(self) -> None:
        while (n := self._take()) is not None:
            thread = f"/chaos/{n % 20}"
            text = f"chaos comment {n}"
            status, _ = self._call(
                "POST", f"/sites/{SITE}/comments?thread={quote(thread, safe='')}",
                {"text": text, "author": "Chaos"}, {"Idempotency-Key": f"chaos-{n}"},
            )  # fmt: skip
            with self.lock:
                self.statuses[f"POST {status}"] += 1
                self.status_of[text] = status
                self.events.append((time.monotonic() - self.started, f"POST {status}"))
                if status in (201, 202):
                    self.accepted.append(text)
            for path in (
                f"/sites/{SITE}/comments?thread={quote(thread, safe='')}",
                f"/sites/{SITE}/counts?thread={quote(thread, safe='')}",
            ):
                status, headers = self._call("GET", path)
                with self.lock:
                    self.statuses[f"GET {status}"] += 1
                    self.reads += 1
                    self.served += status == 200
                    marked = any(k.lower() == "x-sidenote-degraded" for k in headers)
                    self.degraded += marked
                    label = f"GET {status}{' degraded' if marked else ''}"
                    self.events.append((time.monotonic() - self.started, label))
            time.sleep(0.05)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.workers)]
        for thread in threads:
            thread.start()
        return threads


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1000, help="at most this many posts")
    parser.add_argument("--seconds", type=float, default=60, help="at most this long")
    parser.add_argument("--kill-at", type=float, default=12, help="kill DynamoDB Local after")
    parser.add_argument("--down-for", type=float, default=15, help="restart it after")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--hard", action="store_true",
        help="SIGKILL instead of SIGTERM (DynamoDB Local may then drop a write it has "
        "already acknowledged: an emulator property, not the app's)",
    )  # fmt: skip
    args = parser.parse_args()

    data = devstack.DATA / "chaos"
    shutil.rmtree(data, ignore_errors=True)
    primary = devstack.Database(data_dir=data / "us-east-1").start()
    replica = devstack.Database().start()
    sqs_port = devstack.free_port()
    sqs = subprocess.Popen(
        [str(devstack.VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(sqs_port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    devstack.wait_for_port(sqs_port, 30, sqs)
    sqs_endpoint = f"http://127.0.0.1:{sqs_port}"
    log(f"home replica {primary.endpoint} ({primary.kind}), other {replica.endpoint}, "
        f"SQS (moto_server) {sqs_endpoint}")  # fmt: skip
    env = devstack.stack_env(
        primary.endpoint,
        AWS_REGION=HOME,
        SIDENOTE_TABLE_PREFIX=PREFIX,
        SIDENOTE_REGIONS=f"{HOME},{OTHER}",
        SIDENOTE_REGION_ENDPOINTS=f"{OTHER}={replica.endpoint}",
        SQS_ENDPOINT=sqs_endpoint,
        SIDENOTE_RATE_LIMIT_PER_MINUTE="1000000",
        SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE="1000000",
        SIDENOTE_BREAKER_SECONDS="3",
        SIDENOTE_DDB_CONNECT_TIMEOUT="0.5",
        SIDENOTE_DDB_READ_TIMEOUT="2",
        SIDENOTE_LOG_LEVEL="ERROR",
        POWERTOOLS_LOG_LEVEL="ERROR",
    )  # fmt: skip
    other_env = {**env, "DYNAMODB_ENDPOINT": replica.endpoint, "AWS_REGION": OTHER,
                 "AWS_DEFAULT_REGION": OTHER}  # fmt: skip
    server = worker = None
    replicator = Replicator(primary.endpoint, replica.endpoint)
    try:
        devstack.cli(env, "tables", "create")
        devstack.cli(other_env, "tables", "create")
        devstack.cli(env, "queue", "create", "--visibility-timeout", "3")
        devstack.cli(env, "site", "create", SITE, "--name", "Chaos blog")
        replicator.start()
        server = devstack.ApiServer(env).start()
        worker = subprocess.Popen(
            [sys.executable, "-m", "sidenote_cli", "queue", "drain", "--follow"],
            cwd=devstack.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        time.sleep(1.5)  # one replication round: the site exists in both regions
        traffic = Traffic(server.url, max_posts=args.posts, seconds=args.seconds,
                          workers=args.workers)  # fmt: skip
        log(f"traffic: {args.workers} workers, at most {args.posts} posts / {args.seconds:.0f} s "
            f"on {server.url}")  # fmt: skip
        started = time.monotonic()
        threads = traffic.start()
        time.sleep(args.kill_at)
        signal_name = "SIGKILL" if args.hard else "SIGTERM"
        log(f"KILL ({signal_name}) DynamoDB Local (pid {primary.process.pid}) after "
            f"{args.kill_at:.0f} s, {traffic.next} posts sent")  # fmt: skip
        devstack.stop_process(primary.process, timeout=0 if args.hard else 10)
        primary.process = None
        time.sleep(args.down_for)
        log(f"RESTART DynamoDB Local after {args.down_for:.0f} s down, {traffic.next} posts sent")
        primary.start()
        for thread in threads:
            thread.join()
        log(f"traffic done after {time.monotonic() - started:.0f} s; draining the queue")
        sqs_client = client("sqs", sqs_endpoint, HOME)
        url = sqs_client.get_queue_url(QueueName="sidenote-writes")["QueueUrl"]
        dead = sqs_client.get_queue_url(QueueName="sidenote-writes-dlq")["QueueUrl"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            attributes = sqs_client.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                              "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]  # fmt: skip
            if not sum(int(v) for v in attributes.values()):
                break
            time.sleep(1)
        dead_letters = int(sqs_client.get_queue_attributes(
            QueueUrl=dead, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"])  # fmt: skip

        stored: Counter[str] = Counter()
        for item in scan_all(client("dynamodb", primary.endpoint, HOME), PREFIX + "comments"):
            if item.get("kind", {}).get("S") == "comment":
                stored[item["text"]["S"]] += 1
        accepted = set(traffic.accepted)
        lost = [t for t in accepted if stored[t] == 0]
        doubled = [t for t, n in stored.items() if n > 1]
        reads_500 = traffic.statuses.get("GET 500", 0)
        print("\n== sidenote game day ==")
        print(f"database: {primary.kind}; killed ({signal_name}) at {args.kill_at:.0f} s "
              f"for {args.down_for:.0f} s")  # fmt: skip
        print("requests by status:")
        for key, count in sorted(traffic.statuses.items()):
            print(f"  {key:9} {count}")
        print(f"reads served: {traffic.served}/{traffic.reads} "
              f"({100 * traffic.served / max(1, traffic.reads):.1f}%), "
              f"{traffic.degraded} from the fallback replica (degraded)")  # fmt: skip
        print(f"comments accepted (201/202): {len(accepted)}")
        print(f"comments stored: {sum(stored.values())}")
        print(f"lost: {len(lost)}   doubled: {len(doubled)}   dead-lettered: {dead_letters}")
        ok = not lost and not doubled and not reads_500
        print("timeline (5 s buckets):")
        buckets: dict[int, Counter[str]] = {}
        for at, label in traffic.events:
            buckets.setdefault(int(at // 5) * 5, Counter())[label] += 1
        for start in sorted(buckets):
            print(f"  {start:3d}-{start + 5:<3d} s  " + ", ".join(
                f"{k} {v}" for k, v in sorted(buckets[start].items())))  # fmt: skip
        for text in lost[:5]:
            print(f"  lost: {text!r} (answered {traffic.status_of.get(text)})")
        print("RESULT:", "PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        replicator.stop.set()
        devstack.stop_process(worker)
        if server:
            server.stop()
        primary.stop()
        replica.stop()
        devstack.stop_process(sqs)


if __name__ == "__main__":
    sys.exit(main())

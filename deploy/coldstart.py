"""A Lambda cold start, as far as Python goes, reproduced from a deployment package.

Used by ``tests/test_deployment_package.py`` (is the package complete, is its bytecode used?)
and ``make bench`` (how long does ``import app`` take as deployed?):

- :func:`unpack` extracts the zip and makes it read-only, as Lambda does in ``/var/task``;
- :func:`runtime_sdk` stands in for what the Lambda Python runtime provides besides the
  package (``/var/runtime``: boto3 and its dependencies), linked from this environment;
- :func:`import_app` imports ``app`` in an isolated interpreter (``-I -S``: no site-packages,
  no PYTHON* variables, no current directory) whose ``sys.path`` is the package, then the
  runtime's SDK, then the standard library (Lambda's order). ``-B`` stands for the read-only
  file system (root could write anyway): nothing compiled is kept, so every run is a cold one.
  It reports the import time, the modules compiled from source under the package (seen by an
  audit hook on ``compile``), and where every imported module came from.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

#: What the Lambda Python runtime ships beside the function's code (import names).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")

PROBE = r"""
import json, sys, time
package, sdk, audit = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
sys.path[:0] = [package, sdk]
compiled = []
if audit:
    def hook(event, args):
        if event == "compile" and isinstance(args[1], str) and args[1].startswith(package):
            compiled.append(args[1])
    sys.addaudithook(hook)
started = time.perf_counter()
import app
seconds = time.perf_counter() - started
modules = {
    name: [getattr(m, "__file__", None), getattr(getattr(m, "__spec__", None), "cached", None)]
    for name, m in list(sys.modules.items())
}
print(json.dumps({"seconds": seconds, "compiled": compiled, "modules": modules,
                  "routes": len(app.app.routes), "flags": {"isolated": sys.flags.isolated,
                  "no_site": sys.flags.no_site, "dont_write_bytecode": sys.flags.dont_write_bytecode}}))
"""


def unpack(zip_path: str | os.PathLike, dest: str | os.PathLike, read_only: bool = True) -> Path:
    dest = Path(dest)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    if read_only:
        make_read_only(dest)
    return dest


def make_read_only(tree: Path) -> None:
    writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path in [*tree.rglob("*"), tree]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~writable)


def make_writable(tree: Path) -> None:
    for path in [*tree.rglob("*"), tree]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def runtime_sdk(dest: str | os.PathLike) -> Path:
    """A directory holding this environment's boto3 and its dependencies (links)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise RuntimeError(f"{name} is not installed here: it stands for the Lambda runtime's")
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = dest / source.name
        if not link.exists():
            link.symlink_to(source, target_is_directory=source.is_dir())
    return dest


def tree_files(tree: Path) -> set[str]:
    return {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}


def import_app(package: Path, sdk: Path, *, audit: bool = True, env: dict | None = None) -> dict:
    """``import app`` once in a fresh isolated interpreter (see the module's docstring)."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "HOME"}}
    base.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", PROBE, str(package), str(sdk), "1" if audit else "0"],
        cwd=package, env={**base, **(env or {})}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"import app failed in the unpacked package:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])

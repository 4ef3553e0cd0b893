"""Ship compiled bytecode in the Lambda deployment package, and only what runs.

Lambda unpacks the zip read-only, so a package without ``.pyc`` files compiles every module
it imports on every cold start (and can never cache the result). This step rewrites the zip
chalice builds:

- drops what never runs: ``__pycache__`` copied from a dev tree, tests, command-line tools
  (``chalicelib/cli*``, ``sidenote_cli``, ``markdown_it/cli``, ``ulid/__main__.py``, wheel
  scripts) and type stubs (``*.pyi``, ``py.typed``, ``*-stubs``);
- compiles every remaining ``.py`` with the interpreter running chalice into
  ``__pycache__/*.cpython-3XX.pyc`` in *unchecked-hash* mode: the runtime loads them without
  looking at source timestamps (which a zip does not keep exactly) and without reading the
  source. chalice picks the Lambda runtime from the running interpreter
  (``Config.lambda_python_version``), so the bytecode always matches the runtime's Python;
  a mismatch is refused.

Both deployment routes go through the same chalice packager
(``LambdaDeploymentPackager.create_deployment_package``, used by ``chalice deploy`` and
``chalice package``). This script runs chalice's own CLI with that method wrapped, so the zip
chalice uploads or writes out is always the compiled one::

    python deploy/bytecode.py package --stage prod-use1 --merge-template deploy/home.json out/
    python deploy/bytecode.py deploy --stage dev
    python deploy/bytecode.py compile path/to/deployment.zip    # an already built zip

(``make package`` runs the first.) Rewriting is idempotent: a compiled zip carries a marker
in its zip comment and is left alone, so chalice's reuse of its cached package in
``.chalice/deployments`` is kept.
"""

from __future__ import annotations

import compileall
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from py_compile import PycInvalidationMode

ROOT = Path(__file__).resolve().parent.parent
#: Zip comment of a package this step rewrote (and for which interpreter).
MARKER = b"sidenote: compiled bytecode, unchecked-hash, "
#: Where Lambda unpacks the package: the file names compiled into the bytecode.
TASK_ROOT = "/var/task"
#: Fixed timestamp of every entry: the same tree gives the same zip.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)

#: Paths (relative to the package root, ``/``-separated) that never run on Lambda.
EXCLUDE = [
    r"(^|/)__pycache__/",
    r"\.py[co]$",
    r"(^|/)(tests?|testing)/",
    r"(^|/)conftest\.py$",
    r"(^|/)test_[^/]*\.py$",
    r"\.pyi$",
    r"(^|/)py\.typed$",
    r"^[^/]+-stubs/",
    r"^[^/]+\.data/scripts/",
    r"^chalicelib/cli(\.py$|/)",
    r"^sidenote_cli/",
    r"^markdown_it/cli/",
    r"^ulid/__main__\.py$",
]
_EXCLUDED = re.compile("|".join(f"(?:{pattern})" for pattern in EXCLUDE))


def runtime() -> str:
    """The Lambda runtime chalice selects for this interpreter (e.g. ``python3.11``)."""
    from chalice.config import Config

    return Config().lambda_python_version


def excluded(name: str) -> bool:
    return bool(_EXCLUDED.search(name))


def _marker(python_version: str) -> bytes:
    return MARKER + python_version.encode() + b" " + sys.implementation.cache_tag.encode()


def is_compiled(zip_path: str | os.PathLike) -> bool:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.comment.startswith(MARKER)


def _check_interpreter(python_version: str) -> None:
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if python_version != here:
        raise SystemExit(
            f"bytecode for {python_version} cannot be compiled by {here} ({sys.executable}): "
            f"run chalice with a {python_version} interpreter"
        )


def compile_package(zip_path: str | os.PathLike, python_version: str | None = None) -> bool:
    """Rewrite a chalice deployment zip in place: prune, then add unchecked-hash bytecode.
    Returns False when the zip was already compiled (nothing to do)."""
    python_version = python_version or runtime()
    _check_interpreter(python_version)
    zip_path = Path(zip_path)
    if is_compiled(zip_path):
        return False
    with tempfile.TemporaryDirectory(prefix="sidenote-package-") as tmp:
        tree = Path(tmp) / "tree"
        modes: dict[str, int] = {}
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                if info.is_dir() or excluded(info.filename):
                    continue
                modes[info.filename] = info.external_attr
                zf.extract(info, tree)
        ok = compileall.compile_dir(
            str(tree),
            quiet=2,
            workers=0,
            stripdir=str(tree),
            prependdir=TASK_ROOT,
            invalidation_mode=PycInvalidationMode.UNCHECKED_HASH,
        )
        if not ok:
            raise SystemExit(f"{zip_path}: some modules do not compile")
        rewritten = zip_path.with_name(zip_path.name + ".compiled.tmp")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                name = path.relative_to(tree).as_posix()
                info = zipfile.ZipInfo(name, ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = modes.get(name, 0o644 << 16)
                out.writestr(info, path.read_bytes())
            out.comment = _marker(python_version)
        os.replace(rewritten, zip_path)
    return True


def unpacked_size(zip_path: str | os.PathLike) -> tuple[int, int]:
    """(files, bytes) of the package once unpacked."""
    with zipfile.ZipFile(zip_path) as zf:
        files = [i for i in zf.infolist() if not i.is_dir()]
        return len(files), sum(i.file_size for i in files)


def _wrap_chalice_packager() -> None:
    """Make chalice's packager hand out compiled zips, for ``deploy`` and ``package`` alike."""
    from chalice.deploy import packager

    cls = packager.LambdaDeploymentPackager
    if getattr(cls.create_deployment_package, "sidenote_bytecode", False):
        return
    original = cls.create_deployment_package

    def create_deployment_package(self, project_dir: str, python_version: str) -> str:
        filename = original(self, project_dir, python_version)
        if compile_package(filename, python_version):
            self._ui.write(f"Compiled bytecode for {python_version} into the package.\n")
        return filename

    create_deployment_package.sidenote_bytecode = True  # type: ignore[attr-defined]
    cls.create_deployment_package = create_deployment_package


def run_chalice(args: Iterable[str]) -> int:
    """chalice's own CLI (same options), with the packager wrapped."""
    from chalice import cli

    _wrap_chalice_packager()
    sys.argv = ["chalice", *args]
    return cli.main()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "compile":
        for name in rest:
            changed = compile_package(name)
            files, size = unpacked_size(name)
            state = "compiled" if changed else "already compiled"
            print(f"{name}: {state}; {files} files, {size / 1e6:.1f} MB unpacked")
        return 0
    if command in {"package", "deploy"}:
        os.chdir(os.environ.get("SIDENOTE_PROJECT_DIR", ROOT))
        return run_chalice([command, *rest])
    print(f"unknown command {command!r}: package, deploy or compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    # Not the deploy/ directory: its modules must not shadow anything chalice imports.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    sys.exit(main(sys.argv[1:]))

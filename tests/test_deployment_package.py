"""The deployment package as Lambda gets it: complete, compiled, only what runs, compressed API.

The package is built once, the way it ships (``deploy/bytecode.py package``, which runs
``chalice package`` with the zip rewritten), unpacked read-only, and ``app`` is imported from
it in an isolated interpreter holding only the package and the runtime's SDK (boto3 and its
dependencies). Timings live in ``make bench``; nothing here is timed.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPRESSION_THRESHOLD = 1024


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"sidenote_deploy_{name}", DEPLOY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bytecode = _load("bytecode")
coldstart = _load("coldstart")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> dict:
    """``deploy/bytecode.py package`` of the home stage: the zip, its template, its tree."""
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "bytecode.py"), "package", "--stage", "prod-use1",
         "--merge-template", str(DEPLOY / "home.json"), str(out / "built")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    zip_path = out / "built" / "deployment.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
    tree = coldstart.unpack(zip_path, out / "task")  # read-only, like /var/task
    yield {
        "zip": zip_path,
        "names": names,
        "template": json.loads((out / "built" / "sam.json").read_text()),
        "tree": tree,
        "sdk": coldstart.runtime_sdk(out / "runtime"),
    }
    coldstart.make_writable(tree)


def _pyc_flags(data: bytes) -> int:
    return int.from_bytes(data[4:8], "little")


def test_the_package_ships_unchecked_hash_bytecode_for_the_runtimes_python(packaged):
    runtime = packaged["template"]["Resources"]["APIHandler"]["Properties"]["Runtime"]
    assert runtime == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert bytecode.is_compiled(packaged["zip"])
    tag = sys.implementation.cache_tag
    names = set(packaged["names"])
    sources = [n for n in names if n.endswith(".py")]
    missing = []
    for source in sources:
        folder, _, file = source.rpartition("/")
        pyc = f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/")
        if pyc not in names:
            missing.append(source)
    assert sources and not missing, missing[:20]
    with zipfile.ZipFile(packaged["zip"]) as zf:
        app_pyc = zf.read(f"__pycache__/app.{tag}.pyc")
    assert app_pyc[:4] == importlib.util.MAGIC_NUMBER
    assert _pyc_flags(app_pyc) == 0b01  # hash-based, source never checked


def test_app_imports_from_the_read_only_package_using_its_bytecode_only(packaged):
    tree, sdk = packaged["tree"], packaged["sdk"]
    before = coldstart.tree_files(tree)
    result = coldstart.import_app(tree, sdk)
    assert result["flags"] == {"isolated": 1, "no_site": 1, "dont_write_bytecode": 1}
    assert result["routes"] > 5
    # Not one module under the package was compiled from source: its .pyc were loaded.
    assert result["compiled"] == []
    assert coldstart.tree_files(tree) == before  # and nothing was written
    stdlib = Path(os.__file__).resolve().parent
    for name, (file, cached) in result["modules"].items():
        if not file:
            continue  # built-in or frozen
        where = Path(file)
        assert (
            where.is_relative_to(tree)
            or where.is_relative_to(sdk)
            or (where.resolve().is_relative_to(stdlib))
        ), f"{name} came from {file}: the package is missing it"
        if where.is_relative_to(tree) and file.endswith(".py"):
            assert cached and Path(cached).is_file(), f"{name}: no bytecode at {cached}"


def test_every_module_that_runs_later_imports_from_the_package_alone(packaged):
    """What the app loads lazily (Markdown, the sanitiser, tracing, every chalicelib module)
    is in the package too: nothing missing that the dev environment hid."""
    tree = packaged["tree"]
    modules = sorted(
        ".".join(p.relative_to(tree).with_suffix("").parts).removesuffix(".__init__")
        for p in (tree / "chalicelib").rglob("*.py")
    )
    lazy = ["markdown_it", "mdurl", "nh3", "ulid", "aws_xray_sdk.core", "pynamodb.models"]
    code = (
        "import importlib, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "[importlib.import_module(m) for m in sys.argv[3:]]; "
        "print(sorted({m.__file__.split(sys.argv[1])[0] for m in list(sys.modules.values())"
        " if getattr(m, '__file__', None) and m.__name__.split('.')[0] in {'nh3', 'markdown_it'}}))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code, str(tree), str(packaged["sdk"]),
         *lazy, *modules],
        cwd=tree, env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['']"  # all loaded from under the package


def test_the_package_holds_only_what_runs(packaged):
    names = packaged["names"]
    shipped_but_never_run = [n for n in names if bytecode.excluded(n) and not n.endswith(".pyc")]
    assert shipped_but_never_run == []
    assert not any(n.startswith(("tests/", "sidenote_cli/", "chalicelib/cli")) for n in names)
    assert not any(n.endswith((".pyi", "/py.typed", "conftest.py")) for n in names)
    assert not any("/tests/" in n or n.split("/")[0].endswith("-stubs") for n in names)
    assert {"app.py", "chalice/app.py", "chalicelib/__init__.py"} <= set(names)
    files, size = bytecode.unpacked_size(packaged["zip"])
    print(f"package: {files} files, {size / 1e6:.1f} MB unpacked")


def test_pruning_keeps_runtime_code_and_drops_tests_clis_and_stubs():
    keep = ["app.py", "chalicelib/store/models.py", "botocore/data/sqs/2012-11-05/service-2.json",
            "ulid/__init__.py", "markdown_it/main.py", "aws_lambda_powertools/shared/version.py"]  # fmt: skip
    drop = ["tests/test_app.py", "nh3/__init__.pyi", "nh3/py.typed", "wrapt-stubs/__init__.pyi",
            "markdown_it/cli/parse.py", "ulid/__main__.py", "jmespath-1.1.0.data/scripts/jp.py",
            "chalicelib/cli.py", "sidenote_cli/__init__.py", "chalicelib/__pycache__/x.cpython-311.pyc",
            "pkg/tests/test_x.py", "pkg/testing/helpers.py"]  # fmt: skip
    assert [n for n in keep if bytecode.excluded(n)] == []
    assert [n for n in drop if not bytecode.excluded(n)] == []


def test_compiling_a_package_is_idempotent_and_only_for_the_running_python(tmp_path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr("app.py", "VALUE = 42\n")
        zf.writestr("lib/__init__.py", "")
        zf.writestr("lib/tests/test_lib.py", "def test(): pass\n")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    with pytest.raises(SystemExit):
        bytecode.compile_package(package, "python3.9")
    assert not bytecode.is_compiled(package)
    assert bytecode.compile_package(package, runtime) is True
    first = package.read_bytes()
    assert bytecode.compile_package(package, runtime) is False
    assert package.read_bytes() == first
    with zipfile.ZipFile(package) as zf:
        names = sorted(zf.namelist())
    tag = sys.implementation.cache_tag
    assert names == sorted(
        ["app.py", f"__pycache__/app.{tag}.pyc", "lib/__init__.py", f"lib/__pycache__/__init__.{tag}.pyc"]
    )  # fmt: skip


def test_the_api_compresses_responses_over_1_kb_on_every_route_of_deployment(packaged):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["minimum_compression_size"] == COMPRESSION_THRESHOLD  # chalice deploy
    for name, stage in config["stages"].items():
        assert stage.get("minimum_compression_size", COMPRESSION_THRESHOLD) == 1024, name
    api = packaged["template"]["Resources"]["RestAPI"]["Properties"]
    assert api["MinimumCompressionSize"] == COMPRESSION_THRESHOLD  # chalice package
    # CloudFront asks the API for gzip/br (they are in its cache key) and compresses too.
    cache = packaged["template"]["Resources"]["ReadCachePolicy"]["Properties"]
    forwarded = cache["CachePolicyConfig"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert forwarded["EnableAcceptEncodingGzip"] and forwarded["EnableAcceptEncodingBrotli"]
    distribution = packaged["template"]["Resources"]["Distribution"]["Properties"]
    assert distribution["DistributionConfig"]["DefaultCacheBehavior"]["Compress"] is True


def test_large_responses_leave_the_app_whole_for_the_gateway_to_gzip_when_the_client_asks(
    client, site
):
    """API Gateway compresses (and decompresses request bodies) itself; chalice local and the
    test client do not. What the app must do: answer the same bytes whatever Accept-Encoding
    says, never set Content-Encoding itself, and the widget and a thread page must be over the
    threshold, and compress well, so the gateway does gzip them."""
    headers = {"Origin": site.origins[0], "Content-Type": "application/json"}
    thread = "/2009/02/compressed.html"
    text = "Compression matters on a slow line: this comment is long enough to show it. " * 8
    for n in range(3):
        body = json.dumps({"text": f"{n}: {text}", "author": f"Reader {n}"})
        posted = client.http.post(
            f"/sites/{site.id}/comments?thread={thread}", headers=headers, body=body
        )
        assert posted.status_code == 201, posted.body
    for path in ("/embed.js", f"/sites/{site.id}/comments?thread={thread}"):
        plain = client.http.get(path, headers={"Origin": site.origins[0]})
        asked = client.http.get(
            path, headers={"Origin": site.origins[0], "Accept-Encoding": "gzip, deflate, br"}
        )
        assert plain.status_code == asked.status_code == 200, path
        assert asked.body == plain.body, path
        assert not {k.lower() for k in asked.headers} & {"content-encoding"}, path
        assert len(plain.body) > COMPRESSION_THRESHOLD, path
        assert len(gzip.compress(plain.body)) < len(plain.body) / 2, path

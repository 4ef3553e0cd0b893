"""The widget's weight budget: embed.js, CSS included, at most 6 KB gzipped (no browser needed)."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMBED = ROOT / "chalicelib" / "static" / "embed.js"
SERVED = ROOT / "chalicelib" / "static" / "embed.min.js"
TERSER = ROOT / "node_modules" / ".bin" / "terser"
BUDGET = 6144


def test_embed_js_is_within_budget():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "embed_size.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "embed.min.js" in result.stdout
    assert len(gzip.compress(SERVED.read_bytes(), compresslevel=9)) <= BUDGET


def test_the_served_minified_copy_is_made_from_the_current_source():
    """embed.min.js is generated (make widget, pinned terser) and committed: never stale."""
    assert TERSER.exists(), "terser missing: run `make widget` (npm ci; make test installs it)"
    fresh = subprocess.run(
        [str(TERSER), str(EMBED), "--compress", "--mangle", "--comments", "/^!/"],
        capture_output=True,
        check=True,
    ).stdout
    assert fresh.strip() == SERVED.read_bytes().strip(), "run `make widget` and commit embed.min.js"


def test_embed_js_route_serves_the_minified_copy(client):
    response = client.http.get("/embed.js")
    assert response.status_code == 200
    assert response.body.decode().strip() == SERVED.read_text(encoding="utf-8").strip()


def test_size_script_fails_over_budget(tmp_path):
    heavy = tmp_path / "embed.js"
    heavy.write_bytes(os.urandom(10_000))  # incompressible
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "embed_size.py"), str(heavy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "OVER BUDGET" in result.stdout


def test_embed_js_stays_plain_and_self_contained():
    source = EMBED.read_text(encoding="utf-8")
    # One IIFE, no imports, no third-party URLs, no cookies, CSS inside (one <style>).
    assert source.count("(() => {") == 1 and source.rstrip().endswith("})();")
    assert not re.search(r"^\s*(import|export)\s", source, re.M)
    assert not re.search(r"https?://", source.split("*/", 1)[1])
    assert "document.cookie" not in source and "d.cookie" not in source
    assert source.count("h('style'") == 1
    # The only HTML sink is the server-sanitised comment html.
    assert source.count("innerHTML") == 1 and "innerHTML = c.html" in source
    assert "insertAdjacentHTML" not in source and "outerHTML" not in source
    assert "document.write" not in source and "eval(" not in source

#!/usr/bin/env python3
"""Print the gzipped size of the embed widget and fail when it is over budget.

Usage: python scripts/embed_size.py [path]   (default: what /embed.js serves — the minified
copy chalicelib/static/embed.min.js where it exists, else embed.js).
The budget is 6 KB gzipped (6144 bytes), CSS included, measured like `gzip -9`.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

BUDGET = 6144
STATIC = Path(__file__).resolve().parent.parent / "chalicelib" / "static"
DEFAULT = STATIC / "embed.min.js" if (STATIC / "embed.min.js").is_file() else STATIC / "embed.js"


def gzipped_size(path: Path) -> int:
    """Bytes of `gzip -9 -c path`; Python's zlib (plus the stored file name) where gzip is missing."""
    if shutil.which("gzip"):
        return len(
            subprocess.run(["gzip", "-9", "-c", str(path)], check=True, capture_output=True).stdout
        )
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)) + len(path.name) + 1


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    data = path.read_bytes()
    size = gzipped_size(path)
    verdict = "ok" if size <= BUDGET else "OVER BUDGET"
    print(f"{path.name}: {len(data)} bytes, {size} bytes gzipped (budget {BUDGET}): {verdict}")
    return 0 if size <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

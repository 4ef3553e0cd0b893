"""Widget figures for ``make bench``: embed.js bytes (raw, gzipped) and the time from navigation
to the first comment painted, for a 200-comment thread, median of 5 cold runs.

    python tests/browser/bench_widget.py http://127.0.0.1:8000 [--site demo] [--runs 5]

The server must accept 200 quick posts (raise SIDENOTE_RATE_LIMIT_PER_MINUTE and
SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE for it). Each run is a fresh browser context: no HTTP cache,
no localStorage, so embed.js and the thread are both fetched.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browserkit import Api, mount_markup, serve

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "static"
#: What /embed.js serves: the minified copy where it exists.
EMBED = STATIC / "embed.min.js" if (STATIC / "embed.min.js").is_file() else STATIC / "embed.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Time (ms since navigation start) of the first frame after the first comment is in the DOM.
PROBE = """
window.__firstPaint = new Promise(resolve => {
  new MutationObserver((_, observer) => {
    if (!document.querySelector('#sidenote .sn-c')) return;
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
  }).observe(document, {subtree: true, childList: true});
});
"""


def seed(api: Api, site: str, comments: int) -> str:
    thread = f"/bench/{uuid.uuid4().hex[:12]}"
    parents: list[str] = []
    for i in range(comments):
        parent = parents[i // 3] if i % 4 == 3 and parents else None  # some nesting
        body = {
            "text": f"Comment **{i}** with a [link](https://example.org/{i}).",
            "author": f"R{i}",
        }
        if parent:
            body["parent"] = parent
        parents.append(api.post(thread, site=site, **body)["comment"]["id"])
    return thread


def measure(browser, base_url: str, site: str = "demo", runs: int = 5, comments: int = 200):
    api = Api(base_url)
    thread = seed(api, site, comments)
    times = []
    for _ in range(runs):
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.add_init_script(PROBE)
        path = serve(page, base_url, mount_markup(site, thread))
        page.goto(path)
        times.append(page.evaluate("window.__firstPaint"))
        rendered = page.locator("#sidenote .sn-c").count()
        context.close()
    data = EMBED.read_bytes()
    return {
        "embed_js_bytes": len(data),
        "embed_js_gzip_bytes": len(gzip.compress(data, compresslevel=9)),
        "thread_comments": comments,
        "comments_rendered_first_page": rendered,
        "first_comment_paint_ms_median": round(statistics.median(times), 1),
        "first_comment_paint_ms_runs": [round(t, 1) for t in times],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--site", default="demo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            result = measure(browser, args.base_url.rstrip("/"), args.site, args.runs)
        finally:
            browser.close()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

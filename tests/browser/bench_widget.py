"""Widget figures for ``make bench``, from Chromium's own clocks (Performance API).

    python tests/browser/bench_widget.py http://127.0.0.1:8000 [--site demo] [--runs 5]
    python tests/browser/bench_widget.py --script-only [--embed path/to/embed.min.js]

1. Script time (``script``): a page mounting the widget, with every request answered at once
   from memory (the page, embed.js, a thread of 100 or 500 comments): the time from the
   thread response's ``responseEnd`` (Resource Timing) to the first and to the last comment in
   the DOM (``performance.now()`` in a MutationObserver), median of ``runs`` cold runs. The
   window is split into its parts, so what the browser spends is not counted as the widget's:
   ``handoff`` (``responseEnd`` → the widget's ``fetch()`` resolves: the browser's task
   scheduling), ``body`` (→ its ``json()`` resolves: the body reaching the page, and the parse),
   ``render`` (→ the last comment in the DOM: the widget's own work) and ``paint`` (→ the end of
   the next frame's main-thread work: style, layout, paint). The probe is in the page before
   any script (an init script wraps ``fetch`` and observes the document), and nothing is asked
   of the page until it reports (a console message), so the measurement adds no work to the
   window it measures.
2. Navigation (``navigation``): against a live server (chalice local on DynamoDB Local), a
   100-comment thread: navigation start → first frame painted with a comment in it, beside the
   server's own time for the thread request (``requestStart`` → ``responseStart``) and the time
   the same request takes from Python (median of ``runs``).

Each run is a fresh browser context: no HTTP cache, no localStorage. The server must accept
quick posts (raise SIDENOTE_RATE_LIMIT_PER_MINUTE and SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browserkit import CHROMIUM_ARGS, Api, mount_markup, serve

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "static"
#: What /embed.js serves: the minified copy where it exists.
EMBED = STATIC / "embed.min.js" if (STATIC / "embed.min.js").is_file() else STATIC / "embed.js"
#: The origin of the in-memory pages (never resolved: every request is answered by a route).
MEMORY_ORIGIN = "http://sidenote.bench"
THREAD_ENTRY = "e => e.name.includes('/comments?')"
# Time (ms since navigation start) of the first frame after the first comment is in the DOM,
# and the thread request's Resource Timing entry.
PAINT_PROBE = """
window.__firstPaint = new Promise(resolve => {
  new MutationObserver((_, observer) => {
    if (!document.querySelector('#sidenote .sn-c')) return;
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const r = performance.getEntriesByType('resource').find(__THREAD_ENTRY__);
      resolve({paint: performance.now(), requestStart: r.requestStart,
               responseStart: r.responseStart, responseEnd: r.responseEnd});
    }));
  }).observe(document, {subtree: true, childList: true});
});
""".replace("__THREAD_ENTRY__", THREAD_ENTRY)
# Installed before any page script: when the widget's thread fetch() and its json() resolve,
# when the first and the last of __WANT__ comments are in the DOM, and when the next frame's
# main-thread work is over (all ms since navigation start, from the page's own clock); reported
# by a console message once complete, so nothing is asked of the page while it renders.
SCRIPT_PROBE = """
(() => {
  const t = {}, at = k => t[k] = t[k] || performance.now(), fetch = window.fetch;
  window.fetch = function (input) {
    const sent = fetch.apply(this, arguments);
    if (String(input.url || input).includes('/comments?')) sent.then(r => {
      at('response');
      const json = r.json;
      r.json = function () { return json.apply(this, arguments).then(v => (at('parsed'), v)); };
    }, () => {});
    return sent;
  };
  const observer = new MutationObserver(() => {
    const n = document.querySelectorAll('#sidenote .sn-c').length;
    if (n) at('first');
    if (n < __WANT__) return;
    at('last');
    observer.disconnect();
    t.rendered = n;
    t.responseEnd = performance.getEntriesByType('resource').find(__THREAD_ENTRY__).responseEnd;
    // rAF runs before the frame's style, layout and paint; a task queued there runs after them
    requestAnimationFrame(() => setTimeout(() => {
      at('painted');
      window.__rendered = t;
      console.debug('sidenote-bench: rendered');
    }));
  });
  observer.observe(document, {subtree: true, childList: true});
})();
""".replace("__THREAD_ENTRY__", THREAD_ENTRY)
RENDERED = "sidenote-bench: rendered"


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


def synthetic_thread(thread: str, comments: int) -> dict:
    """A first page as the API returns it: ``comments`` comments, every fourth a reply, each a
    paragraph with a link like the server's rendering of ``seed``'s Markdown."""
    out: list[dict] = []
    for i in range(comments):
        cid = f"01J{i:023d}"
        parent = out[i // 3]["id"] if i % 4 == 3 and out else None
        out.append(
            {
                "id": cid,
                "parent": parent,
                "author": f"Reader {i}",
                "website": f"https://reader{i}.example" if i % 5 == 0 else None,
                "avatar": f"{(i * 2654435761) % 16**16:016x}",
                "html": f'<p>Comment <strong>{i}</strong> with a <a href="https://example.org/{i}"'
                ' rel="nofollow ugc noopener">link</a>, and some more words to make it a'
                " sentence a reader might write.</p>",
                "created": f"2009-02-24T{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "edited": None,
                "deleted": False,
            }
        )
    meta = {"key": thread, "title": "Bench", "url": None, "locked": False, "count": comments}
    return {"thread": meta, "comments": out, "cursor": None}


def _new_context(browser, base_url: str):
    context = browser.new_context(base_url=base_url)
    return context, context.new_page()


def measure_script(browser, comments: int, runs: int = 5, embed: Path = EMBED) -> dict:
    """Script time from the thread response to the first and last comment, and its parts (see
    the module). Medians in ms; ``*_runs`` the runs in order."""
    site, thread = "bench", "/2009/02/outage.html"
    script = embed.read_bytes()
    body = json.dumps(synthetic_thread(thread, comments))
    marks = ("response", "parsed", "first", "last", "painted")
    times: dict[str, list[float]] = {k: [] for k in marks}
    for _ in range(runs):
        context, page = _new_context(browser, MEMORY_ORIGIN)
        page.add_init_script(SCRIPT_PROBE.replace("__WANT__", str(comments)))
        page.route(
            f"{MEMORY_ORIGIN}/embed.js",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=script),
        )
        page.route(
            f"{MEMORY_ORIGIN}/sites/{site}/comments?*",
            lambda route: route.fulfill(
                status=200,
                content_type="application/json",
                headers={"Access-Control-Allow-Origin": "*"},
                body=body,
            ),
        )
        path = serve(page, MEMORY_ORIGIN, mount_markup(site, thread))
        with page.expect_console_message(lambda m: m.text == RENDERED, timeout=30_000):
            page.goto(path, wait_until="commit")
        got = page.evaluate("window.__rendered")
        context.close()
        for k in marks:
            times[k].append(got[k] - got["responseEnd"])

    def median(k: str) -> float:
        return round(statistics.median(times[k]), 1)

    def parts(a: str, b: str) -> float:
        return round(statistics.median(y - x for x, y in zip(times[a], times[b], strict=True)), 1)

    return {
        "comments": comments,
        "to_first_ms_median": median("first"),
        "to_last_ms_median": median("last"),
        "to_first_ms_runs": [round(t, 1) for t in times["first"]],
        "to_last_ms_runs": [round(t, 1) for t in times["last"]],
        "handoff_ms_median": median("response"),
        "body_ms_median": parts("response", "parsed"),
        "render_ms_median": parts("parsed", "last"),
        "render_ms_runs": [
            round(y - x, 1) for x, y in zip(times["parsed"], times["last"], strict=True)
        ],
        "paint_ms_median": parts("last", "painted"),
    }


def _server_ms(base_url: str, site: str, thread: str, runs: int) -> float:
    import requests

    url = f"{base_url}/sites/{site}/comments?thread={quote(thread, safe='')}"
    times = []
    with requests.Session() as http:
        http.get(url, timeout=30).raise_for_status()  # warm (site cache)
        for _ in range(runs):
            started = time.perf_counter()
            http.get(url, timeout=30).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def measure(browser, base_url: str, site: str = "demo", runs: int = 5, comments: int = 100):
    """Navigation → first comment painted against a live server (see the module)."""
    api = Api(base_url)
    thread = seed(api, site, comments)
    paints, servers, responses = [], [], []
    for _ in range(runs):
        context, page = _new_context(browser, base_url)
        page.add_init_script(PAINT_PROBE)
        path = serve(page, base_url, mount_markup(site, thread))
        page.goto(path)
        got = page.evaluate("window.__firstPaint")
        paints.append(got["paint"])
        servers.append(got["responseStart"] - got["requestStart"])
        responses.append(got["responseEnd"])
        rendered = page.locator("#sidenote .sn-c").count()
        context.close()
    data = EMBED.read_bytes()
    return {
        "embed_js_bytes": len(data),
        "embed_js_gzip_bytes": len(gzip.compress(data, compresslevel=9)),
        "thread_comments": comments,
        "comments_rendered_first_page": rendered,
        "first_comment_paint_ms_median": round(statistics.median(paints), 1),
        "first_comment_paint_ms_runs": [round(t, 1) for t in paints],
        "thread_response_end_ms_median": round(statistics.median(responses), 1),
        "thread_server_ms_median": round(statistics.median(servers), 1),
        "thread_request_from_python_ms_median": _server_ms(base_url, site, thread, runs),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?")
    parser.add_argument("--site", default="demo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--script-only", action="store_true", help="no server: script time only")
    parser.add_argument("--embed", type=Path, default=EMBED, help="the widget to time")
    args = parser.parse_args(argv)
    if not args.script_only and not args.base_url:
        parser.error("a base URL, or --script-only")
    from playwright.sync_api import sync_playwright

    result: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            result["script"] = [
                measure_script(browser, n, args.runs, args.embed) for n in (100, 500)
            ]
            if not args.script_only:
                result["navigation"] = measure(
                    browser, args.base_url.rstrip("/"), args.site, args.runs
                )
        finally:
            browser.close()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

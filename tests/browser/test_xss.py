"""XSS: hostile strings posted through the API into every field, then rendered by the widget.

A page-level tripwire (every payload that runs sets ``window.__xss`` or opens a dialog), a
dialog listener, a scan of the rendered DOM for live attributes and URLs, and no console
errors. Image requests are answered with an empty 200 (not an image) so ``onerror`` payloads
would still fire while no request leaves the machine and no 404 pollutes the console.
"""

from __future__ import annotations

import html
import re

import pytest
from browserkit import mount_markup, new_thread_key, serve
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

T = "window.__xss=1"
PAYLOADS = [
    # script tags
    f"<script>{T}</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>alert(1)</script>",
    f'"><script>{T}</script>',
    f"'><script>{T}</script>",
    f"</textarea><script>{T}</script>",
    f"</title><script>{T}</script>",
    f"<scr<script>ipt>{T}</scr</script>ipt>",
    f'<script type="text/javascript">{T};</script>',
    f"<<script>{T};//<</script>",
    f"<script/src=data:,{T}></script>",
    f"<template><script>{T}</script></template>",
    f"</p></div></li></ol></section><script>{T}</script>",
    f"</style><script>{T}</script>",
    f"<?xml version='1.0'?><script>{T}</script>",
    f"<![CDATA[<script>{T}</script>]]>",
    # event handlers
    f'<img src=x onerror="{T}">',
    "<img src=x onerror=alert(1)>",
    f"<img/src=x/onerror={T}>",
    f"<img src=x onerror={T}//",
    '<img src="x" onerror="&#119;indow.__xss=1">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    f'<svg onload="{T}">',
    f"<svg/onload={T}>",
    f"<body onload={T}>",
    f'<div onmouseover="{T}">hover me</div>',
    f"<input autofocus onfocus={T}>",
    f"<select autofocus onfocus={T}>",
    f"<textarea autofocus onfocus={T}></textarea>",
    f"<details open ontoggle={T}>",
    f'<video><source onerror="{T}"></video>',
    f"<audio src=x onerror={T}>",
    f"<marquee onstart={T}>",
    f"<style onload={T}></style>",
    f"<link rel=stylesheet href=x onerror={T}>",
    f"<x onclick={T}>custom element</x>",
    f'<a href="#" onclick="{T}">click</a>',
    f"<isindex type=image src=1 onerror={T}>",
    f'<b onmouseenter="{T}" style="display:block;height:999px">big</b>',
    *[
        f"<b {event}={T}>x</b>"
        for event in (
            "onanimationstart",
            "onpointerenter",
            "onwheel",
            "onfocusin",
            "onbeforeinput",
            "onauxclick",
            "onscroll",
        )
    ],
    # javascript:, data: and other URLs
    f'<a href="javascript:{T}">x</a>',
    f'<a href="JaVaScRiPt:{T}">x</a>',
    '<a href="jav&#x09;ascript:window.__xss=1">x</a>',
    '<a href="&#106;avascript:window.__xss=1">x</a>',
    f'<a href=" javascript:{T}">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<a href=javascript&colon;window.__xss=1>x</a>",
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:window.__xss=1">x</a>',
    f"javascript:{T}",
    f"javascript://%0A{T}",
    f'http://x.example/"onmouseover="{T}',
    f"https://example.org/?q=<script>{T}</script>",
    f'https://example.org/"><img src=x onerror={T}>',
    f"https://example.org/#<img src=x onerror={T}>",
    f'<iframe src="javascript:{T}"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    f'<object data="javascript:{T}"></object>',
    f'<embed src="javascript:{T}">',
    f'<form><button formaction="javascript:{T}">x</button></form>',
    f'<base href="javascript:{T}//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{T}">',
    f'<table><td background="javascript:{T}">x</td></table>',
    f'<div style="background:url(javascript:{T})">x</div>',
    f'<div style="width:expression({T})">x</div>',
    f"<style>@import 'javascript:{T}';</style>",
    # SVG and MathML
    f"<svg><script>{T}</script></svg>",
    f'<svg><a xlink:href="javascript:{T}"><text x=20 y=20>x</text></a></svg>',
    f"<svg><animate onbegin={T} attributeName=x dur=1s>",
    f"<svg><set attributeName=href to=javascript:{T} /></svg>",
    f"<svg><style><img src=x onerror={T}></style></svg>",
    '<svg><foreignObject><iframe srcdoc="<script>parent.__xss=1</script>"></iframe></foreignObject></svg>',
    f'<math><maction actiontype="statusline" xlink:href="javascript:{T}">x</maction></math>',
    f"<math><mtext><table><mglyph><style><img src=x onerror={T}>",
    # broken markup and mutation XSS
    f'<img src="x" onerror="{T}"',
    f'<img """><script>{T}</script>">',
    f"<a href='x' <script>{T}</script>",
    f'<!--<img src="--><img src=x onerror={T}//">',
    f'<noscript><p title="</noscript><img src=x onerror={T}>">',
    f"<p title='</p><img src=x onerror={T}>'>",
    f"<div><</div>script>{T}<</div>/script>",
    f'<a id="sidenote">clobber</a><form id="Sidenote"></form><img name="sidenoteq" onerror="{T}">',
    # Markdown link and image tricks
    f"[click](javascript:{T})",
    f"[click](JAVASCRIPT:{T})",
    "[click](javascript&#58;window.__xss=1)",
    f"[click](  javascript:{T}  )",
    f"[click](<javascript:{T}>)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f'![img](x" onerror="{T})',
    f"![img](javascript:{T})",
    f'![x](https://example.org/x.png"onerror="{T})',
    f'[a](https://example.org/"onmouseover="{T})',
    f"[a][ref]\n\n[ref]: javascript:{T}",
    f"<javascript:{T}>",
    f"<http://example.org/<script>{T}</script>>",
    f"`<script>{T}</script>`",
    f"```html\n<script>{T}</script>\n```",
    f"**<img src=x onerror={T}>**",
    f"[![x](x)](javascript:{T})",
    f'[x](#" onclick="{T})',
    f"> <script>{T}</script>",
    f"- [ ] <img src=x onerror={T}>",
    f'[x](https://example.org "t\\" onmouseover=\\"{T}")',
    f"\\<script\\>{T}\\</script\\>",
    f"&lt;script&gt;{T}&lt;/script&gt;",
    f"[x](jav&#x61;script:{T})",
    # unicode tricks
    f"＜script＞{T}＜/script＞",
    f"＜img src=x onerror={T}＞",
    f"<scr\u200bipt>{T}</script>",
    f"\u202e<script>{T}</script>",
    f"\ufeff<script>{T}</script>",
    "<img src=x onerror=\\u0077indow.__xss=1>",
    f"<ſcript>{T}</ſcript>",
    f"<ıframe src=javascript:{T}>",
    f"𝓳𝓪𝓿𝓪𝓼𝓬𝓻𝓲𝓹𝓽:{T}",
    f"ｊａｖａｓｃｒｉｐｔ:{T}",
    f"[x](ｊａｖａｓｃｒｉｐｔ:{T})",
    f"👩‍💻<img src=x onerror={T}>",
    "%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    f'<a href="java\tscript:{T}">tab</a>',
    f"e\u0301<img src=x onerror={T}>",
    # strings that are dangerous to naive client code
    f"{{{{constructor.constructor('{T}')()}}}}",
    f"${{{T}}}",
    f"'; {T}; '",
    f'"); {T}; ("',
    "__proto__",
    "constructor",
    "{n}",
]

FIELDS_A = ("text", "author", "title", "url")
FIELDS_B = ("website", "email")
FIELD = re.compile(r"'(\w+)'")


def post_dropping_rejected(api, thread: str, fields: dict) -> dict:
    """Post; when the server refuses a field (400 names it), drop that field and retry."""
    fields = dict(fields)
    for _ in range(len(fields) + 1):
        r = api.call("POST", f"/sites/demo/comments?thread={thread}", json=fields)
        if r.status_code == 201:
            return fields
        assert r.status_code in (400, 413), r.text
        bad = FIELD.search(r.json()["Message"])
        name = bad.group(1) if bad else "text"
        if name == "text" or name not in fields:
            fields["text"] = "(payload refused in text)"
            fields.pop(name, None)
        else:
            fields.pop(name)
    raise AssertionError(f"could not post {fields!r}")


SCAN = """() => {
  const bad = [];
  const live = /^(javascript|vbscript|data|livescript):/;
  for (const el of document.querySelectorAll('#sidenote *')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.tagName} ${name}`);
      if (live.test(value)) bad.push(`${el.tagName} ${name}=${a.value}`);
      if (name === 'srcdoc' || (name === 'style' && /expression|url\\(/.test(value)))
        bad.push(`${el.tagName} ${name}`);
    }
  }
  for (const el of document.querySelectorAll(
      '.sn-b script, .sn-b iframe, .sn-b object, .sn-b embed, .sn-b form, .sn-b input, ' +
      '.sn-b base, .sn-b meta, .sn-b link, .sn-b style, .sn-b svg, .sn-b math, .sn-b [id], ' +
      '.sn-b [name], .sn-h script'))
    bad.push(`element ${el.tagName}`);
  return bad;
}"""


POKE = """() => {
  const events = ['mouseover', 'mouseenter', 'pointerenter', 'focus', 'focusin', 'wheel',
                  'animationstart', 'toggle', 'scroll', 'beforeinput', 'auxclick', 'load', 'error'];
  for (const el of document.querySelectorAll('#sidenote .sn-b, #sidenote .sn-b *, #sidenote .sn-h *'))
    for (const type of events) el.dispatchEvent(new Event(type));
}"""


def test_xss_payloads_in_every_field_never_run(page, live_server, api, errors):
    assert len(PAYLOADS) >= 100
    thread = new_thread_key("/xss")
    accepted = {name: 0 for name in FIELDS_A + FIELDS_B}
    for i, payload in enumerate(PAYLOADS):
        kept = post_dropping_rejected(api, thread, dict.fromkeys(FIELDS_A, payload))
        for name in kept:
            accepted[name] += kept[name] == payload
        kept = post_dropping_rejected(
            api, thread, {"text": f"website and e-mail {i}", **dict.fromkeys(FIELDS_B, payload)}
        )
        for name in FIELDS_B:
            accepted[name] += kept.get(name) == payload
    # Text and author take (almost) anything; URLs and e-mail are validated by the server.
    assert accepted["text"] >= 100 and accepted["author"] >= 90, accepted

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    outside = []
    page.on(
        "request",
        lambda r: (
            not r.url.startswith((live_server, "data:"))
            and r.resource_type != "image"
            and outside.append(r.url)
        ),
    )
    page.route(
        "**/*",
        lambda route: (
            route.fulfill(status=200, content_type="image/png", body=b"")
            if route.request.resource_type == "image"
            else route.fallback()
        ),
    )
    page.add_init_script("window.__xss = 0; window.parent.__xss = 0;")
    page.goto(serve(page, live_server, mount_markup("demo", thread)))
    more = page.get_by_role("button", name="Load more comments")
    stored = api.all_comments(thread)
    items = page.locator("#sidenote .sn-c")
    expect(items.first).to_be_visible()
    while more.is_visible():
        more.click()
        page.wait_for_timeout(200)
    expect(items).to_have_count(len(stored))

    # Everything a reader could do to a comment: hover it, focus it, scroll, wait for timers.
    page.evaluate(POKE)
    page.keyboard.press("Tab")
    page.wait_for_timeout(1000)

    assert page.evaluate("window.__xss") == 0
    assert dialogs == []
    assert page.evaluate(SCAN) == []
    assert errors == []
    assert outside == []
    # Reader strings are shown as text, exactly as stored.
    shown = page.locator(".sn-h > b, .sn-h > a:not(.sn-t)").all_inner_texts()
    authors = [c["author"] or "Anonymous" for c in stored if not c["deleted"]]
    assert sorted(shown) == sorted(a.strip() for a in authors)
    for href in page.locator(".sn-h > a:not(.sn-t)").evaluate_all("els => els.map(a => a.href)"):
        assert href.startswith(("http://", "https://")), href
    # The Markdown source of a script payload is visible as text, not executed.
    assert page.locator(".sn-b", has_text="<script>").count() > 0


def test_hostile_thread_keys_and_labels(page, live_server, api, errors):
    """Thread keys and count labels come from the page, but are treated as text too."""
    keys = [p for p in PAYLOADS[:40] if len(p) < 200]
    for key in keys[:10]:
        api.http.post(
            f"{live_server}/sites/demo/comments", params={"thread": key}, json={"text": "k"}
        )
    markup = "".join(
        f'<span data-sidenote-count="{html.escape(k)}" data-i18n-zero="{html.escape(k)}" '
        f'data-i18n-one="{html.escape(k)}">?</span>'
        for k in keys
    )
    markup += '<script async src="/embed.js" data-sidenote-site="demo"></script>'
    page.add_init_script("window.__xss = 0")
    page.goto(serve(page, live_server, markup))
    labels = page.locator("span[data-sidenote-count]")
    expect(labels).to_have_text(keys)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") == 0
    assert page.locator("main script").count() == 1
    assert page.locator("main img, main svg, main iframe, main a").count() == 0
    assert errors == []

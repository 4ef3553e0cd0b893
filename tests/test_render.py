"""Markdown rendering and sanitising: what a comment's HTML may and may not contain."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.platform.render import ALLOWED_TAGS, LINK_REL, count_links, render

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Collector(HTMLParser):
    """Every start tag with its attributes, entity references decoded (as a browser would)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser.tags


def _browser_scheme(href: str) -> str:
    """The scheme a browser would see: it drops ASCII tab/newline and leading spaces."""
    cleaned = re.sub(r"[\t\n\r]", "", href).lstrip("\x00 \x0c").lower()
    return urlsplit(cleaned).scheme if ":" in cleaned.split("/", 1)[0] else ""


def assert_safe(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED_TAGS, f"tag <{tag}> in {html!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} in {html!r}"
            assert name in {"href", "title", "rel", "start"}, f"attribute {name} in {html!r}"
            if name == "href":
                assert _browser_scheme(value or "") in {"", "http", "https", "mailto"}, html
                lowered = re.sub(r"\s", "", value or "").lower()
                assert not lowered.startswith(DANGEROUS_SCHEMES), html
        if tag == "a" and "href" in attrs:
            assert attrs.get("rel") == LINK_REL
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<iframe" not in lowered
    assert "<svg" not in lowered
    assert "<style" not in lowered


def links(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in tags_of(html) if tag == "a"]


# --- ordinary Markdown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", "<p>hello</p>"),
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("_em_", "<p><em>em</em></p>"),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("`x < y`", "<p><code>x &lt; y</code></p>"),
        ("line one\nline two", "<p>line one<br>\nline two</p>"),
        ("# Title", "<h1>Title</h1>"),
        ("---", "<hr>"),
    ],
)
def test_markdown_is_rendered_to_html(text, expected):
    assert render(text) == expected


def test_lists_quotes_and_code_blocks_are_kept():
    html = render("> quoted\n\n1. one\n2. two\n\n- a\n- b\n\n```\ncode\n```")
    for tag in ("blockquote", "ol", "ul", "li", "pre", "code"):
        assert f"<{tag}>" in html
    assert_safe(html)


def test_ordered_list_keeps_its_start_number():
    assert '<ol start="3">' in render("3. three\n4. four")


def test_link_gets_nofollow_ugc_noopener():
    (link,) = links(render("[my post](https://ann.example/post)"))
    assert link == {"href": "https://ann.example/post", "rel": "nofollow ugc noopener"}


def test_link_title_is_kept():
    (link,) = links(render('[x](https://ann.example "A title")'))
    assert link["title"] == "A title"
    assert link["rel"] == LINK_REL


def test_autolink_gets_nofollow_ugc_noopener():
    (link,) = links(render("<https://ann.example>"))
    assert link["href"] == "https://ann.example"
    assert link["rel"] == LINK_REL


def test_mailto_link_is_allowed():
    (link,) = links(render("[mail me](mailto:ann@example.org)"))
    assert link["href"] == "mailto:ann@example.org"


def test_bare_url_is_not_turned_into_a_link():
    assert links(render("see https://ann.example")) == []


def test_rel_given_by_the_author_cannot_override_ours():
    html = render('[x](https://ann.example "t"){rel=follow}')
    for link in links(html):
        assert link["rel"] == LINK_REL


# --- raw HTML is text, not markup -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        "<b onclick=alert(1)>bold</b>",
        '<a href="javascript:alert(1)">x</a>',
        "<style>body{display:none}</style>",
        "<!-- comment --><p>x</p>",
        '<div style="position:fixed">x</div>',
        "<object data=x></object>",
        "<form action=https://evil.example><input name=p></form>",
        "<meta http-equiv=refresh content=0;url=https://evil.example>",
    ],
)
def test_raw_html_is_escaped_not_rendered(text):
    html = render(text)
    assert_safe(html)
    assert all(tag == "p" for tag, _ in tags_of(html))
    assert "&lt;" in html


def test_script_in_a_code_block_stays_escaped_text():
    html = render("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html
    assert_safe(html)


def test_html_entities_in_text_stay_entities():
    html = render("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script" not in html
    assert_safe(html)


# --- dangerous link targets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "JAVASCRIPT:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "&#0000106;avascript:alert(1)",
        "javascript&colon;alert(1)",
        "javascript&#58;alert(1)",
        "java&#x09;script:alert(1)",
        "java&#10;script:alert(1)",
        "java&#13;script:alert(1)",
        "&#x20;javascript:alert(1)",
        "%6Aavascript:alert(1)",
        "\\u006aavascript:alert(1)",
        "<javascript:alert(1)>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "&#100;ata:text/html,x",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "&#118;bscript:msgbox(1)",
        "file:///etc/passwd",
        "livescript:alert(1)",
    ],
)
def test_dangerous_link_targets_never_become_live_links(target):
    html = render(f"[click me]({target})")
    assert_safe(html)
    for link in links(html):
        assert _browser_scheme(link.get("href") or "") in {"", "http", "https", "mailto"}


@pytest.mark.parametrize(
    "text",
    [
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "<vbscript:msgbox(1)>",
        "<data:text/html,x>",
        '[x](https://ok.example" onmouseover="alert(1))',
        "[x](https://ok.example 'a\" onmouseover=\"alert(1)')",
        "[<img src=x onerror=alert(1)>](https://ok.example)",
        "[x](https://ok.example)<script>alert(1)</script>",
    ],
)
def test_obfuscated_attacks_in_links_are_neutralised(text):
    assert_safe(render(text))


def test_quote_in_a_link_title_cannot_break_out_of_the_attribute():
    html = render("[x](https://ok.example 'a\" onmouseover=\"alert(1)')")
    for _, attrs in tags_of(html):
        assert "onmouseover" not in attrs


# --- images are dropped ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "![alt](https://evil.example/track.png)",
        '![alt](https://evil.example/track.png "title")',
        "![alt][r]\n\n[r]: https://evil.example/x.png",
        "[![alt](https://evil.example/x.png)](https://ok.example)",
    ],
)
def test_images_are_dropped(text):
    html = render(text)
    assert "<img" not in html
    assert "evil.example/x.png" not in html and "track.png" not in html
    assert_safe(html)


# --- properties --------------------------------------------------------------------------------

hostile_pieces = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:",
        "JaVaScRiPt:",
        "&#106;",
        "&#x09;",
        "&colon;",
        "data:",
        "vbscript:",
        "[",
        "](",
        ")",
        "![",
        "<",
        ">",
        '"',
        "'",
        " onclick=",
        "\n",
        "\t",
        "`",
        "https://ok.example",
        "alert(1)",
        "*",
        "\u202e",
        "\u200b",
    ]
)
hostile_text = st.lists(hostile_pieces | st.text(max_size=5), max_size=25).map("".join)


@settings(max_examples=300)
@given(hostile_text)
def test_rendered_html_is_always_safe(text):
    assert_safe(render(text))


@given(st.text(max_size=200))
def test_rendering_any_text_gives_safe_html(text):
    assert_safe(render(text))


# --- link counting (for moderation mode "links") ------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no links here", 0),
        ("see https://ann.example", 1),
        ("see http://a.example and www.b.example", 2),
        ("[x](https://a.example)", 2),
        ("[x](/relative)", 1),
        ('<a href="x">y</a>', 1),
        ("HTTPS://SHOUT.EXAMPLE", 1),
    ],
)
def test_links_in_the_markdown_source_are_counted(text, expected):
    assert count_links(text) == expected

"""The render-time figure of the widget (also printed by bench_widget.py for `make bench`)."""

from __future__ import annotations

import json

import pytest
from bench_widget import measure

pytestmark = pytest.mark.browser


def test_first_comment_paint_for_a_200_comment_thread(browser, live_server, record_property):
    result = measure(browser, live_server, runs=5, comments=200)
    print(json.dumps(result))
    record_property("widget_bench", result)
    assert result["comments_rendered_first_page"] >= 100
    assert result["embed_js_gzip_bytes"] <= 6144
    # Generous: a local stack answers in milliseconds; this only catches a pathological slowdown.
    assert result["first_comment_paint_ms_median"] < 3000, result

"""The moderation page: static HTML (no secret in it) under a strict CSP."""

from __future__ import annotations

from typing import Any

from chalicelib.platform import static, web

PAGE_HEADERS = {
    # The page holds a moderator key in sessionStorage: no third-party script, no framing.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def page(request: Any) -> Any:
    """``GET /moderate``: static HTML (no secret in it) with a strict CSP."""
    html = static.read("moderate.html").replace(
        "__MODERATE_JS_VERSION__", static.version("moderate.js")
    )
    response = web.cacheable(request, html, content_type="text/html; charset=utf-8")
    response.headers.update(PAGE_HEADERS)
    return response

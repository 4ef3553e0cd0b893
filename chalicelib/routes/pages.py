"""Static routes: the widget, the Haloscan shim, the demo blog and the OpenAPI document."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.platform import static, web

bp = Blueprint(__name__)


@bp.route("/embed.js", methods=["GET"])
def embed_js() -> Response:
    """The comment widget (one script tag on a blog)."""
    return static.asset(bp.current_request, "embed.js")


@bp.route("/haloscan/{name}", methods=["GET"])
def haloscan_js(name: str) -> Response:
    """The Haloscan compatibility shim for a site (``<site>.js``)."""
    return static.haloscan(bp.current_request, name)


@bp.route("/demo", methods=["GET"])
def demo_index() -> Response:
    """The demo blog's index."""
    return static.page(bp.current_request, "demo/index.html")


@bp.route("/demo/{page}", methods=["GET"])
def demo_page(page: str) -> Response:
    """A demo blog post."""
    return static.page(bp.current_request, f"demo/{page}.html")


@bp.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    """This API's OpenAPI 3.1 document."""
    from chalicelib.routes.openapi import document

    request = bp.current_request
    return web.cacheable_json(request, document(static.base_url(request)))

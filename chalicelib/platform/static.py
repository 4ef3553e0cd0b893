"""Static assets shipped in ``chalicelib/static/``: the widget, the Haloscan shim, pages."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from chalice import Response
from chalice.app import Request

from chalicelib.platform import config, web
from chalicelib.platform.errors import NotFound

ROOT = Path(__file__).resolve().parent.parent / "static"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*(\.min)?\.(js|html|css|svg)$")
_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}


@lru_cache(maxsize=32)
def read(name: str) -> str:
    """A static file's text. Raises NotFound for anything outside the allow-listed names."""
    path = ROOT / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFound("There is nothing at this address.")
    return path.read_text(encoding="utf-8")


def version(name: str) -> str:
    """A short content hash, for cache-busting URLs."""
    return hashlib.sha256(read(name).encode()).hexdigest()[:10]


def base_url(request: Request) -> str:
    """The API's public base URL: configured, else from the request's Host."""
    if config.settings.public_url:
        return config.settings.public_url
    headers = request.headers or {}
    host = headers.get("host", "localhost")
    proto = headers.get("x-forwarded-proto", "https" if "amazonaws.com" in host else "http")
    stage = (request.context or {}).get("stage", "")
    prefix = f"/{stage}" if stage and "amazonaws.com" in host else ""
    return f"{proto}://{host}{prefix}"


#: Assets served from a minified copy (made by ``make widget`` with a pinned terser and
#: committed, so running needs no build step; the readable source stays beside it).
MINIFIED = {"embed.js": "embed.min.js"}


def served(name: str) -> str:
    """The file that answers for ``name``: its minified copy where one exists."""
    small = MINIFIED.get(name)
    return small if small and (ROOT / small).is_file() else name


def asset(request: Request, name: str) -> Response:
    """Serve a static asset. With ``?v=<version>`` it is immutable; without, cached a day."""
    name = served(name)
    text = read(name)
    kind = name.rsplit(".", 1)[-1]
    wanted = (request.query_params or {}).get("v")
    cache = web.IMMUTABLE_CACHE if wanted == version(name) else web.STATIC_CACHE
    return web.cacheable(request, text, content_type=_TYPES[kind], cache=cache)


def haloscan(request: Request, name: str) -> Response:
    """The Haloscan-compatible script for a site: ``/haloscan/<site>.js``."""
    from chalicelib.platform.validation import SITE_ID

    site_id = name.removesuffix(".js")
    if not name.endswith(".js") or not SITE_ID.match(site_id):
        raise NotFound("Use /haloscan/<site id>.js.")
    text = (
        read("haloscan.js")
        .replace("__SIDENOTE_SITE__", site_id)
        .replace("__SIDENOTE_API__", base_url(request))
    )
    return web.cacheable(request, text, content_type=_TYPES["js"], cache=web.STATIC_CACHE)


def page(request: Request, name: str) -> Response:
    return web.cacheable(request, read(name), content_type=_TYPES["html"], cache=web.READ_CACHE)

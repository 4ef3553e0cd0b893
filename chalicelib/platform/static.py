"""Static assets shipped in ``chalicelib/static/``: the widget, the Haloscan shim, pages."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from chalice import Response
from chalice.app import Request

from chalicelib.platform import config, web
from chalicelib.platform.errors import NotFound
from chalicelib.platform.logs import logger

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


#: ``host[:port]`` as a local Host header may name it: DNS labels, or an IPv6 literal.
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z"
)
_STAGE = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
#: Stages whose base URL may come from a (checked) Host header: ``chalice local`` and dev.
LOCAL_STAGES = frozenset({"local", "dev"})
_unset_warned = False


def base_url(request: Request) -> str:
    """The API's public base URL, for links in feeds, pages and the Haloscan shim.

    Nothing a client sends may reach a body that caches keep (the shim for a day):

    - ``SIDENOTE_PUBLIC_URL`` when set; production stages (all but :data:`LOCAL_STAGES`) use
      nothing else, and without it answer relative links (``""``) and log why.
    - Locally (``local``/``dev``, no public URL) the ``Host`` header once it is a plain
      ``host[:port]``, and ``X-Forwarded-Proto`` only as ``http`` or ``https``; otherwise
      ``http://localhost``.
    """
    global _unset_warned
    settings = config.settings
    if settings.public_url:
        return settings.public_url
    if settings.stage not in LOCAL_STAGES:
        if not _unset_warned:
            _unset_warned = True
            logger.error("SIDENOTE_PUBLIC_URL is not set: feeds and the shim use relative links")
        return ""
    headers = request.headers or {}
    host = headers.get("host", "")
    if not _HOST.match(host):
        return "http://localhost"
    on_aws = host.endswith(".amazonaws.com")
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if proto not in {"http", "https"}:
        proto = "https" if on_aws else "http"
    stage = (request.context or {}).get("stage", "")
    prefix = f"/{stage}" if on_aws and _STAGE.match(stage or "") else ""
    return f"{proto}://{host}{prefix}"


def js_string(value: str) -> str:
    """``value`` as a JavaScript string literal: JSON, ASCII only, with ``<``, ``>`` and ``&``
    escaped too, so it cannot end the string, the script or an HTML comment around it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
    # The quoted placeholders keep the raw file valid JavaScript; each becomes a literal.
    text = (
        read("haloscan.js")
        .replace("'__SIDENOTE_SITE__'", js_string(site_id))
        .replace("'__SIDENOTE_API__'", js_string(base_url(request)))
    )
    return web.cacheable(request, text, content_type=_TYPES["js"], cache=web.STATIC_CACHE)


def page(request: Request, name: str) -> Response:
    return web.cacheable(request, read(name), content_type=_TYPES["html"], cache=web.READ_CACHE)

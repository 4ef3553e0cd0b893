"""Public routes of linkbacks: TrackBack pings (XML answers), Webmentions (202, verified
later), and the webmention verification queue's consumer."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.linkbacks import queue, trackback, webmention
from chalicelib.platform import config, web
from chalicelib.resilience.guard import storage_guard
from chalicelib.routes.params import thread_key
from chalicelib.store import sites

bp = Blueprint(__name__)
TRACKBACK_PATH = "/sites/{site}/trackback"
#: Form posts; the others are accepted too so that a sender with a sloppy header still gets
#: the specification's XML answer.
FORM = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
        "application/json", "application/xml", "text/xml"]  # fmt: skip


def _xml(code: str, message: str, status: int, headers: dict[str, str]) -> Response:
    """A refusal on the TrackBack route: error 1 and the message, as the specification says."""
    return Response(
        body=trackback.xml_error(message), status_code=status,
        headers={**headers, "Content-Type": trackback.XML, "Cache-Control": "no-store",
                 "X-Sidenote-Code": code},
    )  # fmt: skip


web.ERROR_RENDERERS[TRACKBACK_PATH] = _xml


@bp.route(TRACKBACK_PATH, methods=["POST"], content_types=FORM)
@storage_guard
def receive_trackback(site: str) -> Response:
    """Receive a TrackBack ping (form fields url, title, excerpt, blog_name); XML answer."""
    request = bp.current_request
    config_ = sites.get_site(site)
    status = trackback.receive(
        config_, thread_key(request), request.raw_body, web.header(request, "content-type"),
        ip=web.client_ip(request),
    )  # fmt: skip
    return Response(
        body=trackback.xml_ok(), status_code=status,
        headers={"Content-Type": trackback.XML, "Cache-Control": "no-store"},
    )  # fmt: skip


@bp.route(TRACKBACK_PATH, methods=["GET"])
def trackback_method(site: str) -> Response:
    """Refuse a TrackBack ping sent with GET (TrackBack 1.2 requires POST); XML error 1."""
    # 200 with error 1, as the specification answers refused pings; Allow names the method.
    return _xml("MethodNotAllowed", "TrackBack pings must be sent with HTTP POST.", 200,
                {"Allow": "POST"})  # fmt: skip


@bp.route("/sites/{site}/webmention", methods=["POST"], content_types=FORM)
@storage_guard
def receive_webmention(site: str) -> Response:
    """Accept a Webmention (form fields source, target): 202, verified asynchronously."""
    request = bp.current_request
    config_ = sites.get_site(site)
    fields = trackback.form_fields(request.raw_body, web.header(request, "content-type"))
    body = webmention.accept(config_, fields, ip=web.client_ip(request))
    return web.json_response(body, status=202)


@bp.on_sqs_message(queue=config.settings.webmention_queue, batch_size=3)
def verify_webmentions(event: Any) -> dict:
    """Verify each queued webmention; report only the messages to try again."""
    return queue.handle_batch(event, webmention.verify)

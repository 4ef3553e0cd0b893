"""The OpenAPI 3.1 document of the app's route table, served at ``GET /openapi.json``.

Derived, not restated:

- paths, methods, path parameters, request content types and which operations need a
  moderator key (the route's authorizer): the Chalice route table, ``app.app.routes``;
- operation ids (the view's name) and summaries (the view's one-line docstring); tags (the
  blueprint module and its docstring);
- error responses: the classes of :mod:`chalicelib.platform.errors` (class name = ``Code``,
  ``STATUS_CODE``, docstring; ``Retry-After`` when the class takes ``retry_after``), plus
  the errors every route of a kind shares (see :mod:`.openapi_operations`);
- limits: the constants of the modules that enforce them (see :mod:`.openapi_schemas`).

Written by hand: request and response schemas and query/header parameters
(:mod:`.openapi_schemas`, :mod:`.openapi_parameters`), and per view what the route table cannot tell
(:mod:`.openapi_operations`). Imported only by the ``/openapi.json`` route, never at cold
start; built once per container.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from http import HTTPStatus
from typing import Any

from chalicelib.platform import errors, validation, web
from chalicelib.routes import openapi_operations, openapi_parameters, openapi_schemas
from chalicelib.routes.openapi_operations import JSON, Op

Schema = dict[str, Any]

VERSION = "1.0.0"
#: Errors Chalice itself answers with (not classes of chalicelib.platform.errors).
CHALICE_ERRORS: dict[str, tuple[int, str]] = {
    "UnsupportedMediaType": (415, "The body's Content-Type is not one the route accepts."),
}
#: Every code a moderator-key route may answer with before its view runs.
MODERATOR_ERRORS = ("Unauthorized", "Forbidden", "RateLimited", "Unavailable")
GATEWAY_NOTE = (
    " A request without an Authorization header never reaches the function: in AWS, API "
    "Gateway answers it (Gateway Responses give the same {Code, Message} body); `chalice "
    'local` answers with its own body, `{"message": "Unauthorized"}` (or `{"Message": …}` '
    "for a 403)."
)


def document(base_url: str) -> dict[str, Any]:
    """The document with ``base_url`` as its server. Built once per container: the parts
    are shared between calls, so callers must not change them."""
    return {**_cached(), "servers": [{"url": base_url or "/"}]}


@functools.cache
def _cached() -> dict[str, Any]:
    return build()


def clear_cache() -> None:
    """Forget the built document (tests that change a limit, then rebuild)."""
    _cached.cache_clear()


def build() -> dict[str, Any]:
    """Build the document (without ``servers``) from the route table, now."""
    from app import app

    parts = {
        **openapi_schemas.components(),
        "parameters": openapi_parameters.parameters(),
        "path": openapi_parameters.path_parameters(),
    }
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    names = [entry.view_name for methods in app.routes.values() for entry in methods.values()]
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            operation = _operation(path, method, entry, parts, shared=names.count(entry.view_name))
            paths.setdefault(path, {})[method.lower()] = operation
            module = sys.modules[entry.view_function.__module__]
            tags[operation["tags"][0]] = _first_line(module.__doc__)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sidenote",
            "version": VERSION,
            "summary": "Comments for blogs.",
            "description": _description(),
        },
        "tags": [{"name": name, "description": text} for name, text in sorted(tags.items())],
        "paths": paths,
        "components": {
            "schemas": {**parts["schemas"], **_shared_schemas()},
            "parameters": parts["parameters"],
            "headers": HEADERS,
            "securitySchemes": {
                "moderatorKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A moderator key of the site in the path "
                    "(`sidenote key create`).",
                }
            },
        },
    }


def _description() -> str:
    return (
        'Errors are JSON `{"Code", "Message"}`; each operation lists its codes by status. '
        f"Request bodies are JSON of at most {validation.MAX_BODY_BYTES} bytes. Public routes "
        "grant CORS only to the site's allowed origins, and refuse writes from other origins "
        "(403 OriginNotAllowed). Reads answered by another region's replica while this "
        "region's store fails carry `X-Sidenote-Degraded: fallback-region=<region>` and, in "
        'a JSON object body, `"degraded": true`; they are cached for a shorter time.'
    )


def _first_line(docstring: str | None) -> str:
    line = (docstring or "").strip().splitlines()[0] if (docstring or "").strip() else ""
    return line.replace("``", "`")


def error_classes() -> dict[str, tuple[int, str, bool]]:
    """``Code`` → (status, description, has Retry-After), for every error a client may see."""
    found: dict[str, tuple[int, str, bool]] = {}
    pending = [errors.SidenoteError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is errors.SidenoteError:
            continue
        retry = "retry_after" in inspect.signature(cls.__init__).parameters
        found[cls.__name__] = (cls.STATUS_CODE, _first_line(cls.__dict__.get("__doc__")), retry)
    for code, (status, text) in CHALICE_ERRORS.items():
        found[code] = (status, text, False)
    return found


def _operation(path: str, method: str, entry: Any, parts: dict, *, shared: int) -> Schema:
    spec: Op = openapi_operations.OPERATIONS[entry.view_name]
    view = entry.view_function
    guarded = getattr(view, "storage_guarded", False) is True  # marked by storage_guard
    read = method in {"GET", "HEAD"} or path in web.READ_POSTS
    moderated = entry.authorizer is not None
    operation_id = entry.view_name
    if shared > 1:
        operation_id += "_" + re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
    codes = list(spec.errors)
    if "{site}" in path and method != "OPTIONS":
        codes.append("SiteNotFound")
    if "{site}" in path and not moderated and method in web.WRITE_METHODS:
        codes.append("OriginNotAllowed")
    if spec.body:
        too_large = "CommentTooLarge" if "CommentTooLarge" in codes else "RequestTooLarge"
        codes += ["InvalidRequest", too_large, "UnsupportedMediaType"]
    if guarded:
        codes.append("Unavailable" if read else "ReadOnly")
    if moderated:
        codes += MODERATOR_ERRORS
    if moderated or (method in web.WRITE_METHODS and not read):  # tokens fail closed
        codes.append("SecretUnavailable")
    operation: Schema = {
        "operationId": operation_id,
        "summary": _first_line(view.__doc__),
        "tags": [view.__module__.rsplit(".", 1)[-1]],
    }
    if spec.description:
        operation["description"] = spec.description
    params = [
        {"name": name, "in": "path", "required": True, "schema": parts["path"][name]}
        for name in entry.view_args
    ]
    params += [{"$ref": f"#/components/parameters/{name}"} for name in spec.params]
    if spec.cacheable:
        params.append({"$ref": "#/components/parameters/If-None-Match"})
    if params:
        operation["parameters"] = params
    if spec.body:
        operation["requestBody"] = {
            "required": True,
            "description": f"{spec.body_note or 'JSON,'} at most {validation.MAX_BODY_BYTES} "
            "bytes.",
            "content": {
                media: {"schema": {"$ref": f"#/components/schemas/{spec.body}"}}
                for media in entry.content_types
            },
        }
    if moderated:
        operation["security"] = [{"moderatorKey": []}]
    degraded = guarded and read
    responses = {
        str(status): _success(status, name, spec, parts["schemas"], degraded)
        for status, name in spec.ok.items()
    }
    if spec.cacheable:
        responses["304"] = {
            "description": "Not Modified: If-None-Match holds the current ETag.",
            "headers": _headers("ETag", *(["X-Sidenote-Degraded"] if degraded else [])),
        }
    responses.update(_errors(codes, moderated, spec.error_media))
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _success(status: int, name: str, spec: Op, schemas: dict, degraded: bool) -> Schema:
    response: Schema = {"description": HTTPStatus(status).phrase}
    headers = []
    if spec.cacheable and status == 200:
        headers += ["ETag", "Cache-Control"]
    if degraded and status == 200:
        headers.append("X-Sidenote-Degraded")
    if headers:
        response["headers"] = _headers(*headers)
    if not name:
        return response
    if spec.media != JSON:
        schema: Schema = {"type": "string"}
    elif degraded:  # this operation's own copy, with the fallback replica's flag
        schema = {**schemas[name], "properties": {**schemas[name]["properties"],
                                                  "degraded": DEGRADED}}  # fmt: skip
    else:
        schema = {"$ref": f"#/components/schemas/{name}"}
    response["content"] = {spec.media: {"schema": schema}}
    return response


def _errors(codes: list[str], moderated: bool, media: str = JSON) -> dict[str, Schema]:
    known = error_classes()
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(known[code][0], []).append(code)
    responses = {}
    for status, group in by_status.items():
        schema: Schema = {
            "type": "object",
            "required": ["Code", "Message"],
            "properties": {"Code": {"enum": group}, "Message": {"type": "string"}},
        }
        description = " ".join(f"{code}: {known[code][1]}" for code in group)
        if moderated and status in {401, 403}:
            schema = {"anyOf": [schema, {"$ref": "#/components/schemas/GatewayError"}]}
            description += GATEWAY_NOTE
        if media != JSON:  # the route's own error format (TrackBack: XML, error 1)
            schema = {"type": "string", "description": f"Codes: {', '.join(group)}."}
        response: Schema = {"description": description, "content": {media: {"schema": schema}}}
        headers = ["Retry-After"] if any(known[code][2] for code in group) else []
        if "Unauthorized" in group:
            headers.append("WWW-Authenticate")
        if headers:
            response["headers"] = _headers(*headers)
        responses[str(status)] = response
    return responses


def _headers(*names: str) -> Schema:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _shared_schemas() -> dict[str, Schema]:
    return {
        "GatewayError": {
            "type": "object",
            "description": "API Gateway's (or `chalice local`'s) own body, before any code runs.",
            "properties": {"message": {"type": ["string", "null"]}, "Message": {"type": "string"}},
            "anyOf": [{"required": ["message"]}, {"required": ["Message"]}],
        }
    }


DEGRADED: Schema = {
    "const": True,
    "description": "Present only when another region's replica answered (this region's "
    "store failed); see the X-Sidenote-Degraded header.",
}
HEADERS: dict[str, Schema] = {
    "ETag": {"required": True, "schema": {"type": "string"}},
    "Cache-Control": {
        "required": True,
        "schema": {"type": "string"},
        "description": "A short max-age with stale-while-revalidate and stale-if-error.",
    },
    "Retry-After": {
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "Seconds to wait before trying again.",
    },
    "X-Sidenote-Degraded": {
        "required": False,
        "schema": {"type": "string", "pattern": "^fallback-region=[a-z0-9-]+$"},
        "description": "Served from another region's replica (this region's store failed).",
    },
    "WWW-Authenticate": {
        "required": False,
        "schema": {"type": "string"},
        "description": "`Bearer realm=…` when the function itself refused the key.",
    },
}

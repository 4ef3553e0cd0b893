"""The OpenAPI document: it describes exactly the app's routes, and it is valid OpenAPI 3.1.

A new route in ``app.py`` fails ``test_document_covers_exactly_the_route_table`` until it is
described in ``chalicelib/openapi.py`` (a few lines: see the module's docstring).
"""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from app import app
from chalicelib.platform import errors
from chalicelib.routes.openapi import document

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
#: Codes that Chalice itself answers with, not classes of chalicelib.platform.errors.
CHALICE_CODES = {"UnsupportedMediaType"}


@pytest.fixture(scope="module")
def doc() -> dict:
    return document("https://api.example")


def _route_table() -> set[tuple[str, str]]:
    return {
        (path, method.lower())
        for path, entries in app.routes.items()
        for method in entries
        if method != "OPTIONS"
    }


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        target = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_document_covers_exactly_the_route_table(doc):
    described = {(path, method) for path, method, _ in _operations(doc)}
    routes = _route_table()
    assert routes, "app.routes is empty: the route table did not load"
    missing = sorted(routes - described)
    extra = sorted(described - routes)
    assert not missing, f"routes not described in chalicelib/openapi.py: {missing}"
    assert not extra, f"chalicelib/openapi.py describes routes app.py lacks: {extra}"


def test_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1.")
    problems = [str(e).splitlines()[0] for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert not problems, problems


def test_document_is_plain_json(doc):
    assert json.loads(json.dumps(doc)) == doc


def test_path_parameters_match_templates(doc):
    for path, method, operation in _operations(doc):
        params = [_resolve(doc, p) for p in operation.get("parameters", [])]
        declared = {p["name"] for p in params if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)


def test_operation_ids_are_unique(doc):
    ids = [operation["operationId"] for _, _, operation in _operations(doc)]
    assert len(ids) == len(set(ids))


def test_every_error_code_exists(doc):
    """Each documented ``Code`` is a class in chalicelib.platform.errors (or Chalice's own)."""
    known = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.SidenoteError)
    } | CHALICE_CODES
    for path, method, operation in _operations(doc):
        for status, response in operation["responses"].items():
            response = _resolve(doc, response)
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            codes = schema.get("properties", {}).get("Code", {}).get("enum", [])
            if int(status) >= 400 and "$ref" not in schema:  # /health's 503 is its own body
                assert codes, (path, method, status)
            for code in codes:
                assert code in known, (path, method, status, code)
                error_class = getattr(errors, code, None)
                if error_class is not None:
                    assert int(status) == error_class.STATUS_CODE, (path, method, status, code)


def test_moderation_routes_are_secured(doc):
    for path, method, operation in _operations(doc):
        if "/moderation" in path:
            assert operation.get("security") == [{"moderatorKey": []}], (path, method)
            assert {"401", "403"} <= set(operation["responses"]), (path, method)


def test_served_at_openapi_json(client):
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    served = json.loads(response.body)
    assert served == document(served["servers"][0]["url"])
    again = client.http.get("/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

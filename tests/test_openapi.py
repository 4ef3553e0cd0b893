"""The OpenAPI document: derived from the route table, valid OpenAPI 3.1, and true to what the
server answers (real responses through chalice.test.Client, validated against it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from app import app
from chalicelib.platform import errors, validation
from chalicelib.routes import openapi
from chalicelib.store import comments, sites
from tests.openapi_conformance import Conformance

ROOT = Path(__file__).resolve().parent.parent
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def doc() -> dict:
    return openapi.document("https://api.example")


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _codes(response: dict) -> list[str]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    branches = schema.get("anyOf", [schema])
    return [code for branch in branches for code in branch.get("properties", {})
            .get("Code", {}).get("enum", [])]  # fmt: skip


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1.")
    problems = [str(e).splitlines()[0] for e in OpenAPIV31SpecValidator(doc).iter_errors()]
    assert not problems, problems
    assert json.loads(json.dumps(doc)) == doc


def test_every_route_of_the_app_is_described_and_nothing_else(doc):
    routes = {(path, method.lower()) for path, entries in app.routes.items() for method in entries}
    described = {(path, method) for path, method, _ in _operations(doc)}
    assert len(routes) > 30
    assert described == routes


def test_every_route_has_a_one_line_docstring_which_is_its_summary(doc):
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            docstring = (entry.view_function.__doc__ or "").strip()
            assert docstring and "\n" not in docstring, (path, method, entry.view_name)
            summary = doc["paths"][path][method.lower()]["summary"]
            assert summary == docstring.replace("``", "`")


def test_operations_are_named_after_their_views_and_unique(doc):
    ids = [operation["operationId"] for _, _, operation in _operations(doc)]
    assert len(ids) == len(set(ids))
    assert doc["paths"]["/sites/{site}/comments"]["post"]["operationId"] == "post_comment"


def test_path_parameters_match_the_templates(doc):
    for path, method, operation in _operations(doc):
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)


def test_every_documented_code_is_an_error_class_with_that_status(doc):
    classes = {cls.__name__: cls for cls in vars(errors).values()
               if isinstance(cls, type) and issubclass(cls, errors.SidenoteError)}  # fmt: skip
    seen = set()
    for path, method, operation in _operations(doc):
        for status, response in operation["responses"].items():
            codes = _codes(response)
            if int(status) >= 400 and "content" in response and "text" not in str(response):
                assert codes or path in {"/health", "/status"}, (path, method, status)
            for code in codes:
                seen.add(code)
                if code in openapi.CHALICE_ERRORS:
                    assert int(status) == openapi.CHALICE_ERRORS[code][0]
                    continue
                assert code in classes, (path, method, code)
                assert int(status) == classes[code].STATUS_CODE, (path, method, status, code)
    assert {"SiteNotFound", "Unauthorized", "UnsupportedMediaType", "ReadOnly"} <= seen


def test_every_error_class_has_a_one_line_docstring_the_document_uses():
    for code, (status, description, _) in openapi.error_classes().items():
        assert description and "\n" not in description, code
        assert 400 <= status < 600, code


def test_moderation_routes_need_the_key_and_describe_both_shapes_of_401(doc):
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            operation = doc["paths"][path][method.lower()]
            if entry.authorizer is None:
                assert "security" not in operation, (path, method)
                continue
            assert operation["security"] == [{"moderatorKey": []}]
            unauthorized = operation["responses"]["401"]
            assert _codes(unauthorized) == ["Unauthorized"]
            branches = unauthorized["content"]["application/json"]["schema"]["anyOf"]
            assert {"$ref": "#/components/schemas/GatewayError"} in branches
            assert "chalice local" in unauthorized["description"]
            assert {"403", "429", "503"} <= set(operation["responses"]), (path, method)


def test_request_content_types_come_from_the_route_table(doc):
    operation = doc["paths"]["/sites/{site}/comments"]["post"]
    entry = app.routes["/sites/{site}/comments"]["POST"]
    assert list(operation["requestBody"]["content"]) == entry.content_types
    assert _codes(operation["responses"]["415"]) == ["UnsupportedMediaType"]


def test_guarded_reads_describe_the_degraded_flag_and_header(doc):
    listed = doc["paths"]["/sites/{site}/comments"]["get"]["responses"]["200"]
    assert "X-Sidenote-Degraded" in listed["headers"]
    schema = listed["content"]["application/json"]["schema"]
    assert schema["properties"]["degraded"]["const"] is True
    assert "degraded" not in schema.get("required", [])
    posted = doc["paths"]["/sites/{site}/comments"]["post"]["responses"]
    assert "headers" not in posted["201"]
    assert _codes(posted["503"]) == ["ReadOnly", "SecretUnavailable"]


def test_a_limit_changed_where_it_is_enforced_shows_up_in_the_document(monkeypatch):
    monkeypatch.setattr(validation, "MAX_AUTHOR", 81)
    monkeypatch.setattr(validation, "MAX_THREAD_KEY", 513)
    monkeypatch.setattr(validation, "PAGE_MAX", 150)
    monkeypatch.setattr(validation, "MAX_BODY_BYTES", 12_345)
    monkeypatch.setattr(comments, "MAX_COUNT_THREADS", 7)
    monkeypatch.setattr(sites, "MAX_BAN_DAYS", 99)
    built = openapi.build()
    schemas, parameters = built["components"]["schemas"], built["components"]["parameters"]
    assert schemas["NewComment"]["properties"]["author"]["maxLength"] == 81
    assert parameters["thread"]["schema"]["maxLength"] == 513
    assert parameters["limit"]["schema"]["maximum"] == 150
    assert schemas["CountsRequest"]["properties"]["threads"]["maxItems"] == 7
    assert parameters["threads"]["schema"]["maxItems"] == 7
    assert schemas["BanRequest"]["properties"]["days"]["maximum"] == 99
    post = built["paths"]["/sites/{site}/comments"]["post"]
    assert "12345 bytes" in post["requestBody"]["description"]
    assert "12345 bytes" in built["info"]["description"]


def test_the_document_is_served_built_once_and_cacheable(client):
    openapi.clear_cache()
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    served = json.loads(response.body)
    assert served["servers"] == [{"url": "http://localhost"}]
    assert served == openapi.document("http://localhost")
    client.http.get("/openapi.json")
    assert openapi._cached.cache_info().misses == 1
    again = client.http.get("/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_cold_import_of_the_app_does_not_load_the_openapi_modules():
    code = "import sys, app; print(sorted(m for m in sys.modules if 'openapi' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- real responses against the document ----------------------------------------------------


@pytest.fixture
def check(doc):
    return Conformance(doc)


def test_every_operation_answers_as_documented(client, check):
    """Every route called for real (success and typical errors): each status, content type,
    required header and JSON body matches the document, and no field is undocumented."""
    from tests.openapi_conformance import walk_every_route

    walk_every_route(client, check)
    missing = check.operations_without_success()
    assert not missing, f"operations never answered 2xx in the walk: {missing}"
    assert check.checked > 70


def test_degraded_reads_answer_as_documented(client, check, monkeypatch):
    from tests.openapi_conformance import walk_degraded_reads

    marked = walk_degraded_reads(client, check, monkeypatch)
    assert marked >= 5

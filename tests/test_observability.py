"""Structured logs carry the request's identity; tracing patches botocore only."""

from __future__ import annotations

import json

from chalicelib.platform import logs, tracing


def test_log_lines_are_json_with_request_id_and_site(log_lines):
    logs.bind_request("req-123", "myblog", "GET", "/sites/myblog/comments")
    logs.logger.warning("something to say")
    record = log_lines()[-1]
    assert record["request_id"] == "req-123"
    assert record["site"] == "myblog"
    assert record["message"] == "something to say"


def test_error_responses_are_logged_with_the_site(client, log_lines, monkeypatch):
    from chalicelib.store import comments

    def broken(*args, **kwargs):
        from pynamodb.exceptions import QueryError

        raise QueryError("table gone")

    monkeypatch.setattr(comments, "list_thread", broken)
    response = client.http.get("/sites/myblog/comments?thread=/a")
    assert response.status_code == 503
    assert json.loads(response.body)["Code"] == "Unavailable"
    assert "Retry-After" in response.headers
    records = log_lines()
    assert any(r.get("site") == "myblog" and r.get("status") == 503 for r in records)


def test_tracing_stays_off_outside_lambda():
    tracing.start()
    assert tracing._started is False
    with tracing.subsegment("probe", region="us-east-1"):
        pass


def test_tracing_patches_botocore_and_nothing_else(monkeypatch):
    import aws_xray_sdk.core

    from chalicelib.platform import config

    patched: list[list[str]] = []
    monkeypatch.setattr(aws_xray_sdk.core, "patch", lambda modules: patched.append(list(modules)))
    monkeypatch.setattr(
        config,
        "settings",
        config.load({"AWS_XRAY_SDK_ENABLED": "true", "AWS_LAMBDA_FUNCTION_NAME": "sidenote"}),
    )
    monkeypatch.setattr(tracing, "_started", False)
    tracing.start()
    tracing.start()
    assert patched == [["botocore"]]

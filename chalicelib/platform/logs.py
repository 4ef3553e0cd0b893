"""Structured JSON logs (Powertools Logger): one line per event with request id and site."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib.platform import config

logger = Logger(service="sidenote", level=config.settings.log_level)


def bind_request(request_id: str | None, site: str | None, method: str, path: str) -> None:
    """Attach the request's identity to every log line until the next request."""
    logger.remove_keys(["request_id", "site", "method", "path"])
    logger.append_keys(request_id=request_id, site=site, method=method, path=path)

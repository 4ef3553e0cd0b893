"""The ``sidenote`` command group, its global options and the helpers its commands share."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group()
@click.option(
    "--endpoint",
    envvar="DYNAMODB_ENDPOINT",
    default="",
    help="DynamoDB endpoint URL (e.g. http://127.0.0.1:8001 for DynamoDB Local).",
)
@click.option("--region", envvar="AWS_REGION", default="", help="AWS region of this stack.")
@click.option(
    "--prefix",
    envvar="SIDENOTE_TABLE_PREFIX",
    default="",
    help="Table name prefix (default sidenote-dev-).",
)
def main(endpoint: str, region: str, prefix: str) -> None:
    """Operate sidenote: tables, sites and moderator keys."""
    # Settings are read once, when chalicelib.platform.config is first imported: set them first.
    for name, value in (
        ("DYNAMODB_ENDPOINT", endpoint),
        ("AWS_REGION", region),
        ("SIDENOTE_TABLE_PREFIX", prefix),
    ):
        if value:
            os.environ[name] = value
    if endpoint:
        # DynamoDB Local accepts any credentials; botocore still wants some.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

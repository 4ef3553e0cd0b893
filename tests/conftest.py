"""Shared fixtures (helpers are plain functions in ``tests/support.py``).

The environment is set here, before anything imports ``app`` or makes a botocore client.
"""

from __future__ import annotations

import io
import json
import logging
import os

os.environ.update(
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_XRAY_SDK_ENABLED="false",
    SIDENOTE_TABLE_PREFIX="sidenote-test-",
    SIDENOTE_SECRET="test-secret",
    SIDENOTE_LOG_LEVEL="WARNING",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import pytest

from chalicelib.platform import logs
from chalicelib.store import sites
from tests.iam_recorder import RECORDER as IAM_CALLS
from tests.support import (
    DYNAMODB_CALLS,
    FAULTS,
    ORIGIN,
    SCANS_IN_REQUESTS,
    LiveStack,
    moderate,
    moto_tables,
)

DYNAMODB_CALLS.install()  # before any client exists, so that every client carries it
SCANS_IN_REQUESTS.install()
IAM_CALLS.install()  # every AWS call a Lambda handler makes, for tests/test_iam.py


def pytest_collection_modifyitems(items):
    """tests/test_iam.py runs last: it holds every call the tests before it made."""
    items.sort(key=lambda item: item.path.name == "test_iam.py")


@pytest.fixture
def aws():
    """moto in-process, with sidenote's tables created and no cached sites."""
    with moto_tables():
        yield


@pytest.fixture
def site(aws):
    """A site ``myblog`` with default settings and one allowed origin."""
    return sites.create_site("myblog", "My Blog", origins=[ORIGIN])


@pytest.fixture
def client(site):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def moderator_key(site) -> str:
    """A moderator key of ``myblog`` (the secret the moderator sends)."""
    return sites.create_key("myblog", "ann")[0]


@pytest.fixture
def mod(client, moderator_key):
    """Call a moderation route of ``myblog``: ``mod("GET", "comments?status=spam")`` ->
    ``(status, body)``; ``raw_key=`` sends another key."""

    def call(method: str, path: str, body=None, raw_key: str | None = None):
        return moderate(client, raw_key or moderator_key, method, path, body)

    return call


@pytest.fixture
def log_lines():
    """What the service logger writes during the test: a function returning the parsed JSON
    records so far."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.logger.registered_formatter)
    logs.logger._logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logs.logger._logger.removeHandler(handler)


@pytest.fixture
def faults(site):
    """Faults at the botocore layer (``tests.support.FAULTS``), cleared after the test."""
    FAULTS.hook()
    yield FAULTS
    FAULTS.clear()


# --- the real local stack (end-to-end and browser tests) -----------------------------------


@pytest.fixture(scope="session")
def live_stack():
    """The running local stack; site ``demo`` allows the server's own origin."""
    stack = LiveStack()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def live_server(live_stack) -> str:
    """Base URL (``http://127.0.0.1:PORT``) of ``chalice local`` on DynamoDB Local."""
    return live_stack.url


@pytest.fixture(autouse=True)
def no_request_scans_a_table():
    """Every test that drives the HTTP API in process fails if a request scanned a table."""
    SCANS_IN_REQUESTS.found.clear()
    yield
    found, SCANS_IN_REQUESTS.found[:] = list(SCANS_IN_REQUESTS.found), []
    assert not found, f"requests scanned a table: {found}"

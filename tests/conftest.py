"""Shared fixtures. Environment is set here, before anything imports ``app``."""

from __future__ import annotations

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
from moto import mock_aws

from chalicelib.store import sites
from chalicelib.store.models import ALL_TABLES

ORIGIN = "https://blog.example"


def patch_settings(monkeypatch, **changes):
    """Replace the frozen settings for one test. Production code reads ``config.settings``
    at call time, so patching that attribute reaches it; test modules that imported
    ``settings`` itself get the patched copy too."""
    import dataclasses
    import sys

    from chalicelib.platform import config

    original = config.settings
    patched = dataclasses.replace(original, **changes)
    for module in list(sys.modules.values()):
        if getattr(module, "settings", None) is original:
            monkeypatch.setattr(module, "settings", patched)
    return patched


@pytest.fixture
def aws():
    """moto in-process, with sidenote's tables created and no cached sites."""
    # PynamoDB's botocore clients are kept between tests (building them costs ~0.5 s);
    # moto's stubber is registered on every client, so a fresh mock_aws still means fresh,
    # empty tables for each test.
    with mock_aws():
        for model in ALL_TABLES:
            model.create_table(wait=True)
        sites.clear_cache()
        yield
        sites.clear_cache()


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


# --- the real local stack (end-to-end and browser tests) -----------------------------------


def _devstack():
    import sys
    from pathlib import Path

    scripts = str(Path(__file__).resolve().parent.parent / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import devstack

    return devstack


class LiveStack:
    """DynamoDB Local (in memory) + ``chalice local`` over real HTTP, for one test session."""

    def __init__(self) -> None:
        devstack = _devstack()
        self.devstack = devstack
        self.database = devstack.Database().start()
        self.server = devstack.ApiServer({}, port=devstack.free_port())
        self.url = self.server.url
        self.env = devstack.stack_env(
            self.database.endpoint,
            SIDENOTE_TABLE_PREFIX="sidenote-dev-",
            SIDENOTE_SECRET="e2e-secret",
            SIDENOTE_RATE_LIMIT_PER_MINUTE="100000",
            SIDENOTE_SITE_RATE_LIMIT_PER_MINUTE="100000",
            SIDENOTE_LOG_LEVEL="WARNING",
        )
        self.server.env = self.env
        devstack.prepare(self.env, [self.url])
        self.moderator_key = devstack.cli(self.env, "key", "create", "demo").strip()
        self.server.start()

    def cli(self, *args: str) -> str:
        return self.devstack.cli(self.env, *args)

    def restart_server(self) -> None:
        self.server.stop()
        self.server.start()

    def stop(self) -> None:
        self.server.stop()
        self.database.stop()


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

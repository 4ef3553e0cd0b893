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

from chalicelib import sites
from chalicelib.models import ALL_TABLES

ORIGIN = "https://blog.example"


@pytest.fixture
def aws():
    """moto in-process, with sidenote's tables created and no cached sites."""
    with mock_aws():
        for model in ALL_TABLES:
            model._connection = None
            model.create_table(wait=True)
        sites.clear_cache()
        yield
        for model in ALL_TABLES:
            model._connection = None
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

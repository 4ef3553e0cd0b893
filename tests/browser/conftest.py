"""Browser tests: Debian's ``chromium`` driven by Playwright for Python (sync API).

The server is the session's ``live_server`` (``chalice local`` on DynamoDB Local, see
``tests/conftest.py``). Where chromium or Playwright is missing these tests are skipped with a
loud message, except in CI (``CI=true``), where that is a failure.

Test pages are served from the API's own origin through ``page.route`` (the allowed origin of
the ``demo`` site), so each test gets its own thread key and the exact markup it needs.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from browserkit import CHROMIUM_ARGS, Api, mount_markup, new_thread_key, serve

CHROMIUM = os.environ.get("SIDENOTE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
TIMEOUT_MS = 15_000
STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "static"
_not_run: list[str] = []


def _why_unavailable() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def pytest_terminal_summary(terminalreporter):
    if _not_run:
        terminalreporter.write_sep(
            "!", f"BROWSER TESTS SKIPPED: {_not_run[0]}", red=True, bold=True
        )


@pytest.fixture(scope="session")
def browser():
    why = _why_unavailable()
    if why:
        message = f"BROWSER TESTS NOT RUN: {why}"
        if IN_CI:
            pytest.fail(message + " (CI=true: the browser is required)", pytrace=False)
        _not_run.append(why)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        pw.stop()


@pytest.fixture
def errors() -> list[str]:
    """Console errors and uncaught exceptions of the test's pages."""
    return []


def new_page(browser, base_url: str, errors: list[str], **options):
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return page


@pytest.fixture
def page(browser, live_server, errors):
    """A fresh page in its own context (empty localStorage, no cookies)."""
    page = new_page(browser, live_server, errors)
    yield page
    page.context.close()


@pytest.fixture
def browse(browser, live_server, errors):
    """Factory for more pages (another reader, dark mode…); each in its own context."""
    pages = []

    def make(**options):
        pages.append(new_page(browser, live_server, errors, **options))
        return pages[-1]

    yield make
    for p in pages:
        p.context.close()


@pytest.fixture
def open_thread(page, live_server):
    """Open a page with the standard mount for a thread; wait until the thread is rendered."""
    from playwright.sync_api import expect

    def open_(thread: str | None = None, site: str = "demo", on=None, **data: str) -> str:
        thread = thread or new_thread_key()
        target = on or page
        target.goto(serve(target, live_server, mount_markup(site, thread, **data)))
        expect(target.locator("#sidenote h2")).not_to_have_text("Loading comments…")
        return thread

    return open_


@pytest.fixture(scope="session")
def api(live_server) -> Api:
    return Api(live_server)


@pytest.fixture(scope="session")
def new_site(live_stack, live_server):
    """Create a site whose origin is the live server: new_site(moderation="all", …) -> id."""

    def make(**settings: str) -> str:
        site_id = "b" + uuid.uuid4().hex[:10]
        args = ["site", "create", site_id, "--name", "Browser test", "--origin", live_server]
        for name, value in settings.items():
            args += [f"--{name.replace('_', '-')}", value]
        live_stack.cli(*args)
        return site_id

    return make

"""Real-browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Marked `browser`; skipped when /usr/bin/chromium is missing (a failure when CI=true) (`make browser` installs it; never a
downloaded browser). Screenshots go to var/screenshots/ (or $SHAOBAO_SCREENSHOTS).
Pages run under the site's real Content-Security-Policy (no eval): wait with locators and `expect(...)`,
not `page.wait_for_function("<js string>")`, which Chromium refuses to evaluate.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through the web UI (slow)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":  # in CI a missing browser is a failure, never a skip
            pytest.fail("Chromium is not installed at /usr/bin/chromium (`make browser` installs it)")
        pytest.skip("Chromium is not installed at /usr/bin/chromium (run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshots() -> Path:
    from django.conf import settings

    path = Path(os.environ.get("SHAOBAO_SCREENSHOTS", settings.VAR_DIR / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def offline_map(settings):
    """No map tiles from the internet in tests; the map starts over grid A1 of the persona world."""
    settings.MAP_TILE_URL = ""
    settings.MAP_CENTER = (40.145, 117.105)

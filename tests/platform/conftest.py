"""The board's browser test reuses the Chromium fixtures of tests/browser."""


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium through the web UI (slow)")

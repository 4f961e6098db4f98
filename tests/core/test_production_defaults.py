"""Production by default (issue 15 §2): DEBUG off unless DEBUG=1, a secret key generated into the var
directory, HTTPS switch, security headers and a CSP that the templates can live with."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json; import config.settings as s; g = lambda n, d=None: getattr(s, n, d); "
    "print(json.dumps({'debug': s.DEBUG, 'key': s.SECRET_KEY, 'secure': g('SESSION_COOKIE_SECURE', False), "
    "'csrf_secure': g('CSRF_COOKIE_SECURE', False), 'hsts': g('SECURE_HSTS_SECONDS', 0), "
    "'proxy': list(g('SECURE_PROXY_SSL_HEADER') or [])}))"
)


def settings_with(var_dir: Path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECURE_HTTPS"}}
    clean.update(SHAOBAO_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings", **env)
    clean.pop("SHAOBAO_TESTING", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_debug_is_off_unless_asked_and_the_key_is_generated_once_and_private(tmp_path):
    first = settings_with(tmp_path)
    assert first["debug"] is False
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first["key"]) >= 50 and key_file.read_text().strip() == first["key"]
    again = settings_with(tmp_path, DEBUG="1")
    assert again["debug"] is True and again["key"] == first["key"]  # sessions survive a restart
    other = settings_with(tmp_path / "elsewhere")
    assert other["key"] != first["key"]  # no constant fallback
    assert settings_with(tmp_path, SECRET_KEY="from-the-environment")["key"] == "from-the-environment"


def test_https_switch_makes_cookies_secure_and_sends_hsts(tmp_path):
    plain = settings_with(tmp_path)
    assert not plain["secure"] and not plain["hsts"]
    https = settings_with(tmp_path, SECURE_HTTPS="1")
    assert https["secure"] and https["csrf_secure"] and https["hsts"] >= 365 * 24 * 3600
    assert https["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_missing_page_lists_no_url_patterns(client):
    assert settings.DEBUG is False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content and b"urlpatterns" not in response.content


def test_every_page_carries_the_security_headers_and_a_strict_csp(client):
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=\s*[\"']", re.I), "style attribute"),
]


def test_no_template_carries_inline_script_or_style():
    """The CSP refuses them (tests/browser/test_csp.py shows it in Chromium): behaviour goes to a static JS
    file (shaobao/static/js/shaobao.js: data-autosubmit, data-confirm), styles to a CSS file."""
    found = []
    for path in sorted((ROOT / "shaobao").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []

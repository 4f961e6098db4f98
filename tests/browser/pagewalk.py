"""Walk the web UI as each demo role and check every page: one language per page, and no sideways scrolling
on a phone.

The walk starts from a role's home page and the pages its menu links to, then follows the links it finds
(same site, no admin, API, export or log-out), at most `PER_PATTERN` pages per URL shape (ids and query
values left out) and `MAX_PAGES` in all, so that a new page reached from the navigation is covered without
listing it here.

What is checked on a page (`problems_on`):
- zh-Hans: the visible text (all <details> opened, options of every <select>, placeholders, titles,
  aria-labels, the titles, legends and series of ECharts charts) has no ASCII word of three letters or more
  outside `ALLOWED_ASCII`;
- en: no Chinese character.
User data (names, addresses, demand texts, unit and street names) is marked in the templates by an element
with its own `lang` attribute (`<span lang="zh">`) or `data-user`; its text is left out of both checks.
- at a 375 px wide viewport: `document.documentElement.scrollWidth <= 375`.

It runs against any base URL (the live server of the test, or a development server by hand:
`python -m tests.browser.pagewalk http://127.0.0.1:8000 zh-hans dispatcher`).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

PASSWORD = "shaobao-demo"
MAX_PAGES = 24
PER_PATTERN = 2
SKIP_PREFIXES = (
    "/admin",
    "/api/",
    "/open311/",
    "/i18n/",
    "/static/",
    "/media/",
    "/accounts/logout",
    "/healthz",
)
SKIP_RE = re.compile(r"(/export|\.xlsx|\.csv|\.pdf|/download|/photo|\.json)", re.I)

# ASCII words a Chinese page may show: product and format names, units of the data, and codes.
ALLOWED_ASCII = {
    "api",
    "xlsx",
    "csv",
    "pdf",
    "open311",
    "sms",
    "app",
    "url",
    "gis",
    "wifi",
    "excel",
}
ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z_]{2,}")
TOKEN = re.compile(r"[A-Za-z0-9_]+")
CODE_WITH_DIGITS = re.compile(r"[A-Za-z0-9_]*[0-9][A-Za-z0-9_]*")
MASKED = re.compile(r"[\u3400-\u9fff]{1,2}\*+")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")

COLLECT_JS = r"""
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const skip = el => !!el.closest('script,style,noscript,template,[data-user]')
    || (el.closest('[lang]') && el.closest('[lang]') !== document.documentElement);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const text = n.nodeValue.trim();
    const el = n.parentElement;
    if (!text || !el || skip(el)) continue;
    if (!el.closest('select, datalist')) {
      if (!el.getClientRects().length) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
    }
    out.push(text);
  }
  document.querySelectorAll('[placeholder],[title],[aria-label],input[type=submit],input[type=button]').forEach(el => {
    if (skip(el) || el.type === 'hidden') return;
    for (const a of ['placeholder', 'title', 'aria-label']) { const v = el.getAttribute(a); if (v) out.push(v); }
    if (el.type === 'submit' || el.type === 'button') out.push(el.value || '');
  });
  if (window.echarts) {
    document.querySelectorAll('[_echarts_instance_]').forEach(el => {
      const chart = window.echarts.getInstanceByDom(el);
      if (!chart) return;
      const o = chart.getOption();
      (o.title || []).forEach(t => { if (t.text) out.push(t.text); if (t.subtext) out.push(t.subtext); });
      (o.legend || []).forEach(l => (l.data || []).forEach(d => out.push(typeof d === 'string' ? d : d.name)));
      (o.series || []).forEach(s => { if (s.name) out.push(String(s.name)); });
      [].concat(o.xAxis || [], o.yAxis || []).forEach(a => { if (a.name) out.push(a.name); });
    });
  }
  return out;
}
"""


@dataclass
class Walk:
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def pattern_of(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"/[0-9]+(?=/|$)", "/N", parts.path)
    path = re.sub(r"/[A-Z]{2}[0-9A-Z]{8,}(?=/|$)", "/CODE", path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


class UserData:
    """The texts people typed into the database (names of divisions, grids, units, matters and people; demands'
    subjects, texts and addresses; notes), which a page shows as they are in either language."""

    def __init__(self, strings: set[str]):
        self.exact = {s.strip() for s in strings if s and s.strip()}
        parts = sorted(self.exact, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, parts))) if parts else None

    def strip(self, text: str) -> str:
        if text in self.exact or self.pattern is None:
            return "" if text in self.exact else text
        return self.pattern.sub(" ", text)


def user_data_from_database() -> UserData:
    """Every text and short-text value of the project's models that contains a Chinese character (codes and
    states never do), the codes of units and matters, and the people's names; not the notifications (made by
    the system) nor the audit record's data."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import models

    strings: set[str] = set()
    skip = {("core", "notification"), ("core", "event")}
    for model in apps.get_models():
        if (
            not model.__module__.startswith("shaobao.")
            or (model._meta.app_label, model._meta.model_name) in skip
        ):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        for row in model.objects.values_list(*fields) if fields else []:
            strings.update(v for v in row if v and CJK.search(v))
    event = apps.get_model("core", "Event")
    strings.update(n for n in event.objects.exclude(note="").values_list("note", flat=True) if CJK.search(n))
    for model_name, code_field in (("org.Unit", "code"), ("duties.Matter", "code"), ("org.Grid", "code")):
        strings.update(apps.get_model(model_name).objects.values_list(code_field, flat=True))
    for user in get_user_model().objects.all():
        strings.update({user.get_full_name(), user.first_name, user.last_name, str(user)})
    return UserData(strings)


def words_out_of_language(
    texts: list[str], language: str, allowed: set[str], user_data: UserData | None = None
) -> list[str]:
    found = []
    zh = language.startswith("zh")
    for text in texts:
        if zh and not ASCII_WORD.search(text) or not zh and not CJK.search(text):
            continue
        # Codes with digits (tracking codes) go first, whole: stripping a short user-data string out of the
        # middle of one (a two-letter name) would leave a letters-only piece that looks like a word.
        rest = CODE_WITH_DIGITS.sub(" ", text) if zh else text
        rest = user_data.strip(rest) if user_data else rest
        rest = MASKED.sub(" ", rest)  # a resident's masked name (张**) is user data too
        if zh:
            for token in TOKEN.findall(rest):
                if any(c.isdigit() for c in token) or len(re.sub("[^A-Za-z]", "", token)) < 3:
                    continue  # numbers, tracking codes, codes with digits
                if token.lower() not in allowed:
                    found.append(f"{token!r} in {text[:80]!r}")
        else:
            for chars in CJK.findall(rest):
                found.append(f"{chars!r} in {text[:80]!r}")
    return found


# A page is settled when it has loaded and no htmx request is in flight: the bell and the broadcast banner
# are fetched by htmx on load (their words are checked too), and htmx swaps a response in before it takes the
# `htmx-request` class off. Playwright's "networkidle" would wait 500 ms of silence on every page instead.
SETTLED_JS = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


def settle(page) -> None:
    page.wait_for_function(SETTLED_JS)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    settle(page)


def problems_on(
    page, language: str, allowed: set[str], phone: bool, user_data: UserData | None = None
) -> list[str]:
    found = []
    if language:
        html_lang = page.evaluate("document.documentElement.lang")
        if not html_lang.lower().startswith(language[:2]):
            found.append(f"<html lang={html_lang!r}>, expected {language}")
        found += words_out_of_language(page.evaluate(COLLECT_JS), language, allowed, user_data)
    if phone:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            culprit = page.evaluate(
                """() => { const w = document.documentElement.clientWidth; const out = [];
                  document.querySelectorAll('body *').forEach(el => { const r = el.getBoundingClientRect();
                    if (r.right > w + 1 && out.length < 3) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                      + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '')
                      + ' ' + Math.round(r.right) + 'px'); });
                  return out; }"""
            )
            found.append(f"scrollWidth {width} > 375 ({', '.join(culprit)})")
    return found


def links_on(page, base: str) -> list[str]:
    hrefs = page.evaluate(
        "() => Array.from(document.querySelectorAll('a[href]:not([download])'), a => a.href)"
    )
    out = []
    for href in hrefs:
        href = href.split("#")[0]
        if not href.startswith(base):
            continue
        path = href[len(base) :] or "/"
        if path.startswith(SKIP_PREFIXES) or SKIP_RE.search(path):
            continue
        out.append(href)
    return out


def walk(
    page,
    base: str,
    start: list[str],
    *,
    language: str = "",
    phone: bool = False,
    allowed: set[str] = frozenset(),
    max_pages: int = MAX_PAGES,
    user_data: UserData | None = None,
) -> Walk:
    """Visit `start` (paths) and the pages they link to, breadth first; return the problems found."""
    allowed = {w.lower() for w in ALLOWED_ASCII | set(allowed)}
    result = Walk()
    queue = [base + p for p in start]
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    while queue and len(result.visited) < max_pages:
        url = queue.pop(0)
        if url in seen or per_pattern[pattern_of(url)] >= PER_PATTERN:
            continue
        seen.add(url)
        per_pattern[pattern_of(url)] += 1
        response = page.goto(url)
        settle(page)
        result.visited.append(url[len(base) :])
        status = response.status if response else 0
        if status >= 500:
            result.problems.append(f"{url[len(base) :]}: HTTP {status}")
            continue
        for problem in problems_on(page, language, allowed, phone, user_data):
            result.problems.append(f"{url[len(base) :]}: {problem}")
        queue += [link for link in links_on(page, base) if link not in seen]
    return result


if __name__ == "__main__":  # by hand against a running server with the demo loaded
    import os

    import django
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    data = user_data_from_database()
    base, language, *users = sys.argv[1:]
    phone = "--phone" in users
    users = [u for u in users if u != "--phone"] or [""]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True
        )
        for user in users:
            size = {"width": 375, "height": 812} if phone else {"width": 1366, "height": 768}
            context = browser.new_context(viewport=size)
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            if user:
                log_in(page, base, user)
            start = ["/"] if user else ["/accounts/login/", "/demands/report/", "/demands/track/"]
            result = walk(page, base, start, language=language, phone=phone, user_data=data)
            print(f"== {user or 'anonymous'}: {len(result.visited)} pages")
            for p in result.visited:
                print("   visited", p)
            for p in result.problems:
                print("  ", p)
            context.close()
        browser.close()

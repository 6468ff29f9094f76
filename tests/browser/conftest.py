"""Browser tests: Playwright driving the system's Chromium against a live server.

Every request to a host other than the live server is aborted and recorded,
so these tests also show that pages need no internet. Every test also fails
on any Content-Security-Policy violation (reported by the browser's console or
a `securitypolicyviolation` event) and on any uncaught script error.
Screenshots go to test-artifacts/ for a person to look at.

Every page stays hidden (so Playwright's actions and `to_be_visible` wait) until
its `load` event: by then htmx has processed the body and bound its triggers,
so a test cannot type into a field before htmx listens to it.

`sign_in(page, username)` signs in without the login page: the session is made
server-side and its cookie set in the browser. tests/browser/test_login_and_language.py
signs in through the login page itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# would refuse to run there without this (the live server has its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL = re.compile(r"^(https?://(127\.0\.0\.1|localhost)(:\d+)?/|data:|blob:|about:)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make test` installs it (scripts/system-deps)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in the test thread; Django's ORM
    # refuses to run in such a thread unless told to (the live server has its own).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def outside_requests() -> list[str]:
    return []


#: Reports every CSP violation to the console, where the fixture below hears it
#: (Playwright's init scripts are not subject to the page's policy).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.target instanceof Element ? event.target.outerHTML.slice(0, 160) : "";
  console.error(
    "Content Security Policy violation: " + event.violatedDirective +
    " blocked " + (event.blockedURI || "inline") + " at " + event.sourceFile + ":" +
    event.lineNumber + " " + where
  );
});
"""


#: Hides the page until its `load` event, after htmx (a deferred script) has
#: processed the body on DOMContentLoaded and bound every hx-trigger. The style
#: is set through the CSSOM, which the page's style-src does not restrict.
WAIT_FOR_HTMX = """
(() => {
  const hide = () => document.documentElement.style.setProperty("visibility", "hidden");
  const show = () => document.documentElement.style.removeProperty("visibility");
  if (document.documentElement) {
    hide();
  } else {
    new MutationObserver((_changes, observer) => {
      if (document.documentElement) {
        hide();
        observer.disconnect();
      }
    }).observe(document, { childList: true });
  }
  window.addEventListener("load", show, { once: true });
})();
"""

#: The live server's address, for the session cookie (set by the `page` fixture).
LIVE_SERVER = {"url": ""}


def sign_in(page: Page, username: str) -> None:
    """Sign `username` in without the login page and open the page a login lands on."""
    client = Client()
    client.force_login(
        get_user_model().objects.get(username=username),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": LIVE_SERVER["url"],
            }
        ]
    )
    page.goto(resolve_url(settings.LOGIN_REDIRECT_URL))


@pytest.fixture
def page_problems() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, live_server, outside_requests, page_problems) -> Page:
    LIVE_SERVER["url"] = live_server.url
    context = browser.new_context(base_url=live_server.url, locale="ko-KR")
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_VIOLATIONS)
    context.add_init_script(WAIT_FOR_HTMX)

    def block(route):
        outside_requests.append(route.request.url)
        route.abort()

    def on_console(message):
        if "Content Security Policy" in message.text:
            page_problems.append(message.text)

    context.route(lambda url: not LOCAL.match(url), block)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: page_problems.append(f"script error: {error}"))
    yield page
    context.close()
    assert not page_problems, "the page broke its Content-Security-Policy or threw:\n" + "\n".join(
        page_problems
    )


@pytest.fixture
def screenshot(page: Page):
    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

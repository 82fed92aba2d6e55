"""Browser fixtures: headless Chromium, driven by Playwright, against pytest-django's live server.

Every page a test opens reports what a user would not see but must not happen: console errors,
uncaught script errors, Content-Security-Policy violations (the site allows no inline script or
style) and failed requests. A test ends with `problems.assert_none()`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    WebError,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from kabinet.demo.management.commands.seed_demo import seed

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Reports every CSP violation back to Python. Playwright injects init scripts itself, so the
# page's own policy does not block this one.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.kabinetCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""

type NewPage = Callable[..., Page]


class Screenshot(Protocol):
    def __call__(self, page: Page, name: str, *, full_page: bool = True) -> Path: ...


@dataclass
class BrowserProblems:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [
            *(f"console: {p}" for p in self.console_errors),
            *(f"script error: {p}" for p in self.page_errors),
            *(f"CSP: {p}" for p in self.csp_violations),
            *(f"HTTP: {p}" for p in self.http_errors),
        ]

    def assert_none(self) -> None:
        found = self.all()
        assert not found, "the browser reported problems:\n" + "\n".join(found)


@pytest.fixture
def demo_data(transactional_db: None) -> None:
    """The demo data set, committed, so that the live server's thread sees it. A smaller
    catalog than `make run`'s: the walks need its shape (clothing with size matrices,
    consumables, four price lists), not its 2,000 products, and every test loads it anew."""
    seed(catalog_products=300)


@pytest.fixture
def browser(chromium_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django's ORM
    # refuses to run beside one. The test's own ORM calls (fixtures, asserts) are synchronous,
    # so allow them: for the browser tests only, not for the rest of the suite.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer, problems: BrowserProblems) -> NewPage:
    """Open a page in a fresh browser context (own cookies) that reports its problems.

    Keyword arguments go to `Browser.new_context` (viewport, is_mobile, ...). The browser asks
    for Russian, like the portal's users.
    """

    def open_page(**context_options: Any) -> Page:
        options: dict[str, Any] = {"viewport": DESKTOP, "locale": "ru-RU", **context_options}
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        page = context.new_page()

        def on_csp_violation(report: str) -> None:
            problems.csp_violations.append(report)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.console_errors.append(f"{message.text} ({page.url})")

        def on_web_error(error: WebError) -> None:
            problems.page_errors.append(f"{error.error} ({page.url})")

        def on_response(response: Response) -> None:
            if response.status >= 400:
                problems.http_errors.append(f"{response.status} {response.url}")

        context.expose_function("kabinetCspViolation", on_csp_violation)
        context.add_init_script(_CSP_LISTENER)
        context.on("console", on_console)
        context.on("weberror", on_web_error)
        context.on("response", on_response)
        return page

    return open_page


@pytest.fixture
def screenshot() -> Screenshot:
    """Save a full-page screenshot as var/screenshots/<name>.png, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=full_page)
        return path

    return take

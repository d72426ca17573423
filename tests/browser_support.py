"""Fixtures and helpers for the browser tests (loaded by them through `pytest_plugins`).

The site is built once per session (`mkdocs build --strict`) and served once on
http://127.0.0.1:8000/ (the site_url: Material's instant navigation only engages there); one
headless Chromium per session, a fresh context (so fresh localStorage) per test. Every test is
guarded: a request to another origin is aborted and fails it, and so does a console error, an
uncaught page error or an unexpected dialog.

Chromium: $RUNBOOK_CHROMIUM if set, else Playwright's own browser if installed, else `chromium`
on PATH (Debian's, installed by `make setup`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Locator,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[1]
HOST, PORT = "127.0.0.1", 8000
ORIGIN = f"http://{HOST}:{PORT}"
WALKTHROUGH = "/walkthrough/"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
READY_TIMEOUT = 30_000  # ms: the engine's cold start, on a busy 2-core machine
TIMEOUT = 15_000  # ms: anything else


# ------------------------------------------------------------------ session: site, server, browser


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once, strictly, from the working tree (wheel and Pyodide included)."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (exit {result.returncode}):\n"
                    f"{result.stderr[-4000:]}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def site(built_site: Path) -> Iterator[str]:
    """The built site served on the site_url origin; yields that origin."""
    from serve_site import serve  # tests/serve_site.py: static files with the right MIME types

    with socket.socket() as probe:
        if probe.connect_ex((HOST, PORT)) == 0:
            pytest.fail(f"{ORIGIN} is already in use (a `make serve`?): the browser tests serve "
                        "the built site there, the site_url, where instant navigation works",
                        pytrace=False)
    server, thread = serve(built_site, PORT)
    try:
        yield ORIGIN
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _launch(playwright: Playwright) -> Browser:
    options = {"headless": True, "args": CHROMIUM_ARGS}
    override = os.environ.get("RUNBOOK_CHROMIUM")
    if override:
        return playwright.chromium.launch(executable_path=override, **options)
    try:
        return playwright.chromium.launch(**options)  # Playwright's own browser, if installed
    except Error as exc:
        if "Executable doesn't exist" not in str(exc):
            raise
    system = shutil.which("chromium") or shutil.which("chromium-browser")
    if not system:
        pytest.fail("no Chromium: run `make setup` (installs Debian's chromium) or set "
                    "RUNBOOK_CHROMIUM to a Chromium executable", pytrace=False)
    return playwright.chromium.launch(executable_path=system, **options)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        yield browser
        browser.close()


# ------------------------------------------------------------------ per test: guarded context


@dataclass
class Guard:
    """What must not happen during a test; checked at teardown."""

    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    # Console errors a test provokes on purpose (regexes), e.g. the 404 of a missing wasm.
    allowed_console: list[str] = field(default_factory=list)
    # A test that expects a dialog installs its handler here; others fail on any dialog.
    on_dialog: Callable[[Dialog], None] | None = None
    requests: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            route.fallback()
        else:
            self.foreign_requests.append(route.request.url)
            route.abort()

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            text = message.text
            if not any(re.search(p, text) for p in self.allowed_console):
                self.console_errors.append(f"{text} ({message.location.get('url', '')})")

    def dialog(self, dialog: Dialog) -> None:
        if self.on_dialog is not None:
            self.on_dialog(dialog)
            return
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def watch(self, page: Page) -> None:
        page.on("console", self.console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("dialog", self.dialog)

    def check(self) -> None:
        problems = {
            "requests to another origin": self.foreign_requests,
            "console errors": self.console_errors,
            "uncaught page errors": self.page_errors,
            "unexpected dialogs": self.dialogs,
        }
        found = {k: v for k, v in problems.items() if v}
        assert not found, json.dumps(found, indent=2, ensure_ascii=False)[:4000]


@pytest.fixture
def guard() -> Guard:
    return Guard()


def new_context(browser: Browser, guard: Guard, **options) -> BrowserContext:
    """A guarded context on the site origin: clipboard granted, other origins refused."""
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(base_url=ORIGIN, accept_downloads=True,
                                  service_workers="block", **options)
    context.set_default_timeout(TIMEOUT)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    context.route("**/*", guard.route)
    context.on("page", guard.watch)
    context.on("request", lambda request: guard.requests.append(request.url))
    return context


@pytest.fixture
def context(browser: Browser, site: str, guard: Guard) -> Iterator[BrowserContext]:
    context = new_context(browser, guard)
    try:
        yield context
    finally:
        context.close()
    guard.check()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# ------------------------------------------------------------------ the widget


def widget(page: Page) -> Locator:
    return page.locator("[data-runbook-widget]")


def step(page: Page, step_id: str) -> Locator:
    return page.locator(f'section[data-step="{step_id}"]')


def output(page: Page, name: str) -> Locator:
    return page.locator(f'[data-output="{name}"]')


def error_for(page: Page, field_name: str) -> Locator:
    return page.locator(f'[data-error-for="{field_name}"]')


def open_walkthrough(page: Page, *, ready: bool = True) -> float:
    """Go to the walkthrough; with ready, wait for the engine. Returns seconds to ready."""
    start = time.monotonic()
    page.goto(WALKTHROUGH)
    if ready:
        wait_ready(page)
    return time.monotonic() - start


def wait_ready(page: Page) -> None:
    root = widget(page)
    expect(root).to_have_count(1)
    try:
        expect(root).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    except AssertionError:
        raise AssertionError(f"engine not ready: data-state={root.get_attribute('data-state')!r}"
                             f", data-last-error={root.get_attribute('data-last-error')!r}"
                             ) from None

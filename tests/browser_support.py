"""Fixtures and helpers for the browser tests (loaded by them through `pytest_plugins`).

The site is built once per session (`mkdocs build --strict`) for, and served at, a free port of
127.0.0.1 (the server binds first; the site is built with that origin as its site_url: Material's
instant navigation only engages there), with the headers of the `_headers` file it ships,
Content-Security-Policy included; one headless Chromium per session, a fresh context (so fresh
localStorage) per test. Every test is guarded: a request to another origin is aborted and fails
it, and so does a console error, an uncaught page error, a Content-Security-Policy violation or
an unexpected dialog.

Chromium: $RUNBOOK_CHROMIUM if set, else Playwright's own browser if installed, else `chromium`
on PATH (Debian's, installed by `make setup`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from tests.serve_site import SiteServer, build_site, serve

ROOT = Path(__file__).resolve().parents[1]
WALKTHROUGH = "/walkthrough/"  # from the site root
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
READY_TIMEOUT = 30_000  # ms: the engine's cold start, on a busy 2-core machine
TIMEOUT = 15_000  # ms: anything else


# ------------------------------------------------------------------ session: site, server, browser


@pytest.fixture(scope="session")
def site_server() -> Iterator[SiteServer]:
    """The test server, on a free port of 127.0.0.1; sites are mounted on it by path (the built
    site at "/" by `built_site`, others by tests: `mount_site`)."""
    with empty_server() as server:
        yield server


@contextmanager
def empty_server() -> Iterator[SiteServer]:
    """A server with no site yet, on a free port of 127.0.0.1, stopped on leaving."""
    server, thread = serve({}, port=0)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mount_site(server: SiteServer, path: str, out: Path, org: Path | None = None) -> str:
    """Build the site for `path` on the server's origin into `out` (with a team's `org` file if
    given), serve it there: its URL."""
    url = f"{server.origin}{path}"
    failure = build_site(out, site_url=url, org=org)
    if failure:
        pytest.fail(failure, pytrace=False)
    server.mounts[path] = out
    return url


@pytest.fixture(scope="session")
def built_site(site_server: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once, strictly, from the working tree (wheel and Pyodide included), for
    and served at the test server's root."""
    out = tmp_path_factory.mktemp("site")
    mount_site(site_server, "/", out)
    return out


@pytest.fixture(scope="session")
def site(site_server: SiteServer, built_site: Path) -> str:
    """The built site's URL (its site_url), "http://127.0.0.1:<port>/"."""
    return f"{site_server.origin}/"


@contextmanager
def serving(server: SiteServer, directory: Path, path: str = "/") -> Iterator[None]:
    """Serve `directory` at `path` instead, at the same origin (a new deploy), for the duration."""
    previous = server.mounts[path]
    server.mounts[path] = directory
    try:
        yield
    finally:
        server.mounts[path] = previous


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
        pytest.fail(
            "no Chromium: run `make setup` (installs Debian's chromium) or set "
            "RUNBOOK_CHROMIUM to a Chromium executable",
            pytrace=False,
        )
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
    # securitypolicyviolation events in the pages (the engine worker reports its own to the page,
    # which then fails to start): {directive, blocked, source}.
    csp_violations: list[dict] = field(default_factory=list)
    # Console errors a test provokes on purpose (regexes), e.g. the 404 of a missing wasm.
    allowed_console: list[str] = field(default_factory=list)
    # Policy violations a test provokes on purpose (regexes on "directive blocked-URI").
    allowed_csp: list[str] = field(default_factory=list)
    # A test that expects a dialog installs its handler here; others fail on any dialog.
    on_dialog: Callable[[Dialog], None] | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, url), all of them

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
            "Content-Security-Policy violations": [
                v
                for v in self.csp_violations
                if not any(
                    re.search(p, f"{v['directive']} {v['blocked']}") for p in self.allowed_csp
                )
            ],
        }
        found = {k: v for k, v in problems.items() if v}
        assert not found, json.dumps(found, indent=2, ensure_ascii=False)[:4000]


@pytest.fixture
def guard() -> Guard:
    return Guard()


# Every page reports its Content-Security-Policy violations to the test (Guard.csp_violations).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => window.__runbookCspViolation({
  directive: event.effectiveDirective, blocked: event.blockedURI,
  source: `${event.sourceFile}:${event.lineNumber}`, page: location.pathname }));
"""


def new_context(browser: Browser, guard: Guard, site: str, **options) -> BrowserContext:
    """A guarded context for the site at URL `site` (its root; relative paths resolve there):
    clipboard granted, other origins refused. The offline service worker is blocked (routes
    would not see what it answers) unless the test passes service_workers="allow"."""
    options.setdefault("viewport", DESKTOP)
    options.setdefault("service_workers", "block")
    context = browser.new_context(base_url=site, accept_downloads=True, **options)
    context.set_default_timeout(TIMEOUT)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site))
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    context.route("**/*", guard.route)
    context.expose_function("__runbookCspViolation", lambda v: guard.csp_violations.append(v))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("page", guard.watch)
    context.on("request", lambda request: guard.requests.append((request.method, request.url)))
    return context


@contextmanager
def guarded(browser: Browser, guard: Guard, site: str, **options) -> Iterator[BrowserContext]:
    """A guarded context for the site at URL `site`, checked when it closes."""
    context = new_context(browser, guard, site, **options)
    try:
        yield context
    finally:
        context.close()
    guard.check()


@pytest.fixture
def context(browser: Browser, site: str, guard: Guard) -> Iterator[BrowserContext]:
    with guarded(browser, guard, site) as context:
        yield context


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


def error_for(scope: Page | Locator, field_name: str) -> Locator:
    return scope.locator(f'[data-error-for="{field_name}"]')


def in_site(path: str) -> str:
    """A path from the site root ("/walkthrough/") as a URL relative to the context's base URL,
    the site root wherever the site is deployed ("./walkthrough/")."""
    return "." + path


def open_walkthrough(page: Page, *, ready: bool = True) -> float:
    """Go to the walkthrough; with ready, wait for the engine. Returns seconds to ready."""
    start = time.monotonic()
    page.goto(in_site(WALKTHROUGH))
    if ready:
        wait_ready(page)
    return time.monotonic() - start


def wait_ready(page: Page) -> None:
    root = widget(page)
    expect(root).to_have_count(1)
    try:
        expect(root).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    except AssertionError:
        raise AssertionError(
            f"engine not ready: data-state={root.get_attribute('data-state')!r}"
            f", data-last-error={root.get_attribute('data-last-error')!r}"
        ) from None


def incident_id(page: Page) -> str:
    return widget(page).get_attribute("data-incident-id") or ""


def deployment_name(page: Page, name: str) -> str:
    """`name` as the page's deployment stores it (docs/assets/javascripts/deployment.mjs, asked
    in the page: "/runbook/" + name for a site at /runbook/)."""
    return page.evaluate(
        """async (name) => (await import(new URL("assets/javascripts/deployment.mjs",
             __md_scope).href)).deploymentName(name)""",
        name,
    )


def settle(page: Page) -> None:
    """Wait until no action is in flight (the widget marks the sending form aria-busy)."""
    expect(widget(page).locator('[aria-busy="true"]')).to_have_count(0)


def form(page: Page, action: str) -> Locator:
    return widget(page).locator(f'form[data-form="{action}"]')


def control(page: Page, action: str, name: str, value: str | None = None) -> Locator:
    """The control `name` of the form that sends `action` (a radio with `value`)."""
    selector = f'[name="{name}"]' + (f'[value="{value}"]' if value is not None else "")
    return form(page, action).locator(selector)


def submit(page: Page, action: str) -> None:
    form(page, action).locator('button[type="submit"]').first.click()
    settle(page)


# The widget keeps each incident under this name, made this deployment's own
# (docs/assets/javascripts/walkthrough/store.js).
def incident_key(page: Page, incident: str) -> str:
    return deployment_name(page, f"runbook:incident:{incident}")


def stored_record(page: Page, incident: str | None = None) -> dict | None:
    """The record saved for the open incident (or `incident`), as the store keeps it."""
    key = incident_key(page, incident or incident_id(page))
    text = page.evaluate("key => localStorage.getItem(key)", key)
    return None if text is None else json.loads(text)["record"]


def bar(page: Page, name: str) -> Locator:
    return page.locator(f'[data-summary-bar] [data-field="{name}"]')


# ------------------------------------------------------------------ the runbook's steps


def declare(page: Page, summary: str, by: str = "Priya Shah") -> None:
    control(page, "declare", "summary").fill(summary)
    control(page, "declare", "by").fill(by)
    submit(page, "declare")
    expect(widget(page)).to_have_attribute("data-declared", "true")
    expect(output(page, "declaration-message")).to_be_visible()


def take_command(
    page: Page, oncall: str, *, unavailable: bool = False, first_responder: str = ""
) -> None:
    control(page, "take_command", "oncall").fill(oncall)
    if unavailable:
        control(page, "take_command", "oncall_available").check()
        control(page, "take_command", "first_responder").fill(first_responder)
    submit(page, "take_command")
    expect(bar(page, "ic")).to_have_text(first_responder if unavailable else oncall)


def answer(page: Page, **answers: str) -> None:
    """Choose answers to the impact (and fix-forward) questions; each is sent when chosen."""
    for question, value in answers.items():
        page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').check()
        settle(page)
    record = stored_record(page) or {}
    for question, value in answers.items():
        group = (
            record.get("impact", {})
            if question in record.get("impact", {})
            else record.get("fix_forward", {})
        )
        assert group.get(question) == value, f"answer {question}={value} not recorded"


def decide(page: Page, action: str, deviation_reason: str | None = None) -> None:
    control(page, "decide", "action", action).check()
    if deviation_reason is not None:
        control(page, "decide", "deviation_reason").fill(deviation_reason)
    submit(page, "decide")


def start_mitigation(page: Page, action: str | None = None) -> None:
    """Click the start button of `action` (default: the one the page offers first)."""
    buttons = form(page, "start_mitigation").locator("button[data-start]:visible")
    button = (
        form(page, "start_mitigation").locator(f'button[data-start="{action}"]')
        if action
        else buttons.first
    )
    button.click()
    settle(page)


def mitigate(page: Page, outcome: str, notes: str = "", action: str | None = None) -> None:
    """Start the next mitigation, then record its outcome."""
    start_mitigation(page, action)
    outcome_form = form(page, "mitigation_outcome")
    expect(outcome_form).to_be_visible()
    control(page, "mitigation_outcome", "outcome", outcome).check()
    control(page, "mitigation_outcome", "notes").fill(notes)
    submit(page, "mitigation_outcome")
    expect(outcome_form).to_be_hidden()


def escalate(page: Page, doing: str = "", to: str = "") -> None:
    if to:
        control(page, "escalate", "to").fill(to)
    if doing:
        control(page, "escalate", "doing").fill(doing)
    submit(page, "escalate")


def log_message(page: Page, kind: str) -> None:
    """Copy the message of `kind`, then log it as posted (what the IC does)."""
    copy(page, f"{kind}-message")
    box = widget(page).locator(f'[data-output-box="{kind}-message"]')
    box.locator('form[data-form="log_message"] button[type="submit"]').click()
    settle(page)
    expect(box.locator(f'[data-posted="{kind}"]')).to_be_visible()


def post_status(page: Page, text: str) -> None:
    control(page, "status_update", "text").fill(text)
    submit(page, "status_update")
    expect(page.locator("[data-updates-info]")).to_be_visible()


def resolve(page: Page, details: str, data_lost: str, without_mitigation: str = "") -> None:
    control(page, "resolve", "details").fill(details)
    control(page, "resolve", "data_lost", data_lost).check()
    if without_mitigation:
        control(page, "resolve", "without_mitigation").fill(without_mitigation)
    submit(page, "resolve")
    expect(output(page, "resolution-message")).to_be_visible()


def add_follow_up(page: Page, text: str, owner: str = "") -> None:
    control(page, "add_follow_up", "text").fill(text)
    control(page, "add_follow_up", "owner").fill(owner)
    submit(page, "add_follow_up")
    expect(widget(page).locator("[data-follow-ups] li").filter(has_text=text)).to_have_count(1)


def whole_incident(page: Page, summary: str) -> str:
    """On the walkthrough with the engine ready: one incident from declaration to resolution,
    the runbook's usual path (declare, take command, three impact answers, roll back, the
    rollback succeeds, a status update, resolve). Returns the copied ticket."""
    declare(page, summary)
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="critical")
    decide(page, "roll_back")
    mitigate(page, "succeeded", "Rolled back to the previous release.")
    post_status(page, "Rolled back; watching error rates.")
    resolve(page, "Rolled back; checkout works again.", "no")
    return copy(page, "ticket")


# ------------------------------------------------------------------ copy, export, the CLI


def copy(page: Page, target: str) -> str:
    """Click an output's Copy button; the clipboard's text."""
    button = widget(page).locator(f'[data-command="copy"][data-target="{target}"]')
    button.click()
    expect(button).to_have_text(re.compile("Copied"))
    return page.evaluate("navigator.clipboard.readText()")


# What the walkthrough shows of itself, for a failure's message: the engine, the incident, what
# is busy, and what it said (the live region, a notice, errors on screen).
WIDGET_STATE = """(root) => ({
  state: root.dataset.state, lastError: root.dataset.lastError ?? null,
  incident: root.dataset.incidentId, busy: root.querySelectorAll('[aria-busy="true"]').length,
  live: root.querySelector("[data-live]")?.textContent ?? null,
  notice: root.querySelector("[data-notice]:not([hidden])")?.textContent?.trim() ?? null,
  errors: [...root.querySelectorAll(".rb-error")].filter((n) => !n.closest("[hidden]"))
    .map((n) => n.textContent.trim()).filter(Boolean),
})"""


def widget_state(page: Page) -> dict:
    return widget(page).evaluate(WIDGET_STATE)


def export(page: Page) -> str:
    """Click Export JSON; the downloaded file's text."""
    try:
        with page.expect_download() as download:
            widget(page).locator('[data-command="export"]').click()
        return Path(download.value.path()).read_text("utf-8")
    except Error as error:
        state = widget_state(page)
        raise AssertionError(f"no download from Export JSON; the page: {state}") from error


def import_file(page: Page, folder: Path, name: str, text: str) -> None:
    """Import `text` as the file `name` (written in `folder`) through Import JSON."""
    path = folder / name
    path.write_text(text, "utf-8")
    with page.expect_file_chooser() as chooser:
        widget(page).locator('[data-command="import"]').click()
    chooser.value.set_files(path)


def cli_ticket(state: Path) -> str:
    """What `runbook ticket --state FILE` prints."""
    result = subprocess.run(
        [sys.executable, "-m", "runbook_core", "ticket", "--state", str(state)],
        capture_output=True,
        encoding="utf-8",
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_browser_and_cli_agree(page: Page, tmp_path: Path) -> str:
    """The copied ticket is the ticket shown and exactly what the CLI prints for the export."""
    shown = output(page, "ticket").text_content()
    copied = copy(page, "ticket")
    assert copied == shown
    state = tmp_path / "exported.json"
    state.write_text(export(page), "utf-8")
    assert json.loads(state.read_text("utf-8")) == stored_record(page)
    assert copied == cli_ticket(state)
    return copied


# ------------------------------------------------------------------ offline (sw.js)

# The offline caches' names, after this deployment's root path (sitebuild/sw.js).
OFFLINE_CACHE = "runbook-offline-"


def wait_offline_ready(page: Page, version: str | None = None) -> str:
    """Until the service worker controls the page and has cached the whole build; its version."""
    page.wait_for_function(
        """(version) => navigator.serviceWorker.controller
             && window.__runbookOffline.state === "ready"
             && (!version || window.__runbookOffline.version === version)""",
        arg=version,
        timeout=60_000,
    )
    return page.evaluate("window.__runbookOffline.version")

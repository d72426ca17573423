"""Accessibility on every page of the site (issue 8): axe-core (from npm, pinned in
package.json) finds no serious or critical violation, in Material's light and dark schemes, at
1366×900 and 375×812; at 375 px no page scrolls sideways. The walkthrough is also checked mid-
incident (questions, escalation, messages, the unsaved state, a notice, a time being corrected).
One page load per page: the scheme is switched the way Material's toggle does it, the viewport
by resizing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from collections.abc import Iterator  # noqa: E402

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    ROOT,
    WALKTHROUGH,
    Guard,
    control,
    decide,
    declare,
    mitigate,
    new_context,
    open_walkthrough,
    settle,
    take_command,
    wait_ready,
    widget,
)

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 812}}
DOCS = ROOT / "docs"


def site_path(markdown: Path) -> str:
    """The URL path MkDocs gives a docs page (directory URLs)."""
    relative = markdown.relative_to(DOCS).with_suffix("").as_posix()
    if relative == "index":
        return "/"
    return "/" + (relative[: -len("/index")] if relative.endswith("/index") else relative) + "/"


PAGES = sorted(site_path(p) for p in DOCS.rglob("*.md")) + ["/404.html"]

# The violations that matter here, with where they are (CSS selectors and axe's summary).
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => ({ target: n.target.join(" "), why: n.failureSummary })),
  }));
}"""


def serious(page: Page) -> list[dict]:
    return page.evaluate(RUN_AXE, TAGS)


def sideways_scroll(page: Page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


# Colours are checked as they settle: Material eases them over ~0.25 s after a scheme switch.
STILL = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def set_scheme(page: Page, scheme: str) -> None:
    """What Material's palette toggle does."""
    page.evaluate("s => document.body.setAttribute('data-md-color-scheme', s)", SCHEMES[scheme])


# Two animation frames: what follows a resize (layout, ResizeObserver callbacks) has run.
SETTLED = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))"


def check_everywhere(page: Page, where: str) -> dict[str, list]:
    """axe in both schemes at both sizes; at phone size, no sideways scrolling. Problems by
    "scheme/viewport" (nothing when all is well)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
        page.add_style_tag(content=STILL)
    problems: dict[str, list] = {}
    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.evaluate(SETTLED)
        for scheme in SCHEMES:
            set_scheme(page, scheme)
            found = serious(page)
            if viewport == "phone" and (overflow := sideways_scroll(page)) > 0:
                found.append({"id": "sideways-scroll", "pixels": overflow})
            if found:
                problems[f"{where} {scheme}/{viewport}"] = found
    return problems


@pytest.fixture
def context(browser: Browser, site: str, guard: Guard) -> Iterator[BrowserContext]:
    """The pages' Content-Security-Policy would refuse axe-core, injected as a script: these
    tests check accessibility, test_browser_deploy.py checks the policy."""
    context = new_context(browser, guard, site, bypass_csp=True)
    try:
        yield context
    finally:
        context.close()
    guard.check()


@pytest.fixture(scope="module")
def axe_source() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is a pinned devDependency)")
    return AXE


def test_every_page_is_checked(built_site: Path) -> None:
    """PAGES (from docs/) is every HTML page of the built site."""
    built = {
        "/" + p.relative_to(built_site).as_posix().removesuffix("index.html")
        for p in built_site.rglob("*.html")
        if not p.relative_to(built_site).as_posix().startswith(("assets/", "pyodide/"))
    }
    assert built == set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_axe_no_serious_violations(page: Page, axe_source: Path, path: str) -> None:
    """No serious or critical axe-core violation, light and dark, desktop and phone; no
    sideways scrolling on a phone."""
    if path == WALKTHROUGH:
        open_walkthrough(page)
    else:
        page.goto(path)
        expect(page.locator("article h1").first).to_be_visible()
    problems = check_everywhere(page, path)
    if path == WALKTHROUGH:
        mid_incident(page)
        problems |= check_everywhere(page, f"{path} mid-incident")
    assert not problems, json.dumps(problems, indent=1)[:6000]


def mid_incident(page: Page) -> None:
    """As much of the walkthrough on screen as one incident shows: the fix-forward questions,
    the decision, a failed rollback (escalation required, its message), a status draft, the
    details open, a timeline time being corrected, a notice, the unsaved state, an overdue
    update and a "Copied" button."""
    page.set_viewport_size(VIEWPORTS["desktop"])
    set_scheme(page, "light")
    declare(page, "Checkout returns HTTP 500 after release 2026.11.28-1")
    take_command(page, "Sam Okafor")
    for question, value in (
        ("scope", "subset"),
        ("data_loss", "no"),
        ("degradation", "minor"),
        ("fix_understood", "yes"),
    ):
        page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').check()
        settle(page)
    decide(page, "roll_back")
    mitigate(page, "failed", "The down-migration of orders fails on the replica")
    control(page, "status_update", "text").fill("Rollback failed; escalated.")
    page.locator("[data-details-panel] summary").click()
    widget(page).locator('[data-command="edit-time"]').first.click()
    # The unsaved state and a notice, as storage failing and another tab would show them; an
    # overdue update; a button just used to copy.
    page.evaluate("""() => {
        const w = document.querySelector("[data-runbook-widget]").runbookWidget;
        w.setSaveProblem({ kind: "full" });
        w.notice("Another tab changed this incident at the same time: the newer version is shown.");
        for (const due of document.querySelectorAll("[data-due]")) due.classList.add("rb-urgent");
        document.querySelector('[data-command="copy"][data-target="ticket"]').classList.add("rb-copied");
    }""")
    expect(widget(page)).to_have_attribute("data-save-state", "unsaved")
    wait_ready(page)

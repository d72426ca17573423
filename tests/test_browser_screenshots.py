"""Screenshots for a person to look at, in Material's light and dark schemes, and the phone
layout checks that go with them (issue 8): test-artifacts/screenshots/

- incidents-{desktop,phone}-{scheme}.png: the incidents list, two incidents;
- statusbar-phone-{scheme}.png: a phone scrolled down to Resolve while mitigating, the update
  overdue: the sticky status bar (status, IC, next update) still in view;
- unsaved-{desktop,phone}-{scheme}.png: the "not saved" state (storage full);
- walkthrough-{desktop,phone}-{scheme}.png: the whole page mid-incident (a failed rollback).

At 375 px: no sideways scrolling, the status bar stays in view, and announcements never cover a
control (nothing in the widget is position: fixed; the buttons the IC taps are on top)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Locator, Page, expect  # noqa: E402

from runbook_core import load_org  # noqa: E402
from tests.browser_support import (  # noqa: E402
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Guard,
    answer,
    bar,
    control,
    decide,
    declare,
    form,
    new_context,
    open_walkthrough,
    output,
    settle,
    start_mitigation,
    submit,
    take_command,
    widget,
)
from tests.test_browser_faults import STORAGE_FULL  # noqa: E402

pytestmark = pytest.mark.browser

SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme

# Where things are on screen, and what is on top at the centre of a control.
LAYOUT = """(node) => {
  const box = node.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return { top: box.top, bottom: box.bottom, height: window.innerHeight,
           onTop: Boolean(top && (top === node || node.contains(top))) };
}"""
FIXED_IN_WIDGET = """() => [...document.querySelectorAll("[data-runbook-widget] *")]
  .filter((n) => getComputedStyle(n).position === "fixed").map((n) => n.outerHTML.slice(0, 80))"""
# Material's "Back to top" has faded in (its transitions are over).
SETTLED_TOP = """() => Promise.all(document.querySelector(".md-top").getAnimations()
  .map((a) => a.finished))"""
# Anything fixed on screen (Material's header apart) that overlaps a control of the widget.
FIXED_OVER_CONTROLS = """() => {
  const shown = (n) => {
    const s = getComputedStyle(n), r = n.getBoundingClientRect();
    return s.display !== "none" && s.visibility !== "hidden" && Number(s.opacity) > 0
      && r.width > 0 && r.height > 0;
  };
  const fixed = [...document.querySelectorAll("body *")].filter((n) =>
    getComputedStyle(n).position === "fixed" && !n.closest(".md-header") && shown(n));
  const controls = [...document.querySelectorAll(
    "[data-runbook-widget] :is(button, a, input, textarea, select)")].filter(shown);
  const hits = [];
  for (const f of fixed) {
    const a = f.getBoundingClientRect();
    for (const c of controls) {
      const b = c.getBoundingClientRect();
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        hits.push(`${f.className || f.tagName} over ${c.textContent.trim().slice(0, 40)}`);
      }
    }
  }
  return hits;
}"""


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def assert_fits_width(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def scroll_to(page: Page, target: Locator, block: str = "start") -> None:
    target.evaluate("(node, block) => node.scrollIntoView({ block })", block)


def assert_tappable(page: Page, control: Locator) -> None:
    """Scrolled to the middle of the screen, the control is what a tap there reaches."""
    scroll_to(page, control, "center")
    layout = control.evaluate(LAYOUT)
    assert layout["onTop"], f"something covers {control}: {layout}"


def overdue_by_declaring_earlier(page: Page) -> None:
    """Correct the declaration's time to 20 minutes more than the update interval ago: the first
    update is then overdue."""
    minutes = load_org().status_update_interval_minutes + 20
    earlier = (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%H:%M")
    entry = widget(page).locator('[data-timeline] li[data-kind="declared"]')
    entry.locator('[data-command="edit-time"]').click()
    entry.locator('form[data-form="edit_timeline"] [name="at"]').fill(earlier)
    entry.locator('form[data-form="edit_timeline"] button[type="submit"]').click()
    settle(page)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_screens_and_phone_layout(browser: Browser, site: str, guard: Guard, scheme: str) -> None:
    """Two incidents, the second mitigating with its update overdue, then unsaved, then a failed
    rollback: screenshots of each, desktop and phone, and the phone layout holds."""
    context = new_context(browser, guard, site, viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        page.add_init_script(STORAGE_FULL)
        open_walkthrough(page)
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])
        declare(page, "Search results are sorted wrongly")
        take_command(page, "Riley Chen")
        page.get_by_role("button", name="Start a new incident").click()
        declare(page, "Checkout returns HTTP 500 after release 2026.11.28-1")
        take_command(page, "Sam Okafor")
        answer(page, scope="all", data_loss="no", degradation="critical")
        decide(page, "roll_back")
        start_mitigation(page, "roll_back")
        overdue_by_declaring_earlier(page)
        expect(bar(page, "status")).to_have_text("Mitigating (rollback in progress)")
        due = page.locator("[data-summary-bar] [data-due]")
        expect(due).to_contain_text("overdue")

        incidents = widget(page).locator("[data-panel='incidents']")
        expect(incidents.locator("[data-incident-list] li")).to_have_count(2)
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            assert_fits_width(page)
            scroll_to(page, widget(page))
            shoot(page, f"incidents-{name}-{scheme}")

        # Phone, down to Resolve through the steps' links: the status bar is still in view,
        # whole and on top, and the step's heading is below it (not hidden under it).
        widget(page).locator('[data-step-link="resolve"]').click()
        status_bar = page.locator("[data-summary-bar]")
        layout = status_bar.evaluate(LAYOUT)
        assert 0 <= layout["top"] and layout["bottom"] <= layout["height"] / 2, layout
        assert layout["onTop"], layout
        heading = page.locator("#step-resolve-title").evaluate(LAYOUT)
        assert layout["bottom"] <= heading["top"] < layout["height"] / 2, (layout, heading)
        for field in (bar(page, "status"), due):
            expect(field).to_be_in_viewport()
        # On a phone the bar is one line (issue 16.2): the IC is one tap away ("Details").
        toggle = status_bar.locator("[data-bar-toggle]")
        toggle.click()
        expect(bar(page, "ic")).to_be_in_viewport()
        expect(bar(page, "ic")).to_have_text("Sam Okafor")
        shoot(page, f"statusbar-phone-{scheme}")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "false")

        # Announcements are in the status bar, never over the controls: right after one, the
        # buttons an IC taps are what a tap reaches.
        control(page, "add_timeline", "event").fill("Rollback 60% done")
        submit(page, "add_timeline")
        expect(page.locator("[data-live]")).not_to_be_empty()
        assert page.evaluate(FIXED_IN_WIDGET) == []
        for name in ("Resolve the incident", "Copy ticket", "Export JSON", "Record the outcome"):
            assert_tappable(page, widget(page).get_by_role("button", name=name, exact=True))
            page.mouse.wheel(0, -240)  # scrolling back up a little: Material's "Back to top"
            page.wait_for_function("() => document.querySelector('.md-top')?.hidden === false")
            page.evaluate(SETTLED_TOP)
            assert page.evaluate(FIXED_OVER_CONTROLS) == []
        assert_fits_width(page)

        # Not saved: storage full.
        page.evaluate("window.__storageFull = true")
        control(page, "add_timeline", "event").fill("Payments team confirmed no failed charges")
        submit(page, "add_timeline")
        expect(widget(page)).to_have_attribute("data-save-state", "unsaved")
        expect(page.locator("[data-save-detail]")).to_contain_text("Export JSON")
        for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            scroll_to(page, form(page, "add_timeline"), "center")
            expect(page.locator("[data-save-message]")).to_be_in_viewport()
            # Unmistakable, yet the sticky bar leaves most of a phone's screen to the work.
            assert status_bar.evaluate(LAYOUT)["bottom"] <= size["height"] * 0.4
            shoot(page, f"unsaved-{name}-{scheme}")
        scroll_to(page, widget(page))
        shoot(page, f"unsaved-top-desktop-{scheme}")
        page.evaluate("window.__storageFull = false")
        expect(widget(page)).to_have_attribute("data-save-state", "saved", timeout=10_000)

        # Mid-incident, the whole page: a failed rollback, escalation, a status draft.
        mitigate_outcome_failed(page)
        control(page, "status_update", "text").fill("Rollback failed; escalated. Restoring.")
        expect(output(page, "status_update-message")).to_contain_text("Restoring")
        expect(output(page, "escalation-message")).to_be_visible()
        expect(page.locator("[data-live]")).to_be_empty(timeout=10_000)  # a settled page
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.evaluate("window.scrollTo(0, 0)")
            assert_fits_width(page)
            shoot(page, f"walkthrough-{name}-{scheme}", full_page=True)
    finally:
        context.close()
    guard.check()


def mitigate_outcome_failed(page: Page) -> None:
    """The rollback in progress fails (its outcome recorded)."""
    control(page, "mitigation_outcome", "outcome", "failed").check()
    control(page, "mitigation_outcome", "notes").fill("The down-migration of orders fails")
    submit(page, "mitigation_outcome")
    expect(page.locator("[data-major]")).to_be_visible()

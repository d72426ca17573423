"""Screenshots of the walkthrough mid-incident for a person to look at, desktop and phone, in
Material's light and dark schemes: test-artifacts/screenshots/walkthrough-*.png."""

from __future__ import annotations

import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    Guard,
    answer,
    control,
    decide,
    declare,
    mitigate,
    new_context,
    open_walkthrough,
    output,
    take_command,
)

pytestmark = pytest.mark.browser

SCHEMES = {"light": "default", "dark": "slate"}  # prefers-color-scheme -> Material's scheme


def mid_incident(page: Page) -> None:
    """A failed rollback: declaration, escalation and a status draft all on screen."""
    declare(page, "Checkout returns HTTP 500 after release 2026.11.28-1")
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    decide(page, "roll_back")
    mitigate(page, "failed", "The down-migration of orders fails on the replica")
    control(page, "status_text").fill("Rollback failed; escalated. Restoring from snapshot.")
    expect(output(page, "status-message")).to_contain_text("Restoring from snapshot")
    expect(output(page, "escalation-message")).to_be_visible()


def assert_fits_width(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_screenshots_mid_incident(browser: Browser, site: str, guard: Guard, scheme: str) -> None:
    """Desktop 1280x900 and phone 375x812, full page; no sideways scrolling on either."""
    context = new_context(browser, guard, site, viewport=DESKTOP, color_scheme=scheme)
    try:
        page = context.new_page()
        open_walkthrough(page)
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])
        mid_incident(page)
        # The last announcement shows for a few seconds as a toast: shoot the settled page.
        expect(page.locator("[data-live]")).to_be_empty(timeout=10_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.evaluate("window.scrollTo(0, 0)")
            assert_fits_width(page)
            page.screenshot(path=SCREENSHOTS / f"walkthrough-{name}-{scheme}.png", full_page=True)
    finally:
        context.close()
    guard.check()

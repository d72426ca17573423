"""No long task of ours on a cold visit (issue 18): the widget's mount and the engine-ready draw
are chunks that yield to the browser (shared.js yieldToBrowser), the first screen first. Tested
by holding every yield (a stand-in for scheduler.yield the test releases one at a time), not by
timing: durations on a busy 2-core machine say nothing reliable, the order and the split do.
Typing into the declare form keeps working while the rest waits; without scheduler.yield the
MessageChannel fallback does the same."""

from __future__ import annotations

import sys
import time

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import BrowserContext, expect  # noqa: E402

from tests.browser_support import READY_TIMEOUT, WALKTHROUGH, control, in_site, wait_ready, widget  # noqa: E402

pytestmark = pytest.mark.browser

# scheduler.yield() answered by promises the test resolves, oldest first.
HOLD_YIELDS = """(() => {
  const held = window.__heldYields = [];
  Object.defineProperty(window, "scheduler", { configurable: true, value: {
    yield: () => new Promise((resolve) => { held.push(resolve); }) } });
})();"""
RELEASE_ONE = """() => { const resolve = window.__heldYields.shift();
  if (resolve) resolve();
  return Boolean(resolve); }"""
STATE = """() => { const root = document.querySelector("[data-runbook-widget]");
  return { state: root.dataset.state, phase: root.dataset.phase ?? null,
           engine: window.__runbookEngine?.state ?? null, held: window.__heldYields.length }; }"""
SUMMARY = "Checkout errors after release 4.5.6"


def test_mount_and_first_draw_yield_first_screen_first(context: BrowserContext) -> None:
    """With every yield held, the mount stops after the declare form (typing works, the rest
    waits), and the engine-ready draw stops after its first chunk (the bar and the forms drawn,
    the page not yet "ready"); released one at a time, all of it is drawn and nothing typed is
    lost."""
    context.add_init_script(HOLD_YIELDS)
    page = context.new_page()
    page.goto(in_site(WALKTHROUGH), wait_until="commit")
    page.wait_for_function("() => document.querySelector('[data-runbook-widget]')?.runbookWidget")
    # The mount's first chunk is done, its second waits: the declare form takes typing.
    assert page.evaluate("window.__heldYields.length") >= 1
    assert (
        page.evaluate("document.querySelector('[data-runbook-widget]').runbookWidget.early") is None
    )
    summary = control(page, "declare", "summary")
    summary.fill(SUMMARY)
    # Released one at a time until the page says it is ready; what each release let run is seen.
    seen = []
    deadline = time.monotonic() + READY_TIMEOUT / 1000
    while (now := page.evaluate(STATE))["state"] != "ready":
        assert time.monotonic() < deadline, f"never ready: {now}, after {seen}"
        if not page.evaluate(RELEASE_ONE):
            page.wait_for_timeout(50)
            continue
        seen.append(page.evaluate(STATE))
    released = len(seen)
    # The draw was split: its first chunk (the root's phase, the bar, the forms) was on screen
    # while the engine was ready and the rest still waited.
    assert any(s["phase"] and s["engine"] == "ready" and s["state"] == "loading" for s in seen), (
        seen
    )
    # Mount (2) and the ready draw (a fresh task, then each of its chunks) all yielded.
    assert released >= 6, seen
    expect(summary).to_have_value(SUMMARY)
    expect(page.locator('[data-output="declaration-early"]')).to_be_hidden()  # the engine's own now
    expect(widget(page)).to_have_attribute("data-current-step", "declare")


def test_without_scheduler_yield_the_fallback_mounts_and_draws(context: BrowserContext) -> None:
    """A browser without scheduler.yield (the MessageChannel fallback): the widget mounts, keeps
    what is typed at once, and draws the engine's view."""
    context.add_init_script(
        'Object.defineProperty(window, "scheduler", { configurable: true, value: undefined });'
    )
    page = context.new_page()
    page.goto(in_site(WALKTHROUGH), wait_until="commit")
    summary = control(page, "declare", "summary")
    summary.fill(SUMMARY)
    wait_ready(page)
    expect(summary).to_have_value(SUMMARY)
    expect(widget(page)).to_have_attribute("data-current-step", "declare")
    assert page.evaluate("typeof window.scheduler") == "undefined"

"""The declaration before the engine (issue 16.4): with the engine held back, the page offers
the declaration's first line for the summary as typed, and it is exactly the line the engine
then writes for the same summary, over a hostile corpus; summaries the engine would change wait
for it, and say so. The engine's download progress is shown beside the form."""

from __future__ import annotations

import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, Route, expect  # noqa: E402

from runbook_core.limits import load_limits  # noqa: E402
from tests.browser_support import (  # noqa: E402
    control,
    new_context,
    open_walkthrough,
    wait_ready,
    widget,
)

pytestmark = pytest.mark.browser

MOST = load_limits().chars("summary")
CORPUS = [
    "Checkout API returns 500 for all EU users",
    "é ü ß 中文 Ελληνικά",
    "العربية עברית mixed with LTR",
    "\u202eevil\u202c RTL \u200f mark \u200e",
    "<b>bold</b> *md* _x_ `code` [l](u) &amp; \"q\" 'q' \\ /",
    "@here @channel <!everyone> <@U123> <#C1> <http://x|y>",
    "emoji 🚨🔥👩‍💻 🏳️‍🌈 e\u0301",
    "two  spaces",
    " leading",
    "trailing ",
    "line\nbreak",
    "tab\there",
    "nbsp\u00a0here",
    "zero\u200bwidth",
    "{summary} {0} %s $1 $& $$",
    "\ue000 private use",
    "x" * MOST,
    "y" * (MOST - 1) + "😀",
    "x" * (MOST + 1),
    "",
    "   ",
]
# The engine's first declaration line for `summary`, or null when it refuses the summary.
ENGINE_LINE = """async (summary) => {
  const engine = document.querySelector("[data-runbook-widget]").runbookWidget.engine;
  const action = JSON.stringify({ type: "declare", summary });
  const reply = JSON.parse(await engine.call("dispatch", null, action, new Date().toISOString()));
  if (!reply.ok) return null;
  return reply.view.messages.find((m) => m.kind === "declaration").text.split("\\n")[0];
}"""


def test_the_early_line_is_the_engines_line(page: Page) -> None:
    held: list[Route] = []
    page.route(
        "**/pyodide.asm.wasm*", lambda route: held.append(route)
    )  # the engine waits until released
    open_walkthrough(page, ready=False)
    box = widget(page).locator("[data-early-declaration]")
    expect(box).to_be_visible()
    line = box.locator('[data-output="declaration-early"]')
    refused = box.locator("[data-early-refused]")
    field = control(page, "declare", "summary")
    seen = []
    for summary in CORPUS:
        field.fill(summary)
        value = field.input_value()  # what the form holds (an <input> drops line breaks)
        offered = box.locator("[data-early-line]").is_visible()
        assert refused.is_visible() == (not offered and value != ""), repr(value)
        seen.append((value, line.text_content() if offered else None))
    assert widget(page).get_attribute("data-state") != "ready"
    assert held, "the engine's wasm was never requested"
    for route in held:
        route.fallback()
    page.unroute("**/pyodide.asm.wasm*")
    wait_ready(page)
    expect(box).to_be_hidden()  # the engine's own message takes over
    offered = 0
    for value, early in seen:
        engine = page.evaluate(ENGINE_LINE, value)
        if early is not None:
            offered += 1
            assert early == engine, repr(value)
    plain = [v for v, e in seen if e is not None]
    assert CORPUS[0] in plain and "x" * MOST in plain and offered >= 8, plain


def test_the_download_progress_shows_beside_the_form(page: Page) -> None:
    """The worker counts the engine's wasm as it arrives; the line beside the form says it, in
    the markup's words, and says the download is over before the engine is ready."""
    open_walkthrough(page, ready=False)
    progress = widget(page).locator("[data-early-declaration] [data-engine-progress]")
    expect(progress).to_be_visible()
    wait_ready(page)
    got = page.evaluate(
        "document.querySelector('[data-runbook-widget]').runbookWidget.engine.progress"
    )
    assert got["done"] and got["loaded"] > 1_000_000, got
    done = widget(page).locator('[data-word="engine-progress-done"]').text_content()
    expect(progress).to_have_text(done)


def test_axe_on_the_early_declaration(browser, site, guard) -> None:  # noqa: ANN001
    """axe-core, both schemes, phone and desktop, with the early line and a refused summary."""
    from tests.test_browser_a11y import check_everywhere

    context = new_context(browser, guard, site, bypass_csp=True)
    try:
        page = context.new_page()
        page.route("**/pyodide.asm.wasm*", lambda route: None)  # the engine stays loading
        open_walkthrough(page, ready=False)
        field = control(page, "declare", "summary")
        field.fill(CORPUS[0])
        expect(widget(page).locator("[data-early-line]")).to_be_visible()
        problems = check_everywhere(page, "early line")
        field.fill(" leading")
        expect(widget(page).locator("[data-early-refused]")).to_be_visible()
        problems |= check_everywhere(page, "refused")
        assert not problems, problems
    finally:
        context.close()

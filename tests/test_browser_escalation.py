"""The escalation and a changed decision on a phone (issue 16.3, 16.6), at 375×812 and 1366×900.

After "Rollback failed" focus is on the escalation message's Copy button, fully on screen below
the sticky bar (it was on "Escalation sent: record it", with the message above the screen);
once recorded, the step says so and "record it" is no longer the primary action. axe-core runs
after each of those steps. Screenshots of the escalation step (phone, light and dark) are kept in
test-artifacts/screenshots/escalation-*.png."""

from __future__ import annotations

import json
import re
import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    SCREENSHOTS,
    answer,
    bar,
    control,
    decide,
    declare,
    escalate,
    open_walkthrough,
    settle,
    start_mitigation,
    step,
    submit,
    take_command,
)
from tests.test_browser_a11y import (  # noqa: E402
    SCHEMES,
    SETTLED,
    STILL,
    VIEWPORTS,
    axe_source,  # noqa: F401 - a fixture
    check_everywhere,
    context,  # noqa: F401 - a fixture: axe needs the page's policy bypassed
    set_scheme,
)

pytestmark = pytest.mark.browser

SUMMARY = "Checkout returns HTTP 500 after release 2026.11.28-1"
PRIMARY = re.compile(r"(^|\s)md-button--primary(\s|$)")


def focused(page: Page) -> dict:
    """The focused element: its hooks, its box, the sticky bar's bottom and the viewport."""
    return page.evaluate(
        """() => { const e = document.activeElement, b = e.getBoundingClientRect();
        const bar = document.querySelector("[data-summary-bar]").getBoundingClientRect();
        return {command: e.dataset.command || "", target: e.dataset.target || "",
          box: e.closest("[data-output-box]")?.dataset.outputBox || "",
          top: b.top, bottom: b.bottom, left: b.left, right: b.right,
          bar: bar.bottom, width: innerWidth, height: innerHeight}; }"""
    )


def fully_visible(where: dict) -> bool:
    return (
        where["top"] >= where["bar"]
        and where["bottom"] <= where["height"]
        and where["left"] >= 0
        and where["right"] <= where["width"]
    )


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"escalation-{name}.png"))


def shot_in_each_scheme(page: Page, name: str) -> None:
    """A screenshot in each colour scheme, `escalation-NAME-SCHEME.png`, then back to light."""
    for scheme in SCHEMES:
        set_scheme(page, scheme)
        page.evaluate(SETTLED)
        shot(page, f"{name}-{scheme}")
    set_scheme(page, "light")


def axe(page: Page, where: str, size: dict) -> dict:
    """axe everywhere (both sizes, both schemes), then back to `size`, light, focus kept."""
    problems = check_everywhere(page, where)
    page.set_viewport_size(size)
    set_scheme(page, "light")
    page.evaluate(SETTLED)
    return problems


def _rollback_failed(page: Page) -> None:
    declare(page, SUMMARY)
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    decide(page, "roll_back")
    start_mitigation(page)
    control(page, "mitigation_outcome", "outcome", "failed").check()
    control(page, "mitigation_outcome", "notes").fill("Migration 0042 dropped a column")
    submit(page, "mitigation_outcome")
    settle(page)
    expect(bar(page, "status")).to_contain_text("escalation required")


@pytest.mark.usefixtures("axe_source")
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_rollback_failed_focuses_the_escalation_copy_then_recording_says_so(
    page: Page, viewport: str
) -> None:
    size = VIEWPORTS[viewport]
    page.set_viewport_size(size)
    open_walkthrough(page)
    page.add_style_tag(content=STILL)
    _rollback_failed(page)
    page.evaluate(SETTLED)
    # Focus on the escalation message's Copy button, fully on screen, not under the bar.
    where = focused(page)
    assert (where["command"], where["target"]) == ("copy", "escalation-message"), where
    assert fully_visible(where), where
    major = page.locator("[data-major]")
    # Reading order: the message, the fields that change it, then "record it".
    order = major.evaluate(
        """m => [m.querySelector('[data-output-box="escalation-message"]'),
        m.querySelector('form[data-form="escalate"] [name="doing"]'),
        m.querySelector('form[data-form="escalate"] button[type="submit"]')]
        .map((e) => [...m.querySelectorAll("*")].indexOf(e))"""
    )
    assert order == sorted(order) and -1 not in order, order
    record = major.locator('form[data-form="escalate"] button[type="submit"]')
    expect(record).to_have_class(PRIMARY)
    # The message follows the fields as they are typed.
    control(page, "escalate", "doing").fill("Restoring the orders table from the 14:00 snapshot")
    expect(major.locator('[data-output="escalation-message"]')).to_contain_text(
        "Restoring the orders table from the 14:00 snapshot"
    )
    if viewport == "phone":
        page.locator('[data-command="copy"][data-target="escalation-message"]').focus()
        shot_in_each_scheme(page, "required")
    problems = axe(page, "rollback failed", size)
    # Recorded: the step says to whom and when; "record it" is no longer the primary action.
    escalate(page, to="Dana Whitfield")
    settle(page)
    records = major.locator("[data-escalations]")
    expect(records).to_be_visible()
    expect(records).to_contain_text("Dana Whitfield")
    expect(records).to_contain_text(" UTC")
    expect(record).not_to_have_class(PRIMARY)
    expect(bar(page, "status")).not_to_contain_text("escalation required")
    # Focus leaves "record it" for what follows: the acknowledgement.
    expect(page.locator(":focus")).to_have_attribute("name", "by")
    assert (
        page.evaluate("() => document.activeElement.form?.dataset.form") == "acknowledge_escalation"
    )
    if viewport == "phone":
        page.mouse.move(0, 0)  # the pointer left on "record it" would show its hover colour
        records.scroll_into_view_if_needed()
        shot_in_each_scheme(page, "recorded")
    problems.update(axe(page, "escalation recorded", size))
    assert not problems, json.dumps(problems, indent=1)[:6000]


SENTENCES = """d => d.innerText.split(/(?<=[.!?])\\s+|\\n+/).map((s) => s.trim()).filter(Boolean)"""


def repeated(page: Page) -> list[str]:
    """The sentences (and links) shown more than once in the decide step."""
    decide_step = step(page, "decide")
    # Answer labels ("Yes", "No", "Don't know") are choices, not sentences: 3 words at least.
    said = [s for s in decide_step.evaluate(SENTENCES) if len(s.split()) >= 3]
    links = decide_step.evaluate(
        "d => [...d.querySelectorAll('a')].filter((a) => a.offsetParent).map((a) => a.href)"
    )
    return sorted({s for s in said if said.count(s) > 1} | {a for a in links if links.count(a) > 1})


@pytest.mark.usefixtures("axe_source")
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_changed_answer_after_fix_forward_brings_the_new_recommendation(
    page: Page, viewport: str
) -> None:
    """Issue 16.6: data loss set to yes after choosing fix forward: focus on the new
    recommendation (not "Why deviate?"), the stale warning on screen; the fix-forward questions
    before the recommendation; no sentence or link twice in the step."""
    size = VIEWPORTS[viewport]
    page.set_viewport_size(size)
    open_walkthrough(page)
    page.add_style_tag(content=STILL)
    declare(page, SUMMARY)
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="minor")
    answer(page, fix_understood="yes", hotfix_faster="yes")
    decide_step = step(page, "decide")
    order = decide_step.evaluate(
        """d => ["[data-ask-fix-forward]", "[data-recommendation]", 'form[data-form="decide"]']
        .map((s) => [...d.querySelectorAll("*")].indexOf(d.querySelector(s)))"""
    )
    assert order == sorted(order) and -1 not in order, order
    assert repeated(page) == [], "permitted"
    decide(page, "fix_forward")
    assert repeated(page) == [], "fix forward decided"
    problems = axe(page, "fix forward decided", size)
    answer(page, data_loss="yes")
    settle(page)
    page.evaluate(SETTLED)
    inside = page.evaluate("() => Boolean(document.activeElement.closest('[data-recommendation]'))")
    assert inside, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    stale = page.locator("[data-decision-stale]")
    expect(stale).to_be_visible()
    where = stale.evaluate(
        """e => { const b = e.getBoundingClientRect();
        const bar = document.querySelector("[data-summary-bar]").getBoundingClientRect();
        return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, bar: bar.bottom,
          width: innerWidth, height: innerHeight}; }"""
    )
    assert fully_visible(where), where
    expect(page.locator('[data-field="fix-forward-permitted"]')).to_be_visible()
    assert repeated(page) == [], "stale"
    if viewport == "phone":
        shot_in_each_scheme(page, "stale-decision")
    problems.update(axe(page, "decision stale", size))
    assert not problems, json.dumps(problems, indent=1)[:6000]

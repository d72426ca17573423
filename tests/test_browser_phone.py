"""The phone in the worst ten minutes (issue 16): at 375×812 and 1366×900, light and dark, the
summary field and the Declare button are on the first screen of a cold visit; the sticky status
bar stays at most 64 px tall while scrolling through a mitigation, with the warnings that must
not be missed in it; axe-core finds no serious or critical violation after every step of a
failed-rollback incident. Screenshots of the phone's first screen, the bar while mitigating and
the escalation step are kept (test-artifacts/screenshots/phone-*.png)."""

from __future__ import annotations

import json
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
    form,
    log_message,
    mitigate,
    open_walkthrough,
    post_status,
    resolve,
    settle,
    start_mitigation,
    submit,
    take_command,
    widget,
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

BAR_MAX = 64  # px: issue 16.2, "at most one line (about 56 px) while scrolling"
SUMMARY = "Checkout returns HTTP 500 after release 2026.11.28-1"


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const b = e.getBoundingClientRect(); return {top: b.top, bottom: b.bottom,"
        " height: b.height}; }"
    )


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_declaration_is_on_the_first_screen_of_a_cold_visit(page: Page, viewport: str) -> None:
    """Issue 16.1: a new visitor can type the summary and press Declare without scrolling
    (they were at y = 962 and 1,128 on a phone); the page's explanation stays one tap away."""
    size = VIEWPORTS[viewport]
    page.set_viewport_size(size)
    open_walkthrough(page, ready=False)  # the first screen is what shows before the engine
    page.add_style_tag(content=STILL)
    for scheme in SCHEMES:
        set_scheme(page, scheme)
        page.evaluate(SETTLED)
        assert page.evaluate("() => window.scrollY") == 0
        summary = box(page, 'form[data-form="declare"] [name="summary"]')
        button = box(page, 'form[data-form="declare"] button[type="submit"]')
        header = box(page, ".md-header")
        shot(page, f"first-screen-{viewport}-{scheme}")
        for what, where in (("summary field", summary), ("Declare button", button)):
            assert where["top"] >= header["bottom"] and where["bottom"] <= size["height"], (
                f"{what} at {where} in a {size} viewport ({scheme})"
            )
    # What explains the page is there, folded: one tap opens it.
    about = page.locator("article details").first
    expect(about).to_be_visible()
    about.locator("summary").click()
    expect(about.locator("p").first).to_be_visible()


def _to_mitigation(page: Page) -> None:
    declare(page, SUMMARY)
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    decide(page, "roll_back")
    start_mitigation(page)
    expect(form(page, "mitigation_outcome")).to_be_visible()


def _bar_heights_while_scrolling(page: Page) -> list[float]:
    """The bar's height at every 200 px from the mitigation step's top to its bottom."""
    step = box(page, 'section[data-step="mitigate"]')
    start = page.evaluate("() => window.scrollY") + step["top"] - 200
    heights = []
    for y in range(int(max(start, 0)), int(start + step["height"] + 400), 200):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.evaluate(SETTLED)
        heights.append(box(page, "[data-summary-bar]")["height"])
    return heights


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_status_bar_stays_one_line_while_mitigating_and_keeps_its_warnings(
    page: Page, viewport: str
) -> None:
    """Issue 16.2: the sticky bar took 124-210 px of a phone; now at most 64 px while scrolling
    through a mitigation, light and dark. "Escalation required" (in the status) and "Not saved"
    stay visible in it; on a phone the rest is one tap away ("Details")."""
    page.set_viewport_size(VIEWPORTS[viewport])
    open_walkthrough(page)
    page.add_style_tag(content=STILL)
    _to_mitigation(page)
    phone = viewport == "phone"
    for scheme in SCHEMES:
        set_scheme(page, scheme)
        heights = _bar_heights_while_scrolling(page)
        shot(page, f"bar-mitigating-{viewport}-{scheme}")
        assert max(heights) <= BAR_MAX, (scheme, heights)
    status_bar = page.locator("[data-summary-bar]")
    expect(bar(page, "status")).to_be_visible()
    toggle = status_bar.locator("[data-bar-toggle]")
    if phone:
        expect(bar(page, "ic")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        for name in ("incident_id", "ic", "severity"):
            expect(bar(page, name)).to_be_visible()
        shot(page, f"bar-expanded-{viewport}")
        toggle.click()
        expect(bar(page, "ic")).to_be_hidden()
    else:
        expect(toggle).to_be_hidden()
        expect(bar(page, "ic")).to_be_visible()
    # The failed rollback: "escalation required" is in the bar, which stays one line.
    control(page, "mitigation_outcome", "outcome", "failed").check()
    control(page, "mitigation_outcome", "notes").fill("Migration 0042 dropped a column")
    submit(page, "mitigation_outcome")
    expect(bar(page, "status")).to_contain_text("escalation required")
    expect(bar(page, "status")).to_be_visible()
    assert max(_bar_heights_while_scrolling(page)) <= BAR_MAX
    # An overdue update is shown in the bar, one line still.
    page.evaluate("""() => { const due = document.querySelector("[data-summary-bar] [data-due]");
        due.hidden = false; due.classList.add("rb-urgent");
        due.textContent = "Update overdue: due 14:36 UTC (3 min ago)"; }""")
    expect(status_bar.locator("[data-due]")).to_be_visible()
    assert box(page, "[data-summary-bar]")["height"] <= BAR_MAX
    # Not saved: unmistakable, in the bar.
    page.evaluate(
        """() => document.querySelector("[data-runbook-widget]").runbookWidget
        .setSaveProblem({ kind: "full" })"""
    )
    expect(status_bar.locator("[data-save-message]")).to_be_visible()


@pytest.mark.usefixtures("axe_source")
def test_axe_finds_nothing_serious_after_every_step_of_a_failed_rollback(page: Page) -> None:
    """Issue 16: axe-core ran at the page's first state only; the focused primary button mid-
    incident failed contrast (#fff on #526cfe, 4.25:1). Now after every step of a failed-
    rollback incident, light and dark, phone and desktop: no serious or critical violation,
    with the focus where the page put it (the focused button is checked as it shows)."""
    problems: dict[str, list] = {}
    open_walkthrough(page)

    def check(where: str) -> None:
        settle(page)
        problems.update(check_everywhere(page, where))
        page.set_viewport_size(VIEWPORTS["phone"])
        set_scheme(page, "light")

    page.set_viewport_size(VIEWPORTS["phone"])
    check("cold")
    declare(page, SUMMARY)
    check("declared")
    log_message(page, "declaration")
    check("declaration logged")
    take_command(page, "Sam Okafor")
    check("in command")
    for question, value in (("scope", "all"), ("data_loss", "yes"), ("degradation", "critical")):
        answer(page, **{question: value})
        check(f"answered {question}")
    decide(page, "roll_back")
    check("decided")
    start_mitigation(page)
    check("rollback started")
    control(page, "mitigation_outcome", "outcome", "failed").check()
    control(page, "mitigation_outcome", "notes").fill("Migration 0042 dropped a column")
    submit(page, "mitigation_outcome")
    settle(page)
    expect(bar(page, "status")).to_contain_text("escalation required")
    page.evaluate(SETTLED)
    shot(page, "escalation-step")
    check("rollback failed")
    escalate(page, "Restoring the orders table from the 14:00 snapshot")
    check("escalated")
    control(page, "acknowledge_escalation", "by").fill("Alex Rivera")
    submit(page, "acknowledge_escalation")
    check("escalation acknowledged")
    post_status(page, "Rollback failed. Escalated; restoring the orders table from backup.")
    check("status update")
    mitigate(page, "succeeded", "Column restored from the snapshot")
    check("rolled back")
    resolve(page, "37 orders corrected by hand.", "yes")
    check("resolved")
    assert not problems, json.dumps(problems, indent=1)[:6000]


def test_the_keyboard_hint_is_written_once_and_describes_every_question(page: Page) -> None:
    """Issue 16.7: "Arrow keys move; Enter or Space records." was under every question; now
    once, and each question group is still described by it (screen readers read it with each)."""
    open_walkthrough(page, ready=False)
    hint = "Arrow keys move; Enter or Space records."
    root = widget(page)
    assert root.inner_html().count(hint) == 1
    hint_id = root.locator(f'p.rb-hint:text-is("{hint}")').get_attribute("id")
    groups = root.locator("fieldset[data-question]")
    assert groups.count() == 5
    for i in range(groups.count()):
        assert hint_id in (groups.nth(i).get_attribute("aria-describedby") or "").split()


def test_start_a_new_incident_clears_the_old_one_at_once_and_focuses_the_summary(
    page: Page,
) -> None:
    """Issue 16.7: "Start a new incident" showed the old incident's IC and due time for about
    3 s and did not focus the summary."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    take_command(page, "Sam Okafor")
    expect(page.locator("[data-summary-bar] [data-due]")).to_be_visible()
    # The old incident's IC must go before the engine answers: hold its answer back.
    page.evaluate(
        """() => { const w = document.querySelector("[data-runbook-widget]").runbookWidget;
        const call = w.engine.call.bind(w.engine);
        w.engine.call = (...args) =>
          new Promise((r) => setTimeout(() => r(call(...args)), 2000)); }"""
    )
    widget(page).locator('[data-command="new-incident"]').click()
    expect(bar(page, "ic")).to_have_text("—", timeout=500)
    expect(page.locator("[data-summary-bar] [data-due]")).to_be_hidden(timeout=500)
    expect(bar(page, "status")).to_have_text("Not declared", timeout=500)
    expect(control(page, "declare", "summary")).to_be_focused(timeout=10_000)
    expect(control(page, "declare", "summary")).to_have_value("")


def test_an_archived_incident_opened_by_its_address_says_it_is_archived(page: Page) -> None:
    """Issue 16.7: opened by its URL, an archived incident looked like any other."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    archived = widget(page).get_attribute("data-incident-id")
    note = widget(page).locator("[data-archived-note]")
    expect(note).to_be_hidden()
    widget(page).locator('[data-command="new-incident"]').click()
    expect(bar(page, "status")).to_have_text("Not declared")
    row = widget(page).locator(f'[data-incident="{archived}"]')
    row.locator('[data-command="archive-incident"]').click()
    expect(row).to_be_hidden()
    page.goto(page.url.split("#")[0] + "#" + archived)
    page.reload()
    expect(widget(page)).to_have_attribute("data-incident-id", archived, timeout=30_000)
    expect(note).to_be_visible()
    expect(note).to_contain_text("Archived")
    widget(page).locator("[data-show-archived]").check()
    widget(page).locator(
        f'[data-incident="{archived}"] [data-command="unarchive-incident"]'
    ).click()
    expect(note).to_be_hidden()

"""A whole incident with the keyboard only (issue 8): Tab, Shift+Tab, Enter, Space and the
arrow keys, typed text; no clicks, no fill. After each step focus is on the next thing to do
(never on the page's body); arrowing through an impact question's options records nothing
until Enter, Space or leaving the question; the summary is focused on a new incident; a skip
link reaches the walkthrough within three Tabs; every button has its own accessible name."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Locator, Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    bar,
    cli_ticket,
    control,
    form,
    incident_id,
    open_walkthrough,
    output,
    settle,
    stored_record,
    wait_ready,
    widget,
)
from tests.helpers import severity_label  # noqa: E402

pytestmark = pytest.mark.browser
# The impact classes the tests reach, as the active org names them.
SEV1_ALL = severity_label("SEV1: critical degradation for all users")


def radio(page: Page, question: str, value: str) -> Locator:
    return page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]')


def button(page: Page, name: str) -> Locator:
    return widget(page).get_by_role("button", name=name, exact=True)


def tab_to(page: Page, target: Locator, limit: int, key: str = "Tab") -> int:
    """Press Tab (or Shift+Tab) until `target` has focus, at most `limit` times: how many."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if target.evaluate("node => node === document.activeElement"):
            return presses
    active = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} × {key} did not reach {target}; focus is on {active}")


def focus_on(target: Locator) -> None:
    """The next thing to do has focus (so it is not the page's body)."""
    expect(target).to_be_focused()


def answers(page: Page) -> dict:
    return (stored_record(page) or {}).get("impact", {})


BUTTON = re.compile(r"\s*- ('?)button \"((?:[^\"\\]|\\.)*)\"")


def button_names(page: Page) -> list[str]:
    """The accessible name of every button shown in the widget (the accessibility tree)."""
    names = []
    for line in widget(page).aria_snapshot().splitlines():
        # YAML: `- button "Name"`, or `- 'button "Name: more"'` (quoted, with '' for ')
        match = BUTTON.match(line)
        if match:
            names.append(match[2].replace("''", "'") if match[1] else match[2])
    return names


def assert_unique_button_names(page: Page, at_least: int = 10) -> None:
    names = button_names(page)
    assert len(names) >= at_least, "; ".join(names)
    repeated = {name: n for name, n in Counter(names).items() if n > 1}
    assert not repeated, f"buttons sharing a name: {repeated}"


def test_keyboard_only_whole_incident(page: Page, tmp_path: Path) -> None:
    """Declare, log the declaration, take command (on-call unavailable), answer the impact
    questions with arrows and Enter/Space, decide, roll back, log an update, resolve, log the
    resolution, add a follow-up: keyboard only, focus moving to each next thing to do."""
    keys = page.keyboard
    open_walkthrough(page)
    focus_on(control(page, "declare", "summary"))  # a new incident: the summary, at once
    keys.type("Keyboard-only: checkout returns HTTP 500")
    tab_to(page, control(page, "declare", "by"), 1)
    keys.type("Kim")
    tab_to(page, form(page, "declare").locator('button[type="submit"]'), 1)
    keys.press("Enter")
    expect(widget(page)).to_have_attribute("data-declared", "true")
    inc = incident_id(page)

    # The declaration message to post: copy it, log it.
    focus_on(button(page, "Copy declaration message"))
    keys.press("Enter")
    expect(button(page, "Copied ✓ declaration message")).to_be_visible()
    tab_to(page, button(page, "Posted: log it (the declaration message)"), 1)
    keys.press("Enter")
    settle(page)

    # Take command, the on-call engineer being unavailable (a checkbox: Space).
    focus_on(control(page, "take_command", "oncall"))
    keys.type("Sam Okafor")
    tab_to(page, control(page, "take_command", "oncall_available"), 1)
    keys.press("Space")
    tab_to(page, control(page, "take_command", "first_responder"), 1)
    keys.type("Kim")
    tab_to(page, form(page, "take_command").locator('button[type="submit"]'), 1)
    keys.press("Enter")
    expect(bar(page, "ic")).to_have_text("Kim")

    # Impact: arrowing through the options records nothing; Enter records the one chosen.
    focus_on(radio(page, "scope", "all"))
    for key in ("ArrowDown", "ArrowDown", "ArrowUp", "ArrowUp"):
        keys.press(key)
    expect(radio(page, "scope", "all")).to_be_checked()
    settle(page)
    assert answers(page)["scope"] is None, "an option passed with the arrow keys was recorded"
    assert not [e for e in stored_record(page)["timeline"] if "scope" in e["event"].lower()]
    keys.press("Enter")
    settle(page)
    assert answers(page)["scope"] == "all"
    # Space confirms an option reached with the arrows; Space on an unchecked option records it.
    tab_to(page, radio(page, "data_loss", "yes"), 1)
    keys.press("ArrowDown")
    settle(page)
    assert answers(page)["data_loss"] is None
    keys.press("Space")
    settle(page)
    assert answers(page)["data_loss"] == "no"
    tab_to(page, radio(page, "degradation", "critical"), 1)
    keys.press("Space")
    settle(page)
    assert answers(page) == {"scope": "all", "data_loss": "no", "degradation": "critical"}
    expect(bar(page, "severity")).to_have_text(SEV1_ALL)

    # The impact step is done: the decision is next.
    focus_on(control(page, "decide", "action", "roll_back"))
    keys.press("Space")
    tab_to(page, form(page, "decide").locator('button[type="submit"]'), 1)
    keys.press("Enter")
    settle(page)
    assert stored_record(page)["decision"]["action"] == "roll_back"

    # Mitigate: start the rollback; the form goes, focus goes to its outcome.
    focus_on(form(page, "start_mitigation").locator('button[data-start="roll_back"]'))
    keys.press("Enter")
    focus_on(control(page, "mitigation_outcome", "outcome", "succeeded"))
    keys.press("Space")
    tab_to(page, control(page, "mitigation_outcome", "notes"), 1)
    keys.type("Rolled back to 2026.11.27-3")
    tab_to(page, form(page, "mitigation_outcome").locator('button[type="submit"]'), 1)
    keys.press("Enter")
    expect(bar(page, "status")).to_have_text("Mitigated, monitoring")

    # Communicate: write the update, copy it, log it.
    focus_on(control(page, "status_update", "text"))
    keys.type("Rolled back; checkout works again.")
    tab_to(page, button(page, "Copy status update"), 2)
    keys.press("Enter")
    tab_to(page, button(page, "Posted: log the update"), 1)
    keys.press("Enter")
    settle(page)
    assert [c["kind"] for c in stored_record(page)["communications"]][-1] == "status_update"
    assert_unique_button_names(page, at_least=20)  # (the timeline's buttons among them)

    # Resolve (a choice of radios outside the impact questions: the arrows choose).
    focus_on(control(page, "resolve", "details"))
    keys.type("Rollback restored checkout.")
    tab_to(page, control(page, "resolve", "data_lost", "yes"), 1)
    keys.press("ArrowDown")
    expect(control(page, "resolve", "data_lost", "no")).to_be_checked()
    tab_to(page, button(page, "Resolve the incident"), 1)
    keys.press("Enter")
    expect(bar(page, "status")).to_have_text("Resolved")
    focus_on(button(page, "Copy resolution message"))
    keys.press("Enter")
    tab_to(page, button(page, "Posted: log it (the resolution message)"), 1)
    keys.press("Enter")
    settle(page)

    # The ticket step: a follow-up. (Shift+Tab goes back, as anywhere.)
    focus_on(control(page, "add_follow_up", "text"))
    keys.type("Add a canary stage to checkout releases")
    tab_to(page, control(page, "add_follow_up", "owner"), 1)
    tab_to(page, control(page, "add_follow_up", "text"), 1, key="Shift+Tab")
    tab_to(page, control(page, "add_follow_up", "owner"), 1)
    keys.type("Riley Chen")
    tab_to(page, form(page, "add_follow_up").locator('button[type="submit"]'), 1)
    keys.press("Enter")
    settle(page)

    record = stored_record(page)
    assert record["summary"] == "Keyboard-only: checkout returns HTTP 500"
    assert (record["declared_by"], record["ic"], record["oncall"]) == ("Kim", "Kim", "Sam Okafor")
    assert record["mitigations"][0]["outcome"] == "succeeded"
    assert record["resolution"]["data_lost"] == "no"
    assert [c["kind"] for c in record["communications"]] == [
        "declaration",
        "status_update",
        "resolution",
    ]
    assert record["follow_ups"][0]["owner"] == "Riley Chen"
    state = tmp_path / "keyboard.json"
    state.write_text(json.dumps(record), "utf-8")
    assert cli_ticket(state) == output(page, "ticket").text_content()

    assert_unique_button_names(page)

    # Back later: the skip link (within 3 Tabs) goes to the next thing to do, the ID stays.
    page.reload()
    wait_ready(page)
    skip = page.get_by_role("link", name="Skip to the walkthrough")
    assert tab_to(page, skip, 3) <= 3
    keys.press("Enter")
    focus_on(control(page, "add_follow_up", "text"))
    assert page.url.endswith(f"#{inc}")
    expect(widget(page)).to_have_attribute("data-incident-id", inc)

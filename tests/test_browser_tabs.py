"""Tabs never lose work, and several incidents live side by side (issue 8): two tabs acting
at the same moment both land, drafts stay in their tab, two tabs hold two incidents, and the
incidents list opens, archives and deletes (asking first, naming the ID)."""

from __future__ import annotations

import json
import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import BrowserContext, Dialog, Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    WALKTHROUGH,
    Guard,
    bar,
    control,
    declare,
    export,
    form,
    incident_id,
    open_walkthrough,
    settle,
    stored_record,
    take_command,
    wait_ready,
    widget,
)

pytestmark = pytest.mark.browser

# The Web Lock the store saves an incident under (walkthrough/store.js: NS + "lock:" + ID),
# taken and held from the page until window.__release() is called.
HOLD_LOCK = """id => new Promise((held) => {
  const key = Object.keys(localStorage).find((k) => k.endsWith(`incident:${id}`));
  const name = key.slice(0, -`incident:${id}`.length) + `lock:${id}`;
  navigator.locks.request(name, () => new Promise((release) => {
    window.__release = release;
    held(name);
  }));
})"""
# How many saves wait for that lock, in every tab of this origin.
WAITING = (
    "name => navigator.locks.query().then((s) => s.pending.filter((l) => l.name === name).length)"
)


def revision(page: Page, inc: str) -> int:
    """The revision the store keeps for `inc` (every save is on top of the one before)."""
    key = f"incident:{inc}"
    text = page.evaluate(
        "key => localStorage.getItem(Object.keys(localStorage).find((k) => k.endsWith(key)))", key
    )
    return json.loads(text)["revision"]


def open_incident(page: Page, inc: str) -> None:
    page.goto(f"{WALKTHROUGH}#{inc}")
    wait_ready(page)
    expect(widget(page)).to_have_attribute("data-incident-id", inc)


def choose(page: Page, question: str, value: str) -> None:
    """Click an answer (the click alone: whether it is saved is for the test to see)."""
    page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').check()


def timeline(page: Page):
    return widget(page).locator("[data-timeline] .rb-event")


def incidents(page: Page):
    return widget(page).locator("[data-incident-list] li")


def test_two_tabs_acting_at_the_same_moment_both_land(context: BrowserContext, tmp_path) -> None:
    """Tab A answers data loss while tab B answers degradation, both on the same revision (the
    store's lock is held until both wait for it): both answers are in the saved and exported
    record, and both tabs show them. The same for two timeline entries. Drafts are per tab."""
    a = context.new_page()
    open_walkthrough(a)
    declare(a, "Checkout returns HTTP 500")
    take_command(a, "Sam Okafor")
    inc = incident_id(a)
    b = context.new_page()
    open_incident(b, inc)
    expect(bar(b, "ic")).to_have_text("Sam Okafor")
    before = revision(b, inc)

    def at_once(act_a, act_b) -> None:
        lock = b.evaluate(HOLD_LOCK, inc)
        act_a()
        act_b()
        b.wait_for_function(f"() => ({WAITING})({json.dumps(lock)}).then((n) => n === 2)")
        b.evaluate("window.__release()")
        for page in (a, b):
            settle(page)

    at_once(lambda: choose(a, "data_loss", "no"), lambda: choose(b, "degradation", "minor"))
    for page in (a, b):  # the tab that saved first shows the other's answer too
        expect(
            page.locator('fieldset[data-question="data_loss"] input[value="no"]')
        ).to_be_checked()
        expect(
            page.locator('fieldset[data-question="degradation"] input[value="minor"]')
        ).to_be_checked()
    impact = stored_record(a)["impact"]
    assert (impact["data_loss"], impact["degradation"]) == ("no", "minor"), impact

    def add_entry(page: Page, text: str):
        def act() -> None:
            control(page, "add_timeline", "event").fill(text)
            form(page, "add_timeline").locator('button[type="submit"]').click()

        return act

    at_once(add_entry(a, "Tab A: payments confirmed"), add_entry(b, "Tab B: error rate falling"))
    for page in (a, b):
        for text in ("Tab A: payments confirmed", "Tab B: error rate falling"):
            expect(timeline(page).filter(has_text=text)).to_have_count(1)
    record = json.loads(export(b))
    assert record == stored_record(a)
    events = [e["event"] for e in record["timeline"]]
    assert "Tab A: payments confirmed" in events and "Tab B: error rate falling" in events
    assert revision(a, inc) == before + 4  # four saves, each on top of the one before

    # Unsent text stays in its own tab, and survives that tab's reload.
    control(a, "status_update", "text").fill("Draft in tab A")
    control(b, "status_update", "text").fill("Draft in tab B")
    a.reload()
    wait_ready(a)
    expect(control(a, "status_update", "text")).to_have_value("Draft in tab A")
    expect(control(b, "status_update", "text")).to_have_value("Draft in tab B")


def test_two_incidents_side_by_side_and_the_list(context: BrowserContext, guard: Guard) -> None:
    """Two tabs hold two incidents (each ID in its URL) that never mix; the list in each tab
    shows both (ID, summary, status), opens one, archives one, and deletes one only when
    confirmed (the question names the ID)."""
    dialogs: list[str] = []
    replies = iter([False, True])

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept() if next(replies) else dialog.dismiss()

    guard.on_dialog = on_dialog
    a = context.new_page()
    open_walkthrough(a)
    declare(a, "Checkout returns HTTP 500")
    first = incident_id(a)
    b = context.new_page()
    open_walkthrough(b)  # opens the most recent incident: this tab starts another
    expect(widget(b)).to_have_attribute("data-incident-id", first)
    b.get_by_role("button", name="Start a new incident").click()
    expect(widget(b)).to_have_attribute("data-incident-id", "")
    expect(control(b, "declare", "summary")).to_be_focused()
    declare(b, "Search is slow")
    second = incident_id(b)
    assert second != first
    assert a.url.endswith(f"#{first}") and b.url.endswith(f"#{second}")

    take_command(a, "Sam Okafor")
    take_command(b, "Riley Chen")
    expect(bar(a, "ic")).to_have_text("Sam Okafor")
    expect(bar(b, "ic")).to_have_text("Riley Chen")
    assert stored_record(a, first)["ic"] == "Sam Okafor"
    assert stored_record(a, second)["ic"] == "Riley Chen"
    assert stored_record(a, first)["summary"] == "Checkout returns HTTP 500"

    for page in (a, b):
        expect(incidents(page)).to_have_count(2)
        for inc, summary in ((first, "Checkout returns HTTP 500"), (second, "Search is slow")):
            item = incidents(page).filter(has_text=inc)
            expect(item).to_contain_text(summary)
            expect(item).to_contain_text("last change")
    for page in (a, b):
        expect(incidents(a).filter(has_text=incident_id(page))).to_contain_text(
            bar(page, "status").text_content() or "no status shown"
        )

    # A reload keeps each tab on its own incident.
    b.reload()
    wait_ready(b)
    expect(widget(b)).to_have_attribute("data-incident-id", second)

    # Open the other incident from the list, then come back.
    a.get_by_role("button", name=f"Open {second}").click()
    expect(widget(a)).to_have_attribute("data-incident-id", second)
    expect(bar(a, "ic")).to_have_text("Riley Chen")
    assert a.url.endswith(f"#{second}")
    assert a.evaluate("document.activeElement !== document.body")
    a.get_by_role("button", name=f"Open {first}").click()
    expect(bar(a, "ic")).to_have_text("Sam Okafor")

    # Archive the first from tab B: hidden from B's list unless archived ones are shown.
    b.get_by_role("button", name=f"Archive {first}").click()
    expect(incidents(b)).to_have_count(1)
    assert b.evaluate("document.activeElement !== document.body")
    b.get_by_label("Show archived").check()
    expect(incidents(b).filter(has_text=first)).to_contain_text("(archived)")
    b.get_by_role("button", name=f"Unarchive {first}").click()
    expect(incidents(b).filter(has_text=first)).not_to_contain_text("(archived)")

    # Delete the second from tab A: asked, naming it; "Cancel" keeps it, "OK" deletes it, and
    # tab B, which had it open, says so and shows a new incident.
    a.get_by_role("button", name=f"Delete {second}").click()
    expect(incidents(a)).to_have_count(2)
    a.get_by_role("button", name=f"Delete {second}").click()
    expect(incidents(a)).to_have_count(1)
    assert len(dialogs) == 2 and all(second in d for d in dialogs), dialogs
    assert stored_record(a, second) is None
    expect(widget(b).locator("[data-notice]")).to_contain_text(
        f"{second} was deleted in another tab"
    )
    expect(widget(b)).to_have_attribute("data-incident-id", "")
    expect(incidents(b)).to_have_count(1)
    assert stored_record(a, first)["ic"] == "Sam Okafor"

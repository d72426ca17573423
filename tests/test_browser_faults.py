"""Faults lose nothing (issue 8): storage that is full or blocked, an import of an older export
over newer work, an import of another incident, and a worker that dies mid-action."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Dialog, Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    READY_TIMEOUT,
    Guard,
    bar,
    cli_ticket,
    control,
    copy,
    decide,
    declare,
    error_for,
    export,
    form,
    import_file,
    incident_id,
    mitigate,
    open_walkthrough,
    output,
    post_status,
    resolve,
    settle,
    step,
    stored_record,
    submit,
    take_command,
    wait_ready,
    widget,
)
from tests.helpers import EXAMPLES, severity_label  # noqa: E402

pytestmark = pytest.mark.browser
# The impact class the tests reach, as the active org names it.
SEV2_SUBSET = severity_label("SEV2: critical degradation for a subset of users")

# localStorage.setItem throws QuotaExceededError while window.__storageFull is true.
STORAGE_FULL = """(() => {
  const setItem = Storage.prototype.setItem;
  window.__storageFull = false;
  Storage.prototype.setItem = function (key, value) {
    if (window.__storageFull && this === window.localStorage) {
      throw new DOMException(`Setting the value of '${key}' exceeded the quota.`,
        "QuotaExceededError");
    }
    return setItem.call(this, key, value);
  };
})();"""
# No Web Storage at all: reading localStorage or sessionStorage throws, as when the browser
# blocks site data (an Error named SecurityError, so that its stack shows who read it).
STORAGE_BLOCKED = """for (const name of ["localStorage", "sessionStorage"]) {
  Object.defineProperty(window, name, { configurable: true, get() {
    const error = new Error("The operation is insecure.");
    error.name = "SecurityError";
    throw error;
  } });
}"""


def save_state(page: Page):
    return widget(page)


def save_message(page: Page):
    return widget(page).locator("[data-save-message]")


def choose(page: Page, question: str, value: str) -> None:
    page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').check()
    settle(page)


def add_entry(page: Page, text: str) -> None:
    control(page, "add_timeline", "event").fill(text)
    submit(page, "add_timeline")
    expect(timeline(page).filter(has_text=text)).to_have_count(1)


def timeline(page: Page):
    return widget(page).locator("[data-timeline] .rb-event")


def test_storage_full_says_not_saved_keeps_everything_then_recovers(page: Page) -> None:
    """setItem throws QuotaExceededError: the page says "not saved" (persistently, not a
    toast), keeps every action on screen and applies the next one to it, Export exports what is
    on screen; once storage works again it saves by itself and nothing is lost."""
    page.add_init_script(STORAGE_FULL)
    open_walkthrough(page)
    declare(page, "Checkout returns HTTP 500")
    take_command(page, "Sam Okafor")
    saved = stored_record(page)
    expect(save_state(page)).to_have_attribute("data-save-state", "saved")
    expect(save_message(page)).to_be_hidden()

    page.evaluate("window.__storageFull = true")
    choose(page, "scope", "all")
    expect(save_state(page)).to_have_attribute("data-save-state", "unsaved")
    expect(save_message(page)).to_be_visible()
    expect(save_message(page)).to_contain_text("Not saved")
    expect(save_message(page)).to_contain_text("full")
    expect(page.locator('fieldset[data-question="scope"] input[value="all"]')).to_be_checked()
    add_entry(page, "Unsaved: payments confirmed no failed charges")  # applied to the screen's
    choose(page, "data_loss", "no")
    expect(page.locator('fieldset[data-question="data_loss"] input[value="no"]')).to_be_checked()
    expect(save_message(page)).to_be_visible()  # still there, after more actions
    expect(output(page, "ticket")).to_contain_text("Unsaved: payments confirmed")
    assert stored_record(page) == saved  # storage has none of it

    on_screen = json.loads(export(page))
    assert on_screen["impact"]["scope"] == "all" and on_screen["impact"]["data_loss"] == "no"
    assert "Unsaved: payments confirmed no failed charges" in [
        e["event"] for e in on_screen["timeline"]
    ]

    page.evaluate("window.__storageFull = false")
    expect(save_state(page)).to_have_attribute("data-save-state", "saved", timeout=10_000)
    expect(save_message(page)).to_be_hidden()
    assert stored_record(page) == on_screen
    choose(page, "degradation", "critical")  # and saving goes on as before
    record = stored_record(page)
    assert record["impact"] == {**on_screen["impact"], "degradation": "critical"}


def test_storage_blocked_says_so_and_a_whole_incident_works(
    page: Page, guard: Guard, tmp_path: Path
) -> None:
    """No Web Storage at all: a clear message from the start, and a whole incident still works
    for the session, through a visit to another page and back; Export and Copy give the same
    ticket as the CLI. No uncaught errors (Material's included)."""
    page.add_init_script(STORAGE_BLOCKED)
    open_walkthrough(page)
    expect(save_state(page)).to_have_attribute("data-save-state", "unsaved")
    expect(save_message(page)).to_contain_text("does not let this site store anything")
    expect(widget(page).locator("[data-incidents-unavailable]")).to_be_visible()
    expect(widget(page).locator("[data-incidents-empty]")).to_be_hidden()

    declare(page, "Search is slow after release 7")
    inc = incident_id(page)
    take_command(page, "Sam Okafor")
    for question, value in {
        "scope": "subset",
        "data_loss": "no",
        "degradation": "critical",
    }.items():
        choose(page, question, value)
    expect(bar(page, "severity")).to_have_text(SEV2_SUBSET)
    decide(page, "roll_back")

    # Off to the Rollback runbook and back (instant navigation): the incident is still here.
    step(page, "mitigate").get_by_role("link", name="Rollback runbook").first.click()
    expect(page).to_have_url(re.compile(r"/ROLLBACK/"))
    page.locator(".md-sidebar--primary").get_by_role("link", name="Walkthrough", exact=True).click()
    wait_ready(page)
    expect(widget(page)).to_have_attribute("data-incident-id", inc)
    expect(bar(page, "ic")).to_have_text("Sam Okafor")
    expect(save_message(page)).to_contain_text("does not let this site store anything")

    mitigate(page, "succeeded", "Rolled back to release 6")
    post_status(page, "Rolled back; search is fast again.")
    resolve(page, "Rolled back to release 6.", "no")
    expect(bar(page, "status")).to_have_text("Resolved")
    shown = output(page, "ticket").text_content()
    assert copy(page, "ticket") == shown
    state = tmp_path / "exported.json"
    state.write_text(export(page), "utf-8")
    assert cli_ticket(state) == shown


def test_import_asks_before_replacing_newer_work_and_never_touches_another_incident(
    page: Page, guard: Guard, tmp_path: Path
) -> None:
    """An older export of the open incident: asked first, naming what would be lost; Cancel
    keeps the newer work, OK replaces it. Another incident's file is added beside the open one,
    without asking and without changing it."""
    dialogs: list[str] = []
    replies: list[bool] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept() if replies.pop(0) else dialog.dismiss()

    guard.on_dialog = on_dialog
    open_walkthrough(page)
    declare(page, "Reports show yesterday's numbers")
    take_command(page, "Sam Okafor")
    inc = incident_id(page)
    older = export(page)
    for text in ("Cache flushed", "Reports team informed", "Nightly job re-run"):
        add_entry(page, text)
    newer = stored_record(page)

    replies.append(False)
    import_file(page, tmp_path, "older.json", older)
    expect(widget(page).locator("[data-live]")).to_contain_text("Import cancelled")
    question = dialogs[0]
    for words in (inc, "newer", "older.json", "3 timeline entries", "Nightly job re-run"):
        assert words in question, (words, question)
    assert stored_record(page) == newer
    expect(timeline(page).filter(has_text="Nightly job re-run")).to_have_count(1)

    replies.append(True)
    import_file(page, tmp_path, "older.json", older)
    expect(timeline(page).filter(has_text="Nightly job re-run")).to_have_count(0)
    assert len(dialogs) == 2
    assert stored_record(page) == json.loads(older)
    replaced = stored_record(page)

    other = json.loads((EXAMPLES / "fix-forward.json").read_text("utf-8"))
    import_file(page, tmp_path, "fix-forward.json", json.dumps(other))
    incidents = widget(page).locator("[data-incident-list] li")
    expect(incidents).to_have_count(2)
    expect(incidents.filter(has_text=other["incident_id"])).to_contain_text(other["summary"])
    assert len(dialogs) == 2  # nothing of the open incident to replace: not asked
    assert stored_record(page, inc) == replaced
    assert stored_record(page, other["incident_id"]) == other


def test_import_into_full_storage_says_why_and_changes_nothing(
    page: Page, guard: Guard, tmp_path: Path
) -> None:
    """An import that storage cannot take is refused with the page's own words for a full
    storage (it once named a deleted constant: a ReferenceError, no message at all), and the
    open incident is kept."""
    page.add_init_script(STORAGE_FULL)
    open_walkthrough(page)
    declare(page, "Search returns nothing")
    inc = incident_id(page)
    kept = stored_record(page)
    page.evaluate("window.__storageFull = true")
    other = json.loads((EXAMPLES / "fix-forward.json").read_text("utf-8"))
    import_file(page, tmp_path, "fix-forward.json", json.dumps(other))
    error = error_for(step(page, "ticket"), "record")
    expect(error).to_be_visible()
    expect(error).to_contain_text("fix-forward.json was not imported")
    words = widget(page).locator('[data-import-problems] [data-kind="full"]').text_content()
    assert words, "the markup has no words for an import into full storage"
    expect(error).to_have_text(words.replace("{file}", "fix-forward.json").strip())
    assert stored_record(page, other["incident_id"]) is None
    assert stored_record(page, inc) == kept and incident_id(page) == inc


def test_a_killed_worker_is_restarted_and_the_pending_action_lands(page: Page) -> None:
    """The engine's worker dies (terminated from the page): the next action is not lost; the
    call timeout notices, the worker is restarted once, the action lands, and the IC is told."""
    open_walkthrough(page)
    declare(page, "Uploads time out")
    page.evaluate("window.__runbookEngine.worker.terminate()")
    control(page, "take_command", "oncall").fill("Sam Okafor")
    # (not take_command(): its settle() would give up before the restart)
    form(page, "take_command").locator('button[type="submit"]').click()
    notice = widget(page).locator("[data-notice]")
    expect(notice).to_contain_text("restarted", timeout=READY_TIMEOUT)
    expect(bar(page, "ic")).to_have_text("Sam Okafor", timeout=READY_TIMEOUT)
    wait_ready(page)
    assert page.evaluate("window.__runbookEngine.restarts") == 1
    assert stored_record(page)["ic"] == "Sam Okafor"
    control(page, "add_timeline", "event").fill("After the restart")
    submit(page, "add_timeline")
    assert stored_record(page)["timeline"][-1]["event"] == "After the restart"

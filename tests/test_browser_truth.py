"""Nothing lost, nothing claimed that did not happen (issue 14, the page): what the IC copies is
what the record logs, a failed import says so, a slow page keeps its engine, and storage
cleared under the page loses nothing."""

from __future__ import annotations

import json
import re
import sys
import time

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from runbook_core import Record, apply, record_from_json  # noqa: E402
from tests.browser_support import (  # noqa: E402
    READY_TIMEOUT,
    answer,
    control,
    copy,
    decide,
    declare,
    export,
    form,
    import_file,
    incident_id,
    incident_key,
    mitigate,
    open_walkthrough,
    output,
    settle,
    step,
    stored_record,
    submit,
    take_command,
    wait_ready,
    widget,
)
from tests.helpers import EXAMPLES  # noqa: E402
from tests.test_browser_faults import STORAGE_FULL  # noqa: E402

pytestmark = pytest.mark.browser

SLOW = 180_000  # ms: one answer on a 3,000-entry incident with the CPU slowed 6x


def org_words(page: Page) -> dict:
    """The organisation's words as the page's engine read them (the active org file)."""
    return page.evaluate("window.__runbookEngine.info.org")


def notice(page: Page):
    return widget(page).locator("[data-notice]")


def last_message(page: Page, kind: str) -> str:
    record = stored_record(page)
    assert record is not None, "the incident is not stored"
    return [c for c in record["communications"] if c["kind"] == kind][-1]["message"]


def copy_and_log(page: Page, kind: str) -> str:
    """Copy the message of `kind` and press its "Posted: log it"; the clipboard's text."""
    copied = copy(page, f"{kind}-message")
    box = widget(page).locator(f'[data-output-box="{kind}-message"]')
    box.locator('form[data-form="log_message"] button[type="submit"]').click()
    settle(page)
    expect(box.locator(f'[data-posted="{kind}"]')).to_be_visible()
    return copied


def failed_rollback(page: Page, notes: str = "The old build crashes on start.") -> None:
    declare(page, "Checkout returns 500 for every customer")
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="no", degradation="critical")
    decide(page, "roll_back")
    mitigate(page, "failed", notes)
    expect(widget(page).locator("[data-major]")).to_be_visible()


# ----------------------------------------------------------------- what is copied is recorded


def test_every_message_copied_is_byte_for_byte_the_one_recorded(page: Page) -> None:
    """For each kind: type into its fields, see the message follow, copy it, record it: the
    Communications entry is the clipboard's text. A second escalation asks first."""
    open_walkthrough(page)
    org = org_words(page)
    failed_rollback(page)
    assert copy_and_log(page, "declaration") == last_message(page, "declaration")

    control(page, "change_ic", "to").fill("Dana Reyes")
    control(page, "change_ic", "reason").fill("Sam hands over\nfor the night shift")
    submit(page, "change_ic")
    assert copy_and_log(page, "handover") == last_message(page, "handover")

    status = output(page, "status_update-message")
    control(page, "status_update", "text").fill("Restoring from backup; ETA 30 min.")
    expect(status).to_contain_text("Restoring from backup; ETA 30 min.")
    copied = copy(page, "status_update-message")
    submit(page, "status_update")
    assert copied == last_message(page, "status_update")

    # The escalation: "Escalated to" and "What is being done now" both change the message.
    message = output(page, "escalation-message")
    expect(message).to_contain_text(re.compile(re.escape(org["escalation_contact"]), re.I))
    control(page, "escalate", "doing").fill("Restoring the database from last night's backup")
    expect(message).to_contain_text("Restoring the database from last night's backup")
    control(page, "escalate", "to").fill("Dana Reyes, database lead")
    # The message now names who was typed, in place of the org's contact.
    expect(message).to_contain_text("Dana Reyes, database lead")
    expect(message).not_to_contain_text(re.compile(re.escape(org["escalation_contact"]), re.I))
    copied = copy(page, "escalation-message")
    assert copied == message.text_content()
    submit(page, "escalate")
    assert copied == last_message(page, "escalation"), (
        stored_record(page)["escalations"],
        widget(page).get_attribute("data-last-error"),
    )
    assert "Restoring the database from last night's backup" in copied
    escalations = len(stored_record(page)["escalations"])

    # A second tap: nothing recorded, a question in the form; confirmed, it is recorded.
    confirm = form(page, "escalate").locator('[data-confirm="again"]')
    expect(confirm).to_be_hidden()
    submit(page, "escalate")
    expect(confirm).to_be_visible()
    expect(confirm.locator('[data-error-for="again"]')).to_contain_text("already recorded")
    assert len(stored_record(page)["escalations"]) == escalations
    control(page, "escalate", "again").check()
    expect(message).not_to_contain_text("database lead")  # the fields were emptied once sent
    copied = copy(page, "escalation-message")
    submit(page, "escalate")
    assert len(stored_record(page)["escalations"]) == escalations + 1
    assert copied == last_message(page, "escalation")
    expect(confirm).to_be_hidden()

    control(page, "resolve", "details").fill("Restored from backup; checkout works.")
    control(page, "resolve", "data_lost", "no").check()
    control(page, "resolve", "without_mitigation").fill("Restored from backup, not by rollback.")
    submit(page, "resolve")
    expect(output(page, "resolution-message")).to_be_visible()
    assert copy_and_log(page, "resolution") == last_message(page, "resolution")


def test_a_message_edited_after_copying_is_not_recorded_as_copied(page: Page) -> None:
    """Copy, then change what goes into it: recording refuses (copy it again); nothing changes."""
    open_walkthrough(page)
    declare(page, "Search is slow")
    control(page, "status_update", "text").fill("Looking into it.")
    expect(output(page, "status_update-message")).to_contain_text("Looking into it.")
    copy(page, "status_update-message")
    control(page, "status_update", "text").fill("Looking into it. Found the query.")
    before = stored_record(page)
    submit(page, "status_update")
    expect(form(page, "status_update").locator("[data-error-general]")).to_contain_text(
        "copy it again"
    )
    assert stored_record(page) == before
    copied = copy(page, "status_update-message")
    submit(page, "status_update")
    assert copied == last_message(page, "status_update")


# ------------------------------------------------------------------------------ failed saves


def test_an_import_while_storage_throws_says_so_and_loses_nothing(page: Page, tmp_path) -> None:
    """A valid file, storage full: a clear message (from the markup) naming the file and what
    to do; the incident on screen and in storage unchanged; once there is room, it imports."""
    page.add_init_script(STORAGE_FULL)
    open_walkthrough(page)
    declare(page, "Payments time out")
    mine = stored_record(page)
    example = (EXAMPLES / "rollback-succeeded.json").read_text("utf-8")
    other = json.loads(example)["incident_id"]
    page.evaluate("window.__storageFull = true")
    import_file(page, tmp_path, "handover.json", example)
    error = step(page, "ticket").locator('[data-error-for="record"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("handover.json was not imported; nothing changed")
    expect(error).to_contain_text("storage for this site is full")
    words = widget(page).locator('[data-import-problems] [data-kind="full"]').text_content()
    assert words.split("full. ")[-1].strip() in error.text_content()
    assert incident_id(page) == mine["incident_id"] and stored_record(page) == mine
    assert stored_record(page, other) is None
    page.evaluate("window.__storageFull = false")
    import_file(page, tmp_path, "handover.json", example)
    expect(widget(page)).to_have_attribute("data-incident-id", other)
    assert stored_record(page, other) == json.loads(example)
    assert stored_record(page, mine["incident_id"]) == mine


def test_a_long_failed_rollback_escalated_reloads_and_exports(page: Page, tmp_path) -> None:
    """The field's maximum (20,000 characters) in the failed rollback's notes, then the
    escalation the runbook demands: recorded, and after a reload the record opens and exports
    whole. (Needs the core's limits, issue 14 finding 1.)"""
    open_walkthrough(page)
    notes = ("The rollback job died: " + "disk full on db-2; " * 1200)[:20_000]
    assert len(notes) == 20_000
    failed_rollback(page, notes)
    control(page, "escalate", "doing").fill("Restoring from backup")
    submit(page, "escalate")
    escalated = stored_record(page)
    assert escalated is not None and len(escalated["escalations"]) == 1, widget(page).get_attribute(
        "data-last-error"
    )
    page.reload()
    wait_ready(page)
    expect(notice(page)).to_be_hidden()
    assert incident_id(page) == escalated["incident_id"]
    exported = json.loads(export(page))
    assert exported == escalated
    assert record_from_json(json.dumps(exported)).mitigations[-1].notes == notes


# ------------------------------------------------------------------------- a slow page


def big_incident(entries: int) -> Record:
    """Declared and in command, with `entries` notes in its timeline."""
    now = "2026-11-28T09:00:00Z"
    record = apply(Record(), {"type": "declare", "summary": "Large incident"}, now)
    record = apply(record, {"type": "take_command", "oncall": "Sam Okafor"}, now)
    data = json.loads(record.to_json())
    data["timeline"] += [
        {
            "at": f"2026-11-28T{8 - i // 3600 % 8:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
            "event": f"Note {i}: checked the dashboards",
            "who": "Sam Okafor",
            "kind": "note",
        }
        for i in range(entries)
    ]
    return record_from_json(json.dumps(data))


def test_a_slow_page_with_3000_entries_keeps_a_healthy_engine(page: Page) -> None:
    """CPU slowed 6x, a 3,000-entry incident: every answer is recorded and the engine is never
    restarted."""
    record = big_incident(3000)
    open_walkthrough(page)
    key = incident_key(page, record.incident_id)
    entry = {"revision": 1, "record": json.loads(record.to_json()), "meta": {}}
    page.evaluate("([key, text]) => localStorage.setItem(key, text)", [key, json.dumps(entry)])
    page.goto(page.url.split("#")[0] + "#" + record.incident_id)
    page.reload()
    wait_ready(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
    try:
        answers = {"scope": "all", "data_loss": "no", "degradation": "critical"}
        for question, value in answers.items():
            # click(), not check(): a redraw queued before the click may show the previous
            # answer for a moment; what counts is what is recorded.
            # The click itself is not what is measured: at 6x a 3,000-entry redraw holds the
            # page's thread for seconds (issue 18), so the click waits as long as an answer may.
            page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').click(
                timeout=SLOW, no_wait_after=True
            )
            deadline = time.monotonic() + SLOW / 1000
            while stored_record(page, record.incident_id)["impact"].get(question) != value:
                assert time.monotonic() < deadline, f"{question}={value} was not recorded"
                assert page.evaluate("window.__runbookEngine.restarts") == 0
                time.sleep(0.5)
        stored = stored_record(page, record.incident_id)
        assert {q: stored["impact"][q] for q in answers} == answers
        assert len(stored["timeline"]) >= 3003
    finally:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    assert page.evaluate("window.__runbookEngine.restarts") == 0
    assert page.evaluate("window.__runbookEngine.state") == "ready"
    expect(notice(page)).not_to_contain_text("restarted")


# ------------------------------------------------------------------ storage that vanishes


def test_clear_site_data_mid_incident_writes_the_incident_back(page: Page) -> None:
    """The browser's "clear site data" mid-incident: the record on screen is written back, the
    notice says storage was cleared (not that a tab deleted it), and the next answer lands."""
    open_walkthrough(page)
    declare(page, "Login fails for some users")
    take_command(page, "Sam Okafor")
    before = stored_record(page)
    origin = page.evaluate("location.origin")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    expect(notice(page)).to_contain_text("was cleared", timeout=READY_TIMEOUT)
    expect(notice(page)).not_to_contain_text("deleted in another tab")
    expect(widget(page)).to_have_attribute("data-save-state", "saved")
    assert stored_record(page) == before
    answer(page, scope="subset")
    assert stored_record(page)["impact"]["scope"] == "subset"
    assert stored_record(page)["timeline"][: len(before["timeline"])] == before["timeline"]


def test_another_tab_clearing_local_storage_loses_nothing(page: Page) -> None:
    """Another tab's localStorage.clear(): this tab writes its incident back and says why; a
    reload finds it."""
    open_walkthrough(page)
    declare(page, "Uploads stall")
    take_command(page, "Sam Okafor")
    before = stored_record(page)
    other = page.context.new_page()
    other.goto(page.url.split("#")[0])
    other.evaluate("localStorage.clear()")
    expect(notice(page)).to_contain_text("was cleared", timeout=READY_TIMEOUT)
    expect(notice(page)).not_to_contain_text("deleted in another tab")
    assert stored_record(page) == before
    other.close()
    answer(page, scope="all")
    page.reload()
    wait_ready(page)
    assert stored_record(page)["impact"]["scope"] == "all"
    assert stored_record(page)["incident_id"] == before["incident_id"]


def test_storage_cleared_and_full_tells_the_ic_this_browser_lost_it(page: Page) -> None:
    """Cleared, and it cannot be written back: never "saved"; the IC is told this browser lost
    its copy and to export; everything stays on screen and lands once storage works again."""
    page.add_init_script(STORAGE_FULL)
    open_walkthrough(page)
    declare(page, "Emails are delayed")
    before = stored_record(page)
    page.evaluate("window.__storageFull = true")
    page.evaluate("localStorage.clear()")  # as another tab would (no event in this one)
    expect(widget(page)).to_have_attribute("data-save-state", "unsaved", timeout=READY_TIMEOUT)
    expect(notice(page)).to_contain_text("lost its copy")
    expect(notice(page)).to_contain_text("Export JSON")
    exported = json.loads(export(page))
    assert exported == before
    page.evaluate("window.__storageFull = false")
    expect(widget(page)).to_have_attribute("data-save-state", "saved", timeout=READY_TIMEOUT)
    assert stored_record(page) == before

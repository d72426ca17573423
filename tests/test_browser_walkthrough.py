"""The walkthrough in headless Chromium, one full incident per branch of the runbook.

Each test ends with the copied ticket compared to what `runbook ticket --state` prints for the
exported record: the browser and the CLI never disagree. The organisation's words (channel,
escalation contact) are read from the active org config, never typed here.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from runbook_core import load_org  # noqa: E402
from runbook_core.table import load_table  # noqa: E402
from tests.browser_support import (  # noqa: E402
    add_follow_up,
    answer,
    assert_browser_and_cli_agree,
    bar,
    control,
    copy,
    decide,
    declare,
    error_for,
    form,
    incident_id,
    log_message,
    mitigate,
    open_walkthrough,
    output,
    post_status,
    resolve,
    settle,
    start_mitigation,
    step,
    stored_record,
    submit,
    take_command,
    wait_ready,
    widget,
)
from tests.helpers import severity_label  # noqa: E402

pytestmark = pytest.mark.browser
# The impact classes the tests reach, as the active org names them.
SEV1_ALL = severity_label("SEV1: critical degradation for all users")
UNDETERMINED = severity_label("Undetermined: treated as SEV1 until known")

SUMMARY = "Checkout returns HTTP 500 after release 2026.11.28-1"
ORG = load_org()


def recommendation(page: Page):
    return page.locator('[data-field="recommendation"]')


def permitted(page: Page):
    return page.locator('[data-field="fix-forward-permitted"]')


def reasons(page: Page):
    return page.locator("[data-reasons] li")


def fix_forward_questions(page: Page):
    return page.locator("[data-ask-fix-forward]")


def test_rollback_succeeded_with_every_message_logged(page: Page, tmp_path) -> None:
    """Declare, command, critical impact, roll back, success, updates, resolve: every message
    the IC logged is in the ticket's Communications, each with the incident ID."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    inc = incident_id(page)
    assert inc.startswith("INC-") and page.url.endswith(f"#{inc}")
    declaration = output(page, "declaration-message")
    expect(declaration).to_contain_text(f"🚨 INCIDENT DECLARED: {SUMMARY} 🚨")
    expect(declaration).to_contain_text(inc)
    log_message(page, "declaration")
    take_command(page, "Sam Okafor")
    expect(widget(page).locator('[data-output-box="handover-message"]')).to_be_hidden()
    answer(page, scope="all", data_loss="no", degradation="critical")
    expect(bar(page, "severity")).to_have_text(SEV1_ALL)
    expect(recommendation(page)).to_have_text("Roll back")
    expect(permitted(page)).to_contain_text("not permitted")
    expect(fix_forward_questions(page)).to_be_hidden()  # asked only where they matter
    decide(page, "roll_back")
    expect(page.locator("[data-decision-info]")).to_contain_text("Roll back")
    mitigate(page, "succeeded", "Rolled back to 2026.11.27-3")
    expect(step(page, "mitigate")).to_have_attribute("data-done", "true")
    expect(bar(page, "status")).to_have_text("Mitigated, monitoring")

    post_status(page, "Rolled back; checkout error rate is back to normal.")
    status = output(page, "status_update-message")
    expect(status).to_contain_text("Status: Mitigated, monitoring")
    expect(status).to_contain_text(inc)
    expect(page.locator("[data-due]").first).to_contain_text("Next update due")

    control(page, "add_timeline", "event").fill("Payments team confirmed no failed charges")
    control(page, "add_timeline", "who").fill("Lee")
    submit(page, "add_timeline")
    expect(
        page.locator("[data-timeline] li").filter(
            has_text="Payments team confirmed no failed charges"
        )
    ).to_have_count(1)

    resolve(page, "Rollback restored checkout; the faulty release is reverted.", "no")
    expect(output(page, "resolution-message")).to_contain_text("INCIDENT RESOLVED")
    expect(output(page, "resolution-message")).to_contain_text(inc)
    log_message(page, "resolution")
    expect(bar(page, "status")).to_have_text("Resolved")
    add_follow_up(page, "Add a canary stage to checkout releases", "Riley Chen")

    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert ticket.startswith(f"# Incident: {SUMMARY}\n")
    assert "**Decision:** Roll back" in ticket
    assert "Rolled back to 2026.11.27-3" in ticket
    assert "Payments team confirmed no failed charges" in ticket
    assert "- [ ] Add a canary stage to checkout releases (owner: Riley Chen)" in ticket
    communications = ticket.split("## Communications", 1)[1].split("##", 1)[0]
    labels = load_table().vocabulary["message_kind"]
    for kind in ("declaration", "status_update", "resolution"):
        assert f"| {labels[kind]} |" in communications, kind
    assert communications.count(inc) >= 3


def test_roll_back_with_fix_forward_permitted_needs_no_reason(page: Page, tmp_path) -> None:
    """All three conditions hold: fix forward is permitted, roll back stays the recommendation
    and choosing it asks for no reason (the runbook's default)."""
    open_walkthrough(page)
    declare(page, "Typo in the order confirmation e-mail")
    take_command(page, "Sam Okafor")
    expect(page.locator('fieldset[data-question="fix_understood"]')).to_be_hidden()
    answer(page, scope="subset", data_loss="no", degradation="minor")
    expect(fix_forward_questions(page)).to_be_visible()
    answer(page, fix_understood="yes", hotfix_faster="yes")
    expect(recommendation(page)).to_have_text("Roll back")
    expect(permitted(page)).to_have_text("Fix forward: permitted.")
    expect(reasons(page).nth(1)).to_contain_text("all three conditions hold")
    control(page, "decide", "action", "roll_back").check()
    expect(page.locator("[data-deviation]")).to_be_hidden()
    submit(page, "decide")
    decision = stored_record(page)["decision"]
    assert decision["action"] == "roll_back" and decision["deviation_reason"] == ""
    assert decision["fix_forward_permitted"] is True
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Deviation from the runbook:** None" in ticket


def test_fix_forward_permitted_then_hotfix(page: Page, tmp_path) -> None:
    """Minor, no data loss, fix understood, hotfix faster: fixing forward needs no reason."""
    open_walkthrough(page)
    declare(page, "Typo in the order confirmation e-mail")
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="minor")
    expect(permitted(page)).to_contain_text("not permitted")  # until both conditions hold
    answer(page, fix_understood="yes", hotfix_faster="yes")
    expect(reasons(page).filter(has_text="The fix is well understood.")).to_have_count(1)
    control(page, "decide", "action", "fix_forward").check()
    expect(page.locator("[data-deviation]")).to_be_hidden()
    submit(page, "decide")
    expect(page.locator("[data-decision-info]")).to_contain_text("Fix forward")
    hotfix = form(page, "start_mitigation").locator('button[data-start="fix_forward"]')
    expect(hotfix).to_be_visible()
    expect(form(page, "start_mitigation").locator('button[data-start="roll_back"]')).to_have_text(
        "Roll back instead"
    )
    mitigate(page, "succeeded", "Hotfix 2026.11.28-2 deployed", action="fix_forward")
    resolve(page, "Hotfix deployed; e-mails are correct again.", "no")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Decision:** Fix forward" in ticket
    assert "**Runbook recommendation:** Roll back (the default). Fix forward: permitted." in ticket
    assert "Hotfix 2026.11.28-2 deployed" in ticket


def test_stale_decision_blocks_mitigation_until_decided_again(page: Page) -> None:
    """An answer changed after the decision: the start is refused with why, until re-decided."""
    open_walkthrough(page)
    declare(page, "Search results are sorted wrongly")
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="minor")
    answer(page, fix_understood="yes", hotfix_faster="yes")
    decide(page, "fix_forward")
    answer(page, data_loss="yes")  # it turns out data is being corrupted
    stale = page.locator("[data-decision-stale]")
    expect(stale).to_be_visible()
    start = form(page, "start_mitigation")
    why = start.locator("[data-why-not]")
    expect(why).to_contain_text("decide again")
    expect(start.locator("button[data-start]:visible").first).to_have_attribute(
        "aria-disabled", "true"
    )
    start.locator("button[data-start]:visible").first.click(force=True)  # aria-disabled
    assert stored_record(page)["mitigations"] == []
    expect(permitted(page)).to_contain_text("not permitted")
    decide(page, "roll_back")
    expect(stale).to_be_hidden()
    start_mitigation(page, "roll_back")
    assert [m["action"] for m in stored_record(page)["mitigations"]] == ["roll_back"]


def test_fix_forward_not_permitted_is_a_deviation_with_a_reason(page: Page, tmp_path) -> None:
    """One unmet condition: fixing forward anyway needs a reason, kept in the ticket."""
    open_walkthrough(page)
    declare(page, "Search results are sorted wrongly")
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="minor")
    answer(page, fix_understood="yes", hotfix_faster="no")
    expect(
        reasons(page).filter(has_text="A hotfix is not confirmed to be faster than a rollback.")
    ).to_have_count(1)
    control(page, "decide", "action", "fix_forward").check()
    expect(page.locator("[data-deviation]")).to_be_visible()
    submit(page, "decide")
    error = error_for(step(page, "decide"), "deviation_reason")
    expect(error).to_be_visible()
    expect(error).to_contain_text("write why you deviate")
    expect(control(page, "decide", "deviation_reason")).to_have_attribute("aria-invalid", "true")
    assert stored_record(page)["decision"] is None

    reason = "The rollback would also revert the tax-rate change that is legally due today"
    decide(page, "fix_forward", reason)
    expect(error).to_be_hidden()
    expect(page.locator("[data-decision-info]")).to_contain_text(reason)
    decision = stored_record(page)["decision"]
    assert (decision["action"], decision["deviation_reason"]) == ("fix_forward", reason)
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Decision:** Fix forward" in ticket
    assert f"**Deviation from the runbook:** {reason}" in ticket


def test_rollback_failed_requires_escalation_then_records_it(page: Page, tmp_path) -> None:
    """A failed rollback is a major incident: escalation is required (banner, status) until
    the IC records it; the message names the ID, the IC, what failed and the contact."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    inc = incident_id(page)
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    decide(page, "roll_back")
    major = page.locator("[data-major]")
    expect(major).to_be_hidden()
    mitigate(page, "failed", "The down-migration of orders fails")

    expect(major).to_be_visible()
    expect(major).to_contain_text("escalation required")
    expect(bar(page, "status")).to_contain_text("escalation required")
    assert stored_record(page)["escalations"] == []  # not done until recorded
    # Focus on the message's Copy button: copy first, then record (issue 16.3).
    expect(page.locator(":focus")).to_have_attribute("data-target", "escalation-message")
    message = output(page, "escalation-message")
    for words in (inc, "Sam Okafor", "The down-migration of orders fails", SUMMARY):
        expect(message).to_contain_text(words)
    # It opens with the mention; a contact named in words is capitalised there ("The Head ...").
    expect(message).to_contain_text(ORG.mention(), ignore_case=True)
    expect(message).not_to_contain_text("escalate immediately to")

    resolve_form = form(page, "resolve")
    expect(resolve_form.locator("[data-why-not]")).to_contain_text("escalate")
    # What is typed goes into the message; what is copied then is what is recorded.
    control(page, "escalate", "doing").fill("Restoring the orders table from the 14:00 snapshot")
    expect(message).to_contain_text("Restoring the orders table from the 14:00 snapshot")
    copied = copy(page, "escalation-message")
    submit(page, "escalate")
    expect(bar(page, "status")).to_contain_text("Major incident, escalated")
    record = stored_record(page)
    assert [e["to"] for e in record["escalations"]] == [ORG.escalation_contact]
    assert record["communications"][-1]["kind"] == "escalation"
    assert record["communications"][-1]["message"] == copied

    control(page, "acknowledge_escalation", "by").fill("Alex Rivera")
    submit(page, "acknowledge_escalation")
    assert stored_record(page)["escalations"][0]["acknowledged_by"] == "Alex Rivera"

    expect(form(page, "start_mitigation").locator('button[data-start="roll_back"]')).to_have_text(
        "Start the rollback"
    )
    mitigate(page, "succeeded", "Restored from the 14:00 snapshot")
    expect(bar(page, "status")).to_have_text("Mitigated, monitoring")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert f"| {ORG.escalation_contact} | The down-migration of orders fails |" in ticket
    assert "by Alex Rivera" in ticket


def test_impact_unknown_means_roll_back(page: Page, tmp_path) -> None:
    """Any "don't know" -> roll back, citing section 5 (cannot determine impact)."""
    open_walkthrough(page)
    declare(page, "Some users see stale prices")
    take_command(page, "Sam Okafor")
    answer(page, scope="unknown", data_loss="no", degradation="minor")
    expect(bar(page, "severity")).to_have_text(UNDETERMINED)
    expect(recommendation(page)).to_have_text("Roll back")
    expect(fix_forward_questions(page)).to_be_hidden()
    why = reasons(page).filter(has_text="Impact cannot be determined")
    expect(why).to_have_count(1)
    link = why.get_by_role("link", name="5. Failure Modes")
    expect(link).to_have_attribute("href", "../runbook/INCIDENT_RESPONSE/#failure-modes")
    decide(page, "roll_back")
    mitigate(page, "succeeded")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Decision:** Roll back" in ticket
    assert "Impact cannot be determined" in ticket
    assert "Not asked: it could not change whether fix forward is permitted" in ticket


def test_oncall_unavailable_first_responder_takes_command(page: Page, tmp_path) -> None:
    """The first responder assumes IC (section 5); a later handover is a message to post."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    control(page, "take_command", "oncall").fill("Sam Okafor")
    responder = control(page, "take_command", "first_responder")
    expect(responder).to_be_hidden()
    control(page, "take_command", "oncall_available").check()
    expect(responder).to_be_visible()
    submit(page, "take_command")
    expect(error_for(step(page, "command"), "first_responder")).to_be_visible()
    assert stored_record(page)["ic"] == ""
    take_command(page, "Sam Okafor", unavailable=True, first_responder="Riley Chen")
    record = stored_record(page)
    assert (record["ic"], record["oncall"]) == ("Riley Chen", "Sam Okafor")
    expect(widget(page).locator('[data-output-box="handover-message"]')).to_be_hidden()

    control(page, "change_ic", "to").fill("Sam Okafor")
    control(page, "change_ic", "reason").fill("Sam is back online")
    submit(page, "change_ic")
    handover = output(page, "handover-message")
    expect(handover).to_contain_text("taking over from Riley Chen")
    log_message(page, "handover")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "| Incident Commander | Sam Okafor |" in ticket
    assert "Sam Okafor (on-call) is unavailable" in ticket
    assert f"| {load_table().vocabulary['message_kind']['handover']} |" in ticket


def details_form(page: Page, name: str):
    """The small update_details form that asks for `name` (forms.toml `part`)."""
    return form(page, "update_details").filter(has=page.locator(f'[name="{name}"]'))


def save_details(page: Page, **values: str) -> None:
    """Fill each detail in the form that asks for it, then save each of those forms once."""
    forms = {}
    for name, value in values.items():
        holder = details_form(page, name)
        holder.locator(f'[name="{name}"]').fill(value)
        forms.setdefault(
            holder.evaluate("(f) => [...f.elements].map((e) => e.name).join()"), holder
        )
    for holder in forms.values():
        holder.locator('button[type="submit"]').click()
        settle(page)


def test_the_thread_link_asked_after_declaring_reaches_the_escalation(page: Page) -> None:
    """Issue 16.5: the thread link is asked for beside the declaration message; once given,
    the escalation message names it instead of "thread: not recorded"."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    thread = (
        step(page, "declare")
        .locator('form[data-form="update_details"]')
        .filter(has=page.locator('[name="slack_thread"]'))
    )
    expect(thread).to_be_visible()
    link = "https://example.slack.com/archives/C0/p1764366000"
    thread.locator('[name="slack_thread"]').fill(link)
    thread.locator('button[type="submit"]').click()
    settle(page)
    assert stored_record(page)["slack_thread"] == link
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    decide(page, "roll_back")
    releases = step(page, "mitigate").locator('form[data-form="update_details"]')
    expect(releases.locator('[name="release"]')).to_be_visible()
    mitigate(page, "failed", "The down-migration of orders fails")
    message = output(page, "escalation-message")
    expect(message).to_contain_text(f"thread: {link}")
    expect(message).not_to_contain_text("not recorded")


def test_details_and_follow_ups_reach_the_ticket(page: Page, tmp_path) -> None:
    """Release, rollback target, thread, detection, services and follow-ups with owners: each
    detail asked for in its own small form where it belongs (issue 16.5)."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    page.locator("[data-details-panel] summary").click()
    save_details(
        page,
        release="v2026.11.28-1",
        rollback_target="v2026.11.27-3",
        slack_thread="https://example.slack.com/archives/C0/p1",
        detected_how="Error-rate alert",
        services="checkout, payments",
    )
    record = stored_record(page)
    assert record["release"] == "v2026.11.28-1" and record["services"] == ["checkout", "payments"]
    assert record["detected_how"] == "Error-rate alert"
    thread = details_form(page, "slack_thread")
    thread.locator('[name="slack_thread"]').fill("javascript:alert(1)")
    thread.locator('button[type="submit"]').click()
    expect(error_for(thread, "slack_thread")).to_be_visible()
    assert stored_record(page)["slack_thread"] == "https://example.slack.com/archives/C0/p1"
    add_follow_up(page, "Expand/contract migrations", "Sam Okafor")
    add_follow_up(page, "Alert on checkout 5xx within 1 minute")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    for words in (
        "| Release (the bad one) | v2026.11.28-1 |",
        "| Rolled back to | v2026.11.27-3 |",
        "https://example.slack.com/archives/C0/p1",
        "checkout, payments",
        "- [ ] Expand/contract migrations (owner: Sam Okafor)",
        "- [ ] Alert on checkout 5xx within 1 minute",
    ):
        assert words in ticket, words


def test_timeline_rows_change_in_place_and_draw_as_afresh(page: Page) -> None:
    """Timeline rows are added and removed at the end of the list only, changed rows patched in
    place (lists.js redrawRows): in Chromium an element inserted or removed before a sibling
    restyles the whole list, each row rebuilding its layout box (a 250-370 ms freeze at 3,000
    entries, issue 18). Notes, answers (derived entries), numbered twins and a note moved
    before the declaration by a time correction; the list then reads as the same incident drawn
    from scratch after a reload."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    page.evaluate("""() => {
        const list = document.querySelector("[data-runbook-widget] [data-timeline]");
        window.__rowChanges = [];
        new MutationObserver((records) => {
          for (const r of records) window.__rowChanges.push({ added: r.addedNodes.length,
            removed: r.removedNodes.length, atEnd: r.nextSibling === null });
        }).observe(list, { childList: true });
    }""")
    take_command(page, "Sam Okafor")
    for text in ("Error rate 12%", "Error rate 12%", "Paged the database team"):
        control(page, "add_timeline", "event").fill(text)
        submit(page, "add_timeline")
    answer(page, scope="subset", data_loss="no")
    answer(page, scope="all")
    rows = widget(page).locator("[data-timeline] > li")
    note = rows.filter(has_text="Paged the database team")
    note.locator('[data-command="edit-time"]').click()
    earlier = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    note.locator('form[data-form="edit_timeline"] [name="at"]').fill(earlier)
    note.locator('form[data-form="edit_timeline"] button[type="submit"]').click()
    settle(page)
    expect(rows.first).to_contain_text("Paged the database team")
    changes = page.evaluate("window.__rowChanges")
    assert changes and any(c["added"] for c in changes)
    assert all(c["atEnd"] for c in changes), f"a row inserted or removed mid-list: {changes}"
    shown = """[...document.querySelectorAll("[data-runbook-widget] [data-timeline] > li")]
        .map((li) => li.outerHTML)"""
    patched = page.evaluate(shown)
    page.reload()
    wait_ready(page)
    expect(rows).to_have_count(len(patched))
    assert page.evaluate(shown) == patched

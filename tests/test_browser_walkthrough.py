"""The walkthrough in headless Chromium, one full incident per branch of the runbook.

Each test ends with the copied ticket compared to what `runbook ticket --state` prints for the
exported record: the browser and the CLI never disagree.
"""

from __future__ import annotations

import sys

import pytest

if sys.platform == "emscripten":
    pytest.skip("browser tests drive Chromium from CPython", allow_module_level=True)
pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser_support import (  # noqa: E402
    answer,
    assert_browser_and_cli_agree,
    bar,
    control,
    copy,
    decide,
    declare,
    error_for,
    mitigate,
    open_walkthrough,
    output,
    post_status,
    resolve,
    step,
    stored_record,
    submit,
    take_command,
    widget,
)

pytestmark = pytest.mark.browser

SUMMARY = "Checkout returns HTTP 500 after release 2026.11.28-1"


def recommendation(page: Page):
    return page.locator('[data-field="recommendation"]')


def reasons(page: Page):
    return page.locator("[data-reasons] li")


def fix_forward_questions(page: Page):
    return page.locator("[data-ask-fix-forward]")


def test_rollback_succeeded(page: Page, tmp_path) -> None:
    """Declare, command, critical impact, roll back, success, status update, resolve."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    expect(output(page, "declare-message")).to_have_text(f"🚨 INCIDENT DECLARED: {SUMMARY} 🚨")
    assert copy(page, "declare-message") == f"🚨 INCIDENT DECLARED: {SUMMARY} 🚨"
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="no", degradation="critical")
    expect(bar(page, "severity")).to_have_text("SEV1: critical degradation for all users")
    expect(recommendation(page)).to_have_text("Roll back")
    expect(fix_forward_questions(page)).to_be_hidden()  # asked only where they matter
    decide(page, "roll_back")
    expect(page.locator("[data-decision-info]")).to_contain_text("Roll back")
    mitigate(page, "succeeded", "Rolled back to 2026.11.27-3")
    expect(step(page, "mitigate")).to_have_attribute("data-done", "true")
    expect(bar(page, "status")).to_have_text("Mitigated, monitoring")

    post_status(page, "Rolled back; checkout error rate is back to normal.")
    status = output(page, "status-message")
    expect(status).to_contain_text("Status: Mitigated, monitoring")
    expect(status).to_contain_text("Next update by")
    expect(page.locator("[data-due]").first).to_contain_text("Next update due")

    control(page, "timeline_event").fill("Payments team confirmed no failed charges")
    control(page, "timeline_who").fill("Lee")
    submit(page, "add_timeline")
    expect(
        page.locator("[data-timeline] li").filter(
            has_text="Payments team confirmed no failed charges"
        )
    ).to_have_count(1)

    resolve(page, "Rollback restored checkout; the faulty release is reverted.", "no")
    expect(output(page, "resolution-message")).to_contain_text("INCIDENT RESOLVED")
    expect(output(page, "resolution-message")).to_contain_text("Data loss or corruption: No")
    expect(bar(page, "status")).to_have_text("Resolved")
    expect(widget(page).locator("section[data-step][data-done='false']")).to_have_count(0)

    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert ticket.startswith(f"# Incident: {SUMMARY}\n")
    assert "**Decision:** Roll back" in ticket
    assert "Rolled back to 2026.11.27-3" in ticket
    assert "Payments team confirmed no failed charges" in ticket


def test_rollback_failed_escalates(page: Page, tmp_path) -> None:
    """A failed rollback is a major incident: the escalation names the Head of Engineering."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    take_command(page, "Sam Okafor")
    answer(page, scope="all", data_loss="yes", degradation="critical")
    expect(bar(page, "severity")).to_have_text("SEV1: data loss or corruption")
    decide(page, "roll_back")
    major = page.locator("[data-major]")
    expect(major).to_be_hidden()
    mitigate(page, "failed", "The down-migration of orders fails")

    expect(major).to_be_visible()
    expect(major).to_contain_text("Major incident: escalate now")
    escalation = output(page, "escalation-message")
    expect(escalation).to_contain_text("@Head of Engineering MAJOR INCIDENT")
    expect(escalation).to_contain_text(SUMMARY)
    expect(bar(page, "status")).to_contain_text("Major incident")
    assert copy(page, "escalation-message") == escalation.text_content()
    record = stored_record(page)
    assert [e["to"] for e in record["escalations"]] == ["Head of Engineering"]

    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "| Head of Engineering |" in ticket
    assert "The down-migration of orders fails" in ticket

    # The next mitigation is a rollback again; once it works the incident is no longer major.
    expect(page.locator('[data-action="start_mitigation"]')).to_have_text("Start the rollback")
    mitigate(page, "succeeded", "Restored from the 14:00 snapshot")
    expect(major).to_contain_text("Escalated")
    expect(bar(page, "status")).to_have_text("Mitigated, monitoring")


def test_fix_forward_accepted(page: Page, tmp_path) -> None:
    """Minor, no data loss, fix understood, hotfix faster: the runbook allows fixing forward."""
    open_walkthrough(page)
    declare(page, "Typo in the order confirmation e-mail")
    take_command(page, "Sam Okafor")
    expect(page.locator('fieldset[data-question="fix_understood"]')).to_be_hidden()
    answer(page, scope="subset", data_loss="no", degradation="minor")
    expect(fix_forward_questions(page)).to_be_visible()
    expect(bar(page, "severity")).to_have_text("SEV3: minor issue")
    expect(recommendation(page)).to_have_text("Roll back")  # until both conditions hold
    answer(page, fix_understood="yes", hotfix_faster="yes")
    expect(recommendation(page)).to_have_text("Fix forward")
    expect(reasons(page).filter(has_text="The fix is well understood.")).to_have_count(1)

    control(page, "action", "fix_forward").check()
    expect(page.locator("[data-deviation]")).to_be_hidden()  # no reason needed: recommended
    decide(page, "fix_forward")
    expect(page.locator("[data-decision-info]")).to_contain_text("Fix forward")
    expect(page.locator('[data-action="start_mitigation"]')).to_have_text(
        "Start the hotfix deployment"
    )
    mitigate(page, "succeeded", "Hotfix 2026.11.28-2 deployed")
    resolve(page, "Hotfix deployed; e-mails are correct again.", "no")

    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Decision:** Fix forward" in ticket
    assert "**Runbook recommendation:** Fix forward" in ticket
    assert "Hotfix 2026.11.28-2 deployed" in ticket


def test_fix_forward_refused_needs_a_written_reason(page: Page, tmp_path) -> None:
    """One unmet condition: roll back; fixing forward anyway needs a reason, kept in the ticket."""
    open_walkthrough(page)
    declare(page, "Search results are sorted wrongly")
    take_command(page, "Sam Okafor")
    answer(page, scope="subset", data_loss="no", degradation="minor")
    answer(page, fix_understood="yes", hotfix_faster="no")
    expect(recommendation(page)).to_have_text("Roll back")
    expect(
        reasons(page).filter(has_text="A hotfix is not confirmed to be faster than a rollback.")
    ).to_have_count(1)

    control(page, "action", "fix_forward").check()
    deviation = page.locator("[data-deviation]")
    expect(deviation).to_be_visible()
    submit(page, "decide")
    error = error_for(step(page, "decide"), "deviation_reason")
    expect(error).to_be_visible()
    expect(error).to_contain_text("needs a written reason")
    expect(control(page, "deviation_reason")).to_have_attribute("aria-invalid", "true")
    assert stored_record(page)["decision"] is None

    reason = "The rollback would also revert the tax-rate change that is legally due today"
    decide(page, "fix_forward", reason)
    expect(error).to_be_hidden()
    expect(page.locator("[data-decision-info]")).to_contain_text(reason)
    decision = stored_record(page)["decision"]
    assert (decision["action"], decision["deviation_reason"]) == ("fix_forward", reason)

    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "**Decision:** Fix forward" in ticket
    assert "**Runbook recommendation:** Roll back" in ticket
    assert reason in ticket


def test_impact_unknown_means_roll_back(page: Page, tmp_path) -> None:
    """Any "don't know" -> roll back, citing section 5 (cannot determine impact)."""
    open_walkthrough(page)
    declare(page, "Some users see stale prices")
    take_command(page, "Sam Okafor")
    answer(page, scope="unknown", data_loss="no", degradation="minor")
    expect(bar(page, "severity")).to_have_text("Undetermined: treated as SEV1 until known")
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
    assert "(runbook 5. Failure Modes)" in ticket


def test_oncall_unavailable_first_responder_takes_command(page: Page, tmp_path) -> None:
    """The first responder assumes IC (section 5), and the ticket says why."""
    open_walkthrough(page)
    declare(page, SUMMARY)
    control(page, "oncall").fill("Sam Okafor")
    responder = control(page, "first_responder")
    expect(responder).to_be_hidden()
    control(page, "oncall_unavailable").check()
    expect(responder).to_be_visible()
    submit(page, "take_command")
    expect(error_for(step(page, "command"), "first_responder")).to_be_visible()
    assert stored_record(page)["ic"] == ""

    take_command(page, "Sam Okafor", unavailable=True, first_responder="Riley Chen")
    record = stored_record(page)
    assert (record["ic"], record["oncall"]) == ("Riley Chen", "Sam Okafor")
    expect(page.locator("[data-ic-info]")).to_contain_text("Riley Chen")

    answer(page, scope="all", data_loss="no", degradation="critical")
    decide(page, "roll_back")
    ticket = assert_browser_and_cli_agree(page, tmp_path)
    assert "| Incident Commander | Riley Chen |" in ticket
    assert "| On-call engineer | Sam Okafor |" in ticket
    assert "Sam Okafor (on-call) is unavailable" in ticket

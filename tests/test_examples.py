"""The shipped examples: byte-for-byte golden files, each backed by assertions written from the
scenario's own input (tests/data/scenarios.json), not from the code that renders the ticket.

Regenerate the golden files after an intended change with `make golden` (python -m tests.golden),
then review the diff; the independent assertions below must still hold.
"""

from __future__ import annotations

import html
import io
import json
import re
from contextlib import redirect_stdout

import pytest

from runbook_core import all_messages, load_org, record_from_json, render_ticket
from runbook_core.formats import FORMATS
from runbook_core.rules import load_runbook
from runbook_core.table import load_table
from tests.helpers import EXAMPLES, GOLDEN, SCENARIOS, replay

NAMES = sorted(SCENARIOS)
ORG = load_org()
RUNBOOK = load_runbook()
TABLE = load_table()


def _ticket_path(name: str, fmt: str):
    return GOLDEN / f"{name}.ticket.{'md' if fmt == 'markdown' else fmt + '.txt'}"


def test_there_is_an_example_for_every_branch() -> None:
    """Rollback ok, rollback failed, fix forward, impact unknown, on-call unavailable, failed
    hotfix, fix forward against the runbook."""
    assert set(NAMES) == {
        "rollback-succeeded",
        "rollback-failed-escalated",
        "fix-forward",
        "fix-forward-refused-deviation",
        "hotfix-failed-then-rollback",
        "impact-unknown",
        "oncall-unavailable",
    }
    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(NAMES)


# ----------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", NAMES)
def test_example_record_is_the_replayed_scenario(name: str) -> None:
    """docs/examples/<name>.json equals replaying tests/data/scenarios.json[name]."""
    assert replay(name).to_json() == (EXAMPLES / f"{name}.json").read_text("utf-8")


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", NAMES)
def test_ticket_matches_golden(name: str, fmt: str) -> None:
    """The filled ticket for each example in each format, byte for byte."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    assert render_ticket(record, format=fmt) == _ticket_path(name, fmt).read_text("utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_messages_match_golden(name: str) -> None:
    """The Slack messages for each example, byte for byte."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    text = json.dumps(all_messages(record), ensure_ascii=False, indent=2) + "\n"
    assert text == (GOLDEN / f"{name}.messages.json").read_text("utf-8")


@pytest.mark.cpython_only  # reads the source tree's runbook_core/data (Pyodide has the wheel)
def test_make_golden_reports_nothing_stale() -> None:
    """`python -m tests.golden --check`: every golden file, the examples and the JSON Schema are
    what the code writes now, and there is no orphan."""
    from tests import golden

    out = io.StringIO()
    with redirect_stdout(out):
        code = golden.main(["--check"])
    assert (code, out.getvalue()) == (0, "")


# --------------------------------------------------- independent facts, from the scenarios


def _actions(name: str, kind: str) -> list[dict]:
    return [s["action"] for s in SCENARIOS[name] if s["action"]["type"] == kind]


def _one(name: str, kind: str) -> dict:
    (action,) = _actions(name, kind)
    return action


def _human(iso: str) -> str:
    return f"{iso[:10]} {iso[11:19]} UTC"


def _final_decision(name: str) -> str:
    """What the IC finally did: the last decision, or the mitigation started against it (a
    start after a failed hotfix is a rollback: the runbook's default)."""
    decision, last = None, None
    for step in SCENARIOS[name]:
        action = step["action"]
        if action["type"] == "decide":
            decision = action["action"]
        elif action["type"] == "start_mitigation":
            started = action.get("action") or (
                "roll_back" if last == ("fix_forward", "failed") else decision
            )
            decision, last = started, (started, None)
        elif action["type"] == "mitigation_outcome":
            last = (last[0], action["outcome"])
    return decision


def _ic_changes(name: str) -> list[str]:
    out = []
    for action in _actions(name, "take_command") + _actions(name, "change_ic"):
        if action["type"] == "change_ic":
            out.append(action["to"])
        elif action.get("oncall_available", True):
            out.append(action["oncall"])
        else:
            out.append(action["first_responder"])
    return out


def _logged_kinds(name: str) -> set[str]:
    kinds = {a["kind"] for a in _actions(name, "log_message")}
    kinds |= {"status_update"} if _actions(name, "status_update") else set()
    kinds |= {"escalation"} if _actions(name, "escalate") else set()
    return kinds


def _unescape(ticket: str, fmt: str) -> str:
    """The ticket's text as a reader sees it: the format's escapes undone."""
    if fmt == "markdown":
        ticket = html.unescape(ticket.replace("<br>", "\n").replace("&#32;", " "))
        return re.sub(r"\\([\\`*_\[\]|~#+=.)>!-])", r"\1", ticket)
    if fmt == "jira":
        return re.sub(r"\\(.)", r"\1", ticket.replace(" \\\\ ", "\n")).replace("\u200b", "")
    return ticket


def _section(ticket: str, fmt: str, title: str) -> str:
    """The text under a level-2 heading, up to the next one, as each format draws headings."""
    heading = {
        "markdown": f"\n## {title}\n",
        "jira": f"\nh2. {title}\n",
        "text": f"\n{title}\n{'-' * len(title)}\n",
    }[fmt]
    rest = ticket.split(heading, 1)[1]
    following = {"markdown": r"\n## ", "jira": r"\nh2\. ", "text": r"\n[^\n]+\n-+\n"}[fmt]
    return re.split(following, rest, maxsplit=1)[0]


def _row(fmt: str, label: str, value: str) -> str:
    """A two-column row as each format draws it."""
    return {
        "markdown": f"| {label} | {value} |",
        "jira": f"|{label}|{value}|",
        "text": f"  {label}: {value}",
    }[fmt]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", NAMES)
def test_the_ticket_states_the_scenarios_facts(name: str, fmt: str) -> None:
    """Summary, ID, IC and each change of command, incident details, each mitigation's notes,
    each message kind logged, follow-ups with owners, data lost, the decision and any deviation:
    all in the ticket, in every format, read from what the scenario typed."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    ticket = render_ticket(record, ORG, format=fmt)
    plain = _unescape(ticket, fmt)
    declare = _one(name, "declare")
    details = _one(name, "update_details")
    resolve = _one(name, "resolve")

    assert declare["summary"] in plain.splitlines()[0]
    rows = {
        "Incident ID": declare["incident_id"],
        "Incident Commander": _ic_changes(name)[-1],
        "Declared by": declare["by"],
        "Channel": ORG.channel,
        "Slack thread": details["slack_thread"],
        "Release (the bad one)": details["release"],
        "Rolled back to": details["rollback_target"],
        "Services affected": ", ".join(details["services"]),
        "Responders": ", ".join(details["responders"]),
        "How it was noticed": details["detected_how"],
        "Detected at": _human(details["detected_at"]),
        "Data lost or corrupted": TABLE.label("data_lost", resolve["data_lost"]),
    }
    for label, value in rows.items():
        assert _row(fmt, label, value) in plain, (label, value)
    for who in _ic_changes(name):
        assert who in plain
    for reason in [a["reason"] for a in _actions(name, "change_ic")]:
        assert reason in plain
    for outcome in _actions(name, "mitigation_outcome"):
        if outcome.get("notes"):
            assert outcome["notes"] in plain
    communications = _section(plain, fmt, "Communications")
    for kind in _logged_kinds(name):
        assert TABLE.label("message_kind", kind) in communications, kind
    for update in _actions(name, "status_update"):
        assert update["text"] in communications
    for follow_up in _actions(name, "add_follow_up"):
        assert f"{follow_up['text']} (owner: {follow_up['owner']})" in plain
    assert resolve["details"] in plain
    decision = RUNBOOK.action_labels[_final_decision(name)]
    assert ("*Decision:* " if fmt == "jira" else "Decision: ") + decision in plain.replace("**", "")
    reasons = [
        a.get("deviation_reason") for a in _actions(name, "decide") if a.get("deviation_reason")
    ]
    for reason in reasons:
        assert reason in plain
    if not reasons:
        assert "follows the runbook" in plain
    if fmt != "markdown":  # no markdown escapes; plain text has no escapes at all
        escapes = ("\\_", "\\.", "&lt;", "&gt;", "&amp;", "&#32;", "<br>", "**")
        escapes += ("\\|", "\\#", "\\?") if fmt == "text" else ()
        for escape in escapes:
            assert escape not in ticket, escape


@pytest.mark.parametrize("name", NAMES)
def test_the_recommendation_is_roll_back_in_every_example(name: str) -> None:
    """The runbook's default, whatever was decided; fix forward permitted only where all three
    conditions were answered yes on a minor, lossless, known impact."""
    answers = {a["question"]: a["value"] for a in _actions(name, "answer")}
    permitted = (
        answers.get("degradation") == "minor"
        and answers.get("data_loss") == "no"
        and answers.get("scope") in ("all", "subset")
        and answers.get("fix_understood") == "yes"
        and answers.get("hotfix_faster") == "yes"
    )
    ticket = render_ticket(record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8")), ORG)
    verdict = "permitted" if permitted else "not permitted"
    assert f"**Runbook recommendation:** Roll back (the default). Fix forward: {verdict}." in ticket


def test_the_failed_rollback_example_records_the_escalation_as_the_ic_sent_it() -> None:
    """Escalated to the organisation's contact, after the failure, with the notes and the
    acknowledgement the scenario recorded."""
    name = "rollback-failed-escalated"
    record = replay(name)  # with the active org file (the example file has the packaged one)
    escalate = next(s for s in SCENARIOS[name] if s["action"]["type"] == "escalate")
    ack = _one(name, "acknowledge_escalation")
    failure = next(a for a in _actions(name, "mitigation_outcome") if a["outcome"] == "failed")
    (escalation,) = record.escalations
    assert escalation.at == escalate["at"] and escalation.to == ORG.escalation_contact
    assert escalation.reason == failure["notes"] and escalation.acknowledged_by == ack["by"]
    message = next(c.message for c in record.communications if c.kind == "escalation")
    assert failure["notes"] in message and escalate["action"]["doing"] in message
    assert record.incident_id in message


def test_the_failed_hotfix_example_says_the_runbook_does_not_cover_it() -> None:
    """The fallback to roll back is said, with no section cited for it."""
    record = replay("hotfix-failed-then-rollback")
    ticket = render_ticket(record, ORG)
    assert RUNBOOK.outcomes["fix_forward_failed"].section is None
    assert "the hotfix failed, and the runbook does not cover that" in ticket

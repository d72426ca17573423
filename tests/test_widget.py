"""The browser bridge: JSON in, JSON out; errors come back as data and never lose the record."""

from __future__ import annotations

import json

from runbook_core import widget
from tests.helpers import EXAMPLES, SCENARIOS

NOW = "2026-11-28T21:40:00Z"


def send(record: dict | None, action: dict, now: str = NOW) -> dict:
    return json.loads(
        widget.dispatch(json.dumps(record) if record else None, json.dumps(action), now)
    )


def test_replaying_a_scenario_through_the_bridge_gives_the_example() -> None:
    """The widget's path and the CLI's path produce the same record, byte for byte."""
    for name, steps in SCENARIOS.items():
        record = None
        for step in steps:
            reply = send(record, step["action"], step["at"])
            assert reply["ok"], reply["error"]
            record = reply["record"]
        exported = widget.export_record(json.dumps(record))
        assert exported == (EXAMPLES / f"{name}.json").read_text("utf-8")


def test_an_error_names_the_field_and_keeps_the_record() -> None:
    """Invalid input: ok false, the field, and the same record back."""
    declared = send(None, {"type": "declare", "summary": "API down"})["record"]
    reply = send(declared, {"type": "decide", "action": "fix_forward"})
    assert not reply["ok"] and reply["error"]["field"] == "deviation_reason"
    assert reply["record"] == declared


def test_view_shows_the_next_step_and_the_outputs() -> None:
    """After declaring: next step is command; the declaration message is ready to copy."""
    view = send(None, {"type": "declare", "summary": "API down"})["view"]
    assert view["current_step"] == "command"
    assert view["outputs"]["declare-message"] == "🚨 INCIDENT DECLARED: API down 🚨"
    assert view["outputs"]["ticket"].startswith("# Incident: API down")
    assert view["recommendation"]["reasons"][0]["href"].startswith("runbook/INCIDENT_RESPONSE")


def test_fix_forward_questions_only_when_they_matter() -> None:
    """ask_fix_forward lists the conditions only for a minor, known, lossless impact."""
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    for q, v in (("scope", "all"), ("data_loss", "no"), ("degradation", "minor")):
        reply = send(record, {"type": "answer", "question": q, "value": v})
        record = reply["record"]
    assert reply["view"]["ask_fix_forward"] == ["fix_understood", "hotfix_faster"]
    reply = send(record, {"type": "answer", "question": "degradation", "value": "critical"})
    assert reply["view"]["ask_fix_forward"] == []


def test_import_refuses_newer_and_malformed_files_with_a_message() -> None:
    """Import says what is wrong; ok false means the page keeps the current incident."""
    newer = json.loads(widget.import_record('{"schema_version": 9}', NOW))
    assert not newer["ok"] and "newer" in newer["error"]["message"]
    broken = json.loads(widget.import_record("{", NOW))
    assert not broken["ok"] and "JSON" in broken["error"]["message"]
    empty = json.loads(widget.import_record("", NOW))
    assert not empty["ok"]
    good = json.loads(widget.import_record((EXAMPLES / "fix-forward.json").read_text("utf-8"), NOW))
    assert good["ok"] and good["view"]["resolved"]


def test_render_of_a_corrupt_saved_state_is_an_error_not_a_crash() -> None:
    """A damaged localStorage value is reported; the page can offer to start over."""
    reply = json.loads(widget.render('{"schema_version": 1, "summary": 3}', NOW))
    assert not reply["ok"] and "record.summary" in reply["error"]["message"]


def test_next_update_due_follows_the_configured_interval() -> None:
    """Every update says when the next one comes: interval after the last one."""
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    reply = send(record, {"type": "status_update", "text": "Investigating"}, "2026-11-28T21:45:00Z")
    assert reply["view"]["next_update_due"] == "2026-11-28T22:05:00Z"
    assert "Next update by 22:05 UTC." in reply["record"]["status_updates"][0]["message"]

"""The browser bridge: JSON in, JSON out (widget.dispatch / render over the view model);
errors come back as data and never lose the record."""

from __future__ import annotations

import json

import pytest

from runbook_core import load_org, widget
from runbook_core.table import load_table
from tests.helpers import EXAMPLES, SCENARIOS

NOW = "2026-11-28T21:40:00Z"


def send(record: dict | None, action: dict, now: str = NOW, options: dict | None = None) -> dict:
    return json.loads(
        widget.dispatch(
            json.dumps(record) if record else None,
            json.dumps(action),
            now,
            json.dumps(options) if options else None,
        )
    )


def _answer(record: dict, question: str, value: str) -> dict:
    return send(record, {"type": "answer", "question": question, "value": value})


def test_replaying_a_scenario_through_the_bridge_gives_the_example() -> None:
    """The page's path and the CLI's path produce the same record, byte for byte."""
    for name, steps in SCENARIOS.items():
        record = None
        for step in steps:
            reply = send(record, step["action"], step["at"])
            assert reply["ok"], reply["error"]
            record = reply["record"]
        assert widget.export_record(json.dumps(record)) == (EXAMPLES / f"{name}.json").read_text(
            "utf-8"
        )


def test_a_refusal_names_the_field_and_keeps_the_record() -> None:
    """Invalid input: ok false, the field, and the same record back, with its view."""
    declared = send(None, {"type": "declare", "summary": "API down"})["record"]
    reply = send(declared, {"type": "decide", "action": "fix_forward"})
    assert not reply["ok"] and reply["error"]["field"] == "deviation_reason"
    assert reply["record"] == declared and reply["view"]["declared"]


def test_the_view_says_which_actions_are_allowed_now_and_why_not() -> None:
    """Every action of the table, allowed or not with the reason; the page draws from it."""
    view = send(None, {"type": "declare", "summary": "API down"})["view"]
    assert set(view["actions"]) == set(load_table().actions)
    assert view["actions"]["start_mitigation"]["allowed"] is False
    assert view["actions"]["start_mitigation"]["why_not"]
    assert view["actions"]["decide"] == {"allowed": True, "why_not": ""}
    assert view["current_step"] == "command"
    assert any(m["kind"] == "declaration" and m["due"] for m in view["messages"])
    assert view["ticket"].startswith("# Incident: API down")


def test_roll_back_is_recommended_and_fix_forward_only_permitted() -> None:
    """With every condition true: recommendation roll back, fix forward permitted, no reason
    asked for either; a changed answer makes the decision stale."""
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    for q, v in (("scope", "all"), ("data_loss", "no"), ("degradation", "minor")):
        reply = _answer(record, q, v)
        record = reply["record"]
    assert reply["view"]["recommendation"]["ask_fix_forward"] == ["fix_understood", "hotfix_faster"]
    for q in ("fix_understood", "hotfix_faster"):
        reply = _answer(record, q, "yes")
        record = reply["record"]
    view = reply["view"]
    assert view["recommendation"]["action"] == "roll_back"
    assert view["recommendation"]["fix_forward_permitted"] is True
    assert view["reason_needed"] == {"roll_back": False, "fix_forward": False}
    record = send(record, {"type": "decide", "action": "fix_forward"})["record"]
    view = _answer(record, "data_loss", "yes")["view"]
    assert view["decision"]["stale"] and not view["actions"]["start_mitigation"]["allowed"]


def test_import_refuses_newer_and_malformed_files_with_a_message() -> None:
    """Import says what is wrong; ok false means the page keeps the current incident."""
    newer = json.loads(widget.import_record('{"schema_version": 9}', NOW))
    assert not newer["ok"] and "newer" in newer["error"]["message"]
    broken = json.loads(widget.import_record("{", NOW))
    assert not broken["ok"] and "JSON" in broken["error"]["message"]
    assert not json.loads(widget.import_record("", NOW))["ok"]
    good = json.loads(widget.import_record((EXAMPLES / "fix-forward.json").read_text("utf-8"), NOW))
    assert good["ok"] and good["view"]["resolved"]


def test_render_of_a_corrupt_saved_state_is_an_error_not_a_crash() -> None:
    """A damaged saved value is reported with the field; the page can offer to start over."""
    reply = json.loads(widget.render('{"schema_version": 2, "summary": 3, "timeline": []}', NOW))
    assert not reply["ok"] and "record.summary" in reply["error"]["message"]


def test_a_status_update_is_logged_for_its_time_and_the_next_is_due_an_interval_later() -> None:
    """Every update says when the next one comes: one configured interval after it."""
    interval = load_org().status_update_interval_minutes
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    reply = send(record, {"type": "status_update", "text": "Investigating"}, "2026-11-28T21:45:00Z")
    due = f"{21 + (45 + interval) // 60:02d}:{(45 + interval) % 60:02d}"
    assert reply["view"]["next_update_due"] == f"2026-11-28T{due}:00Z"
    (logged,) = reply["record"]["communications"]
    assert logged["kind"] == "status_update" and f"Next update by {due} UTC." in logged["message"]


def test_the_ticket_format_option_is_honoured() -> None:
    """options.ticket_format picks the format of the ticket in the view."""
    reply = send(None, {"type": "declare", "summary": "x"}, options={"ticket_format": "jira"})
    assert reply["view"]["ticket_format"] == "jira" and reply["view"]["ticket"].startswith("h1. ")


@pytest.mark.parametrize("bad", [[], {}, ["jira"], {"jira": 1}, 1, None, "JIRA", "html"])
def test_options_of_the_wrong_kind_fall_back_to_the_defaults(bad: object) -> None:
    """A stored option of another JSON kind is ignored, never a traceback across the bridge (a
    list or an object as the ticket format raised TypeError: unhashable type)."""
    options = json.dumps({"ticket_format": bad, "draft_status": bad})
    declare = json.dumps({"type": "declare", "summary": "x"})
    for reply in (
        json.loads(widget.render(None, NOW, options)),
        json.loads(widget.dispatch(None, declare, NOW, options)),
    ):
        assert reply["ok"], reply["error"]
        assert reply["view"]["ticket_format"] == "markdown"
    assert reply["view"]["ticket"].startswith("# ")  # markdown's heading (jira: "h1. ")

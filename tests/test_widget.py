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


def test_import_against_the_local_copy_says_what_replacing_would_lose_and_gain() -> None:
    """The page asks before an import replaces this browser's newer work: the engine compares
    (the same rule as a handover link), entries written out here, not taken from the code."""
    text = (EXAMPLES / "rollback-succeeded.json").read_text("utf-8")
    exported = json.loads(text)
    local = json.loads(text)
    local["timeline"].append({"at": "2099-01-01T00:00:00Z", "event": "A note only here"})
    older = json.loads(text)
    older["timeline"] = older["timeline"][:-2]

    same = json.loads(widget.import_record(text, NOW, None, text))["replace"]
    assert same["identical"] and same["lost"] == [] and same["gained"] == 0
    newer_here = json.loads(widget.import_record(text, NOW, None, json.dumps(local)))["replace"]
    assert not newer_here["identical"]
    assert newer_here["lost"] == [{"at": "2099-01-01T00:00:00Z", "event": "A note only here"}]
    assert newer_here["gained"] == 0
    older_here = json.loads(widget.import_record(text, NOW, None, json.dumps(older)))["replace"]
    assert older_here["lost"] == [] and older_here["gained"] == 2
    # Without a local copy the reply is as before (no "replace"); an unreadable one compares
    # with nothing.
    assert "replace" not in json.loads(widget.import_record(text, NOW))
    unreadable = json.loads(widget.import_record(text, NOW, None, "{"))["replace"]
    assert unreadable["gained"] == len(exported["timeline"])


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


# ----------------------------------------------------------------- what is copied is recorded


def preview(record: dict | None, action: dict, now: str = NOW) -> dict:
    return json.loads(
        widget.preview(json.dumps(record) if record else None, json.dumps(action), now)
    )


def _failed_rollback() -> dict:
    """Declared, in command, all / no / critical answered, rolled back, and the rollback failed."""
    record = send(None, {"type": "declare", "summary": "API down"})["record"]
    steps = [
        {"type": "take_command", "oncall": "Ana"},
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation", "action": "roll_back"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": "the old build crashes"},
    ]
    for step in steps:
        reply = send(record, step)
        assert reply["ok"], reply["error"]
        record = reply["record"]
    return record


def test_the_escalation_preview_follows_every_field_and_is_what_escalate_records() -> None:
    """ "Escalated to" and "What is being done now" change the message shown; recording the
    action with those fields logs exactly the previewed text, for every combination."""
    record = _failed_rollback()
    contact = load_org().escalation_contact
    seen = set()
    for to in ("", contact, "Dana  Okafor"):
        for doing in ("", "Restoring the database\nfrom last night's backup"):
            action = {"type": "escalate", "to": to, "doing": doing}
            shown = preview(record, action)
            assert shown["ok"] and shown["kind"] == "escalation" and shown["at"] == NOW
            reply = send(record, {**action, "copied": shown["text"]})
            assert reply["ok"], reply["error"]
            assert reply["record"]["communications"][-1]["message"] == shown["text"]
            seen.add(shown["text"])
            if doing:
                assert "Restoring the database from last night's backup" in shown["text"]
            if to.startswith("Dana"):
                assert "Escalating immediately to Dana Okafor." in shown["text"]
    assert len(seen) == 4  # a different "to" than the default contact, and "doing", both show


def test_the_view_previews_the_typed_escalation_too() -> None:
    """A redraw (the 30 s refresh) keeps what is typed in the escalation's message."""
    record = _failed_rollback()
    drafts = {"escalate": {"doing": "Paging the database team"}}
    view = json.loads(widget.render(json.dumps(record), NOW, json.dumps({"drafts": drafts})))
    message = next(m for m in view["view"]["messages"] if m["kind"] == "escalation")
    assert "Paging the database team" in message["text"] and message["at"] == NOW
    assert message["text"] == preview(record, {"type": "escalate", **drafts["escalate"]})["text"]


def test_a_status_update_copied_is_logged_byte_for_byte_at_the_time_it_says() -> None:
    """The preview at 21:40 copied, then recorded at 21:44 with at = 21:40: the same text."""
    record = _failed_rollback()
    shown = preview(record, {"type": "status_update", "text": "  Still down.\r\nWorking  "})
    later = "2026-11-28T21:44:00Z"
    action = {"type": "status_update", "text": "  Still down.\r\nWorking  "}
    reply = send(record, {**action, "at": shown["at"], "copied": shown["text"]}, later)
    assert reply["ok"], reply["error"]
    assert reply["record"]["communications"][-1]["message"] == shown["text"]
    assert "Still down.\nWorking" in shown["text"]


def test_a_message_changed_after_it_was_copied_is_refused_and_nothing_changes() -> None:
    """What was copied is what is recorded, or nothing is: the IC is told to copy it again."""
    record = _failed_rollback()
    shown = preview(record, {"type": "escalate", "doing": "Restoring"})
    reply = send(
        record, {"type": "escalate", "doing": "Restoring from backup", "copied": shown["text"]}
    )
    assert not reply["ok"] and reply["error"]["field"] == "copied"
    assert "copy it again" in reply["error"]["message"]
    assert reply["record"] == record


def test_a_second_escalation_within_minutes_asks_first() -> None:
    """A second tap is refused with a question (field again); confirmed, it is recorded."""
    record = send(_failed_rollback(), {"type": "escalate"})["record"]
    soon = "2026-11-28T21:45:00Z"
    reply = send(record, {"type": "escalate"}, soon)
    assert not reply["ok"] and reply["error"]["field"] == "again"
    assert "21:40" in reply["error"]["message"] and reply["record"] == record
    again = send(record, {"type": "escalate", "again": True}, soon)
    assert again["ok"] and len(again["record"]["escalations"]) == 2
    later = send(record, {"type": "escalate"}, "2026-11-28T21:56:00Z")
    assert later["ok"], "a quarter of an hour later, another escalation needs no confirmation"


def test_preview_refuses_other_actions_and_bad_fields_as_data() -> None:
    """The preview call never raises: a wrong type or a field over its limit is an error."""
    record = _failed_rollback()
    assert preview(record, {"type": "decide"})["error"]["field"] == "type"
    too_long = preview(record, {"type": "escalate", "doing": "x" * 2001})
    assert not too_long["ok"] and too_long["error"]["field"] == "doing"


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


@pytest.mark.parametrize("kind", [[], {}, 5, None, "answer"], ids=repr)
def test_a_preview_of_no_message_action_is_refused_in_one_message(kind) -> None:
    """The preview call answers {"ok": false} for a type that is not a message-logging action,
    a list or an object included (they are unhashable: never a TypeError)."""
    reply = preview(_failed_rollback(), {"type": kind})
    assert reply["ok"] is False and reply["error"]["field"] == "type"


# ------------------------------------------- rules the page used to hold (issue 15 part 2)


def test_the_next_update_is_due_soon_a_declared_time_before_it_is_due() -> None:
    """view.next_update_soon: the page marks the update "due soon" from then (the threshold
    is data/limits.toml's minutes.due_soon, not a constant in draw.js)."""
    from datetime import timedelta

    from runbook_core.limits import load_limits
    from runbook_core.record import parse_time

    soon_minutes = load_limits().minutes["due_soon"]
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    view = send(record, {"type": "status_update", "text": "Investigating"})["view"]
    due, soon = parse_time(view["next_update_due"]), parse_time(view["next_update_soon"])
    assert due - soon == timedelta(minutes=soon_minutes) and soon_minutes > 0


def test_a_message_is_loggable_only_when_logging_is_allowed_and_it_is_due() -> None:
    """view.messages[].loggable = actions.log_message.allowed and due, for every message: the
    page shows the log form from it and no longer combines the two itself."""
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    view = send(record, {"type": "status_update", "text": "Investigating"})["view"]
    allowed = view["actions"]["log_message"]["allowed"]
    for message in view["messages"]:
        assert message["loggable"] == (allowed and message["due"]), message["kind"]
    assert any(m["loggable"] for m in view["messages"])  # the declaration, not logged yet
    logged = send(record, {"type": "log_message", "kind": "declaration"})
    assert logged["ok"], logged.get("error")
    by_kind = {m["kind"]: m for m in logged["view"]["messages"]}
    assert by_kind["declaration"]["due"] is False and by_kind["declaration"]["loggable"] is False


def test_the_table_before_the_engine_says_which_questions_show_and_when_a_reason_is_needed() -> (
    None
):
    """Every combination of answers in the page's decision table carries `asked` (derive.asked
    for those answers) and `reason_needed` (fix forward needs one unless permitted): the page
    no longer repeats either rule while the engine starts."""
    from runbook_core.derive import asked_for
    from runbook_core.rules import load_runbook
    from runbook_core.view import recommendation_table

    runbook = load_runbook()
    table = recommendation_table(runbook)
    assert len(table) == len(
        list(__import__("itertools").product(*((None, *q.values) for q in runbook.questions)))
    )
    for key, rec in table.items():
        answers = dict(
            zip(
                [q.id for q in runbook.questions],
                [None if v == "-" else v for v in key.split("|")],
                strict=True,
            )
        )
        assert set(rec["asked"]) == asked_for(answers, runbook)
        assert {q.id for q in runbook.group("impact")} <= set(rec["asked"])
        assert {a for a, v in answers.items() if v is not None} <= set(rec["asked"])
        assert rec["reason_needed"] == {
            "roll_back": False,
            "fix_forward": not rec["fix_forward_permitted"],
        }
    # The engine's view agrees with the table for the record's answers.
    record = send(None, {"type": "declare", "summary": "x"})["record"]
    view = _answer(record, "scope", "all")["view"]
    assert view["asked"] == view["recommendation"]["asked"]
    assert (
        view["reason_needed"]
        == view["recommendation"]["reason_needed"]
        == {"roll_back": False, "fix_forward": True}
    )


def test_the_page_finds_each_combination_in_the_decision_table_by_adding_offsets() -> None:
    """view.decision_table's contract with the page (incidents.js drawProvisional): for every
    combination of answers, unanswered included, adding up offsets[question][answer] of the
    answers given indexes the view the engine computes for those answers."""
    import itertools

    from runbook_core.rules import load_runbook
    from runbook_core.view import decision_table, recommendation_view

    runbook = load_runbook()
    table = decision_table(runbook)
    ids = [q.id for q in runbook.questions]
    combos = list(itertools.product(*((None, *q.values) for q in runbook.questions)))
    sums = set()
    for combo in combos:
        answers = dict(zip(ids, combo, strict=True))
        n = sum(table["offsets"][q][v] for q, v in answers.items() if v is not None)
        sums.add(n)
        assert table["views"][table["index"][n]] == recommendation_view(answers, runbook), answers
    assert sums == set(range(len(combos))) == set(range(len(table["index"])))


def test_every_announcement_names_a_case_and_values_the_view_gives() -> None:
    """data/forms.toml's announcements are filled from view.announce: each case other than
    `done` is one the view says holds or not, each {name} is one of its values; the cases
    that hold are the view's own facts."""
    import re

    from runbook_core.table import ANNOUNCE_CASES, load_forms

    record = send(None, {"type": "declare", "summary": "x"})["record"]
    view = _answer(record, "scope", "all")["view"]
    announce = view["announce"]
    assert set(announce["cases"]) == ANNOUNCE_CASES - {"done"}
    forms = load_forms()
    texts = [forms.default_announce]
    for spec in forms.actions.values():
        assert set(spec.announce) <= ANNOUNCE_CASES, spec.action
        texts += spec.announce.values()
    for text in texts:
        assert set(re.findall(r"\{(\w+)\}", text)) <= set(announce["values"]), text
    assert announce["cases"]["permitted"] is view["recommendation"]["fix_forward_permitted"]
    assert announce["cases"]["not_permitted"] is not announce["cases"]["permitted"]
    assert announce["cases"]["escalation_required"] is view["escalation"]["required"]
    assert announce["values"]["incident_id"] == view["incident_id"]
    assert announce["values"]["recommendation"] == view["recommendation"]["label"]


def test_the_workers_call_is_the_bridge_with_long_texts_as_utf8() -> None:
    """widget.call (the engine worker's way in) answers as the bridge function itself, whether
    a text comes as a str or as its UTF-8 bytes (how the worker sends a long one); it calls
    nothing but the bridge."""
    now = "2026-11-28T21:40:00Z"
    declared = widget.dispatch(None, json.dumps({"type": "declare", "summary": "Café ✓"}), now)
    record = json.dumps(json.loads(declared)["record"], ensure_ascii=False)
    action = json.dumps({"type": "add_timeline", "event": "checked 🙂"})
    direct = widget.dispatch(record, action, now, None)
    for packed in (record, record.encode("utf-8"), bytearray(record.encode("utf-8"))):
        assert widget.call("dispatch", packed, action, now, None) == direct
    assert widget.call("export_record", record.encode("utf-8")) == widget.export_record(record)
    assert {"dispatch", "render", "import_record", "open_handover"} <= widget.BRIDGE
    assert all(callable(getattr(widget, name)) for name in widget.BRIDGE)

    class JsNull:  # what Pyodide makes of a JavaScript null: passed on as it came
        def __bool__(self) -> bool:
            return False

    first = widget.call("render", JsNull(), now, None)
    assert json.loads(first)["ok"] and first == widget.render(None, now, None)
    for name in ("call", "later", "_load", "json"):
        with pytest.raises(ValueError, match="unknown engine method"):
            widget.call(name, record)

"""Limits declared once (data/limits.toml) and kept by construction: no sequence of allowed
actions writes a record the loader refuses (issue 14, finding 1), an action that would break a
limit is refused up front with the record unchanged, and a record an earlier version wrote over
a limit still opens, read-only, saying why."""

from __future__ import annotations

import json
import re

import pytest

from runbook_core import InvalidInput, Record, apply, load_org, render_ticket, widget
from runbook_core.formats import FORMATS
from runbook_core.limits import END, clip, load_limits, number_range, time_pattern
from runbook_core.messages import all_messages
from runbook_core.record import (
    TimelineEntry,
    limit_problems,
    load_record_json,
    record_from_json,
)
from runbook_core.table import load_table

LIMITS = load_limits()
CH = LIMITS.text
T0 = "2026-11-28T21:40:00Z"
ORG = load_org()


def at(minute: int) -> str:
    return f"2026-11-28T{21 + minute // 60:02d}:{minute % 60:02d}:00Z"


def run(*actions: dict, record: Record | None = None) -> Record:
    """Apply the actions a minute apart, each one allowed (a refusal fails the test)."""
    record = record or Record()
    for n, action in enumerate(actions):
        record = apply(record, action, at(n), ORG)
    return record


def reloads(record: Record) -> Record:
    """The record written is read back strictly, equal, and every output renders."""
    text = record.to_json()
    loaded = record_from_json(text)
    assert loaded == record and loaded.to_json() == text
    assert not limit_problems(record)
    for name in FORMATS:
        render_ticket(record, ORG, format=name)
    all_messages(record, org=ORG)
    all_messages(record, org=ORG, api=True)
    return loaded


DECLARE = {"type": "declare", "summary": "Checkout fails", "by": "Sam"}
COMMAND = {"type": "take_command", "oncall": "Lee"}
ANSWERS = [
    {"type": "answer", "question": q, "value": v}
    for q, v in (("scope", "all"), ("data_loss", "no"), ("degradation", "critical"))
]
ROLL_BACK = [{"type": "decide", "action": "roll_back"}, {"type": "start_mitigation"}]


def failed_rollback(notes: str) -> Record:
    return run(
        DECLARE,
        COMMAND,
        *ANSWERS,
        *ROLL_BACK,
        {"type": "mitigation_outcome", "outcome": "failed", "notes": notes},
    )


# ------------------------------------------------------------- the triggers of finding 1


def test_a_failed_rollback_with_the_longest_notes_can_be_escalated_and_reloaded() -> None:
    """The page's path: notes at their limit, then the escalation the runbook demands: both
    are recorded, the record reloads, and the message quotes the notes cut, not whole."""
    notes = "n" * CH["notes"]
    record = failed_rollback(notes)
    assert record.mitigations[-1].notes == notes  # kept whole
    record = reloads(run({"type": "escalate", "doing": "d" * CH["short"]}, record=record))
    message = record.communications[-1].message
    assert "n" * (CH["quote"] - 1) + "…" in message and "n" * CH["quote"] not in message
    assert record.escalations[-1].reason == notes


def test_notes_19000_and_escalation_doing_2000_fit() -> None:
    """Issue 14's `runbook apply` trigger: 19,000 characters of notes, then 2,000 of doing."""
    record = failed_rollback("x" * 19_000)
    reloads(run({"type": "escalate", "doing": "y" * 2000}, record=record))


def test_resolving_with_the_longest_details_and_reason_fits() -> None:
    """Resolve with details and the without-mitigation reason at their limits, amend, reopen:
    every entry quotes them whole (the timeline keeps them after a reopen) and reloads."""
    details = "d" * CH["details"]
    record = run(
        DECLARE,
        {
            "type": "resolve",
            "details": details,
            "data_lost": "no",
            "without_mitigation": "w" * 2000,
        },
    )
    record = reloads(record)
    record = run({"type": "resolve", "details": details, "data_lost": "yes"}, record=record)
    record = reloads(run({"type": "reopen", "reason": "r" * CH["short"]}, record=record))
    assert sum(details in e.event for e in record.timeline) == 2
    resolved = run(
        {"type": "resolve", "details": details, "data_lost": "no", "without_mitigation": "w"},
        record=record,
    )
    (message,) = [t for k, t in all_messages(resolved, org=ORG).items() if "resolution" in k]
    assert len(message) < CH["details"]


def test_update_details_with_every_list_full_of_the_longest_names_fits() -> None:
    """100 services and 100 responders of 200 characters, every other detail at its limit."""
    names = [f"{i:03d}" + "s" * (CH["name"] - 3) for i in range(LIMITS.items("names"))]
    record = run(
        DECLARE,
        {
            "type": "update_details",
            "release": "r" * CH["line"],
            "rollback_target": "t" * CH["line"],
            "slack_thread": "https://example.slack.com/" + "p" * (CH["url"] - 26),
            "detected_how": "h" * CH["short"],
            "detected_at": at(0),
            "impact_started_at": at(0),
            "services": names,
            "responders": names,
        },
    )
    reloads(record)
    assert record.services == tuple(names)


HOSTILE_GROWTH = "<!" * 10  # safe() makes each "<!" three characters in a Slack text


def test_every_field_at_its_limit_through_every_action_reloads() -> None:
    """A whole incident with every free text at its limit, made of characters the Slack
    escaping lengthens, through every message kind: each step reloads strictly."""
    long = {name: (HOSTILE_GROWTH * (n // len(HOSTILE_GROWTH) + 1))[:n] for name, n in CH.items()}
    name = "N" * CH["name"]
    steps = [
        {"type": "declare", "summary": long["summary"], "by": name},
        {"type": "take_command", "oncall": name},
        {"type": "change_ic", "to": "M" * CH["name"], "reason": long["short"]},
        {"type": "log_message", "kind": "handover"},
        {"type": "update_details", "detected_how": long["short"], "slack_thread": "https://x/"},
        *ANSWERS,
        {"type": "decide", "action": "fix_forward", "deviation_reason": long["deviation_reason"]},
        {"type": "start_mitigation", "action": "fix_forward"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": long["notes"]},
        {"type": "start_mitigation", "action": "roll_back"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": long["notes"]},
        {"type": "escalate", "to": name, "doing": long["short"]},
        {"type": "acknowledge_escalation", "by": name},
        {"type": "status_update", "text": long["status_text"]},
        {"type": "add_timeline", "event": long["note"], "who": name},
        {"type": "add_follow_up", "text": long["short"], "owner": name},
        {
            "type": "resolve",
            "details": long["details"],
            "data_lost": "unknown",
            "without_mitigation": long["short"],
        },
        {"type": "log_message", "kind": "resolution"},
        {"type": "log_message", "kind": "declaration"},
    ]
    record = Record()
    for n, step in enumerate(steps):
        record = reloads(apply(record, step, at(n), ORG))
    assert {c.kind for c in record.communications} == set(load_table().values("message_kind"))


def test_one_more_entry_on_a_full_timeline_is_refused_and_changes_nothing() -> None:
    """At the timeline's limit every action that adds an entry is refused, saying what to do;
    the record (and its file) stays as it was, and removing a note makes room again."""
    declared = run(DECLARE)
    notes = tuple(
        TimelineEntry(at=T0, event=f"note {i}", who="Sam")
        for i in range(LIMITS.items("timeline") - len(declared.timeline))
    )
    full = declared.evolve(timeline=declared.timeline + notes)
    text = full.to_json()
    assert record_from_json(text) == full
    for action in (
        {"type": "add_timeline", "event": "one more"},
        {"type": "take_command", "oncall": "Lee"},
        {"type": "status_update", "text": "still down"},
    ):
        with pytest.raises(InvalidInput) as err:
            apply(full, action, at(5), ORG)
        assert err.value.field == "timeline"
        assert f"holds {LIMITS.items('timeline'):,} entries" in err.value.problem
        assert "remove notes" in err.value.problem and "export" in err.value.problem
        assert full.to_json() == text
    room = apply(full, {"type": "remove_timeline", "index": len(full.timeline) - 1}, at(5), ORG)
    apply(room, {"type": "add_timeline", "event": "one more"}, at(6), ORG)


def test_a_text_over_its_limit_is_refused_naming_the_field_and_the_limit() -> None:
    """The action's own check, from the same declaration: notes one over the limit."""
    record = run(DECLARE, COMMAND, *ANSWERS, *ROLL_BACK)
    over = CH["notes"] + 1
    with pytest.raises(InvalidInput) as err:
        apply(
            record, {"type": "mitigation_outcome", "outcome": "failed", "notes": "x" * over}, at(9)
        )
    assert err.value.field == "notes"
    assert f"is {over:,} characters; the limit is {CH['notes']:,}" in err.value.problem


def test_a_huge_text_is_refused_with_the_fields_own_limit() -> None:
    """200 kB of status text names the status text's limit, not an internal one."""
    record = run(DECLARE)
    with pytest.raises(InvalidInput) as err:
        apply(record, {"type": "status_update", "text": "x" * 200_000}, at(3))
    assert err.value.field == "text"
    assert f"the limit is {CH['status_text']:,}" in err.value.problem


# ------------------------------------------------------------ one declaration, every reader


def test_every_action_field_limit_is_a_declared_limit() -> None:
    """transitions.toml names limits; every text field of every action has one of them, and
    the record's field that stores it has the same limit (the loader never refuses it)."""
    table = load_table()
    values = set(CH.values())
    for spec in table.actions.values():
        for f in spec.fields:
            if f.type in ("line", "text", "name", "url", "incident_id"):
                assert f.max in values, (spec.type, f.name)
    # A list of names typed as one line has no length of its own (each name has the limit).
    from runbook_core.view import page_model

    assert "services" not in page_model()["limits"]["update_details"]
    schema = json.loads(record_json_schema())
    props = schema["properties"]
    assert props["summary"]["maxLength"] == table.actions["declare"].field("summary").max
    assert props["services"]["maxItems"] == LIMITS.items("names")
    assert props["services"]["items"]["maxLength"] == CH["name"]
    assert props["timeline"]["maxItems"] == LIMITS.items("timeline")
    mitigation = schema["$defs"]["Mitigation"]["properties"]
    assert (
        mitigation["notes"]["maxLength"] == table.actions["mitigation_outcome"].field("notes").max
    )


def record_json_schema() -> str:
    from runbook_core.schema import schema_json

    return schema_json()


def test_the_year_pattern_matches_exactly_the_declared_years() -> None:
    """Every 4-digit year against the generated pattern (a finite space: all of it)."""
    pattern = re.compile(f"^{number_range(LIMITS.first_year, LIMITS.last_year, 4)}{END}")
    for year in range(10_000):
        assert bool(pattern.search(f"{year:04d}")) == (
            LIMITS.first_year <= year <= LIMITS.last_year
        ), year


@pytest.mark.parametrize(("low", "high"), [(0, 9999), (1, 9998), (1970, 2038), (5, 5), (9, 10)])
def test_number_range_is_exact(low: int, high: int) -> None:
    pattern = re.compile(f"^{number_range(low, high, 4)}{END}")
    assert [n for n in range(10_000) if pattern.search(f"{n:04d}")] == list(range(low, high + 1))


def test_the_time_pattern_knows_the_calendar() -> None:
    """Every month and day of a leap and a common year, and 29 February of every year."""
    import calendar
    from datetime import date, timedelta

    pattern = re.compile(time_pattern())
    for year in (2024, 2026, 2000, 2100):
        day = date(year, 1, 1)
        while day.year == year:
            assert pattern.search(f"{day.isoformat()}T00:00:00Z")
            day += timedelta(days=1)
        for month in range(1, 13):
            last = calendar.monthrange(year, month)[1]
            assert not pattern.search(f"{year}-{month:02d}-{last + 1:02d}T00:00:00Z")
    for year in range(LIMITS.first_year, LIMITS.last_year + 1):
        assert bool(pattern.search(f"{year:04d}-02-29T12:00:00Z")) == calendar.isleap(year)


def test_clip_marks_what_it_cuts() -> None:
    assert clip("abc", 5) == "abc"
    assert clip("abcdef", 4) == "abc…" and len(clip("x" * 5000)) == CH["quote"]


def test_the_org_words_are_bounded_like_names(tmp_path) -> None:
    """A team's channel or contact goes into entries and messages: over a name's limit it is
    refused when the org file is read."""
    from runbook_core import DataFileError

    org = tmp_path / "org.toml"
    org.write_text(f'channel = "#{"c" * CH["name"]}"\n', "utf-8")
    with pytest.raises(DataFileError) as err:
        load_org(org)
    assert err.value.key == "channel"


# ---------------------------------------------------- a record over a limit: read-only


def over_limit_record() -> str:
    """What the page wrote before this version: a failed rollback whose entry quotes 20,000
    characters of notes (issue 14, finding 1), made longer than any limit now allows."""
    data = json.loads(failed_rollback("n" * 10).to_json())
    entry = next(e for e in data["timeline"] if e["event"].startswith("Rollback failed"))
    entry["event"] = "Rollback failed: " + "n" * CH["derived"]
    return json.dumps(data)


def test_a_record_over_a_limit_opens_read_only_and_says_why() -> None:
    text = over_limit_record()
    with pytest.raises(Exception, match=r"the limit is 50,000"):
        record_from_json(text)
    loaded = load_record_json(text)
    assert len(loaded.problems) == 1
    assert loaded.problems[0].field.startswith("record.timeline[") and loaded.read_only
    assert "read-only" in loaded.read_only and "shorten" in loaded.read_only


def test_the_bridge_refuses_changes_to_a_read_only_record_and_still_exports() -> None:
    """render and import open it with view.read_only and every action refused with that
    reason; dispatch refuses, returning the record as it was; export keeps every word."""
    text = over_limit_record()
    for reply in (
        json.loads(widget.render(text, at(30))),
        json.loads(widget.import_record(text, at(30))),
    ):
        assert reply["ok"], reply["error"]
        reason = reply["view"]["read_only"]
        assert reason and all(
            not a["allowed"] and a["why_not"] == reason for a in reply["view"]["actions"].values()
        )
        assert reply["view"]["ticket"] and reply["view"]["messages"]
    reply = json.loads(widget.dispatch(text, json.dumps({"type": "escalate"}), at(30)))
    assert not reply["ok"] and reply["error"]["message"] == reason
    assert reply["record"] == json.loads(text)
    assert json.loads(widget.export_record(text)) == json.loads(text)


def test_the_cli_reads_a_read_only_record_and_refuses_to_change_it(tmp_path, capsys) -> None:
    from runbook_core.cli import main

    state = tmp_path / "incident.json"
    state.write_text(over_limit_record(), "utf-8")
    before = state.read_bytes()
    assert main(["ticket", "--state", str(state)]) == 0
    assert main(["messages", "--state", str(state)]) == 0
    capsys.readouterr()
    assert main(["apply", "--state", str(state), '{"type": "escalate"}']) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "unchanged" in err and len(err.strip().splitlines()) == 1
    assert state.read_bytes() == before


def test_a_record_at_every_old_limit_written_by_the_page_is_not_read_only() -> None:
    """Raising `derived` made the records the earlier version could write open normally: its
    longest entry (update_details, 40,438 characters in the issue) and escalation message."""
    names = ["s" * 200] * 100
    record = run(DECLARE, {"type": "update_details", "services": names, "responders": names})
    data = json.loads(record.to_json())
    assert not load_record_json(json.dumps(data)).problems


def test_a_full_list_is_named_by_the_view_before_the_action_is_tried() -> None:
    """allowed_now says what apply says: the page shows why before the IC fills a form."""
    from runbook_core.record import FollowUp
    from runbook_core.transitions import allowed_now

    declared = run(DECLARE)
    most = LIMITS.items("list")
    items = declared.evolve(follow_ups=(FollowUp("done"),) * most)
    verdict = allowed_now(items, at(5))["add_follow_up"]
    assert not verdict["allowed"] and "follow-ups" in verdict["why_not"]
    with pytest.raises(InvalidInput) as err:
        apply(items, {"type": "add_follow_up", "text": "one more"}, at(5), ORG)
    assert err.value.field == "follow_ups" and err.value.problem == verdict["why_not"]
    assert allowed_now(items, at(5))["remove_follow_up"]["allowed"]


def test_times_at_the_ends_of_the_window_never_overflow() -> None:
    """Declared in the last minute of the last year, an incident works (next update, view,
    messages, ticket, reload); a year past either end is refused with a one-line domain error,
    never an OverflowError, and "yesterday" from the first day stays in the window."""
    from runbook_core.view import view

    last = f"{LIMITS.last_year}-12-31T23:58:00Z"
    record = apply(Record(), DECLARE, last, ORG)
    record = apply(record, {"type": "status_update", "text": "x"}, last, ORG)
    reloads(record)
    assert view(record, last, org=ORG)["next_update_due"].startswith(f"{LIMITS.last_year + 1}")
    for bad in (
        f"{LIMITS.last_year + 1}-01-01T00:00:00Z",
        "9999-12-31T23:59:00+00:00",
        "0001-01-01T00:00:00-01:00",
        f"{LIMITS.first_year - 1}-12-31T23:59:59Z",
    ):
        with pytest.raises(InvalidInput) as err:
            apply(Record(), DECLARE, bad, ORG)
        assert err.value.field == "now" and "\n" not in str(err.value)
    first = f"{LIMITS.first_year}-01-01T00:01:00Z"
    declared = apply(Record(), DECLARE, first, ORG)
    with pytest.raises(InvalidInput) as err:
        apply(declared, {"type": "add_timeline", "event": "x", "at": "23:00"}, first, ORG)
    assert err.value.field == "at" and "years" in err.value.problem

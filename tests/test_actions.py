"""The IC's actions through the declared state machine: what each records, and what it refuses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from runbook_core import InvalidInput, Record, apply, load_org, load_runbook
from runbook_core.derive import (
    before_declaration,
    decision_stale,
    escalation_required,
    major_incident,
    phase,
    status,
)
from runbook_core.table import load_table
from runbook_core.transitions import RESOLVED, allowed_now, check_guard_table, not_declared
from tests.helpers import replay
from tests.strategies import incidents

T0 = "2026-11-28T21:40:00Z"
ORG = load_org()


def at(minute: int) -> str:
    return f"2026-11-28T{21 + (40 + minute) // 60}:{(40 + minute) % 60:02d}:00Z"


def _declared() -> Record:
    return apply(Record(), {"type": "declare", "summary": "API down", "by": "Dana"}, T0)


def _steps(record: Record, *actions: dict, start: int = 1) -> Record:
    for minute, action in enumerate(actions, start=start):
        record = apply(record, action, at(minute))
    return record


def _answers(**values: str) -> list[dict]:
    return [{"type": "answer", "question": q, "value": v} for q, v in values.items()]


MINOR = _answers(scope="subset", data_loss="no", degradation="minor")
PERMITTED = _answers(
    scope="subset", data_loss="no", degradation="minor", fix_understood="yes", hotfix_faster="yes"
)


def test_the_table_names_exactly_the_guards_transitions_defines() -> None:
    """transitions.toml and transitions.py agree on the guards (no dangling name either way)."""
    check_guard_table()


def test_declaring_records_time_a_unique_id_and_the_first_entry() -> None:
    """Declared time, an ID of the declared minute plus a random part, the channel named."""
    record = _declared()
    assert record.declared_at == T0
    assert re.fullmatch(r"INC-20261128-2140-[0-9A-HJKMNP-TV-Z]{4}", record.incident_id)
    assert record.timeline[0].kind == "declared" and ORG.channel in record.timeline[0].event
    assert phase(record) == "investigating"


def test_nothing_but_declare_is_possible_before_the_declaration() -> None:
    """Every other action says to declare first (runbook 3.1: the declare action's cite)."""
    verdicts = allowed_now(Record(), T0)
    assert verdicts.pop("declare") == {"allowed": True, "why_not": ""}
    assert all(v == {"allowed": False, "why_not": not_declared()} for v in verdicts.values())
    assert not_declared() == "declare the incident first (runbook 3.1)"


def test_on_call_is_the_default_ic() -> None:
    """3.1: the on-call engineer is the default IC; the reason cites it."""
    record = _steps(_declared(), {"type": "take_command", "oncall": "Sam"})
    assert record.ic == "Sam" and "default IC" in record.ic_changes[0].reason


def test_first_responder_assumes_ic_when_on_call_is_unavailable() -> None:
    """Section 5: IC unavailable → the first engineer to respond assumes IC."""
    action = {
        "type": "take_command",
        "oncall": "Sam",
        "oncall_available": False,
        "first_responder": "Lee",
    }
    record = _steps(_declared(), action)
    assert record.ic == "Lee" and record.oncall == "Sam"
    assert "first engineer to respond" in record.ic_changes[0].reason


def test_on_call_unavailable_without_a_first_responder_is_refused() -> None:
    """The error names the field to fill."""
    with pytest.raises(InvalidInput) as err:
        _steps(_declared(), {"type": "take_command", "oncall_available": False})
    assert err.value.field == "first_responder"


def test_command_changes_hands_only_by_handover() -> None:
    """A second take_command is refused; change_ic keeps the history with time and reason."""
    record = _steps(_declared(), {"type": "take_command", "oncall": "Sam"})
    with pytest.raises(InvalidInput, match="hand over"):
        _steps(record, {"type": "take_command", "oncall": "Lee"}, start=2)
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "change_ic", "to": "Sam", "reason": "x"}, start=2)
    assert err.value.field == "to"
    record = _steps(record, {"type": "change_ic", "to": "Lee", "reason": "Shift change"}, start=2)
    assert [c.to for c in record.ic_changes] == ["Sam", "Lee"]
    assert "handed over from Sam to Lee" in record.timeline[-1].event


# --------------------------------------------------------------------------- the decision


def test_fix_forward_the_runbook_does_not_permit_needs_a_written_reason() -> None:
    """3.2: fix forward only when the three conditions hold; otherwise it is a deviation with a
    reason, kept in the record."""
    record = _steps(_declared(), *MINOR)
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "decide", "action": "fix_forward"}, start=5)
    assert err.value.field == "deviation_reason"
    record = _steps(
        record,
        {"type": "decide", "action": "fix_forward", "deviation_reason": "Legal deadline"},
        start=5,
    )
    assert record.decision.deviation_reason == "Legal deadline"
    assert record.decision.fix_forward_permitted is False


@pytest.mark.parametrize(
    "answers", [[], MINOR, PERMITTED], ids=["unassessed", "minor", "permitted"]
)
def test_roll_back_never_needs_a_reason(answers: list[dict]) -> None:
    """Roll back is the default and preferred response (3.2): whatever the answers, choosing it
    needs no reason, and a reason typed anyway is not recorded as a deviation."""
    record = _steps(_declared(), *answers)
    decided = _steps(record, {"type": "decide", "action": "roll_back"}, start=9)
    assert decided.decision.action == "roll_back" and decided.decision.deviation_reason == ""
    typed = _steps(
        record, {"type": "decide", "action": "roll_back", "deviation_reason": "n/a"}, start=9
    )
    assert typed.decision.deviation_reason == ""


def test_fix_forward_the_runbook_permits_needs_no_reason() -> None:
    """All three conditions hold: fix forward is permitted (not recommended) and needs no reason."""
    record = _steps(_declared(), *PERMITTED, {"type": "decide", "action": "fix_forward"})
    assert record.decision.fix_forward_permitted is True
    assert record.decision.deviation_reason == ""
    assert "permitted" in record.timeline[-1].event


def test_a_decision_goes_stale_when_an_answer_changes_and_mitigation_waits() -> None:
    """An impact or fix-forward answer changed after the decision: start is refused until the IC
    decides again; the same answer again changes nothing."""
    record = _steps(_declared(), *PERMITTED, {"type": "decide", "action": "fix_forward"})
    same = _steps(record, *_answers(data_loss="no"), start=7)
    assert same == record
    record = _steps(record, *_answers(data_loss="yes"), start=7)
    assert decision_stale(record) and "must be made again" in record.timeline[-1].event
    verdict = allowed_now(record, at(8))["start_mitigation"]
    assert not verdict["allowed"]
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "start_mitigation"}, start=8)
    assert err.value.problem == verdict["why_not"]
    record = _steps(
        record, {"type": "decide", "action": "roll_back"}, {"type": "start_mitigation"}, start=8
    )
    assert record.mitigations[-1].action == "roll_back"


# ---------------------------------------------------------------------------- mitigation


def test_mitigation_follows_the_decision() -> None:
    """After roll back is decided, a hotfix needs a written reason; roll back needs none after
    any decision and then becomes the decision."""
    record = _steps(_declared(), *MINOR, {"type": "decide", "action": "roll_back"})
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "start_mitigation", "action": "fix_forward"}, start=5)
    assert err.value.field == "deviation_reason"
    record = _steps(
        _declared(),
        *MINOR,
        {"type": "decide", "action": "fix_forward", "deviation_reason": "Tax change must ship"},
        {"type": "start_mitigation", "action": "roll_back"},
    )
    assert record.decision.action == "roll_back" and record.mitigations[-1].action == "roll_back"
    assert record.decision.deviation_reason == ""


def test_outcome_before_a_mitigation_is_refused() -> None:
    """Order matters: a mitigation must be started before its outcome."""
    with pytest.raises(InvalidInput) as err:
        _steps(
            _declared(),
            {"type": "decide", "action": "roll_back"},
            {"type": "mitigation_outcome", "outcome": "succeeded"},
        )
    assert err.value.field == "type" and "start a rollback or hotfix" in err.value.problem


def test_a_failed_rollback_makes_escalation_required_not_recorded() -> None:
    """Section 5: a major incident; escalation is required until the IC records it (nothing is
    logged as sent that was not); resolve waits for it."""
    record = _steps(
        _declared(),
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": "Migration 0042"},
    )
    assert not record.escalations and not record.communications
    assert escalation_required(record) and major_incident(record)
    assert status(record).startswith("Major incident: escalation required")
    # The timeline keeps what happened; the instruction is the view's (issue 16.8).
    assert record.timeline[-1].event == "Rollback failed: Migration 0042"
    assert not any("escalate immediately" in e.event.lower() for e in record.timeline)
    assert not allowed_now(record, at(4))["resolve"]["allowed"]
    record = _steps(record, {"type": "escalate", "doing": "Restoring from backup"}, start=4)
    escalation = record.escalations[0]
    assert (escalation.to, escalation.for_mitigation, escalation.reason) == (
        ORG.escalation_contact,
        0,
        "Migration 0042",
    )
    assert not escalation_required(record) and status(record).startswith(
        "Major incident, escalated"
    )
    record = _steps(record, {"type": "acknowledge_escalation", "by": "Alex"}, start=5)
    assert record.escalations[0].acknowledged_by == "Alex"
    assert record.escalations[0].acknowledged_at == at(5)


def test_failed_hotfix_falls_back_to_rollback_and_cites_no_section() -> None:
    """Not in the runbook: roll back (the default), saying so without citing a section."""
    outcome = load_runbook().outcomes["fix_forward_failed"]
    assert outcome.section is None and "does not cover" in outcome.text
    record = replay("hotfix-failed-then-rollback")
    assert [m.action for m in record.mitigations] == ["fix_forward", "roll_back"]
    assert not any(outcome.text in e.event for e in record.timeline)  # an instruction
    assert any(
        e.kind == "decision" and "the runbook does not cover that" in e.event
        for e in record.timeline
    )
    assert not record.escalations
    mid = _steps(
        _declared(),
        *PERMITTED,
        {"type": "decide", "action": "fix_forward"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed"},
    )
    with pytest.raises(InvalidInput) as err:  # another hotfix is a deviation
        _steps(mid, {"type": "start_mitigation", "action": "fix_forward"}, start=10)
    assert err.value.field == "deviation_reason" and "does not cover" in err.value.problem
    assert _steps(mid, {"type": "start_mitigation"}, start=10).mitigations[-1].action == "roll_back"


# ----------------------------------------------------------------------------- resolving


def test_resolve_needs_a_successful_mitigation_or_a_reason() -> None:
    """No rollback or hotfix succeeded: resolving needs a written reason (e.g. a false alarm)."""
    with pytest.raises(InvalidInput) as err:
        _steps(_declared(), {"type": "resolve", "details": "ok", "data_lost": "no"})
    assert err.value.field == "without_mitigation"
    record = _steps(
        _declared(),
        {
            "type": "resolve",
            "details": "ok",
            "data_lost": "no",
            "without_mitigation": "False alarm",
        },
    )
    assert record.resolution.without_mitigation == "False alarm"


def test_resolving_again_amends_and_keeps_the_resolved_time_reopen_unlocks() -> None:
    """Re-resolving amends the details, not the time; reopening clears the resolution (kept in
    the timeline) and answers unlock again."""
    resolve = {"type": "resolve", "details": "ok", "data_lost": "no", "without_mitigation": "x"}
    record = _steps(_declared(), resolve)
    amended = _steps(record, {**resolve, "details": "Better words"}, start=5)
    assert amended.resolution.at == record.resolution.at == at(1)
    assert amended.resolution.details == "Better words"
    with pytest.raises(InvalidInput) as err:
        _steps(amended, *_answers(scope="all"), start=6)
    assert err.value.problem == RESOLVED
    reopened = _steps(amended, {"type": "reopen", "reason": "Errors are back"}, start=6)
    assert reopened.resolution is None and phase(reopened) == "investigating"
    assert any("Errors are back" in e.event for e in reopened.timeline)
    assert _steps(reopened, *_answers(scope="all"), start=7).impact.scope == "all"


# ----------------------------------------------------------------------------- the timeline


def test_correcting_a_timeline_time_corrects_the_key_time_and_keeps_the_id() -> None:
    """Editing the declared entry's time moves declared_at too; the incident ID stays."""
    record = _declared()
    edited = _steps(
        record, {"type": "edit_timeline", "index": 0, "at": "2026-11-28T21:35:00+00:00"}
    )
    assert edited.declared_at == "2026-11-28T21:35:00Z" == edited.timeline[0].at
    assert edited.incident_id == record.incident_id


def test_derived_entries_keep_their_text_and_cannot_be_removed_notes_can() -> None:
    """The declared entry cannot be removed or reworded; a free note can be changed or removed."""
    record = _steps(_declared(), {"type": "add_timeline", "event": "Paged DBA"})
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "remove_timeline", "index": 0}, start=2)
    assert err.value.field == "index"
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "edit_timeline", "index": 0, "event": "Nothing happened"}, start=2)
    assert err.value.field == "event"
    edited = _steps(
        record,
        {"type": "edit_timeline", "index": 1, "event": "Paged the DBA", "who": "Lee"},
        start=2,
    )
    assert (edited.timeline[1].event, edited.timeline[1].who) == ("Paged the DBA", "Lee")
    assert len(_steps(record, {"type": "remove_timeline", "index": 1}, start=2).timeline) == 1


def test_a_clock_time_is_the_latest_such_moment_not_in_the_future() -> None:
    """ "HH:MM" (UTC) is today when that is not ahead of now, else yesterday."""
    record = _steps(_declared(), {"type": "add_timeline", "event": "x", "at": "21:30"})
    assert record.timeline[-1].at == "2026-11-28T21:30:00Z"
    record = _steps(_declared(), {"type": "add_timeline", "event": "x", "at": "23:00"})
    assert record.timeline[-1].at == "2026-11-27T23:00:00Z"


def test_times_far_in_the_future_are_refused_times_before_the_declaration_flagged() -> None:
    """More than 5 minutes ahead is a typo (UTC hour); earlier than the declaration is allowed."""
    with pytest.raises(InvalidInput) as err:
        _steps(_declared(), {"type": "add_timeline", "event": "x", "at": "2026-11-28T21:47:00Z"})
    assert err.value.field == "at" and "5 minutes" in err.value.problem
    record = _steps(
        _declared(), {"type": "add_timeline", "event": "x", "at": "2026-11-28T21:44:00Z"}
    )
    assert record.timeline[-1].at == "2026-11-28T21:44:00Z"
    record = _steps(
        _declared(), {"type": "add_timeline", "event": "Deploy", "at": "2026-11-28T21:00:00Z"}
    )
    assert before_declaration(record, record.timeline[-1].at)


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "explode"}, "type"),
        ({"type": "answer", "question": "scope", "value": "most"}, "scope"),
        ({"type": "answer", "question": "mood", "value": "yes"}, "question"),
        ({"type": "answer", "question": "scope"}, "value"),
        ({"type": "decide"}, "action"),
        ({"type": "add_timeline", "event": "x", "at": "yesterday"}, "at"),
        ({"type": "add_timeline", "event": "x", "at": "25:61"}, "at"),
        ({"type": "add_timeline", "event": "x", "at": "2026-11-28T21:40"}, "at"),
        ({"type": "add_timeline", "event": "x", "surprise": 1}, "surprise"),
        ({"type": "edit_timeline", "index": 7, "at": T0}, "index"),
        ({"type": "edit_timeline", "index": True, "at": T0}, "index"),
        ({"type": "edit_timeline", "index": 0}, "at"),
        ({"type": "resolve", "details": "ok", "data_lost": "maybe"}, "data_lost"),
        ({"type": "update_details"}, "release"),
        ({"type": "update_details", "slack_thread": "javascript:alert(1)"}, "slack_thread"),
        ({"type": "update_details", "services": 3}, "services"),
        ({"type": "log_message", "kind": "status_update"}, "kind"),
        ({"type": "change_ic", "to": "Lee", "reason": "x"}, "to"),
        ({"type": "acknowledge_escalation", "by": "Alex"}, "by"),
        ({"type": "correct_summary", "summary": "x" * 501}, "summary"),
    ],
    ids=[
        "unknown-type",
        "bad-answer",
        "bad-question",
        "missing-answer",
        "missing-choice",
        "time-in-words",
        "impossible-clock-time",
        "time-without-zone",
        "unknown-field",
        "index-out-of-range",
        "index-not-a-number",
        "edit-without-change",
        "bad-data-lost",
        "no-detail",
        "not-a-web-link",
        "names-not-a-list",
        "status-update-by-log-message",
        "handover-to-nobody-in-command",
        "nothing-to-acknowledge",
        "summary-too-long",
    ],
)
def test_bad_input_names_the_field(action: dict, field: str) -> None:
    """Each refusal says which field and what to do, and the record passed in is unchanged."""
    record = _declared()
    snapshot = record.to_json()
    with pytest.raises(InvalidInput) as err:
        apply(record, action, "2026-11-28T21:50:00Z")
    assert err.value.field == field and err.value.problem
    assert record.to_json() == snapshot


@pytest.mark.parametrize(
    ("summary", "field"),
    [("  ", "summary"), ("x" * 501, "summary"), ("a\ud800b", "summary")],
    ids=["blank", "too-long", "lone-surrogate"],
)
def test_a_bad_summary_is_refused_at_declaration(summary: str, field: str) -> None:
    """The summary is required, at most 500 characters, and real text."""
    with pytest.raises(InvalidInput) as err:
        apply(Record(), {"type": "declare", "summary": summary}, T0)
    assert err.value.field == field


def test_a_bad_now_is_refused() -> None:
    """The moment an action happens must be an ISO 8601 time with a timezone."""
    with pytest.raises(InvalidInput) as err:
        apply(Record(), {"type": "declare", "summary": "x"}, "yesterday")
    assert err.value.field == "now"


def test_every_action_of_the_table_has_an_effect_and_a_section() -> None:
    """Each action cites a runbook section (or None: not in the runbook)."""
    from runbook_core.actions import EFFECTS

    table = load_table()
    assert set(EFFECTS) == set(table.actions)
    runbook = load_runbook()
    assert all(spec.section in (*runbook.sections, None) for spec in table.actions.values())


# --------------------------------------------------------------------- random incidents


@settings(max_examples=25)
@given(incidents())
def test_every_key_time_is_mirrored_by_its_timeline_entry(record: Record) -> None:
    """Every key time the record holds appears as the timeline entry that mirrors it."""
    refs = {e.ref: e.at for e in record.timeline if e.ref}
    assert refs.get("declared_at") == record.declared_at
    if record.decision:
        assert refs.get("decision.at") == record.decision.at
    for i, m in enumerate(record.mitigations):
        assert refs.get(f"mitigations.{i}.started_at") == m.started_at
    for i, e in enumerate(record.escalations):
        assert refs.get(f"escalations.{i}.at") == e.at


@settings(max_examples=25)
@given(incidents())
def test_fix_forward_against_the_runbook_always_has_a_reason(record: Record) -> None:
    """A fix-forward decision the runbook did not permit carries the IC's written reason."""
    decision = record.decision
    if decision and decision.action == "fix_forward" and not decision.fix_forward_permitted:
        assert decision.deviation_reason.strip()


@settings(max_examples=25)
@given(incidents())
def test_a_resolved_failed_rollback_was_escalated(record: Record) -> None:
    """Resolved after a failed rollback: an escalation answers the latest failure."""
    failed = [
        i
        for i, m in enumerate(record.mitigations)
        if m.action == "roll_back" and m.outcome == "failed"
    ]
    if record.resolution and failed:
        assert any(
            e.for_mitigation is not None and e.for_mitigation >= failed[-1]
            for e in record.escalations
        )

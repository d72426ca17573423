"""The IC's actions as transitions: what each records, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from runbook_core import InvalidInput, Record, apply
from runbook_core.derive import major_incident, status
from tests.helpers import replay
from tests.strategies import incidents

T0 = "2026-11-28T21:40:00Z"


def _declared() -> Record:
    return apply(Record(), {"type": "declare", "summary": "API down", "by": "Dana"}, T0)


def _steps(record: Record, *actions: dict) -> Record:
    for minute, action in enumerate(actions, start=1):
        record = apply(record, action, f"2026-11-28T21:{40 + minute:02d}:00Z")
    return record


def test_declaring_records_time_id_and_timeline() -> None:
    """Declared time, an id from it, and the first timeline entry."""
    record = _declared()
    assert record.declared_at == T0 and record.incident_id == "INC-20261128-2140"
    assert record.timeline[0].kind == "declared" and "#releases" in record.timeline[0].event


def test_on_call_is_the_default_ic() -> None:
    """3.1: the on-call engineer is the default IC; the reason cites it."""
    record = _steps(_declared(), {"type": "take_command", "oncall": "Sam"})
    assert record.ic == "Sam" and "default IC" in record.ic_changes[0].reason


def test_first_responder_assumes_ic_when_on_call_is_unavailable() -> None:
    """Section 5: IC unavailable → the first engineer to respond assumes IC."""
    record = _steps(
        _declared(),
        {
            "type": "take_command",
            "oncall": "Sam",
            "oncall_available": False,
            "first_responder": "Lee",
        },
    )
    assert record.ic == "Lee" and record.oncall == "Sam"
    assert "first engineer to respond" in record.ic_changes[0].reason


def test_on_call_unavailable_without_a_first_responder_is_refused() -> None:
    """The error names the field to fill."""
    with pytest.raises(InvalidInput) as err:
        _steps(_declared(), {"type": "take_command", "oncall_available": False})
    assert err.value.field == "first_responder"


def test_every_ic_change_is_recorded() -> None:
    """Handovers keep the history, each with a time and reason."""
    record = _steps(
        _declared(),
        {"type": "take_command", "oncall": "Sam"},
        {"type": "change_ic", "to": "Lee", "reason": "Shift change"},
    )
    assert [c.to for c in record.ic_changes] == ["Sam", "Lee"]
    assert "handed over from Sam to Lee" in record.timeline[-1].event


def _minor(record: Record) -> Record:
    return _steps(
        record,
        {"type": "answer", "question": "scope", "value": "subset"},
        {"type": "answer", "question": "data_loss", "value": "no"},
        {"type": "answer", "question": "degradation", "value": "minor"},
    )


def test_choosing_against_the_recommendation_requires_a_reason() -> None:
    """Fix forward without the conditions needs a written reason, kept in the record."""
    record = _minor(_declared())
    with pytest.raises(InvalidInput) as err:
        _steps(record, {"type": "decide", "action": "fix_forward"})
    assert err.value.field == "deviation_reason"
    record = _steps(
        record, {"type": "decide", "action": "fix_forward", "deviation_reason": "Legal deadline"}
    )
    assert record.decision.deviation_reason == "Legal deadline"
    assert record.decision.recommended == "roll_back"


def test_following_the_recommendation_keeps_no_deviation_text() -> None:
    """A reason typed but not needed is not recorded as a deviation."""
    record = _steps(
        _minor(_declared()), {"type": "decide", "action": "roll_back", "deviation_reason": "n/a"}
    )
    assert record.decision.deviation_reason == ""


def test_failed_rollback_is_a_major_incident_escalated_at_once() -> None:
    """Section 5: escalate immediately to the Head of Engineering; time recorded."""
    record = replay("rollback-failed-escalated")
    assert record.escalations[0].to == "Head of Engineering"
    failed = record.mitigations[0]
    assert failed.outcome == "failed" and record.escalations[0].at == failed.ended_at
    mid = _steps(
        _declared(),
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed"},
    )
    assert major_incident(mid) and status(mid).startswith("Major incident")


def test_failed_hotfix_falls_back_to_rollback_and_says_so() -> None:
    """Not in the runbook: roll back (the default), with a timeline note saying so."""
    record = replay("hotfix-failed-then-rollback")
    assert [m.action for m in record.mitigations] == ["fix_forward", "roll_back"]
    assert any("does not cover a failed hotfix" in e.event for e in record.timeline)
    assert not record.escalations


def test_outcome_before_a_mitigation_is_refused() -> None:
    """Order matters: a mitigation must be started before its outcome."""
    with pytest.raises(InvalidInput):
        _steps(
            _declared(),
            {"type": "decide", "action": "roll_back"},
            {"type": "mitigation_outcome", "outcome": "succeeded"},
        )


def test_correcting_a_timeline_time_corrects_the_key_time() -> None:
    """Editing the declared entry's time moves declared_at too."""
    record = _steps(
        _declared(), {"type": "edit_timeline", "index": 0, "at": "2026-11-28T21:35:00+00:00"}
    )
    assert (
        record.declared_at == "2026-11-28T21:35:00Z" and record.timeline[0].at == record.declared_at
    )


def test_key_time_entries_cannot_be_removed_but_notes_can() -> None:
    """Removing the declared entry is refused; a free note goes."""
    record = _steps(_declared(), {"type": "add_timeline", "event": "Paged DBA"})
    with pytest.raises(InvalidInput):
        _steps(record, {"type": "remove_timeline", "index": 0})
    assert len(_steps(record, {"type": "remove_timeline", "index": 1}).timeline) == 1


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "explode"}, "type"),
        ({"type": "declare", "summary": "  "}, "summary"),
        ({"type": "declare", "summary": "x" * 501}, "summary"),
        ({"type": "add_timeline", "event": "x", "at": "21:40"}, "at"),
        ({"type": "add_timeline", "event": "x", "at": "2026-11-28T21:40"}, "at"),
        ({"type": "edit_timeline", "index": 7, "at": T0}, "index"),
        ({"type": "resolve", "details": "ok", "data_lost": "maybe"}, "data_lost"),
    ],
    ids=[
        "unknown-type",
        "blank-summary",
        "long-summary",
        "time-without-date",
        "time-without-zone",
        "bad-index",
        "bad-choice",
    ],
)
def test_bad_input_names_the_field(action: dict, field: str) -> None:
    """Each refusal says which field and what to do."""
    with pytest.raises(InvalidInput) as err:
        apply(_declared(), action, "2026-11-28T21:50:00Z")
    assert err.value.field == field and str(err.value)


@settings(max_examples=40)
@given(incidents())
def test_timeline_only_grows_and_every_key_time_is_in_it(record: Record) -> None:
    """Every key time the record holds appears as a timeline entry that mirrors it."""
    refs = {e.ref: e.at for e in record.timeline if e.ref}
    assert refs.get("declared_at") == record.declared_at
    if record.decision:
        assert refs.get("decision.at") == record.decision.at
    for i, m in enumerate(record.mitigations):
        assert refs.get(f"mitigations.{i}.started_at") == m.started_at
    for i, e in enumerate(record.escalations):
        assert refs.get(f"escalations.{i}.at") == e.at


@settings(max_examples=40)
@given(incidents())
def test_failed_rollback_always_escalates(record: Record) -> None:
    """Every failed rollback has an escalation to the configured contact at the same time."""
    failed = [
        m.ended_at for m in record.mitigations if m.action == "roll_back" and m.outcome == "failed"
    ]
    escalated = {e.at for e in record.escalations if e.to == "Head of Engineering"}
    assert set(failed) <= escalated


@settings(max_examples=40)
@given(incidents())
def test_a_deviation_always_has_a_reason(record: Record) -> None:
    """Where the decision differs from the recommendation made then, a reason is written."""
    if record.decision and record.decision.action != record.decision.recommended:
        assert record.decision.deviation_reason.strip()

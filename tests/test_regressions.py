"""Regressions: one test per defect found in runbook_core, each failing on the code that had it."""

from __future__ import annotations

import json

import pytest

from runbook_core import Record, RecordError, apply, record_from_json

T0 = "2026-11-28T21:40:00Z"


def at(minute: int) -> str:
    return f"2026-11-28T{21 + (40 + minute) // 60}:{(40 + minute) % 60:02d}:00Z"


def declared() -> Record:
    return apply(Record(), {"type": "declare", "summary": "API down", "by": "Dana"}, T0)


def test_a_ref_may_not_name_a_timeline_time() -> None:
    """A ref naming another entry's time ("timeline.1.at") is refused at load: removing that
    note would otherwise leave a ref to nothing, and the saved incident would not load again."""
    record = apply(declared(), {"type": "add_timeline", "event": "Paged DBA"}, at(1))
    data = json.loads(record.to_json())
    data["timeline"][0]["ref"] = "timeline.1.at"
    with pytest.raises(RecordError) as err:
        record_from_json(json.dumps(data))
    assert err.value.field == "record.timeline[0].ref"


def _permitted(record: Record) -> Record:
    for minute, (question, value) in enumerate(
        (
            ("scope", "subset"),
            ("data_loss", "no"),
            ("degradation", "minor"),
            ("fix_understood", "yes"),
            ("hotfix_faster", "yes"),
        ),
        start=1,
    ):
        record = apply(record, {"type": "answer", "question": question, "value": value}, at(minute))
    return record


def test_a_hotfix_started_against_the_decision_keeps_the_reason_it_asked_for() -> None:
    """Roll back decided (fix forward permitted), then a hotfix started: the guard asks why,
    and the reason is recorded on the decision the hotfix now follows, not thrown away."""
    record = apply(_permitted(declared()), {"type": "decide", "action": "roll_back"}, at(10))
    action = {"type": "start_mitigation", "action": "fix_forward", "deviation_reason": "Sign-off"}
    record = apply(record, action, at(11))
    assert record.decision.action == "fix_forward"
    assert record.decision.deviation_reason == "Sign-off"
    assert "Sign-off" in record.timeline[-2].event


def test_the_status_says_escalation_required_while_resolve_waits_for_it() -> None:
    """A failed rollback, then a second one that succeeds: resolve is still refused until the
    escalation is recorded, so the status must still say it is required."""
    from runbook_core import InvalidInput
    from runbook_core.derive import escalation_required, status

    record = declared()
    for minute, action in enumerate(
        (
            {"type": "decide", "action": "roll_back"},
            {"type": "start_mitigation"},
            {"type": "mitigation_outcome", "outcome": "failed", "notes": "db"},
            {"type": "start_mitigation"},
            {"type": "mitigation_outcome", "outcome": "succeeded"},
        ),
        start=1,
    ):
        record = apply(record, action, at(minute))
    assert escalation_required(record)
    assert "escalation required" in status(record)
    with pytest.raises(InvalidInput):
        apply(record, {"type": "resolve", "details": "ok", "data_lost": "no"}, at(9))
    record = apply(record, {"type": "escalate"}, at(10))
    assert "escalation required" not in status(record)


V2 = '{"schema_version": 2, "summary": "x", "timeline": [], %s}'


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (V2 % ('"escalations": [{"at": "2026-11-28T21:40:00Z", "to": "x", "for_mitigation": %s}]' % ("9" * 5000)), "record.escalations[0].for_mitigation"),
        ('{"schema_version": %s, "summary": "x", "timeline": []}' % ("1" * 5000), "record.schema_version"),
        (V2 % '"incident_id": NaN', "record.incident_id"),
        (V2 % '"declared_at": Infinity', "record.declared_at"),
        (V2 % '"services": [-Infinity]', "record.services[0]"),
    ],
    ids=["5000-digits", "5000-digit-version", "nan", "infinity", "minus-infinity-in-list"],
)
def test_a_value_no_field_can_hold_names_its_field(text: str, field: str) -> None:
    """Huge numbers and NaN are refused where they stand, naming the field (not just "record")."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


V1 = '{"schema_version": 1, "summary": "x", "timeline": [%s], %s}'


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (V1 % ('{"at": "2026-11-28T21:40:00Z", "event": "e", "ref": ["x"]}', '"ic": ""'), "record.timeline[0].ref"),
        (V1 % ("", '"status_updates": {"at": 1}'), "record.status_updates"),
        (V1 % ("", '"status_updates": [{"text": "x", "message": "m"}]'), "record.communications[0].at"),
        (
            V1 % ("", '"decision": {"at": "2026-11-28T21:40:00Z", "action": "roll_back", "recommended": ["x"], "deviation_reason": ""}'),
            "record.decision.recommended",
        ),
    ],
    ids=["unhashable-ref", "status-updates-not-a-list", "status-update-without-time", "bad-recommended"],
)
def test_a_malformed_version_1_record_is_refused_naming_the_field(text: str, field: str) -> None:
    """The v1 upgrade never raises TypeError, never drops a malformed part silently."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


def test_removing_from_an_empty_list_says_what_is_empty() -> None:
    """"there are no follow-ups yet", not "follow-upss"."""
    from runbook_core import InvalidInput

    with pytest.raises(InvalidInput) as err:
        apply(declared(), {"type": "remove_follow_up", "index": 0}, at(1))
    assert err.value.problem == "there are no follow-ups yet"

"""The incident record's JSON format: exact round trips, strict loading that names the field,
hostile JSON, version 1 records, and the shipped JSON Schema."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from hypothesis import given, settings

from runbook_core import (
    NewerSchemaError,
    Record,
    RecordError,
    apply,
    record_from_json,
    render_ticket,
)
from runbook_core.derive import escalation_required, status
from runbook_core.formats import FORMATS
from runbook_core.record import SCHEMA_VERSION, load_json
from runbook_core.schema import schema_json
from tests.helpers import EXAMPLES, TESTS
from tests.strategies import incidents

V1_FIXTURE = TESTS / "data" / "v1-rollback-failed-escalated.json"


def _shipped_schema() -> dict:
    return json.loads(files("runbook_core").joinpath("data/record.schema.json").read_text("utf-8"))


@settings(max_examples=40)
@given(incidents())
def test_a_record_survives_a_json_round_trip_exactly(record: Record) -> None:
    """to_json → record_from_json gives the same record, field for field, and the same text."""
    loaded = record_from_json(record.to_json())
    assert loaded == record and loaded.to_json() == record.to_json()


# ------------------------------------------------------------------------------ the schema


def test_the_shipped_schema_is_the_generated_one() -> None:
    """data/record.schema.json is runbook_core.schema.schema_json(), byte for byte: the schema is
    generated from the record's dataclasses and vocabularies and cannot drift from the loader."""
    shipped = files("runbook_core").joinpath("data/record.schema.json").read_text("utf-8")
    assert shipped == schema_json()
    assert _shipped_schema()["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_examples_validate_against_the_shipped_json_schema(path) -> None:
    """Every example record is valid under runbook_core/data/record.schema.json."""
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(path.read_text("utf-8")), _shipped_schema())


@settings(max_examples=30)
@given(incidents())
def test_generated_records_validate_against_the_schema(record: Record) -> None:
    """The JSON Schema and the loader agree on what a record is."""
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(record.to_json()), _shipped_schema())


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    """An unknown field, a bad answer and a bad time fail the schema as they fail the loader."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = _shipped_schema()
    for change in ({"surprise": 1}, {"impact": {"scope": "most"}}, {"declared_at": "yesterday"}):
        data = {**BASE, **change}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, schema)
        with pytest.raises(RecordError):
            record_from_json(json.dumps(data))


# ------------------------------------------------------------------------- strict loading

BASE = json.loads((EXAMPLES / "rollback-succeeded.json").read_text("utf-8"))


def _with(**changes: object) -> str:
    return json.dumps({**BASE, **changes})


def _entry(**changes: object) -> str:
    return _with(timeline=[{**BASE["timeline"][0], **changes}, *BASE["timeline"][1:]])


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "record"),
        ("[]", "record"),
        ("", "record"),
        (_with(schema_version="2"), "record.schema_version"),
        (_with(schema_version=True), "record.schema_version"),
        (_with(schema_version=0), "record.schema_version"),
        (
            json.dumps({k: v for k, v in BASE.items() if k != "schema_version"}),
            "record.schema_version",
        ),
        (_with(surprise=True), "record.surprise"),
        (_with(impact={"scope": "most"}), "record.impact.scope"),
        (_with(impact={"scope": "all", "blast_radius": 3}), "record.impact.blast_radius"),
        (_with(timeline=[{"at": "yesterday", "event": "x"}]), "record.timeline[0].at"),
        (_with(timeline=[{"at": "2026-11-28T10:00:00", "event": "x"}]), "record.timeline[0].at"),
        (_with(timeline=[{"event": "x"}]), "record.timeline[0].at"),
        (_with(timeline=[{"at": "2026-11-28T10:00:00Z"}]), "record.timeline[0].event"),
        (_with(timeline={"0": {}}), "record.timeline"),
        (_with(summary=None), "record.summary"),
        (_with(summary=3), "record.summary"),
        (_with(summary="x" * 20_001), "record.summary"),
        (_with(incident_id="x" * 41), "record.incident_id"),
        (_with(services="checkout"), "record.services"),
        (_with(services=[1]), "record.services[0]"),
        (
            _with(decision={"at": "2026-11-28T10:00:00Z", "action": "pray"}),
            "record.decision.action",
        ),
        (
            _with(
                decision={
                    "at": "2026-11-28T10:00:00Z",
                    "action": "roll_back",
                    "fix_forward_permitted": "no",
                }
            ),
            "record.decision.fix_forward_permitted",
        ),
        (
            _with(mitigations=[{"started_at": "2026-11-28T10:00:00Z", "action": "pray"}]),
            "record.mitigations[0].action",
        ),
        (_with(mitigations=[{"action": "roll_back"}]), "record.mitigations[0].started_at"),
        (
            _with(escalations=[{"at": "2026-11-28T10:00:00Z", "to": "x", "for_mitigation": -1}]),
            "record.escalations[0].for_mitigation",
        ),
        (
            _with(
                communications=[{"at": "2026-11-28T10:00:00Z", "kind": "gossip", "message": "x"}]
            ),
            "record.communications[0].kind",
        ),
        (
            _with(resolution={"at": "2026-11-28T10:00:00Z", "details": "x", "data_lost": "maybe"}),
            "record.resolution.data_lost",
        ),
        (_with(follow_ups=["x"]), "record.follow_ups[0]"),
        (_with(declared_at="9999-12-31T23:59:59-01:00"), "record.declared_at"),
        (json.dumps({k: v for k, v in BASE.items() if k != "timeline"}), "record.timeline"),
        (json.dumps({k: v for k, v in BASE.items() if k != "summary"}), "record.summary"),
    ],
    ids=[
        "not-json",
        "not-object",
        "empty",
        "version-string",
        "version-bool",
        "version-zero",
        "version-missing",
        "unknown-field",
        "bad-answer",
        "unknown-nested-field",
        "bad-time",
        "naive-time",
        "entry-without-time",
        "entry-without-event",
        "timeline-not-a-list",
        "null-summary",
        "number-summary",
        "huge-summary",
        "long-id",
        "services-not-a-list",
        "service-not-text",
        "bad-action",
        "bool-not-text",
        "bad-mitigation",
        "mitigation-without-start",
        "negative-index",
        "bad-message-kind",
        "bad-data-lost",
        "v1-style-follow-up",
        "time-out-of-range",
        "missing-timeline",
        "missing-summary",
    ],
)
def test_malformed_records_name_the_field(text: str, field: str) -> None:
    """A malformed record is refused with the offending field; nothing is silently dropped."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field and err.value.problem


DECLARED = apply(Record(), {"type": "declare", "summary": "x"}, "2026-11-28T21:40:00Z").to_json()


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("schema_version", "names the schema version, not a time"),
        ("summary", "a text"),
        ("decision.at", "no decision yet"),
        ("mitigations.9.started_at", "no such mitigation"),
        ("mitigations.x.started_at", "not an index"),
        ("timeline.1.at", "another entry"),
        ("ic_changes", "a list"),
        ("", "empty is allowed"),
    ],
    ids=lambda v: v or "empty",
)
def test_a_ref_must_name_a_time_of_the_record(ref: str, why: str) -> None:
    """A timeline ref names a time the record has; anything else is refused at load, so that
    edit_timeline can never write through it (a ref of schema_version bricked the incident)."""
    record = json.loads(DECLARED)
    record["timeline"].append({**record["timeline"][0], "ref": ""})
    record["timeline"][0]["ref"] = ref
    if ref == "":
        assert record_from_json(json.dumps(record)).timeline[0].ref == ""
        return
    with pytest.raises(RecordError) as err:
        record_from_json(json.dumps(record))
    assert err.value.field == "record.timeline[0].ref", why


DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_with(summary="a\ud800b"), "record.summary"),
        ('{"schema_version": 2, "summary": "\\udfff", "timeline": []}', "record.summary"),
        (_entry(event="\ud83d"), "record.timeline[0].event"),
        (
            '{"schema_version": %s, "summary": "x", "timeline": []}' % ("9" * 5000),
            "record.schema_version",
        ),
        (
            _with(escalations=[]).replace(
                '"escalations": []',
                '"escalations": [{"at": "2026-11-28T10:00:00Z", "to": "x", "for_mitigation": %s}]'
                % ("7" * 5000),
            ),
            "record.escalations[0].for_mitigation",
        ),
        (_with(summary="x").replace('"summary": "x"', '"summary": NaN'), "record.summary"),
        (_with(summary="x").replace('"summary": "x"', '"summary": -Infinity'), "record.summary"),
        ('{"schema_version": NaN}', "record.schema_version"),
        (_with(summary="x").replace('"summary": "x"', '"summary": ' + DEEP), "record"),
        (DEEP, "record"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, "record"),
        (
            _with(summary="x").replace('"summary": "x"', '"summary": ' + "[" * 100 + "]" * 100),
            "record",
        ),
    ],
    ids=[
        "lone-surrogate",
        "escaped-lone-surrogate",
        "surrogate-in-timeline",
        "5000-digit-version",
        "5000-digit-index",
        "nan",
        "minus-infinity",
        "nan-version",
        "10000-deep-field",
        "10000-deep-list",
        "10000-deep-object",
        "100-deep",
    ],
)
def test_hostile_json_gives_a_record_error_naming_the_field(text: str, field: str) -> None:
    """Never another exception: lone surrogates, huge numbers, NaN and deep nesting are refused
    with the field (or, for nesting the parser cannot descend, the record) named."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field and err.value.problem


def test_load_json_names_what_it_read() -> None:
    """The same hardening for actions and options: the error names what was read."""
    with pytest.raises(RecordError) as err:
        load_json(DEEP, "ACTION_JSON")
    assert err.value.field == "ACTION_JSON"
    with pytest.raises(RecordError) as err:
        load_json("[" * 80 + "]" * 80, "line 3")
    assert err.value.field == "line 3"
    with pytest.raises(RecordError):
        load_json(b"{}", "ACTION_JSON")  # type: ignore[arg-type]


def test_a_newer_schema_is_refused_with_what_to_do() -> None:
    """A record from a newer version is not half-read: the error says to update."""
    with pytest.raises(NewerSchemaError, match="update runbook_core") as err:
        record_from_json(_with(schema_version=SCHEMA_VERSION + 1, new_field="x"))
    assert err.value.field == "record.schema_version"


@pytest.mark.parametrize(
    "time",
    [
        "2026-11-28T15:02:10+01:00",
        "2026-11-28 14:02:10Z",
        "2026-11-28T14:02:10.5Z",
        "2026-11-28t14:02:10z",
        "2026-11-28T14:02Z",
        "2026-02-29T14:02:10Z",
        "2026-11-28T24:00:00Z",
        "2026-11-28T14:60:00Z",
        "0000-11-28T14:02:10Z",
        "9999-12-31T23:59:00Z",
        "2026-11-28T14:02:10Z\n",
    ],
)
def test_a_stored_time_has_one_form(time: str) -> None:
    """A record stores times one way, YYYY-MM-DDTHH:MM:SSZ (what every version wrote): other
    forms, impossible dates and years outside the window are refused, naming the form."""
    with pytest.raises(RecordError) as err:
        record_from_json(_with(declared_at=time))
    assert err.value.field == "record.declared_at"
    assert "YYYY-MM-DDTHH:MM:SSZ" in err.value.problem


def test_an_action_time_may_have_an_offset_and_is_stored_in_utc() -> None:
    """What an action accepts is wider than what is stored: an offset becomes UTC with Z."""
    declared = apply(Record(), {"type": "declare", "summary": "x"}, "2026-11-28T21:40:00+01:00")
    assert declared.declared_at == "2026-11-28T20:40:00Z"
    assert record_from_json(declared.to_json()) == declared


# ------------------------------------------------------------------------------ version 1


def test_a_version_1_record_upgrades_and_renders() -> None:
    """The shipped v1 example (before the state machine) loads as version 2: its status update
    becomes a communication, follow-ups get an owner field, the escalation v1 logged at the
    failure answers that failed rollback, and the ticket renders in every format."""
    text = V1_FIXTURE.read_text("utf-8")
    assert json.loads(text)["schema_version"] == 1
    record = record_from_json(text)
    assert record.schema_version == SCHEMA_VERSION
    assert [c.kind for c in record.communications] == ["status_update"]
    assert record.follow_ups[0].text == "Require expand/contract migrations for releases."
    assert record.follow_ups[0].owner == ""
    assert record.escalations[0].for_mitigation == 0
    assert record.decision.fix_forward_permitted is False
    assert not escalation_required(record) and status(record) == "Resolved"
    refs = {e.ref for e in record.timeline if e.ref}
    assert "communications.0.at" in refs and not any(r.startswith("status_updates") for r in refs)
    for name in FORMATS:
        ticket = render_ticket(record, format=name)
        assert record.summary in ticket and record.incident_id in ticket
    assert record_from_json(record.to_json()) == record  # and it is saved as version 2

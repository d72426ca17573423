"""The incident record's JSON format: exact round trips and strict, explained loading."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from runbook_core import NewerSchemaError, Record, RecordError, record_from_json
from tests.helpers import EXAMPLES
from tests.strategies import incidents


@settings(max_examples=60)
@given(incidents())
def test_a_record_survives_a_json_round_trip_exactly(record: Record) -> None:
    """to_json → record_from_json gives the same record, field for field."""
    assert record_from_json(record.to_json()) == record
    assert record_from_json(record.to_json()).to_json() == record.to_json()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_examples_validate_against_the_shipped_json_schema(path) -> None:
    """Every example record is valid under runbook_core/data/record.schema.json."""
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads(files("runbook_core").joinpath("data/record.schema.json").read_text())
    jsonschema.validate(json.loads(path.read_text("utf-8")), schema)


@settings(max_examples=40)
@given(incidents())
def test_generated_records_validate_against_the_schema(record: Record) -> None:
    """The JSON Schema and the loader agree on what a record is."""
    jsonschema = pytest.importorskip("jsonschema")
    from importlib.resources import files

    schema = json.loads(files("runbook_core").joinpath("data/record.schema.json").read_text())
    jsonschema.validate(json.loads(record.to_json()), schema)


BASE = json.loads((EXAMPLES / "rollback-succeeded.json").read_text("utf-8"))


def _with(**changes):
    return json.dumps({**BASE, **changes})


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "record"),
        ("[]", "record"),
        (_with(schema_version="1"), "record.schema_version"),
        (_with(surprise=True), "record.surprise"),
        (_with(impact={"scope": "most"}), "record.impact.scope"),
        (_with(impact={"scope": "all", "blast_radius": 3}), "record.impact.blast_radius"),
        (_with(timeline=[{"at": "yesterday", "event": "x"}]), "record.timeline[0].at"),
        (_with(timeline=[{"at": "2026-11-28T10:00:00", "event": "x"}]), "record.timeline[0].at"),
        (_with(summary=None), "record.summary"),
        (
            _with(mitigations=[{"started_at": "2026-11-28T10:00:00Z", "action": "pray"}]),
            "record.mitigations[0].action",
        ),
        (json.dumps({k: v for k, v in BASE.items() if k != "timeline"}), "record.timeline"),
    ],
    ids=[
        "not-json",
        "not-object",
        "version-string",
        "unknown-field",
        "bad-answer",
        "unknown-nested-field",
        "bad-time",
        "naive-time",
        "null-summary",
        "bad-action",
        "missing-timeline",
    ],
)
def test_malformed_records_name_the_field(text: str, field: str) -> None:
    """A malformed record is refused with the offending field; nothing is silently dropped."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


def test_a_newer_schema_is_refused_with_what_to_do() -> None:
    """A record from a newer version is not half-read: the error says to update."""
    with pytest.raises(NewerSchemaError, match="update runbook_core"):
        record_from_json(_with(schema_version=2, new_field="x"))


def test_times_are_normalised_to_utc() -> None:
    """Offsets are accepted and stored as UTC with Z."""
    record = record_from_json(_with(declared_at="2026-11-28T15:02:10+01:00"))
    assert record.declared_at == "2026-11-28T14:02:10Z"

"""The incident record: the whole state of one incident, and its JSON format (schema_version 1).

Loading is strict: a missing, mistyped or unknown field is an error naming the field; a record
from a newer schema is refused rather than read with fields silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from .errors import NewerSchemaError, RecordError
from .rules import ACTIONS, load_runbook

SCHEMA_VERSION = 1
MAX_TEXT = 20_000  # characters in one field: room for a pasted log excerpt, not a whole log

IMPACT_KEYS = ("scope", "data_loss", "degradation")
FIX_FORWARD_KEYS = ("fix_understood", "hotfix_faster")
OUTCOMES = ("pending", "succeeded", "failed")
EVENT_KINDS = (
    "declared",
    "command",
    "impact",
    "decision",
    "mitigation",
    "escalation",
    "status_update",
    "resolved",
    "note",
)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, field_name: str = "time") -> datetime:
    """An ISO 8601 time with a timezone (Z or an offset); naive times are refused."""
    if not isinstance(value, str):
        raise RecordError(field_name, "expected an ISO 8601 time string like 2026-11-28T21:40:00Z")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise RecordError(
            field_name, f"{value!r} is not an ISO 8601 time like 2026-11-28T21:40:00Z"
        ) from None
    if moment.tzinfo is None:
        raise RecordError(field_name, f"{value!r} has no timezone; add Z for UTC")
    return moment.astimezone(UTC)


def normalise_time(value: str, field_name: str = "time") -> str:
    return utc_iso(parse_time(value, field_name))


@dataclass(frozen=True)
class Impact:
    scope: str | None = None
    data_loss: str | None = None
    degradation: str | None = None


@dataclass(frozen=True)
class FixForward:
    fix_understood: str | None = None
    hotfix_faster: str | None = None


@dataclass(frozen=True)
class ICChange:
    at: str
    to: str
    reason: str


@dataclass(frozen=True)
class Decision:
    at: str
    action: str
    recommended: str
    deviation_reason: str = ""


@dataclass(frozen=True)
class Mitigation:
    started_at: str
    action: str
    outcome: str = "pending"
    ended_at: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class Escalation:
    at: str
    to: str
    reason: str


@dataclass(frozen=True)
class StatusUpdate:
    at: str
    text: str
    message: str


@dataclass(frozen=True)
class Resolution:
    at: str
    details: str
    data_lost: str  # "yes" | "no" | "unknown"


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    event: str
    who: str = ""
    kind: str = "note"
    # Dotted path of the record time this entry mirrors (e.g. "mitigations.0.ended_at"), so
    # correcting the entry's time corrects the key time too; "" for free entries.
    ref: str = ""


@dataclass(frozen=True)
class Record:
    schema_version: int = SCHEMA_VERSION
    incident_id: str = ""
    summary: str = ""
    declared_at: str | None = None
    declared_by: str = ""
    oncall: str = ""
    ic: str = ""
    ic_changes: tuple[ICChange, ...] = ()
    impact: Impact = field(default_factory=Impact)
    fix_forward: FixForward = field(default_factory=FixForward)
    decision: Decision | None = None
    mitigations: tuple[Mitigation, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    status_updates: tuple[StatusUpdate, ...] = ()
    resolution: Resolution | None = None
    follow_ups: tuple[str, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()

    def answers(self) -> dict[str, str | None]:
        return {**asdict(self.impact), **asdict(self.fix_forward)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def evolve(self, **changes: Any) -> Record:
        return replace(self, **changes)


# --- strict loading ----------------------------------------------------------------------

_NESTED: dict[str, type] = {
    "ic_changes": ICChange,
    "impact": Impact,
    "fix_forward": FixForward,
    "decision": Decision,
    "mitigations": Mitigation,
    "escalations": Escalation,
    "status_updates": StatusUpdate,
    "resolution": Resolution,
    "timeline": TimelineEntry,
}
_TIME_FIELDS = {"at", "started_at", "ended_at", "declared_at"}
_CHOICES: dict[str, tuple[str, ...]] = {
    "action": ACTIONS,
    "recommended": ACTIONS,
    "outcome": OUTCOMES,
    "data_lost": ("yes", "no", "unknown"),
    "kind": EVENT_KINDS,
}


def _choices(name: str) -> tuple[str, ...] | None:
    """Allowed values of a field: the answers come from the runbook data, the rest from here."""
    if name in IMPACT_KEYS + FIX_FORWARD_KEYS:
        return load_runbook().question(name).values
    return _CHOICES.get(name)


def _check_text(value: Any, path: str, optional: bool) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecordError(
            path,
            f"expected {'a string or null' if optional else 'a string'}, "
            f"got {type(value).__name__}",
        )
    if len(value) > MAX_TEXT:
        raise RecordError(path, f"is {len(value)} characters; the limit is {MAX_TEXT}")
    return value


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise RecordError(path, f"expected an object, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise RecordError(
            f"{path}.{unknown[0]}",
            "unknown field: this file may come from a "
            "newer version of runbook_core, or was edited by hand",
        )
    values: dict[str, Any] = {}
    for name, f in known.items():
        fpath = f"{path}.{name}"
        if name not in data:
            if cls is Record and name in ("schema_version", "summary", "timeline"):
                raise RecordError(fpath, "missing required field")
            continue
        value = data[name]
        optional = "None" in str(f.type)
        if name == "schema_version":
            continue
        if name in _NESTED and cls is not TimelineEntry:
            sub = _NESTED[name]
            if str(f.type).startswith("tuple"):
                if not isinstance(value, list):
                    raise RecordError(fpath, "expected a list")
                value = tuple(_build(sub, item, f"{fpath}[{i}]") for i, item in enumerate(value))
            elif value is None and optional:
                value = None
            else:
                value = _build(sub, value, fpath)
        elif name == "follow_ups":
            if not isinstance(value, list):
                raise RecordError(fpath, "expected a list of strings")
            value = tuple(_check_text(v, f"{fpath}[{i}]", False) for i, v in enumerate(value))
        else:
            value = _check_text(value, fpath, optional)
            if value is not None and name in _TIME_FIELDS:
                value = normalise_time(value, fpath)
            allowed = _choices(name)
            if value is not None and allowed is not None and value not in allowed:
                raise RecordError(fpath, f"{value!r} is not one of {list(allowed)}")
        values[name] = value
    return cls(**values)


def record_from_dict(data: Any) -> Record:
    if not isinstance(data, dict):
        raise RecordError("record", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordError(
            "record.schema_version", f"missing or not a whole number; expected {SCHEMA_VERSION}"
        )
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            "record.schema_version",
            f"is {version}, newer than this "
            f"version reads ({SCHEMA_VERSION}); update runbook_core (or the "
            "site) to open it",
        )
    if version < 1:
        raise RecordError("record.schema_version", f"is {version}; expected {SCHEMA_VERSION}")
    return _build(Record, data, "record")


def record_from_json(text: str) -> Record:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            "record", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return record_from_dict(data)

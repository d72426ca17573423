"""The incident record: the whole state of one incident, and its JSON format (schema_version 2).

The dataclasses below are the format: each field's metadata says what it may hold (a time, a
choice from a declared vocabulary, a bounded text), and one reader walks them to load JSON, so
every nested field is checked the same way and every error names its path. Loading is strict: a
missing, mistyped or unknown field is refused; so is a record from a newer schema. Version 1
records (before the incident state machine) are upgraded on load.
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import NewerSchemaError, RecordError
from .limits import load_limits, time_pattern
from .rules import load_runbook
from .table import load_table

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# One of the record dataclasses: what _Reader.build makes is the class it is given.
_D = TypeVar("_D", bound="DataclassInstance")

SCHEMA_VERSION = 2
MAX_DEPTH = 64  # JSON nesting a reader accepts before refusing (the format needs 4)
MITIGATION_STATES = ("pending",)  # besides the outcomes a mitigation can end with


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _in_window(moment: datetime, value: str, field_name: str) -> datetime:
    limits = load_limits()
    if not limits.first_year <= moment.year <= limits.last_year:
        raise RecordError(
            field_name,
            f"{value[:40]!r} is outside the years {limits.first_year} to {limits.last_year}: "
            "check the year",
        )
    return moment


def parse_time(value: Any, field_name: str = "time", window: bool = False) -> datetime:
    """An ISO 8601 time with a timezone (Z or an offset); naive times are refused. With
    `window`, only in the declared years (what an action or --at may record; a stored time has
    one form, stored_time; a time computed from one, like the next update, may pass the
    window's end)."""
    if not isinstance(value, str):
        raise RecordError(field_name, "expected an ISO 8601 time string like 2026-11-28T21:40:00Z")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise RecordError(
            field_name, f"{value[:60]!r} is not an ISO 8601 time like 2026-11-28T21:40:00Z"
        ) from None
    if moment.tzinfo is None:
        raise RecordError(field_name, f"{value[:60]!r} has no timezone; add Z for UTC")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # an offset that moves it past year 1 or 9999
        raise RecordError(field_name, f"{value[:60]!r} is out of range: check the year") from None
    return _in_window(moment, value, field_name) if window else moment


def normalise_time(value: Any, field_name: str = "time") -> str:
    """A time to record: in UTC, in the declared years."""
    return utc_iso(parse_time(value, field_name, window=True))


@cache
def _stored_time() -> re.Pattern[str]:
    return re.compile(time_pattern())


def stored_time(value: str, path: str) -> str:
    """A time as a record stores it: YYYY-MM-DDTHH:MM:SSZ in UTC, a real date, in the declared
    years (the pattern the JSON Schema has)."""
    if not _stored_time().search(value):
        limits = load_limits()
        raise RecordError(
            path,
            f"{value[:40]!r} is not a stored time: YYYY-MM-DDTHH:MM:SSZ in UTC, a real date, "
            f"years {limits.first_year} to {limits.last_year}",
        )
    return value


# Field metadata: what a string field holds. `choice` names a vocabulary (see _choices).
def _time(default: Any = None) -> Any:
    return field(default=default, metadata={"kind": "time"})


def _choice(vocabulary: str, default: Any = MISSING) -> Any:
    return field(default=default, metadata={"kind": "choice", "of": vocabulary})


def _text(limit: str, default: Any = "") -> Any:
    """A text of at most the named limit (data/limits.toml [text])."""
    return field(default=default, metadata={"kind": "text", "limit": limit})


def _names() -> Any:
    """A list of names: each at most the `name` limit, at most `names` of them."""
    return field(default=(), metadata={"kind": "text", "limit": "name", "count": "names"})


@dataclass(frozen=True)
class Impact:
    scope: str | None = _choice("answer:scope", None)
    data_loss: str | None = _choice("answer:data_loss", None)
    degradation: str | None = _choice("answer:degradation", None)


@dataclass(frozen=True)
class FixForward:
    fix_understood: str | None = _choice("answer:fix_understood", None)
    hotfix_faster: str | None = _choice("answer:hotfix_faster", None)


@dataclass(frozen=True)
class ICChange:
    at: str = _time(MISSING)
    to: str = _text("name", MISSING)
    reason: str = _text("short", MISSING)


@dataclass(frozen=True)
class Basis:
    """The answers a decision was made on: it is stale once they change."""

    impact: Impact = field(default_factory=Impact)
    fix_forward: FixForward = field(default_factory=FixForward)


@dataclass(frozen=True)
class Decision:
    at: str = _time(MISSING)
    action: str = _choice("actions")
    fix_forward_permitted: bool = False
    basis: Basis = field(default_factory=Basis)
    deviation_reason: str = _text("deviation_reason")


@dataclass(frozen=True)
class Mitigation:
    started_at: str = _time(MISSING)
    action: str = _choice("actions")
    outcome: str = _choice("mitigation_state", "pending")
    ended_at: str | None = _time()
    notes: str = _text("notes")


@dataclass(frozen=True)
class Escalation:
    at: str = _time(MISSING)
    to: str = _text("name", MISSING)
    reason: str = _text("notes")  # what failed: the failed rollback's notes, or why
    doing: str = _text("short")  # what is being done, as the message said
    for_mitigation: int | None = None  # the failed rollback it answers (section 5), if any
    acknowledged_at: str | None = _time()
    acknowledged_by: str = _text("name")


@dataclass(frozen=True)
class Communication:
    at: str = _time(MISSING)
    kind: str = _choice("message_kind")
    message: str = _text("derived", MISSING)
    text: str = _text("status_text")  # what the IC wrote, for a status update


@dataclass(frozen=True)
class Resolution:
    at: str = _time(MISSING)
    details: str = _text("details", MISSING)
    data_lost: str = _choice("data_lost")
    without_mitigation: str = _text("short")


@dataclass(frozen=True)
class FollowUp:
    text: str = _text("short", MISSING)
    owner: str = _text("name")


@dataclass(frozen=True)
class TimelineEntry:
    at: str = _time(MISSING)
    event: str = _text("derived", MISSING)  # a note the IC wrote, or a derived entry
    who: str = _text("name")
    kind: str = _choice("timeline_kind", "note")
    # Dotted path of the record time this entry mirrors (e.g. "mitigations.0.ended_at"), so
    # correcting the entry's time corrects the key time too; "" for free entries.
    ref: str = _text("ref")


@dataclass(frozen=True)
class Record:
    schema_version: int = SCHEMA_VERSION
    # "" until declared, then the declared pattern (data/limits.toml).
    incident_id: str = field(default="", metadata={"kind": "incident_id", "limit": "incident_id"})
    summary: str = field(
        default="", metadata={"kind": "text", "limit": "summary", "required": True}
    )
    declared_at: str | None = _time()
    declared_by: str = _text("name")
    oncall: str = _text("name")
    ic: str = _text("name")
    ic_changes: tuple[ICChange, ...] = ()
    release: str = _text("line")
    rollback_target: str = _text("line")
    slack_thread: str = _text("url")
    detected_how: str = _text("short")
    detected_at: str | None = _time()
    impact_started_at: str | None = _time()
    services: tuple[str, ...] = _names()
    responders: tuple[str, ...] = _names()
    impact: Impact = field(default_factory=Impact)
    fix_forward: FixForward = field(default_factory=FixForward)
    decision: Decision | None = None
    mitigations: tuple[Mitigation, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    communications: tuple[Communication, ...] = ()
    resolution: Resolution | None = None
    follow_ups: tuple[FollowUp, ...] = ()
    timeline: tuple[TimelineEntry, ...] = field(
        default=(), metadata={"required": True, "count": "timeline"}
    )

    def answers(self) -> dict[str, str | None]:
        return {**asdict(self.impact), **asdict(self.fix_forward)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def evolve(self, **changes: Any) -> Record:
        return replace(self, **changes)


# --- strict loading ----------------------------------------------------------------------


def choices(vocabulary: str) -> tuple[str, ...]:
    """The values a `choice` field may hold: the runbook's answers and actions, or a vocabulary
    of the incident table (plus "pending" for a mitigation still running)."""
    if vocabulary.startswith("answer:"):
        return load_runbook().question(vocabulary.split(":", 1)[1]).values
    if vocabulary == "actions":
        return tuple(load_runbook().action_labels)
    if vocabulary == "mitigation_state":
        return (*MITIGATION_STATES, *load_table().values("outcome"))
    return load_table().values(vocabulary)


@cache
@typing.no_type_check
def type_hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of a record dataclass (resolved once per class: loading a
    record asks for them for every nested object)."""
    return typing.get_type_hints(cls)


def split_optional(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], True
    return annotation, False


def check_text(value: Any, path: str, limit: int | None = None) -> str:
    """A string that is text (no unpaired surrogate) and, when `limit` is given, no longer."""
    if not isinstance(value, str):
        raise RecordError(path, f"expected a string, got {_json_type(value)}")
    if limit is not None and len(value) > limit:
        raise RecordError(path, too_long(len(value), limit))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(
            path, "contains an unpaired surrogate (\\ud800-\\udfff): not text"
        ) from None
    return value


def too_long(length: int, limit: int) -> str:
    return f"is {length:,} characters; the limit is {limit:,}"


def too_many(count: int, limit: int) -> str:
    return f"has {count:,} entries; the limit is {limit:,}"


def text_limit(meta: Any) -> int:
    return load_limits().chars(meta.get("limit", "derived"))


def count_limit(meta: Any) -> int:
    return load_limits().items(meta.get("count", "list"))


def _json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), repr(value) if isinstance(value, Unusable) else type(value).__name__)


def whole_number(value: Any) -> int | None:
    """A JSON whole number as an int: 2, and 2.0 (the same number to JSON and to JSON Schema);
    None for anything else."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


@cache
def _incident_id() -> re.Pattern[str]:
    return re.compile(load_limits().patterns["incident_id"])


def valid_incident_id(text: str) -> bool:
    return bool(_incident_id().search(text))


class _Reader:
    """Reads JSON data into the record dataclasses. Strict (problems is None): the first
    problem is raised. Lenient: a text or list over its limit is noted in `problems` and kept
    (a record an earlier version wrote still opens); any other problem is raised."""

    def __init__(self, problems: list[RecordError] | None = None) -> None:
        self.problems = problems

    def over_limit(self, path: str, problem: str) -> None:
        if self.problems is None:
            raise RecordError(path, problem)
        self.problems.append(RecordError(path, problem))

    def scalar(self, value: Any, kind: type, meta: Any, path: str) -> Any:
        if kind is bool:
            if not isinstance(value, bool):
                raise RecordError(path, f"expected true or false, got {_json_type(value)}")
            return value
        if kind is int:
            number = whole_number(value)
            top = load_limits().items("list") - 1
            if number is None or not 0 <= number <= top:
                raise RecordError(path, f"expected a whole number from 0 to {top}")
            return number
        text = check_text(value, path)
        kind_of = meta.get("kind")
        if kind_of == "time":
            return stored_time(text, path)
        if kind_of == "choice":
            allowed = choices(meta["of"])
            if text not in allowed:
                raise RecordError(path, f"{text[:60]!r} is not one of {list(allowed)}")
            return text
        if kind_of == "incident_id" and text and not valid_incident_id(text):
            raise RecordError(
                path, f"{text[:40]!r} is not an incident ID like INC-20261128-2140-7K3Q"
            )
        limit = text_limit(meta)
        if len(text) > limit:
            self.over_limit(path, too_long(len(text), limit))
        return text

    def value(self, value: Any, annotation: Any, meta: Any, path: str) -> Any:
        kind, optional = split_optional(annotation)
        if value is None:
            if optional:
                return None
            raise RecordError(path, "may not be null")
        if typing.get_origin(kind) is tuple:
            item_type = typing.get_args(kind)[0]
            if not isinstance(value, list):
                raise RecordError(path, f"expected a list, got {_json_type(value)}")
            limit = count_limit(meta)
            if len(value) > limit:
                self.over_limit(path, too_many(len(value), limit))
            return tuple(
                self.value(v, item_type, meta, f"{path}[{i}]") for i, v in enumerate(value)
            )
        if isinstance(kind, type) and is_dataclass(kind):
            return self.build(kind, value, path)
        return self.scalar(value, kind, meta, path)

    def build(self, cls: type[_D], data: Any, path: str) -> _D:
        """An instance of the record dataclass `cls` from JSON data, every field checked."""
        if not isinstance(data, dict):
            raise RecordError(path, f"expected an object, got {_json_type(data)}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise RecordError(
                f"{path}.{unknown[0]}",
                "unknown field: this file may come from a newer version of runbook_core, or was "
                "edited by hand",
            )
        hints = type_hints(cls)
        values: dict[str, Any] = {}
        for name, f in known.items():
            fpath = f"{path}.{name}"
            absent = f.default is MISSING and f.default_factory is MISSING
            if name not in data:
                if absent or f.metadata.get("required"):
                    raise RecordError(fpath, "missing required field")
                continue
            if cls is Record and name == "schema_version":
                continue
            values[name] = self.value(data[name], hints[name], f.metadata, fpath)
        return cls(**values)


def build(cls: type[_D], data: Any, path: str) -> _D:
    """An instance of the record dataclass `cls` from JSON data, every field checked."""
    return _Reader().build(cls, data, path)


def _shared_head(items: tuple[Any, ...], olds: tuple[Any, ...]) -> int:
    """How many items the two tuples share at their start: found by halving, comparing slices
    (in C, a shared item by identity), so a long timeline costs no Python step per entry. An
    equal item is as much within its limits as the one it equals."""
    head, top = 0, min(len(items), len(olds))
    while head < top:
        mid = (head + top + 1) // 2
        if items[head:mid] == olds[head:mid]:
            head = mid
        else:
            top = mid - 1
    return head


def limit_problems(record: Record, before: Record | None = None) -> list[RecordError]:
    """Every text and list of `record` over its limit, with its path; with `before`, only in
    what changed (the records share every unchanged object, so this is quick on a long
    timeline)."""
    problems: list[RecordError] = []

    def text(value: str, old: Any, meta: Any, path: str) -> None:
        if value is not old and meta.get("kind") in ("text", "incident_id"):
            limit = text_limit(meta)
            if len(value) > limit:
                problems.append(RecordError(path, too_long(len(value), limit)))

    def walk(obj: Any, old: Any, path: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            previous = getattr(old, f.name) if old is not None else None
            fpath = f"{path}.{f.name}"
            if value is previous:
                continue
            if isinstance(value, str):
                text(value, previous, f.metadata, fpath)
            elif is_dataclass(value):
                walk(value, previous if is_dataclass(previous) else None, fpath)
            elif isinstance(value, tuple):
                limit = count_limit(f.metadata)
                if len(value) > limit:
                    problems.append(RecordError(fpath, too_many(len(value), limit)))
                olds = previous if isinstance(previous, tuple) else ()
                for i in range(_shared_head(value, olds), len(value)):
                    item = value[i]
                    prior = olds[i] if i < len(olds) else None
                    if item is prior:
                        continue
                    if is_dataclass(item):
                        walk(item, prior if is_dataclass(prior) else None, f"{fpath}[{i}]")
                    elif isinstance(item, str):
                        text(item, prior, f.metadata, f"{fpath}[{i}]")

    walk(record, before, "record")
    return problems


def time_paths(record: Record) -> dict[str, str | None]:
    """Every time in the record by dotted path ("mitigations.0.ended_at"): what a timeline `ref`
    may name. The timeline's own times are not among them: an entry mirrors a time of the
    incident, never another entry (whose index changes when a note is removed)."""
    out: dict[str, str | None] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            path = f"{prefix}{f.name}"
            if obj is record and f.name == "timeline":
                continue
            if f.metadata.get("kind") == "time":
                out[path] = value
            elif is_dataclass(value):
                walk(value, path + ".")
            elif isinstance(value, tuple):
                for i, item in enumerate(value):
                    if is_dataclass(item):
                        walk(item, f"{path}.{i}.")

    walk(record, "")
    return out


def check_refs(record: Record) -> None:
    """Every timeline `ref` names a time the record has."""
    times = time_paths(record)
    for i, entry in enumerate(record.timeline):
        if entry.ref and times.get(entry.ref) is None:
            raise RecordError(
                f"record.timeline[{i}].ref",
                f"{entry.ref[:80]!r} names no time in this record; a ref is the dotted path of a "
                "time field, like mitigations.0.ended_at",
            )


def _read(data: Any, problems: list[RecordError] | None) -> Record:
    if not isinstance(data, dict):
        raise RecordError("record", f"expected a JSON object, got {_json_type(data)}")
    version = whole_number(data.get("schema_version"))
    if version is None:
        raise RecordError(
            "record.schema_version", f"missing or not a whole number; expected {SCHEMA_VERSION}"
        )
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            "record.schema_version",
            f"is {version}, newer than this version reads ({SCHEMA_VERSION}); update "
            "runbook_core (or the site) to open it",
        )
    if version < 1:
        raise RecordError("record.schema_version", f"is {version}; expected {SCHEMA_VERSION}")
    if version == 1:
        data = upgrade_v1(data)
    record = _Reader(problems).build(Record, data, "record")
    check_refs(record)
    return record


def record_from_dict(data: Any) -> Record:
    """The record in JSON data, strictly: every field checked, every limit kept."""
    return _read(data, None)


@dataclass(frozen=True)
class Loaded:
    """A record as read leniently, with the limits it breaks (written by an earlier version
    with other limits): it opens, read-only, and `read_only` says why and what to do."""

    record: Record
    problems: tuple[RecordError, ...] = ()

    @property
    def read_only(self) -> str:
        if not self.problems:
            return ""
        first = self.problems[0]
        more = len(self.problems) - 1
        also = f" (and {more} more over a limit)" if more else ""
        return (
            f"This record is read-only here: {first.field} {first.problem}{also}. An earlier "
            "version wrote it; its ticket, messages and export keep every word. To change it, "
            "shorten that text in the file (or an exported copy) and open it again."
        )


def load_record(data: Any) -> Loaded:
    """The record in JSON data, leniently: a text or list over its limit is kept and listed
    (the record is then read-only); anything else wrong is refused as record_from_dict does."""
    problems: list[RecordError] = []
    record = _read(data, problems)
    return Loaded(record, tuple(problems))


def load_record_json(text: str) -> Loaded:
    return load_record(load_json(text))


def _depth(value: Any, what: str = "record", limit: int = MAX_DEPTH) -> None:
    """Refuse data nested deeper than `limit` (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise RecordError(what, f"is nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


MAX_NUMBER_DIGITS = 100  # no field holds more; longer numbers are not converted at all


class Unusable:
    """A JSON value no field can hold (NaN, Infinity, a number of thousands of digits), kept in
    its place so that the field it was given for is named when it is refused."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return self.what


def _number(text: str) -> int | Unusable:
    """A JSON integer; one too long for any field is kept as Unusable, never converted."""
    digits = len(text.lstrip("-"))
    return int(text) if digits <= MAX_NUMBER_DIGITS else Unusable(f"a {digits}-digit number")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting(text: str) -> int:
    """How deep the JSON text nests, counted before parsing: the parser recurses once per
    level, and deep enough nesting exhausts the stack of a WebAssembly engine (a fatal error
    in Pyodide, not a RecursionError)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def load_json(text: str, what: str = "record") -> Any:
    """JSON from untrusted text: errors name what was read (and, for a value no field can
    hold, the field it was given for, when it is read), never a traceback."""
    if not isinstance(text, str):
        raise RecordError(what, "expected JSON text")
    if _nesting(text) > MAX_DEPTH:
        raise RecordError(what, f"is nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text, parse_int=_number, parse_constant=Unusable)
    except json.JSONDecodeError as exc:
        raise RecordError(
            what, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:  # deep nesting (and anything json refuses)
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise RecordError(what, f"not usable JSON ({reason})") from None
    _depth(data, what)
    return data


def record_from_json(text: str) -> Record:
    return record_from_dict(load_json(text))


# --- version 1 -------------------------------------------------------------------------


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A schema_version 1 record as version 2: status updates become communications, follow-ups
    get an owner, a decision records whether fix forward was permitted (what v1 recommended)."""
    data = dict(data)
    data["schema_version"] = SCHEMA_VERSION
    refs: dict[str, str] = {}
    updates = data.pop("status_updates", [])
    if not isinstance(updates, list):
        raise RecordError("record.status_updates", f"expected a list, got {_json_type(updates)}")
    # Each keeps its own keys, so a missing or unknown one is named when it is read.
    data["communications"] = [
        {**u, "kind": "status_update"} if isinstance(u, dict) else u for u in updates
    ]
    refs.update({f"status_updates.{i}.at": f"communications.{i}.at" for i in range(len(updates))})
    follow_ups = data.get("follow_ups")
    if isinstance(follow_ups, list):
        data["follow_ups"] = [{"text": f} if isinstance(f, str) else f for f in follow_ups]
    decision = data.get("decision")
    if isinstance(decision, dict) and "recommended" in decision:
        decision = dict(decision)
        recommended = decision.pop("recommended")
        if recommended not in choices("actions"):
            raise RecordError(
                "record.decision.recommended",
                f"{str(recommended)[:60]!r} is not one of {list(choices('actions'))}",
            )
        decision["fix_forward_permitted"] = recommended == "fix_forward"
        basis = {k: data[k] for k in ("impact", "fix_forward") if isinstance(data.get(k), dict)}
        decision["basis"] = basis
        data["decision"] = decision
    found = data.get("mitigations")
    mitigations = found if isinstance(found, list) else []
    escalations = data.get("escalations")
    if isinstance(escalations, list):
        upgraded = []
        for e in escalations:
            if isinstance(e, dict):
                e = dict(e)
                # v1 escalated automatically when a rollback failed, at the same moment.
                for i, m in enumerate(mitigations):
                    if (
                        isinstance(m, dict)
                        and m.get("action") == "roll_back"
                        and m.get("outcome") == "failed"
                        and m.get("ended_at") == e.get("at")
                    ):
                        e["for_mitigation"] = i
            upgraded.append(e)
        data["escalations"] = upgraded
    timeline = data.get("timeline")
    if isinstance(timeline, list):
        entries = []
        for entry in timeline:
            if isinstance(entry, dict):
                entry = dict(entry)
                if entry.get("kind") == "status_update":
                    entry["kind"] = "message"
                ref = entry.get("ref")
                if isinstance(ref, str) and ref in refs:
                    entry["ref"] = refs[ref]
            entries.append(entry)
        data["timeline"] = entries
    return data

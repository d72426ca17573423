"""The incident state machine's checks: an action's fields, its phase and its guards.

The table (which action is allowed in which phase, with which guards and fields) is data,
data/transitions.toml; the guards are the small pure functions below, keyed by the names the
table uses. `check` turns a JSON action into typed values or refuses it with InvalidInput naming
the field and the fix; `allowed_now` says, for the view, which actions the record allows now and
why not. Effects live in actions.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

from .decide import recommend
from .derive import (
    FUTURE_TOLERANCE,
    decision_stale,
    escalation_required,
    in_future,
    last_mitigation,
    message_due,
    next_mitigation,
    phase,
)
from .errors import InvalidInput, RecordError
from .limits import load_limits
from .messages import compose
from .record import (
    Record,
    check_text,
    choices,
    normalise_time,
    parse_time,
    too_long,
    utc_iso,
    valid_incident_id,
)
from .rules import load_runbook
from .table import ActionSpec, FieldSpec, load_table

Values = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


# ------------------------------------------------------------------------------ field types


def _too_long(spec: FieldSpec, length: int) -> InvalidInput:
    return InvalidInput(
        spec.name,
        f"{too_long(length, spec.max or 0)}: shorten it, or link to the full text",
    )


def _text(spec: FieldSpec, value: Any) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(spec.name, "expected text")
    # Far over the limit is refused before any work on it (the limit counts the text as stored:
    # line breaks as one character, the ends trimmed, a line's spaces collapsed).
    if spec.max is not None and len(value) > spec.max * 4 + 1000:
        raise _too_long(spec, len(value))
    try:
        check_text(value, spec.name)
    except RecordError as exc:
        raise InvalidInput(spec.name, exc.problem) from None
    text: str = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if spec.type in ("line", "name", "url"):
        text = " ".join(text.split())  # one line
    if spec.max is not None and len(text) > spec.max:
        raise _too_long(spec, len(text))
    return text


def _names(spec: FieldSpec, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            spec.name, "expected a list of names, or one line of names separated by commas"
        )
    limits = load_limits()
    most = limits.items("names")
    if len(value) > most * 4 + 100:  # far over: refused before any work on it
        raise InvalidInput(spec.name, f"has {len(value):,} names; the limit is {most}")
    name = FieldSpec(spec.name, "name", False, limits.chars("name"), "", "")
    names = tuple(n for n in (_text(name, v) for v in value) if n)
    if len(names) > most:
        raise InvalidInput(
            spec.name, f"has {len(names):,} names; the limit is {most}: keep the main ones"
        )
    return names


WEB_LINK = re.compile(r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)


def _url(spec: FieldSpec, value: Any) -> str:
    text = _text(spec, value)
    if text and not WEB_LINK.match(text):
        raise InvalidInput(
            spec.name, f"{text[:80]!r} is not an http(s) link; paste the thread's link"
        )
    return text


CLOCK_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def _clock_time(text: str, now: str) -> str | None:
    """ "HH:MM" (UTC): the latest such moment that is not in the future (today, else yesterday)."""
    match = CLOCK_TIME.match(text)
    if not match:
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    today = parse_time(now).replace(hour=hours, minute=minutes, second=seconds)
    moment = today if today <= parse_time(now) + FUTURE_TOLERANCE else today - timedelta(days=1)
    return utc_iso(moment)


def _time(spec: FieldSpec, value: Any, now: str) -> str:
    clock = _clock_time(value, now) if isinstance(value, str) else None
    try:
        # A clock time is checked too: "yesterday" may leave the declared years.
        at = normalise_time(value if clock is None else clock, spec.name)
    except RecordError as exc:
        raise InvalidInput(spec.name, exc.problem) from None
    if in_future(at, now):
        raise InvalidInput(
            spec.name,
            f"{at} is more than 5 minutes after now ({now}); times are UTC: check the hour",
        )
    return at


def _choice(spec: FieldSpec, value: Any) -> str:
    allowed = (
        tuple(q.id for q in load_runbook().questions)
        if spec.of == "questions"
        else choices(spec.of)
    )
    if value is None or value == "":
        raise InvalidInput(spec.name, f"is required; choose one of: {', '.join(allowed)}")
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)[:60] if isinstance(value, str) else type(value).__name__
        raise InvalidInput(
            spec.name, f"{shown} is not allowed; choose one of: {', '.join(allowed)}"
        )
    return value


def _index(spec: FieldSpec, value: Any, record: Record) -> int:
    length = len(getattr(record, spec.of))
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < length:
        if length == 0:
            names = {"timeline": "timeline entries", "follow_ups": "follow-ups"}
            what = names.get(spec.of, spec.of)
            raise InvalidInput(spec.name, f"there are no {what} yet")
        raise InvalidInput(spec.name, f"expected a whole number from 0 to {length - 1}")
    return value


def _bool(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(spec.name, "expected true or false")
    return value


def _incident_id(spec: FieldSpec, value: Any) -> str:
    text = _text(spec, value)
    if text and not valid_incident_id(text):
        raise InvalidInput(spec.name, f"{text[:40]!r} is not an ID like INC-20261128-2140-7K3Q")
    return text


def _answer(values: Values, raw: Any) -> str:
    question = load_runbook().question(values["question"])
    if raw is None or raw == "":
        raise InvalidInput("value", f"is required; choose one of: {', '.join(question.values)}")
    if not isinstance(raw, str) or raw not in question.values:
        shown = repr(raw)[:60] if isinstance(raw, str) else type(raw).__name__
        raise InvalidInput(
            question.id,
            f"{shown} is not an allowed answer; choose one of: {', '.join(question.values)}",
        )
    return raw


def read_fields(spec: ActionSpec, action: Mapping[str, Any], record: Record, now: str) -> Values:
    """The action's fields, typed and checked; absent optional fields are left out."""
    unknown = sorted(set(action) - {f.name for f in spec.fields} - {"type"})
    if unknown:
        names = ", ".join(f.name for f in spec.fields) or "none"
        raise InvalidInput(unknown[0], f"is not a field of {spec.type}; its fields: {names}")
    values: Values = {}
    for f in spec.fields:
        raw = action.get(f.name)
        given = raw is not None and raw != "" and raw != []
        if not given:
            if f.required:
                if f.type in ("choice", "answer"):
                    pass  # the choice readers say which values are allowed
                else:
                    raise InvalidInput(f.name, "is required; it cannot be empty")
            elif f.type in ("line", "text", "name") and raw == "":
                values[f.name] = ""  # given as empty: clears
                continue
            else:
                continue
        if f.type in ("line", "text", "name"):
            values[f.name] = _text(f, raw)
            if f.required and not values[f.name]:
                raise InvalidInput(f.name, "is required; it cannot be empty")
        elif f.type == "names":
            values[f.name] = _names(f, raw)
        elif f.type == "url":
            values[f.name] = _url(f, raw)
        elif f.type == "time":
            values[f.name] = _time(f, raw, now)
        elif f.type == "bool":
            values[f.name] = _bool(f, raw)
        elif f.type == "choice":
            values[f.name] = _choice(f, raw)
        elif f.type == "answer":
            values[f.name] = _answer(values, raw)
        elif f.type == "index":
            values[f.name] = _index(f, raw, record)
        elif f.type == "incident_id":
            values[f.name] = _incident_id(f, raw)
    return values


def draft_values(spec: ActionSpec, action: Mapping[str, Any], record: Record, now: str) -> Values:
    """What the IC has typed into an action's form so far, typed and checked exactly as the
    action will read it (required fields may still be missing; other keys are ignored)."""
    relaxed = replace(spec, fields=tuple(replace(f, required=False) for f in spec.fields))
    names = {f.name for f in spec.fields}
    return read_fields(relaxed, {k: v for k, v in action.items() if k in names}, record, now)


# ---------------------------------------------------------------------------------- guards
# A guard returns None when the action may go ahead, else the Refusal. State guards take
# (record, now); input guards take (record, values, now).


def _see(guard: str) -> str:
    """The runbook section a guard enforces, as its messages cite it ("runbook 3.1"), from its
    entry in the table."""
    section = load_table().guards[guard].section
    if section is None:
        raise KeyError(f"transitions.toml: guards.{guard} cites no section")
    return _cite(section)


def _cite(section: str) -> str:
    return f"runbook {section}" if "." in section else f"runbook section {section}"


def no_ic_yet(record: Record, now: str) -> Refusal | None:
    if record.ic:
        return Refusal(
            "oncall", f"{record.ic} is already the Incident Commander; hand over instead"
        )
    return None


def has_ic(record: Record, now: str) -> Refusal | None:
    if not record.ic:
        return Refusal("to", f"nobody has taken command yet: take command first ({_see('has_ic')})")
    return None


def new_ic(record: Record, values: Values, now: str) -> Refusal | None:
    if values.get("to") == record.ic:
        return Refusal("to", f"{record.ic} is already the Incident Commander")
    return None


def deviation_reason_for_fix_forward(record: Record, values: Values, now: str) -> Refusal | None:
    if values.get("action") != "fix_forward":
        return None
    if recommend(record.answers()).fix_forward_permitted or values.get("deviation_reason"):
        return None
    return Refusal(
        "deviation_reason",
        "the runbook does not permit fix forward for these answers "
        f"({_see('deviation_reason_for_fix_forward')}): write why you deviate from it, or roll "
        "back",
    )


def decision_current(record: Record, now: str) -> Refusal | None:
    if record.decision is None:
        return Refusal(
            "action",
            f"decide between roll back and fix forward first ({_see('decision_current')})",
        )
    if decision_stale(record):
        return Refusal(
            "action",
            "the answers changed after the decision: review the recommendation and decide again "
            "before starting",
        )
    return None


def mitigation_follows_decision(record: Record, values: Values, now: str) -> Refusal | None:
    chosen = values.get("action") or next_mitigation(record)
    runbook = load_runbook()
    if chosen == runbook.default_action or values.get("deviation_reason"):
        return None
    last = last_mitigation(record)
    if last is not None and last.action == "fix_forward" and last.outcome == "failed":
        return Refusal(
            "deviation_reason",
            "the hotfix failed and the runbook does not cover that: its default is to roll back. "
            "Another hotfix needs a written reason",
        )
    if record.decision is None:  # decision_current refuses first
        return decision_current(record, now)
    if record.decision.action != chosen:
        return Refusal(
            "deviation_reason",
            f"the decision is to {runbook.action_labels[record.decision.action].lower()}: decide "
            "fix forward first, or write why you deviate",
        )
    return None


def escalation_recorded(record: Record, now: str) -> Refusal | None:
    if escalation_required(record):
        return Refusal(
            "escalation",
            f"the rollback failed: escalate ({_see('escalation_recorded')}) and record it before "
            "resolving",
        )
    return None


def mitigated_or_reason(record: Record, values: Values, now: str) -> Refusal | None:
    if record.resolution:  # amending: already resolved on its grounds
        return None
    if any(m.outcome == "succeeded" for m in record.mitigations):
        return None
    if values.get("without_mitigation"):
        return None
    return Refusal(
        "without_mitigation",
        "no rollback or hotfix has succeeded: record one, or write why the incident is resolved "
        "without one",
    )


def unacknowledged_escalation(record: Record, now: str) -> Refusal | None:
    if not any(e.acknowledged_at is None for e in record.escalations):
        return Refusal("by", "there is no escalation waiting for acknowledgement")
    return None


def message_due_guard(record: Record, values: Values, now: str) -> Refusal | None:
    kind = values["kind"]
    if kind in ("status_update", "escalation"):
        action = "status_update" if kind == "status_update" else "escalate"
        return Refusal("kind", f"{kind.replace('_', ' ')}s are logged with the {action} action")
    if message_due(record, kind):
        return None
    logged = [c.at for c in record.communications if c.kind == kind]
    if kind == "handover" and len(record.ic_changes) < 2:
        return Refusal("kind", "there has been no handover: the first IC taking command is not one")
    if kind == "resolution" and not record.resolution:
        return Refusal("kind", "the incident is not resolved yet")
    return Refusal("kind", f"the {kind} message was already logged at {max(logged)[11:16]} UTC")


# A second escalation this close to the last one is confirmed, never a second tap (not_a_repeat).
REPEAT_ESCALATION = timedelta(minutes=15)


def not_a_repeat(record: Record, values: Values, now: str) -> Refusal | None:
    if values.get("again"):
        return None
    at = parse_time(values.get("at", now))
    recent = [e for e in record.escalations if abs(parse_time(e.at) - at) < REPEAT_ESCALATION]
    if not recent:
        return None
    last = max(recent, key=lambda e: e.at)
    return Refusal(
        "again",
        f"an escalation to {last.to} was already recorded at {last.at[11:16]} UTC. If this is "
        "a second escalation, confirm it (again) and record it; if not, it is already recorded",
    )


def as_copied(record: Record, values: Values, now: str) -> Refusal | None:
    copied = values.get("copied")
    if not copied:
        return None
    kind = values.get("kind") or ("status_update" if "text" in values else "escalation")
    message = compose(kind, record, values, values.get("at", now))
    if message.strip() == copied.strip():
        return None
    return Refusal(
        "copied",
        "the message changed after you copied it (the incident or what you typed changed): copy "
        "it again, post that, then record it",
    )


def details_given(record: Record, values: Values, now: str) -> Refusal | None:
    if not values:
        return Refusal("release", "give at least one detail")
    return None


def note_entry(record: Record, values: Values, now: str) -> Refusal | None:
    entry = record.timeline[values["index"]]
    if entry.kind != "note" or entry.ref:
        return Refusal(
            "index", "this entry records what happened in the incident; correct its time instead"
        )
    return None


def derived_text_kept(record: Record, values: Values, now: str) -> Refusal | None:
    entry = record.timeline[values["index"]]
    if (entry.kind != "note" or entry.ref) and ({"event", "who"} & set(values)):
        return Refusal(
            "event", "only a note's text can change; this entry is derived: correct its time"
        )
    return None


def edit_given(record: Record, values: Values, now: str) -> Refusal | None:
    if not {"at", "event", "who"} & set(values):
        return Refusal("at", "give the corrected time, text or who")
    return None


StateGuard = Callable[[Record, str], Refusal | None]
InputGuard = Callable[[Record, Values, str], Refusal | None]
GUARDS: dict[str, StateGuard | InputGuard] = {
    "no_ic_yet": no_ic_yet,
    "has_ic": has_ic,
    "new_ic": new_ic,
    "deviation_reason_for_fix_forward": deviation_reason_for_fix_forward,
    "decision_current": decision_current,
    "mitigation_follows_decision": mitigation_follows_decision,
    "escalation_recorded": escalation_recorded,
    "mitigated_or_reason": mitigated_or_reason,
    "unacknowledged_escalation": unacknowledged_escalation,
    "message_due": message_due_guard,
    "as_copied": as_copied,
    "not_a_repeat": not_a_repeat,
    "details_given": details_given,
    "note_entry": note_entry,
    "derived_text_kept": derived_text_kept,
    "edit_given": edit_given,
}


def check_guard_table() -> None:
    """The table names exactly the guards defined here (a test calls this)."""
    table = load_table()
    if set(table.guards) != set(GUARDS):
        raise AssertionError(
            f"guards in transitions.toml {sorted(table.guards)} != transitions.py {sorted(GUARDS)}"
        )


# ---------------------------------------------------------------------------------- checks


def not_declared() -> str:
    """Why an action waits for the declaration, citing the section the declare action cites."""
    section = load_table().actions["declare"].section
    return (
        f"declare the incident first ({_cite(section)})"
        if section
        else "declare the incident first"
    )


RESOLVED = "the incident is resolved: reopen it to change this"


def phase_refusal(spec: ActionSpec, record: Record) -> Refusal | None:
    current = phase(record)
    if current in spec.phases:
        return None
    if current == "not_declared":
        return Refusal("type", not_declared())
    if current == "resolved":
        return Refusal("type", RESOLVED)
    return Refusal(
        "type", spec.why_not or f"not possible while: {load_table().phase(current).label}"
    )


# Room in the record's lists (data/limits.toml [count]). Every action adds one timeline entry
# except these (a test checks the most each adds): details with the moments they mirror, a
# failed rollback with its "escalation required", a start with the decision it implies.
NO_ENTRY = ("add_follow_up", "remove_follow_up", "edit_timeline", "remove_timeline")
ENTRIES = {"update_details": 3, "mitigation_outcome": 2, "start_mitigation": 2}
ADDS_TO = {"add_follow_up": "follow_ups"}
FULL = {
    "timeline": "the timeline holds {count:,} entries; a record keeps {limit:,}: remove notes you "
    "added, or export this record (the ticket keeps everything) and declare a new incident that "
    "refers to this one",
    "follow_ups": "there are {count:,} follow-ups, the most a record keeps: remove those that are "
    "done, or merge some",
}


def full(name: str, record: Record, added: int = 1) -> Refusal | None:
    """Whether the list `name` cannot take `added` more entries, with what to do."""
    limit = load_limits().items("timeline" if name == "timeline" else "list")
    count = len(getattr(record, name))
    if count + added <= limit:
        return None
    return Refusal(name, FULL[name].format(count=count, limit=limit))


def room_refusal(spec: ActionSpec, record: Record) -> Refusal | None:
    if spec.type not in NO_ENTRY:
        return full("timeline", record, ENTRIES.get(spec.type, 1))
    if spec.type in ADDS_TO:
        return full(ADDS_TO[spec.type], record)
    return None


def spec_for(action: Any) -> ActionSpec:
    table = load_table()
    if not isinstance(action, Mapping):
        raise InvalidInput("action", 'expected an object with a "type"')
    kind = action.get("type")
    if not isinstance(kind, str) or kind not in table.actions:  # a list or object: unhashable
        kinds: dict[type, str] = {list: "a list", dict: "an object"}
        shown = repr(kind)[:40] if isinstance(kind, str) else kinds.get(type(kind), repr(kind))
        raise InvalidInput("type", f"{shown} is not an action; one of: {', '.join(table.actions)}")
    return table.actions[kind]


def check(record: Record, action: Any, now: str) -> tuple[ActionSpec, Values]:
    """The action's spec and typed values, or InvalidInput from its phase, fields or guards."""
    spec = spec_for(action)
    refusal = phase_refusal(spec, record) or room_refusal(spec, record)
    if refusal:
        raise InvalidInput(refusal.field, refusal.message)
    values = read_fields(spec, action, record, now)
    table = load_table()
    for name in spec.guards:
        guard = GUARDS[name]
        if table.guards[name].kind == "state":
            refusal = cast(StateGuard, guard)(record, now)
        else:
            refusal = cast(InputGuard, guard)(record, values, now)
        if refusal:
            raise InvalidInput(refusal.field, refusal.message)
    return spec, values


def allowed_now(record: Record, now: str) -> dict[str, dict[str, Any]]:
    """For every action: whether its phase and state guards allow it now, and if not, why."""
    table = load_table()
    out = {}
    for kind, spec in table.actions.items():
        refusal = phase_refusal(spec, record) or room_refusal(spec, record)
        for name in spec.guards:
            if refusal is None and table.guards[name].kind == "state":
                refusal = cast(StateGuard, GUARDS[name])(record, now)
        out[kind] = {"allowed": refusal is None, "why_not": refusal.message if refusal else ""}
    return out

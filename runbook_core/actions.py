"""What the IC does, as pure transitions: apply(record, action, now) -> new record.

Each action is a plain dict with a "type" (JSON from the browser, or built by the CLI walk).
Every transition appends to the UTC timeline; invalid input raises InvalidInput naming the
field, and the record passed in is never changed (records are frozen).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .config import OrgConfig, load_org
from .decide import check_answers, recommend
from .errors import InvalidInput, RecordError
from .record import (
    MAX_TEXT,
    Decision,
    Escalation,
    ICChange,
    Mitigation,
    Record,
    Resolution,
    StatusUpdate,
    TimelineEntry,
    normalise_time,
)
from .rules import load_runbook

Action = Mapping[str, Any]


def _text(action: Action, key: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
    value = action.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(key, "expected text")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if required and not value.strip():
        raise InvalidInput(key, "is required; it cannot be empty")
    if len(value) > max_len:
        raise InvalidInput(
            key,
            f"is {len(value)} characters; the limit is {max_len}. "
            "Shorten it or link to the full text",
        )
    return value.strip()


def _name(action: Action, key: str, required: bool = True) -> str:
    value = _text(action, key, required=required, max_len=200)
    return " ".join(value.split())  # a name is one line


def _choice(action: Action, key: str, allowed: tuple[str, ...]) -> str:
    value = action.get(key)
    if value is None or value == "":
        raise InvalidInput(key, f"is required; choose one of: {', '.join(allowed)}")
    if value not in allowed:
        raise InvalidInput(key, f"{value!r} is not allowed; choose one of: {', '.join(allowed)}")
    return value


def _time(action: Action, key: str) -> str:
    try:
        return normalise_time(action.get(key), key)
    except RecordError as exc:
        raise InvalidInput(key, exc.problem) from None


def _log(record: Record, at: str, event: str, kind: str, who: str = "", ref: str = "") -> Record:
    entry = TimelineEntry(
        at=at, event=event, who=who or record.ic or record.declared_by, kind=kind, ref=ref
    )
    return record.evolve(timeline=(*record.timeline, entry))


def _require_declared(record: Record) -> None:
    if not record.declared_at:
        raise InvalidInput("summary", "declare the incident first (runbook 3.1)")


def declare(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    summary = " ".join(_text(action, "summary", max_len=500).split())
    by = _name(action, "by", required=False)
    if record.declared_at:
        # Correcting the summary after declaring keeps the original declared time.
        return _log(
            record.evolve(summary=summary), now, f"Summary corrected: {summary}", "note", by
        )
    incident_id = "INC-" + now[:16].replace("-", "").replace("T", "-").replace(":", "")
    record = record.evolve(
        summary=summary, declared_at=now, declared_by=by, incident_id=incident_id
    )
    return _log(
        record, now, f"Incident declared in {org.channel}: {summary}", "declared", by, "declared_at"
    )


def take_command(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    runbook = load_runbook()
    oncall = _name(action, "oncall", required=False)
    available = action.get("oncall_available", True)
    if not isinstance(available, bool):
        raise InvalidInput("oncall_available", "expected true or false")
    if available:
        if not oncall:
            raise InvalidInput("oncall", "name the on-call engineer: the default IC (3.1)")
        ic, cited = oncall, runbook.ic_default_reason
    else:
        ic = _name(action, "first_responder", required=False)
        if not ic:
            raise InvalidInput(
                "first_responder",
                "the on-call engineer is unavailable: name "
                "the first engineer to respond, who assumes IC (section 5)",
            )
        cited = runbook.ic_unavailable_reason
    reason = (
        cited.text
        if not oncall or available
        else f"{oncall} (on-call) is unavailable. " + cited.text
    )
    return _set_ic(record.evolve(oncall=oncall), ic, reason, now)


def change_ic(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    to = _name(action, "to")
    reason = _text(action, "reason", max_len=2000)
    return _set_ic(record, to, reason, now)


def _set_ic(record: Record, ic: str, reason: str, now: str) -> Record:
    index = len(record.ic_changes)
    previous = record.ic
    record = record.evolve(ic=ic, ic_changes=(*record.ic_changes, ICChange(now, ic, reason)))
    event = (
        f"IC handed over from {previous} to {ic}"
        if previous and previous != ic
        else f"{ic} is Incident Commander"
    )
    return _log(record, now, f"{event}. {reason}", "command", ic, f"ic_changes.{index}.at")


def answer(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    runbook = load_runbook()
    qid = action.get("question")
    value = action.get("value")
    check_answers({qid: value} if isinstance(qid, str) else {"question": None}, runbook)
    question = runbook.question(qid)
    target = "impact" if question.group == "impact" else "fix_forward"
    current = getattr(record, target)
    if getattr(current, qid) == value:
        return record
    record = record.evolve(**{target: replace(current, **{qid: value})})
    return _log(record, now, f"{question.prompt} {question.label(value)}", "impact")


def decide(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    runbook = load_runbook()
    chosen = _choice(action, "action", tuple(runbook.action_labels))
    recommended = recommend(record.answers(), runbook)
    deviation = _text(action, "deviation_reason", required=False, max_len=5000)
    if chosen != recommended.action and not deviation:
        raise InvalidInput(
            "deviation_reason",
            f"the runbook recommends "
            f"{runbook.action_labels[recommended.action].lower()}; choosing "
            f"{runbook.action_labels[chosen].lower()} needs a written reason",
        )
    if chosen == recommended.action:
        deviation = ""
    record = record.evolve(decision=Decision(now, chosen, recommended.action, deviation))
    event = f"Decision: {runbook.action_labels[chosen]}"
    if deviation:
        event += (
            f" (against the recommendation to "
            f"{runbook.action_labels[recommended.action].lower()}: {deviation})"
        )
    return _log(record, now, event, "decision", ref="decision.at")


def start_mitigation(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    if record.decision is None:
        raise InvalidInput("action", "decide between roll back and fix forward first (3.2)")
    runbook = load_runbook()
    if record.mitigations and record.mitigations[-1].outcome == "pending":
        raise InvalidInput("action", "record the outcome of the current mitigation first")
    chosen = action.get("action") or next_mitigation(record)
    chosen = _choice({"action": chosen}, "action", tuple(runbook.action_labels))
    index = len(record.mitigations)
    record = record.evolve(mitigations=(*record.mitigations, Mitigation(now, chosen)))
    verb = "Rollback started" if chosen == "roll_back" else "Hotfix deployment started"
    return _log(record, now, verb, "mitigation", ref=f"mitigations.{index}.started_at")


def next_mitigation(record: Record) -> str:
    """The decided action, or roll back after a failed hotfix (the runbook's default)."""
    if (
        record.mitigations
        and record.mitigations[-1].action == "fix_forward"
        and record.mitigations[-1].outcome == "failed"
    ):
        return "roll_back"
    return record.decision.action if record.decision else "roll_back"


def mitigation_outcome(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    if not record.mitigations or record.mitigations[-1].outcome != "pending":
        raise InvalidInput("outcome", "start a rollback or hotfix before recording its outcome")
    runbook = load_runbook()
    outcome = _choice(action, "outcome", ("succeeded", "failed"))
    notes = _text(action, "notes", required=False)
    index = len(record.mitigations) - 1
    current = record.mitigations[-1]
    done = replace(current, outcome=outcome, ended_at=now, notes=notes)
    record = record.evolve(mitigations=(*record.mitigations[:-1], done))
    name = "Rollback" if current.action == "roll_back" else "Hotfix"
    record = _log(
        record,
        now,
        f"{name} {outcome}" + (f": {notes}" if notes else ""),
        "mitigation",
        ref=f"mitigations.{index}.ended_at",
    )
    if outcome == "failed" and current.action == "roll_back":
        # Section 5: a failed rollback is a major incident, escalated immediately.
        why = runbook.outcomes["roll_back_failed"].text.format(**org.as_dict())
        record = _escalate(record, org.escalation_contact, why, now)
    elif outcome == "failed":
        record = _log(record, now, runbook.outcomes["fix_forward_failed"].text, "note")
    return record


def escalate(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    to = _name(action, "to", required=False) or org.escalation_contact
    return _escalate(record, to, _text(action, "reason", max_len=2000), now)


def _escalate(record: Record, to: str, reason: str, now: str) -> Record:
    index = len(record.escalations)
    record = record.evolve(escalations=(*record.escalations, Escalation(now, to, reason)))
    return _log(
        record, now, f"Escalated to {to}: {reason}", "escalation", ref=f"escalations.{index}.at"
    )


def status_update(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    from .messages import status_message  # messages imports actions' helpers lazily

    _require_declared(record)
    text = _text(action, "text", max_len=4000)
    message = status_message(record, text, now, org)
    index = len(record.status_updates)
    record = record.evolve(
        status_updates=(*record.status_updates, StatusUpdate(now, text, message))
    )
    return _log(
        record,
        now,
        f"Status update posted in {org.channel}: {text}",
        "status_update",
        ref=f"status_updates.{index}.at",
    )


def resolve(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    _require_declared(record)
    if record.mitigations and record.mitigations[-1].outcome == "pending":
        raise InvalidInput(
            "details", "the current mitigation has no outcome yet; record it before resolving"
        )
    details = _text(action, "details")
    data_lost = _choice(action, "data_lost", ("yes", "no", "unknown"))
    record = record.evolve(resolution=Resolution(now, details, data_lost))
    return _log(record, now, f"Incident resolved: {details}", "resolved", ref="resolution.at")


def reopen(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    if record.resolution is None:
        raise InvalidInput("resolution", "the incident is not resolved")
    reason = _text(action, "reason")
    return _log(record.evolve(resolution=None), now, f"Incident reopened: {reason}", "note")


def add_follow_up(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    return record.evolve(follow_ups=(*record.follow_ups, _text(action, "text", max_len=2000)))


def remove_follow_up(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    index = _index(action, len(record.follow_ups))
    return record.evolve(follow_ups=record.follow_ups[:index] + record.follow_ups[index + 1 :])


def add_timeline(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    at = _time(action, "at") if action.get("at") else now
    return _log(record, at, _text(action, "event"), "note", _name(action, "who", False))


def edit_timeline(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    index = _index(action, len(record.timeline))
    entry = record.timeline[index]
    changes: dict[str, str] = {}
    if action.get("at") is not None:
        changes["at"] = _time(action, "at")
    if action.get("event") is not None:
        changes["event"] = _text(action, "event")
    if action.get("who") is not None:
        changes["who"] = _name(action, "who", required=False)
    timeline = list(record.timeline)
    timeline[index] = replace(entry, **changes)
    record = record.evolve(timeline=tuple(timeline))
    if "at" in changes and entry.ref:
        record = _set_path(record, entry.ref, changes["at"])
    return record


def remove_timeline(record: Record, action: Action, now: str, org: OrgConfig) -> Record:
    index = _index(action, len(record.timeline))
    if record.timeline[index].ref:
        raise InvalidInput(
            "index", "this entry records a key time; correct its time instead of removing it"
        )
    return record.evolve(timeline=record.timeline[:index] + record.timeline[index + 1 :])


def _index(action: Action, length: int) -> int:
    index = action.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < length:
        raise InvalidInput("index", f"expected a whole number from 0 to {length - 1}")
    return index


def _set_path(record: Record, path: str, value: str) -> Record:
    """Set a time field by dotted path ("mitigations.0.ended_at") on the frozen record."""
    head, *rest = path.split(".")
    if not rest:
        return replace(record, **{head: value})
    container = getattr(record, head)
    if isinstance(container, tuple):
        i = int(rest[0])
        items = list(container)
        items[i] = _set_path(items[i], ".".join(rest[1:]), value)
        return replace(record, **{head: tuple(items)})
    return replace(record, **{head: _set_path(container, ".".join(rest), value)})


HANDLERS: dict[str, Callable[[Record, Action, str, OrgConfig], Record]] = {
    "declare": declare,
    "take_command": take_command,
    "change_ic": change_ic,
    "answer": answer,
    "decide": decide,
    "start_mitigation": start_mitigation,
    "mitigation_outcome": mitigation_outcome,
    "escalate": escalate,
    "status_update": status_update,
    "resolve": resolve,
    "reopen": reopen,
    "add_follow_up": add_follow_up,
    "remove_follow_up": remove_follow_up,
    "add_timeline": add_timeline,
    "edit_timeline": edit_timeline,
    "remove_timeline": remove_timeline,
}


def apply(record: Record, action: Action, now: str, org: OrgConfig | None = None) -> Record:
    """The record after one action at time `now` (ISO 8601 with timezone)."""
    if not isinstance(action, Mapping):
        raise InvalidInput("action", 'expected an object with a "type"')
    kind = action.get("type")
    if kind not in HANDLERS:
        raise InvalidInput("type", f"{kind!r} is not an action; one of: {', '.join(HANDLERS)}")
    return HANDLERS[kind](record, action, _time({"now": now}, "now"), org or load_org())

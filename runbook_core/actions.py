"""What the IC does, as pure transitions: apply(record, action, now) -> new record.

Each action is a plain dict with a "type" (JSON from the browser, `runbook apply`, or built by
the CLI walk). `apply` goes through the declared table (transitions.check: phase, fields,
guards), then the action's effect below. Every effect writes to the UTC timeline; a refusal
raises InvalidInput naming the field and the fix, and the record passed in is never changed
(records are frozen).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from .config import OrgConfig, load_org
from .decide import recommend
from .derive import (
    decision_stale,
    escalation_required,
    hhmm,
    latest_failed_rollback,
    next_mitigation,
)
from .errors import InvalidInput, RecordError
from .messages import compose, one_line
from .record import (
    Basis,
    Communication,
    Decision,
    Escalation,
    FollowUp,
    ICChange,
    Mitigation,
    Record,
    Resolution,
    TimelineEntry,
    limit_problems,
    normalise_time,
    time_paths,
)
from .rules import load_runbook
from .table import load_table
from .transitions import Values, check

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_D = TypeVar("_D", bound="DataclassInstance")  # a record dataclass: replace() keeps its type

Action = Mapping[str, Any]
Effect = Callable[[Record, Values, str, OrgConfig], Record]
# Crockford's base32 without I, L, O, U: IDs read aloud on a call are not misheard.
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_incident_id(now: str) -> str:
    """INC-YYYYMMDD-HHMM-XXXX: the declared minute, then 20 random bits, so two incidents
    declared in the same minute never share an ID. Fixed at declaration: correcting the declared
    time later keeps it."""
    bits = int.from_bytes(os.urandom(3), "big")  # 4 characters of 5 bits from 24 random bits
    suffix = "".join(ID_ALPHABET[(bits >> shift) & 31] for shift in (15, 10, 5, 0))
    return f"INC-{now[:10].replace('-', '')}-{now[11:16].replace(':', '')}-{suffix}"


def _log(record: Record, at: str, event: str, kind: str, who: str = "", ref: str = "") -> Record:
    entry = TimelineEntry(
        at=at, event=event, who=who or record.ic or record.declared_by, kind=kind, ref=ref
    )
    return record.evolve(timeline=(*record.timeline, entry))


def _unref(record: Record, ref: str) -> Record:
    """Entries that mirrored `ref` become history (their time no longer moves that field)."""
    return record.evolve(
        timeline=tuple(replace(e, ref="") if e.ref == ref else e for e in record.timeline)
    )


def _label(action: str) -> str:
    return load_runbook().action_labels[action]


# ---------------------------------------------------------------------------- declaring


def declare(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    record = record.evolve(
        summary=v["summary"],
        declared_at=now,
        declared_by=v.get("by", ""),
        incident_id=v.get("incident_id") or new_incident_id(now),
    )
    event = f"Incident declared in {org.channel}: {v['summary']}"
    return _log(record, now, event, "declared", v.get("by", ""), "declared_at")


def correct_summary(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    record = record.evolve(summary=v["summary"])
    return _log(record, now, f"Summary corrected: {v['summary']}", "details")


DETAIL_NAMES = {
    "release": "Release",
    "rollback_target": "Rolled back to",
    "slack_thread": "Slack thread",
    "detected_how": "Detected by",
    "detected_at": "Detected at",
    "impact_started_at": "Impact started at",
    "services": "Services affected",
    "responders": "Responders",
}
# Details that are moments of the incident get their own timeline entry, which mirrors them.
MOMENTS = {"detected_at": "Problem detected", "impact_started_at": "Impact started"}


def update_details(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    record = record.evolve(**v)
    shown = []
    for key, value in v.items():
        text = ", ".join(value) if isinstance(value, tuple) else value
        shown.append(f"{DETAIL_NAMES[key]}: {text or '(cleared)'}")
    record = _log(record, now, "Details: " + "; ".join(shown), "details")
    for key, what in MOMENTS.items():
        if key not in v:
            continue
        how = f" ({record.detected_how})" if key == "detected_at" and record.detected_how else ""
        timeline = list(record.timeline)
        mirror = next((i for i, e in enumerate(timeline) if e.ref == key), None)
        if mirror is not None:
            timeline[mirror] = replace(timeline[mirror], at=v[key], event=what + how)
            record = record.evolve(timeline=tuple(timeline))
        else:
            record = _log(record, v[key], what + how, "details", ref=key)
    return record


# ------------------------------------------------------------------------------- command


def take_command(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    runbook = load_runbook()
    oncall = v.get("oncall", "")
    if v.get("oncall_available", True):
        if not oncall:
            raise InvalidInput("oncall", "name the on-call engineer: the default IC (3.1)")
        ic, reason = oncall, runbook.ic_default_reason.text
    else:
        ic = v.get("first_responder", "")
        if not ic:
            raise InvalidInput(
                "first_responder",
                "the on-call engineer is unavailable: name the first engineer to respond, who "
                "assumes IC (section 5)",
            )
        reason = runbook.ic_unavailable_reason.text
        if oncall:
            # Said once, with the name: "Sam (on-call) is unavailable: the first engineer ..."
            mode = next(m for m in runbook.failure_modes if m.id == "ic_unavailable")
            action = mode.action.format(**org.as_dict())
            reason = f"{oncall} (on-call) is unavailable: {action[:1].lower()}{action[1:]}"
    return _set_ic(record.evolve(oncall=oncall), ic, reason, now)


def change_ic(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    return _set_ic(record, v["to"], v["reason"], now)


def _set_ic(record: Record, ic: str, reason: str, now: str) -> Record:
    index = len(record.ic_changes)
    previous = record.ic
    record = record.evolve(ic=ic, ic_changes=(*record.ic_changes, ICChange(now, ic, reason)))
    event = f"IC handed over from {previous} to {ic}" if previous else f"{ic} is Incident Commander"
    return _log(record, now, f"{event}. {reason}", "command", ic, f"ic_changes.{index}.at")


# ---------------------------------------------------------------------------------- triage


def answer(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    question = load_runbook().question(v["question"])
    target = "impact" if question.group == "impact" else "fix_forward"
    current = getattr(record, target)
    if getattr(current, question.id) == v["value"]:
        return record  # the same answer again (a second tab, a repeated click): nothing new
    record = record.evolve(**{target: replace(current, **{question.id: v["value"]})})
    event = f"{question.prompt} {question.label(v['value'])}"
    if record.decision and decision_stale(record):
        event += f" (the decision made at {hhmm(record.decision.at)} UTC must be made again)"
    return _log(record, now, event, "impact")


def _decision(
    record: Record, action: str, now: str, reason: str = "", against_decision: bool = False
) -> Decision:
    """A decision on the current answers; a reason is kept only where it is a deviation: fix
    forward that the runbook does not permit, another hotfix after a failed one, or a hotfix
    started against the decision (the guard asked the IC to write why)."""
    permitted = recommend(record.answers()).fix_forward_permitted
    deviates = action == "fix_forward" and (
        not permitted or _after_failed_hotfix(record) or against_decision
    )
    basis = Basis(record.impact, record.fix_forward)
    return Decision(now, action, permitted, basis, reason if deviates else "")


def _after_failed_hotfix(record: Record) -> bool:
    last = record.mitigations[-1] if record.mitigations else None
    return last is not None and last.action == "fix_forward" and last.outcome == "failed"


def _record_decision(record: Record, decision: Decision, now: str, note: str = "") -> Record:
    record = _unref(record, "decision.at").evolve(decision=decision)
    event = f"Decision: {_label(decision.action)}"
    if decision.action == "fix_forward":
        event += (
            " (permitted: all three conditions hold)"
            if decision.fix_forward_permitted
            else " against the runbook (fix forward is not permitted)"
        )
    if decision.deviation_reason:
        event += f". Reason: {decision.deviation_reason}"
    return _log(record, now, event + note, "decision", ref="decision.at")


def decide(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    decision = _decision(record, v["action"], now, v.get("deviation_reason", ""))
    return _record_decision(record, decision, now)


# ------------------------------------------------------------------------------ mitigating


def start_mitigation(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    chosen = v.get("action") or next_mitigation(record)
    reason = v.get("deviation_reason", "")
    if record.decision is None:  # unreachable: the guard decision_current refuses it first
        raise InvalidInput("action", "decide between roll back and fix forward first")
    decided = record.decision.action
    if chosen != decided or (chosen == "fix_forward" and reason):
        # What is done becomes the decision: roll back needs no reason (the default); a hotfix
        # against the decision or after a failed one carries the IC's reason.
        if chosen == "roll_back" and _after_failed_hotfix(record):
            note = (
                ": the hotfix failed, and the runbook does not cover that; roll back is its default"
            )
        elif chosen == "roll_back":
            note = ": roll back is the runbook's default"
        else:
            note = ""
        against = chosen != decided
        decision = _decision(record, chosen, now, reason, against_decision=against)
        record = _record_decision(record, decision, now, note)
    index = len(record.mitigations)
    record = record.evolve(mitigations=(*record.mitigations, Mitigation(now, chosen)))
    verb = "Rollback started" if chosen == "roll_back" else "Hotfix deployment started"
    return _log(record, now, verb, "mitigation", ref=f"mitigations.{index}.started_at")


def mitigation_outcome(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    index = len(record.mitigations) - 1
    current = record.mitigations[-1]
    notes = v.get("notes", "")
    done = replace(current, outcome=v["outcome"], ended_at=now, notes=notes)
    record = record.evolve(mitigations=(*record.mitigations[:-1], done))
    name = "Rollback" if current.action == "roll_back" else "Hotfix"
    event = f"{name} {v['outcome']}" + (f": {notes}" if notes else "")
    # A failed rollback now requires an escalation (section 5) and a failed hotfix falls back to
    # roll back: the view says what to do next (derive.escalation_required); the timeline keeps
    # only what happened, never an instruction.
    return _log(record, now, event, "mitigation", ref=f"mitigations.{index}.ended_at")


# ---------------------------------------------------------------------------- escalation


def escalate(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    at = v.get("at", now)
    required = escalation_required(record)
    failed = latest_failed_rollback(record) if required else None
    to = v.get("to") or org.escalation_contact
    doing = v.get("doing", "")
    message = compose("escalation", record, v, at, org)
    reason = record.mitigations[failed].notes if failed is not None else ""
    index = len(record.escalations)
    escalation = Escalation(at, to, reason, doing, failed)
    record = record.evolve(
        escalations=(*record.escalations, escalation),
        communications=(*record.communications, Communication(at, "escalation", message)),
    )
    why = " (major incident: the rollback failed, runbook section 5)" if required else ""
    return _log(record, at, f"Escalated to {to}{why}", "escalation", ref=f"escalations.{index}.at")


def acknowledge_escalation(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    at = v.get("at", now)
    index = max(i for i, e in enumerate(record.escalations) if e.acknowledged_at is None)
    escalations = list(record.escalations)
    escalations[index] = replace(escalations[index], acknowledged_at=at, acknowledged_by=v["by"])
    record = record.evolve(escalations=tuple(escalations))
    event = f"Escalation to {escalations[index].to} acknowledged by {v['by']}"
    return _log(record, at, event, "escalation", ref=f"escalations.{index}.acknowledged_at")


# ----------------------------------------------------------------------- communications


def _communicate(record: Record, kind: str, at: str, org: OrgConfig, text: str = "") -> Record:
    message = compose(kind, record, {"text": text}, at, org)
    index = len(record.communications)
    record = record.evolve(
        communications=(*record.communications, Communication(at, kind, message, text))
    )
    what = load_table().label("message_kind", kind)
    event = f"{what} posted in {org.channel}" + (f": {one_line(text)}" if text else "")
    return _log(record, at, event, "message", ref=f"communications.{index}.at")


def status_update(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    return _communicate(record, "status_update", v.get("at", now), org, v["text"])


def log_message(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    return _communicate(record, v["kind"], v.get("at", now), org)


# ------------------------------------------------------------------------------ resolving


def resolve(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    without = v.get("without_mitigation", "")
    if record.resolution:
        # Saying it again amends what was said; the incident was resolved when it was.
        amended = replace(
            record.resolution,
            details=v["details"],
            data_lost=v["data_lost"],
            without_mitigation=without,
        )
        record = record.evolve(resolution=amended)
        return _log(record, now, f"Resolution amended: {v['details']}", "resolved")
    record = record.evolve(resolution=Resolution(now, v["details"], v["data_lost"], without))
    event = f"Incident resolved: {v['details']}"
    if without:
        event += f" (without a successful rollback or hotfix: {without})"
    return _log(record, now, event, "resolved", ref="resolution.at")


def reopen(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    record = _unref(record, "resolution.at").evolve(resolution=None)
    return _log(record, now, f"Incident reopened: {v['reason']}", "resolved")


# ------------------------------------------------------------------- follow-ups, timeline


def add_follow_up(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    item = FollowUp(v["text"], v.get("owner", ""))
    return record.evolve(follow_ups=(*record.follow_ups, item))


def remove_follow_up(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    i = v["index"]
    return record.evolve(follow_ups=record.follow_ups[:i] + record.follow_ups[i + 1 :])


def add_timeline(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    return _log(record, v.get("at", now), v["event"], "note", v.get("who", ""))


def edit_timeline(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    index = v["index"]
    entry = record.timeline[index]
    changes = {key: v[key] for key in ("at", "event", "who") if key in v}
    timeline = list(record.timeline)
    timeline[index] = replace(entry, **changes)
    record = record.evolve(timeline=tuple(timeline))
    if "at" in changes and entry.ref:
        record = _set_time(record, entry.ref, changes["at"])
    return record


def remove_timeline(record: Record, v: Values, now: str, org: OrgConfig) -> Record:
    i = v["index"]
    return record.evolve(timeline=record.timeline[:i] + record.timeline[i + 1 :])


def _set_time(record: Record, path: str, value: str) -> Record:
    """Set a time by dotted path ("mitigations.0.ended_at"); only a time the record has."""
    if time_paths(record).get(path) is None:
        raise RecordError("ref", f"{path!r} names no time in this record")

    def put(obj: _D, parts: list[str]) -> _D:
        head, *rest = parts
        if not rest:
            return replace(obj, **{head: value})
        child = getattr(obj, head)
        if isinstance(child, tuple):
            i, *deeper = rest
            items = list(child)
            items[int(i)] = put(items[int(i)], deeper)
            return replace(obj, **{head: tuple(items)})
        return replace(obj, **{head: put(child, rest)})

    return put(record, path.split("."))


EFFECTS: dict[str, Effect] = {
    "declare": declare,
    "correct_summary": correct_summary,
    "update_details": update_details,
    "take_command": take_command,
    "change_ic": change_ic,
    "answer": answer,
    "decide": decide,
    "start_mitigation": start_mitigation,
    "mitigation_outcome": mitigation_outcome,
    "escalate": escalate,
    "acknowledge_escalation": acknowledge_escalation,
    "status_update": status_update,
    "log_message": log_message,
    "resolve": resolve,
    "reopen": reopen,
    "add_follow_up": add_follow_up,
    "remove_follow_up": remove_follow_up,
    "add_timeline": add_timeline,
    "edit_timeline": edit_timeline,
    "remove_timeline": remove_timeline,
}


def apply(record: Record, action: Action, now: str, org: OrgConfig | None = None) -> Record:
    """The record after one action at time `now` (ISO 8601 with timezone), or InvalidInput."""
    try:
        now = normalise_time(now, "now")
    except RecordError as exc:
        raise InvalidInput("now", exc.problem) from None
    spec, values = check(record, action, now)
    new = EFFECTS[spec.type](record, values, now, org or load_org())
    within_limits(new, record)
    return new


def within_limits(new: Record, before: Record) -> None:
    """Refuse, up front, an action whose result would break a limit the loader keeps (the
    caller keeps `before`, unchanged). The effects are composed so that texts cannot (see
    data/limits.toml), and transitions.room_refusal refuses an action a full list has no room
    for before it runs: this is the net under both."""
    problems = limit_problems(new, before)
    if not problems:
        return
    first = problems[0]
    name = first.field.removeprefix("record.").split("[")[0].split(".")[0]
    raise InvalidInput(
        name, f"would be over its limit ({first.field} {first.problem}): shorten what you wrote"
    )

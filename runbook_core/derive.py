"""Facts the record implies but does not store: phase, status, staleness, what is required next."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from .config import OrgConfig
from .decide import Recommendation, recommend, relevant_fix_forward_questions
from .limits import load_limits
from .record import Basis, Mitigation, Record, parse_time, utc_iso
from .rules import Runbook, load_runbook
from .table import load_table

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ; more than this ahead is a typo


def _holds(rule: dict[str, tuple[str, ...]], answers: dict[str, str | None], any_: bool) -> bool:
    checks = (answers.get(qid) in allowed for qid, allowed in rule.items())
    return any(checks) if any_ else all(checks)


def severity(record: Record, runbook: Runbook | None = None, org: OrgConfig | None = None) -> str:
    """The impact class, in the organisation's words where it renamed them."""
    runbook = runbook or load_runbook()
    answers = record.answers()
    if any(answers.get(q.id) is None for q in runbook.group("impact")):
        return "Not assessed yet"
    labels = org.severity_labels if org else {}
    for rule in runbook.severity:
        if (rule.when_any and _holds(rule.when_any, answers, True)) or (
            rule.when_all and _holds(rule.when_all, answers, False)
        ):
            return labels.get(rule.id, rule.label)
    return "Unclassified"


def last_mitigation(record: Record) -> Mitigation | None:
    return record.mitigations[-1] if record.mitigations else None


def phase(record: Record) -> str:
    """Where the incident is (a phase id of data/transitions.toml)."""
    last = last_mitigation(record)
    if not record.declared_at:
        return "not_declared"
    if record.resolution:
        return "resolved"
    if last is not None:
        return {"pending": "mitigating", "succeeded": "mitigated", "failed": "failed"}[last.outcome]
    return "decided" if record.decision else "investigating"


def decision_stale(record: Record) -> bool:
    """An impact or fix-forward answer changed after the decision: it must be made again."""
    decision = record.decision
    return decision is not None and decision.basis != Basis(record.impact, record.fix_forward)


def latest_failed_rollback(record: Record) -> int | None:
    for i in range(len(record.mitigations) - 1, -1, -1):
        m = record.mitigations[i]
        if m.action == "roll_back" and m.outcome == "failed":
            return i
    return None


def escalation_required(record: Record) -> bool:
    """Section 5: a failed rollback is escalated immediately; required until one is recorded."""
    failed = latest_failed_rollback(record)
    if failed is None or record.resolution:
        return False
    return not any(
        e.for_mitigation is not None and e.for_mitigation >= failed for e in record.escalations
    )


def major_incident(record: Record) -> bool:
    """A rollback failed and nothing has succeeded since (runbook section 5)."""
    for m in reversed(record.mitigations):
        if m.outcome == "succeeded":
            return False
        if m.action == "roll_back" and m.outcome == "failed":
            return True
    return False


def next_mitigation(record: Record) -> str:
    """The decided action, or roll back after a failed hotfix (the runbook's default)."""
    runbook = load_runbook()
    last = last_mitigation(record)
    if last is not None and last.action == "fix_forward" and last.outcome == "failed":
        return runbook.default_action
    return record.decision.action if record.decision else runbook.default_action


def status(record: Record) -> str:
    """The phase in words, with the major-incident state first when a rollback failed, and
    "escalation required" for as long as a failed rollback waits for its escalation."""
    current = phase(record)
    label = load_table().phase(current).label
    last = last_mitigation(record)
    if last is not None and current in ("mitigating", "failed"):
        name = "rollback" if last.action == "roll_back" else "hotfix"
        label = (
            f"Mitigating ({name} in progress)"
            if current == "mitigating"
            else f"{name.capitalize()} failed"
        )
    if current == "resolved":
        return label
    if escalation_required(record):
        # Required until recorded, even once a later mitigation succeeded (resolve waits for it).
        if major_incident(record):
            return f"Major incident: escalation required; {label}"
        return f"A rollback failed: escalation required; {label}"
    if major_incident(record):
        return f"Major incident, escalated; {label}"
    return label


def current_recommendation(record: Record, runbook: Runbook | None = None) -> Recommendation:
    return recommend(record.answers(), runbook)


def asked(record: Record, runbook: Runbook | None = None) -> set[str]:
    """The questions the IC is (or was) asked: every impact question, and the fix-forward
    questions that can change whether fix forward is permitted (or that were answered)."""
    return asked_for(record.answers(), runbook)


def asked_for(answers: Mapping[str, str | None], runbook: Runbook | None = None) -> set[str]:
    """`asked` for a combination of answers (the page's table before its engine is ready)."""
    runbook = runbook or load_runbook()
    relevant = set(relevant_fix_forward_questions(answers, runbook))
    return {
        q.id
        for q in runbook.questions
        if q.group == "impact" or q.id in relevant or answers.get(q.id) is not None
    }


def mitigated_at(record: Record) -> str | None:
    for m in record.mitigations:
        if m.outcome == "succeeded":
            return m.ended_at
    return None


def duration(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "n/a"
    minutes = int((parse_time(end) - parse_time(start)).total_seconds() // 60)
    if minutes < 0:
        return "n/a (end before start: check the times)"
    hours, mins = divmod(minutes, 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def last_status_update(record: Record) -> str | None:
    updates = [c.at for c in record.communications if c.kind == "status_update"]
    return max(updates) if updates else None


def next_update_due(record: Record, org: OrgConfig) -> str | None:
    """When the next status update is due: interval after the last one (or the declaration)."""
    if not record.declared_at or record.resolution:
        return None
    last = last_status_update(record) or record.declared_at
    return utc_iso(parse_time(last) + timedelta(minutes=org.status_update_interval_minutes))


def next_update_soon(record: Record, org: OrgConfig) -> str | None:
    """From when the next status update is due soon (the page marks it, data/limits.toml
    minutes.due_soon before it is due), or None if none is due."""
    due = next_update_due(record, org)
    soon = timedelta(minutes=load_limits().minutes["due_soon"])
    return None if due is None else utc_iso(parse_time(due) - soon)


def message_due(record: Record, kind: str) -> bool:
    """Whether the declaration, handover or resolution message exists and is not logged yet."""
    logged = [c.at for c in record.communications if c.kind == kind]
    if kind == "declaration":
        return bool(record.declared_at) and not logged
    if kind == "handover":
        # The first IC takes command; only a later change of command is a handover.
        if len(record.ic_changes) < 2:
            return False
        since = record.ic_changes[-1].at
        return not any(at >= since for at in logged)
    if kind == "resolution":
        return record.resolution is not None and not any(
            at >= record.resolution.at for at in logged
        )
    return False


def in_future(at: str, now: str) -> bool:
    return parse_time(at) > parse_time(now) + FUTURE_TOLERANCE


def before_declaration(record: Record, at: str) -> bool:
    return bool(record.declared_at) and parse_time(at) < parse_time(record.declared_at)


def impact_summary(record: Record, runbook: Runbook | None = None) -> str:
    """The impact in the runbook's words (3.1): "all users; data loss or corruption; critical
    degradation" (the answers' `impact` words, data/runbook.toml)."""
    runbook = runbook or load_runbook()
    parts = []
    for q in runbook.group("impact"):
        value = getattr(record.impact, q.id)
        words = next((a.impact for a in q.answers if a.value == value), "")
        parts.append(words or f"{q.name}: not assessed")
    return "; ".join(parts)


def hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "--:--"


def human_time(iso: str | None) -> str:
    """'2026-11-28 21:40:05 UTC' for the ticket; the record keeps ISO 8601."""
    return f"{iso[:10]} {iso[11:19]} UTC" if iso else "—"

"""Facts the record implies but does not store: status, impact class, key times, what's next."""

from __future__ import annotations

from datetime import timedelta

from .config import OrgConfig
from .decide import Recommendation, recommend
from .record import Record, parse_time, utc_iso
from .rules import Runbook, load_runbook


def _holds(rule: dict[str, tuple[str, ...]], answers: dict[str, str | None], any_: bool) -> bool:
    checks = (answers.get(qid) in allowed for qid, allowed in rule.items())
    return any(checks) if any_ else all(checks)


def severity(record: Record, runbook: Runbook | None = None) -> str:
    runbook = runbook or load_runbook()
    answers = record.answers()
    if any(answers.get(q.id) is None for q in runbook.group("impact")):
        return "Not assessed yet"
    for rule in runbook.severity:
        if (rule.when_any and _holds(rule.when_any, answers, True)) or (
            rule.when_all and _holds(rule.when_all, answers, False)
        ):
            return rule.label
    return "Unclassified"


def major_incident(record: Record) -> bool:
    """A rollback failed and nothing has succeeded since (runbook section 5)."""
    for m in reversed(record.mitigations):
        if m.outcome == "succeeded":
            return False
        if m.action == "roll_back" and m.outcome == "failed":
            return True
    return False


def status(record: Record) -> str:
    if not record.declared_at:
        return "Not declared"
    if record.resolution:
        return "Resolved"
    major = "Major incident, escalated; " if major_incident(record) else ""
    if record.mitigations:
        last = record.mitigations[-1]
        name = "rollback" if last.action == "roll_back" else "hotfix"
        if last.outcome == "pending":
            return f"{major}Mitigating ({name} in progress)"
        if last.outcome == "succeeded":
            return "Mitigated, monitoring"
        return f"{major}{name.capitalize()} failed"
    if record.decision:
        return "Mitigation decided"
    return "Investigating"


def current_recommendation(record: Record, runbook: Runbook | None = None) -> Recommendation:
    return recommend(record.answers(), runbook)


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


def next_update_due(record: Record, org: OrgConfig) -> str | None:
    """When the next status update is due: interval after the last one (or the declaration)."""
    if not record.declared_at or record.resolution:
        return None
    last = record.status_updates[-1].at if record.status_updates else record.declared_at
    return utc_iso(parse_time(last) + timedelta(minutes=org.status_update_interval_minutes))


def impact_summary(record: Record, runbook: Runbook | None = None) -> str:
    runbook = runbook or load_runbook()
    parts = []
    for q in runbook.group("impact"):
        value = getattr(record.impact, q.id)
        parts.append(f"{q.name}: {q.label(value).lower()}" if value else f"{q.name}: not assessed")
    return "; ".join(parts)


def hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "--:--"


def human_time(iso: str | None) -> str:
    """'2026-11-28 21:40:05 UTC' for the ticket; the record keeps ISO 8601."""
    return f"{iso[:10]} {iso[11:19]} UTC" if iso else "—"

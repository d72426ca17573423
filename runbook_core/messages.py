"""The Slack messages: declaration, status update, IC handover, escalation, resolution."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib.resources import files

from .config import OrgConfig, load_org
from .derive import (
    duration,
    hhmm,
    impact_summary,
    major_incident,
    status,
)
from .errors import DataFileError
from .record import Record, parse_time, utc_iso
from .rules import load_runbook

MESSAGES_FILE = "data/messages.toml"
# Which placeholders each message may use; checked when the file is loaded.
FIELDS = {
    "declare": {"summary"},
    "status_update": {"time", "summary", "status", "ic", "impact", "text", "next_update"},
    "escalation": {"escalation_contact", "summary", "why", "ic", "impact", "declared"},
    "handover": {"time", "ic", "summary", "why"},
    "resolution": {
        "time",
        "summary",
        "mitigation",
        "duration",
        "data_loss",
        "details",
        "ic",
        "incident_id",
    },
}


@dataclass(frozen=True)
class Messages:
    declare: str
    status_update: str
    escalation: str
    handover: str
    resolution: str


def parse_messages(text: str, source: str = MESSAGES_FILE) -> Messages:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, "(file)", f"valid TOML ({exc})") from None
    for key in raw:
        if key not in FIELDS:
            raise DataFileError(source, key, f"one of the messages {sorted(FIELDS)}")
    for key, allowed in FIELDS.items():
        template = raw.get(key)
        if not isinstance(template, str) or not template.strip():
            raise DataFileError(source, key, "a non-empty string")
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        except ValueError as exc:
            raise DataFileError(source, key, f"balanced {{placeholders}} ({exc})") from None
        if not used <= allowed:
            raise DataFileError(
                source, key, f"placeholders from {sorted(allowed)}, not {sorted(used - allowed)}"
            )
    return Messages(**raw)


@cache
def load_messages() -> Messages:
    return parse_messages(files("runbook_core").joinpath(MESSAGES_FILE).read_text("utf-8"))


def one_line(text: str) -> str:
    return " ".join(text.split())


def declaration_message(summary: str) -> str:
    """Runbook 3.1: 🚨 INCIDENT DECLARED: [Brief summary of the issue] 🚨"""
    return load_messages().declare.format(summary=one_line(summary) or "[Brief summary]")


def status_message(record: Record, text: str, now: str, org: OrgConfig | None = None) -> str:
    org = org or load_org()
    # Every update says when the next one comes: one interval from this one.
    due = utc_iso(parse_time(now) + timedelta(minutes=org.status_update_interval_minutes))
    return load_messages().status_update.format(
        time=hhmm(now),
        summary=one_line(record.summary),
        status=status(record),
        ic=record.ic or "not assigned",
        impact=impact_summary(record),
        text=text.strip() or "(no details)",
        next_update=hhmm(due),
    )


def escalation_message(record: Record, org: OrgConfig | None = None) -> str:
    org = org or load_org()
    if record.escalations:
        why = record.escalations[-1].reason
    else:
        why = load_runbook().outcomes["roll_back_failed"].text.format(**org.as_dict())
    return load_messages().escalation.format(
        escalation_contact=org.escalation_contact,
        summary=one_line(record.summary),
        why=why,
        ic=record.ic or "not assigned",
        impact=impact_summary(record),
        declared=hhmm(record.declared_at),
    )


def handover_message(record: Record) -> str:
    change = record.ic_changes[-1] if record.ic_changes else None
    return load_messages().handover.format(
        time=hhmm(change.at if change else None),
        ic=record.ic or "not assigned",
        summary=one_line(record.summary),
        why=change.reason if change else "",
    )


DATA_LOSS_WORDS = {
    "no": "None. No data was lost or corrupted.",
    "yes": "YES: data was lost or corrupted (see details).",
    "unknown": "Not yet determined; we will confirm.",
}


def resolution_message(record: Record) -> str:
    res = record.resolution
    labels = load_runbook().action_labels
    done = [m for m in record.mitigations if m.outcome == "succeeded"]
    mitigation = labels[done[-1].action] if done else "none recorded"
    return load_messages().resolution.format(
        time=hhmm(res.at if res else None),
        summary=one_line(record.summary),
        mitigation=mitigation,
        duration=duration(record.declared_at, res.at if res else None),
        data_loss=DATA_LOSS_WORDS[res.data_lost] if res else "Not yet determined.",
        details=res.details if res else "(resolution details)",
        ic=record.ic or "not assigned",
        incident_id=record.incident_id or "(no id)",
    )


def all_messages(
    record: Record, draft_status: str = "", now: str | None = None, org: OrgConfig | None = None
) -> dict[str, str]:
    """Every message for the record, keyed as the widget's data-output names."""
    org = org or load_org()
    now = now or (record.timeline[-1].at if record.timeline else record.declared_at)
    out = {"declare-message": declaration_message(record.summary)}
    if record.ic_changes:
        out["handover-message"] = handover_message(record)
    if now and not record.resolution:
        out["status-message"] = status_message(record, draft_status, now, org)
    if record.escalations or major_incident(record):
        out["escalation-message"] = escalation_message(record, org)
    if record.resolution:
        out["resolution-message"] = resolution_message(record)
    return out

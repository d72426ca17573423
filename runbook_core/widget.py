"""The browser walkthrough's one entry point: JSON in, JSON out.

The page's JavaScript only sends the IC's actions here (through the Pyodide worker) and draws
what comes back; every decision and every generated text is made by this package, exactly as
the CLI makes it. Errors come back as data ({"ok": false, "error": ...}) and never lose the
record: the record returned is the one passed in.
"""

from __future__ import annotations

import json
from typing import Any

from . import __version__
from .actions import apply, next_mitigation
from .config import OrgConfig, load_org
from .decide import relevant_fix_forward_questions
from .derive import (
    current_recommendation,
    major_incident,
    next_update_due,
    severity,
    status,
)
from .errors import RunbookError
from .messages import all_messages
from .record import Record, record_from_json
from .rules import load_runbook
from .ticket import render_ticket

# Where the widget page sits in the docs, for links to runbook sections.
WIDGET_PAGE = "walkthrough.md"


def _done_steps(record: Record) -> dict[str, bool]:
    return {
        "declare": bool(record.declared_at),
        "command": bool(record.ic),
        "impact": all(
            v is not None
            for v in (record.impact.scope, record.impact.data_loss, record.impact.degradation)
        ),
        "decide": record.decision is not None,
        "mitigate": any(m.outcome == "succeeded" for m in record.mitigations),
        "communicate": bool(record.status_updates),
        "resolve": record.resolution is not None,
        "ticket": record.resolution is not None,
    }


def view(
    record: Record, now: str, draft_status: str = "", org: OrgConfig | None = None
) -> dict[str, Any]:
    """Everything the page shows for this record at this moment."""
    org = org or load_org()
    runbook = load_runbook()
    rec = current_recommendation(record, runbook)
    done = _done_steps(record)
    current = next((s.id for s in runbook.steps if not done[s.id]), "ticket")
    decision = record.decision
    outputs = {
        "ticket": render_ticket(record, org, runbook),
        **all_messages(record, draft_status, now, org),
    }
    order = sorted(range(len(record.timeline)), key=lambda i: record.timeline[i].at)
    return {
        "declared": bool(record.declared_at),
        "incident_id": record.incident_id,
        "status": status(record),
        "severity": severity(record, runbook),
        "current_step": current,
        "steps": [{"id": s.id, "title": s.title, "done": done[s.id]} for s in runbook.steps],
        "recommendation": {
            **rec.as_dict(runbook),
            "reasons": [
                {**r, "href": runbook.sections[r["section"]].href(WIDGET_PAGE)}
                for r in rec.as_dict(runbook)["reasons"]
            ],
        },
        "ask_fix_forward": list(relevant_fix_forward_questions(record.answers(), runbook)),
        "decision": None
        if decision is None
        else {
            "action": decision.action,
            "label": runbook.action_labels[decision.action],
            "deviation_reason": decision.deviation_reason,
            "differs_from_current": decision.action != rec.action,
        },
        "mitigation_pending": bool(record.mitigations)
        and record.mitigations[-1].outcome == "pending",
        "next_mitigation": next_mitigation(record),
        "next_mitigation_label": runbook.action_labels[next_mitigation(record)],
        "mitigated": done["mitigate"],
        "major_incident": major_incident(record),
        "resolved": record.resolution is not None,
        "next_update_due": next_update_due(record, org),
        "timeline": [{"index": i, **_entry(record, i)} for i in order],
        "outputs": outputs,
        "ticket_filename": f"{record.incident_id or 'incident'}.md",
    }


def _entry(record: Record, i: int) -> dict[str, str]:
    e = record.timeline[i]
    return {"at": e.at, "event": e.event, "who": e.who, "kind": e.kind, "ref": e.ref}


def _error(exc: RunbookError) -> dict[str, str]:
    return {"field": getattr(exc, "field", ""), "message": str(exc)}


def _load(record_json: str | None) -> Record:
    return record_from_json(record_json) if record_json else Record()


def dispatch(record_json: str | None, action_json: str, now: str, draft_status: str = "") -> str:
    """Apply one action; reply {"ok", "record", "view"} or {"ok": false, "error", ...}."""
    record = _load(record_json)
    try:
        action = json.loads(action_json)
        new = apply(record, action, now)
        ok, error = True, None
    except RunbookError as exc:
        new, ok, error = record, False, _error(exc)
    except json.JSONDecodeError as exc:
        new, ok, error = record, False, {"field": "action", "message": str(exc)}
    return json.dumps(
        {"ok": ok, "error": error, "record": new.to_dict(), "view": view(new, now, draft_status)},
        ensure_ascii=False,
    )


def render(record_json: str | None, now: str, draft_status: str = "") -> str:
    """The view for a saved record (page load, resume, draft status text changed)."""
    try:
        record = _load(record_json)
    except RunbookError as exc:
        return json.dumps({"ok": False, "error": _error(exc), "record": None, "view": None})
    return json.dumps(
        {
            "ok": True,
            "error": None,
            "record": record.to_dict(),
            "view": view(record, now, draft_status),
        },
        ensure_ascii=False,
    )


def import_record(text: str, now: str) -> str:
    """Validate an exported record before it replaces the current one."""
    if not text.strip():
        return json.dumps(
            {
                "ok": False,
                "error": {
                    "field": "record",
                    "message": "the file is empty: choose an exported record",
                },
            }
        )
    try:
        record = record_from_json(text)
    except RunbookError as exc:
        return json.dumps({"ok": False, "error": _error(exc)})
    return json.dumps(
        {"ok": True, "error": None, "record": record.to_dict(), "view": view(record, now)},
        ensure_ascii=False,
    )


def export_record(record_json: str) -> str:
    """The record as the JSON file `runbook ticket --state` reads."""
    return _load(record_json).to_json()


def info() -> str:
    return json.dumps({"version": __version__, "org": load_org().as_dict()})

"""The post-mortem draft: POSTMORTEM_TEMPLATE.md (a docs page, and the very file filled here)
filled from the record, in markdown, Jira wiki markup or plain text.

Every value is a fact of the record; where the record lacks a time, the draft says so ("not
recorded") rather than guess. What only people can write (contributing factors, what went well
and what did not) is left as marked places in the template. The drawing and each format's
escaping are the ticket's (ticket.fill_template, formats.py): hostile text stays text.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cache
from importlib.resources import files
from pathlib import Path

from .config import OrgConfig, load_org
from .decide import recommend, section_title
from .derive import decision_stale, duration, human_time, mitigated_at, severity, status
from .errors import DataFileError
from .formats import FORMATS
from .outputs import words
from .record import Mitigation, Record
from .rules import Runbook, load_runbook
from .table import load_table
from .ticket import (
    PLACEHOLDER,
    Bullets,
    Labelled,
    Rows,
    Value,
    fill_template,
    parse_template,
    timeline_rows,
)

TEMPLATE_FILE = (
    "data/POSTMORTEM_TEMPLATE.md"  # the same file as docs/runbook/POSTMORTEM_TEMPLATE.md
)


def _time(iso: str | None, w: dict[str, str]) -> str:
    return human_time(iso) if iso else w["not_recorded"]


def _length(start: str | None, end: str | None, w: dict[str, str]) -> str:
    return duration(start, end) if start and end else w["not_recorded"]


def _impact_duration(record: Record, w: dict[str, str]) -> str:
    """From the impact's start (or, when that is not recorded, from detection) until the
    service was restored."""
    end = mitigated_at(record)
    if record.impact_started_at or not record.detected_at or not end:
        return _length(record.impact_started_at, end, w)
    return w["impact_from_detection"].format(length=duration(record.detected_at, end))


def _recommendation(record: Record, runbook: Runbook, w: dict[str, str]) -> tuple[str, Bullets]:
    """The runbook's recommendation on the answers the decision was made on."""
    decision = record.decision
    if decision is None:
        return w["not_decided"], Bullets((), empty=w["none"])
    answers = {**asdict(decision.basis.impact), **asdict(decision.basis.fix_forward)}
    rec = recommend(answers, runbook)
    text = w["recommendation"].format(
        action=runbook.action_labels[rec.action],
        fix_forward=runbook.action_labels["fix_forward"],
        permitted=w["permitted" if rec.fix_forward_permitted else "not_permitted"],
    )
    reasons = tuple(
        w["reason"].format(text=r.text, section=section_title(runbook, r.section))
        for r in rec.reasons
    )
    return text, Bullets(reasons, empty=w["none"])


def _deviation(record: Record, w: dict[str, str]) -> Labelled | None:
    decision = record.decision
    if decision is None:
        return None
    if decision.deviation_reason:
        return Labelled(w["deviation_label"], decision.deviation_reason)
    if decision_stale(record):
        return Labelled(w["deviation_label"], w["deviation_stale"])
    return Labelled(w["deviation_label"], w["deviation_none"])


def postmortem_values(record: Record, org: OrgConfig, runbook: Runbook) -> dict[str, Value]:
    """Every placeholder's value, as plain text (the format escapes it)."""
    w = words("postmortem")
    table = load_table()
    label = runbook.action_labels
    decision, resolution = record.decision, record.resolution
    restored = mitigated_at(record)
    resolved_at = resolution.at if resolution else None
    recommendation, reasons = _recommendation(record, runbook, w)

    def milestone(what: str, at: str | None) -> str:
        return w["milestone"].format(what=w[what], time=_time(at, w))

    def outcome(m: Mitigation) -> str:
        return w["in_progress"] if m.outcome == "pending" else table.label("outcome", m.outcome)

    escalated_to = list(dict.fromkeys(e.to for e in record.escalations))
    return {
        "summary": record.summary or w["not_recorded"],
        "incident_id": record.incident_id or w["not_recorded"],
        "status": status(record),
        "release": record.release or w["not_recorded"],
        "rollback_target": record.rollback_target or w["not_recorded"],
        "services": ", ".join(record.services) or w["not_recorded"],
        "detected_how": record.detected_how or w["not_recorded"],
        "decision": label[decision.action] if decision else w["not_decided"],
        "resolution_details": Labelled(table.label("timeline_kind", "resolved"), resolution.details)
        if resolution
        else w["not_resolved"],
        "impact_rows": Rows(
            tuple(
                (
                    q.prompt,
                    q.label(value) if (value := record.answers().get(q.id)) else w["not_assessed"],
                )
                for q in runbook.group("impact")
            )
        ),
        "severity": severity(record, runbook, org),
        "data_lost": table.label("data_lost", resolution.data_lost)
        if resolution
        else w["not_recorded"],
        "impact_duration": _impact_duration(record, w),
        "declared_by": record.declared_by or w["nobody"],
        "oncall": record.oncall or w["nobody"],
        "ic": record.ic or w["nobody"],
        "responders": ", ".join(record.responders) or w["nobody"],
        "escalated_to": ", ".join(escalated_to) or w["none"],
        "ic_change_rows": Rows(
            tuple((human_time(c.at), c.to, c.reason) for c in record.ic_changes)
        ),
        "impact_started_at": _time(record.impact_started_at, w),
        "detected_at": _time(record.detected_at, w),
        "declared_at": _time(record.declared_at, w),
        "decided_at": _time(decision.at if decision else None, w),
        "mitigated_at": _time(restored, w),
        "resolved_at": _time(resolved_at, w),
        "duration_rows": Rows(
            (
                (
                    w["time_to_declare"],
                    milestone("detected", record.detected_at),
                    milestone("declared", record.declared_at),
                    _length(record.detected_at, record.declared_at, w),
                ),
                (
                    w["time_to_mitigate"],
                    milestone("declared", record.declared_at),
                    milestone("mitigated", restored),
                    _length(record.declared_at, restored, w),
                ),
                (
                    w["time_to_resolve"],
                    milestone("declared", record.declared_at),
                    milestone("resolved", resolved_at),
                    _length(record.declared_at, resolved_at, w),
                ),
            )
        ),
        "recommendation": recommendation,
        "recommendation_reasons": reasons,
        "deviation": _deviation(record, w),
        "decision_log": Bullets(
            tuple(
                w["logged_decision"].format(time=human_time(e.at), event=e.event)
                for e in sorted(record.timeline, key=lambda e: e.at)
                if e.kind == "decision"
            ),
            empty=w["none"],
        ),
        "mitigation_rows": Rows(
            tuple(
                (
                    str(i),
                    human_time(m.started_at),
                    label[m.action],
                    outcome(m),
                    _time(m.ended_at, w) if m.outcome != "pending" else w["in_progress"],
                    _length(m.started_at, m.ended_at, w)
                    if m.outcome != "pending"
                    else w["in_progress"],
                    m.notes or "—",
                )
                for i, m in enumerate(record.mitigations, start=1)
            )
        ),
        "escalation_rows": Rows(
            tuple(
                (
                    human_time(e.at),
                    e.to,
                    e.reason or "—",
                    e.doing or "—",
                    w["acknowledged"].format(
                        time=human_time(e.acknowledged_at), who=e.acknowledged_by
                    )
                    if e.acknowledged_at
                    else w["not_acknowledged"],
                )
                for e in record.escalations
            )
        ),
        "communication_rows": Rows(
            tuple(
                (human_time(c.at), table.label("message_kind", c.kind), c.message)
                for c in sorted(record.communications, key=lambda c: c.at)
            )
        ),
        # What happened (no instructions); the draft keeps the whole chronology to write from.
        "timeline_rows": timeline_rows(record, org, runbook),
        "follow_up_rows": Rows(
            tuple((f.text, f.owner or w["no_owner"]) for f in record.follow_ups)
        ),
    }


@cache
def _placeholders() -> frozenset[str]:
    from .config import packaged_org

    return frozenset(postmortem_values(Record(), packaged_org(), load_runbook()))


@cache
def load_postmortem_template(path: str = "") -> str:
    """The packaged template, or a team's own (OrgConfig.postmortem_template), checked when
    read: its structure and every placeholder's name."""
    if not path:
        return files("runbook_core").joinpath(TEMPLATE_FILE).read_text("utf-8")
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, "(file)", f"a readable UTF-8 template ({exc})") from None
    parse_template(text, path)
    for name in PLACEHOLDER.findall(text):
        if name not in _placeholders():
            raise DataFileError(
                path, f"{{{{ {name} }}}}", f"a known placeholder, one of {sorted(_placeholders())}"
            )
    return text


def render_postmortem(
    record: Record,
    org: OrgConfig | None = None,
    runbook: Runbook | None = None,
    template: str | None = None,
    format: str = "markdown",  # noqa: A002 - the CLI's word
) -> str:
    """The post-mortem draft, in one of FORMATS (markdown, jira, text)."""
    org = org or load_org()
    runbook = runbook or load_runbook()
    return fill_template(
        template if template is not None else load_postmortem_template(org.postmortem_template),
        postmortem_values(record, org, runbook),
        FORMATS[format],
        org.postmortem_template or TEMPLATE_FILE,
    )

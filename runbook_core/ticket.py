"""The filled INCIDENT_TEMPLATE: the docs page's own template, with every placeholder filled."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files

from . import markdown as md
from .config import OrgConfig, load_org
from .decide import Recommendation
from .derive import (
    current_recommendation,
    duration,
    human_time,
    mitigated_at,
    severity,
    status,
)
from .errors import DataFileError
from .record import Record
from .rules import Runbook, load_runbook

TEMPLATE_FILE = "data/INCIDENT_TEMPLATE.md"  # the same file as docs/runbook/INCIDENT_TEMPLATE.md
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n+", re.S)
COMMENT = re.compile(r"<!--.*?-->\n?", re.S)


@cache
def load_template() -> str:
    return files("runbook_core").joinpath(TEMPLATE_FILE).read_text("utf-8")


def _rows(rows: list[list[str]], columns: int) -> str:
    if not rows:
        rows = [["—"] + ["_none yet_"] + ["—"] * (columns - 2)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items) if items else "_None yet._"


def _recommendation_line(rec: Recommendation, runbook: Runbook) -> str:
    return runbook.action_labels[rec.action]


def ticket_values(record: Record, org: OrgConfig, runbook: Runbook) -> dict[str, str]:
    """Every placeholder's markdown, escaped for where it stands in the template."""
    rec = current_recommendation(record, runbook)
    label = runbook.action_labels
    decision = record.decision
    when = human_time
    resolved = record.resolution
    values: dict[str, str] = {
        "summary": md.inline(record.summary or "(not declared yet)"),
        "incident_id": md.cell(record.incident_id or "—"),
        "status": md.cell(status(record)),
        "severity": md.cell(severity(record, runbook)),
        "ic": md.cell(record.ic or "—"),
        "oncall": md.cell(record.oncall or "—"),
        "declared_by": md.cell(record.declared_by or "—"),
        "channel": md.cell(org.channel),
        "declared_at": when(record.declared_at),
        "decided_at": when(decision.at if decision else None),
        "mitigated_at": when(mitigated_at(record)),
        "resolved_at": when(resolved.at if resolved else None),
        "time_to_mitigate": duration(record.declared_at, mitigated_at(record)),
        "time_to_resolve": duration(record.declared_at, resolved.at if resolved else None),
        "ic_change_rows": _rows(
            [[when(c.at), md.cell(c.to), md.cell(c.reason)] for c in record.ic_changes], 3
        ),
        "impact_rows": _rows(
            [
                [
                    md.cell(q.prompt),
                    md.cell(
                        q.label(
                            getattr(
                                record.impact if q.group == "impact" else record.fix_forward, q.id
                            )
                        )
                    ),
                ]
                for q in runbook.questions
            ],
            2,
        ),
        "decision": md.inline(label[decision.action]) if decision else "_Not decided yet._",
        "recommendation": md.inline(_recommendation_line(rec, runbook)),
        "recommendation_reasons": _bullets(
            [
                f"{md.inline(r.text)} (runbook {runbook.sections[r.section].title})"
                for r in rec.reasons
            ]
        ),
        "deviation": (
            md.inline(decision.deviation_reason)
            if decision and decision.deviation_reason
            else "None: the decision follows the runbook."
        ),
        "mitigation_rows": _rows(
            [
                [
                    when(m.started_at),
                    md.cell(label[m.action]),
                    md.cell(m.outcome),
                    when(m.ended_at),
                    md.cell(m.notes or "—"),
                ]
                for m in record.mitigations
            ],
            5,
        ),
        "escalation_rows": _rows(
            [[when(e.at), md.cell(e.to), md.cell(e.reason)] for e in record.escalations], 3
        ),
        "timeline_rows": _rows(
            [
                [when(e.at), md.cell(e.event), md.cell(e.who or "—")]
                for e in sorted(record.timeline, key=lambda e: e.at)
            ],
            3,
        ),
        "communication_rows": _rows(
            [[when(u.at), md.cell(u.message)] for u in record.status_updates], 2
        ),
        "data_lost": md.cell(
            {"yes": "Yes", "no": "No", "unknown": "Not determined"}[resolved.data_lost]
        )
        if resolved
        else "—",
        "resolution_details": md.block(resolved.details) if resolved else "_Not resolved yet._",
        "follow_ups": _bullets([md.inline(f) for f in record.follow_ups]),
    }
    return values


def fill_template(template: str, values: dict[str, str], source: str = TEMPLATE_FILE) -> str:
    body = COMMENT.sub("", FRONT_MATTER.sub("", template, count=1))
    fill: Callable[[re.Match[str]], str]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise DataFileError(
                source, f"{{{{ {name} }}}}", f"a known placeholder, one of {sorted(values)}"
            )
        return values[name]

    return re.sub(r"\n{3,}", "\n\n", PLACEHOLDER.sub(fill, body)).rstrip("\n") + "\n"


def render_ticket(
    record: Record,
    org: OrgConfig | None = None,
    runbook: Runbook | None = None,
    template: str | None = None,
) -> str:
    """The filled incident ticket as markdown."""
    org = org or load_org()
    runbook = runbook or load_runbook()
    return fill_template(
        template if template is not None else load_template(), ticket_values(record, org, runbook)
    )


def template_placeholders(template: str | None = None) -> list[str]:
    return PLACEHOLDER.findall(template if template is not None else load_template())

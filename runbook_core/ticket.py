"""The filled INCIDENT_TEMPLATE: the docs page's own template, every placeholder filled.

The template (markdown) is read once into blocks: headings, tables, paragraphs and placeholders
standing alone on a line. The record's values are plain text (or rows, bullets, a block) and each
output format — markdown for GitHub/GitLab issues, Jira wiki markup, plain text — draws the
blocks and escapes the values its own way (formats.py), so hostile text never changes the
ticket's structure in any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from .config import OrgConfig, load_org, packaged_org
from .decide import section_title
from .derive import (
    asked,
    current_recommendation,
    decision_stale,
    duration,
    human_time,
    mitigated_at,
    severity,
    status,
)
from .errors import DataFileError
from .formats import FORMATS, Format
from .record import Record, TimelineEntry
from .rules import Runbook, load_runbook
from .table import load_table

TEMPLATE_FILE = "data/INCIDENT_TEMPLATE.md"  # the same file as docs/runbook/INCIDENT_TEMPLATE.md
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n+", re.S)
COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
SPAN = re.compile(r"\*\*(.+?)\*\*|\{\{\s*(\w+)\s*\}\}")
# What a team's template may not drop: the ticket's identity and title, and what runbook
# section 4 says a completed ticket contains (a timeline, the impact analysis, the resolution).
REQUIRED_PLACEHOLDERS = (
    "summary",
    "incident_id",
    "impact_rows",
    "timeline_rows",
    "resolution_details",
)


# ------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Rows:
    """Table rows for a placeholder standing alone inside a table."""

    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    tasks: bool = False  # follow-ups: to-do items where the format has them
    empty: str = "None yet."


@dataclass(frozen=True)
class Block:
    """Free text of several lines and paragraphs."""

    text: str


@dataclass(frozen=True)
class Labelled:
    """A paragraph "**label:** text"; None in its place leaves the paragraph out."""

    label: str
    text: str


Value = str | Rows | Bullets | Block | Labelled | None


# ---------------------------------------------------------------------------- the template


@dataclass(frozen=True)
class Span:
    kind: str  # "text", "bold", "value"
    text: str  # literal text, or the placeholder's name


@dataclass(frozen=True)
class Heading:
    level: int
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Span, ...], ...] | str, ...]  # literal cells, or a Rows placeholder


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Slot:
    """A placeholder alone on a line: bullets, a block, a labelled paragraph or text."""

    name: str


Part = Heading | Table | Paragraph | Slot


def spans(text: str) -> tuple[Span, ...]:
    out, pos = [], 0
    for match in SPAN.finditer(text):
        if match.start() > pos:
            out.append(Span("text", text[pos : match.start()]))
        out.append(
            Span("bold", match.group(1)) if match.group(1) else Span("value", match.group(2))
        )
        pos = match.end()
    if pos < len(text):
        out.append(Span("text", text[pos:]))
    return tuple(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_template(template: str, source: str = TEMPLATE_FILE) -> tuple[Part, ...]:
    body = COMMENT.sub("", FRONT_MATTER.sub("", template, count=1))
    parts: list[Part] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if heading := re.match(r"^(#{1,6}) (.+)$", line):
            parts.append(Heading(len(heading.group(1)), spans(heading.group(2))))
            i += 1
        elif line.startswith("|"):
            if i + 1 >= len(lines) or not re.match(r"^\|(\s*:?-+:?\s*\|)+\s*$", lines[i + 1]):
                raise DataFileError(source, f"line {i + 1}", "a table header followed by | --- |")
            header = tuple(_cells(line))
            rows: list[tuple[tuple[Span, ...], ...] | str] = []
            i += 2
            while i < len(lines) and (
                lines[i].startswith("|") or PLACEHOLDER.fullmatch(lines[i].strip())
            ):
                row = lines[i].strip()
                if row.startswith("|"):
                    cells = _cells(row)
                    if len(cells) != len(header):
                        raise DataFileError(
                            source, f"line {i + 1}", f"{len(header)} cells like its header"
                        )
                    rows.append(tuple(spans(c) for c in cells))
                elif placeholder := PLACEHOLDER.fullmatch(row):
                    rows.append(placeholder.group(1))
                i += 1
            parts.append(Table(header, tuple(rows)))
        elif slot := PLACEHOLDER.fullmatch(line.strip()):
            parts.append(Slot(slot.group(1)))
            i += 1
        else:
            parts.append(Paragraph(spans(line.strip())))
            i += 1
    return tuple(parts)


@cache
def load_template(path: str = "") -> str:
    """The packaged template, or a team's own (OrgConfig.template, checked when read)."""
    if not path:
        return files("runbook_core").joinpath(TEMPLATE_FILE).read_text("utf-8")
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, "(file)", f"a readable UTF-8 template ({exc})") from None
    check_template(text, path)
    return text


def check_template(text: str, source: str) -> None:
    """A team's template: well formed, every placeholder known, none the ticket needs dropped."""
    parse_template(text, source)
    known = ticket_values(Record(), packaged_org(), load_runbook())
    used = set(PLACEHOLDER.findall(text))
    for name in sorted(used - set(known)):
        _check(name, known, source)
    for name in REQUIRED_PLACEHOLDERS:
        if name not in used:
            raise DataFileError(
                source,
                f"{{{{ {name} }}}}",
                "this placeholder, which every ticket needs (keep it; reword around it)",
            )


def template_page(text: str) -> str:
    """A template as a docs page shows it: without its front matter."""
    return FRONT_MATTER.sub("", text, count=1)


@cache
def _parsed(template: str, source: str = TEMPLATE_FILE) -> tuple[Part, ...]:
    return parse_template(template, source)


def template_placeholders(template: str | None = None) -> list[str]:
    return PLACEHOLDER.findall(template if template is not None else load_template())


# ------------------------------------------------------------------------------ the values


def _answer(record: Record, runbook: Runbook, qid: str, shown: set[str]) -> str:
    question = runbook.question(qid)
    value = record.answers().get(qid)
    if value is not None:
        return question.label(value)
    if qid in shown:
        return "Not answered"
    return "Not asked: it could not change whether fix forward is permitted"


def _recommendation(record: Record, runbook: Runbook) -> str:
    rec = current_recommendation(record, runbook)
    fix_forward = runbook.action_labels["fix_forward"]
    permitted = "permitted" if rec.fix_forward_permitted else "not permitted"
    return f"{runbook.action_labels[rec.action]} (the default). {fix_forward}: {permitted}."


def _deviation(record: Record) -> Labelled | None:
    decision = record.decision
    if decision is None:
        return None
    if decision.deviation_reason:
        return Labelled("Deviation from the runbook", decision.deviation_reason)
    if decision_stale(record):
        # The recommendation above is for the answers now; the decision was made on others.
        permitted = "permitted" if decision.fix_forward_permitted else "not permitted"
        return Labelled(
            "Deviation from the runbook",
            f"None when decided at {human_time(decision.at)} (fix forward was {permitted} on "
            "the answers then); the answers changed after the decision, which was not made again.",
        )
    return Labelled("Deviation from the runbook", "None: the decision follows the runbook.")


# Timeline entries that only restate a table beside the timeline, by the placeholder of that
# table: the ticket shows each fact once. Entries mirroring a key time (their `ref`), posted
# messages (Communications) and edits of the incident's details (the fields table).
RESTATED_BY_REF = {
    "declared_at": "declared_at",
    "detected_at": "detected_at",
    "impact_started_at": "impact_started_at",
    "resolution.at": "resolved_at",
}
RESTATED_BY_KIND = {"message": "communication_rows", "details": "release"}


def _instructions(org: OrgConfig, runbook: Runbook) -> set[str]:
    """Texts that earlier versions logged as events though they are instructions (the
    failed rollback's "escalate immediately ..." and the failed hotfix's "fall back ...")."""
    words = org.as_dict()
    return {
        runbook.outcomes["roll_back_failed"].text.format(**words) + " Escalation required.",
        runbook.outcomes["fix_forward_failed"].text,
    }


def timeline_rows(
    record: Record, org: OrgConfig, runbook: Runbook, beside: frozenset[str] = frozenset()
) -> Rows:
    """What happened, in time order: no instructions, and nothing that a table the template has
    beside the timeline (`beside`: its placeholders) already says."""
    instructions = _instructions(org, runbook)

    def shown(entry: TimelineEntry) -> bool:
        if entry.event in instructions:
            return False
        if RESTATED_BY_REF.get(entry.ref) in beside:
            return False
        # A details entry that mirrors a moment (detection) is a key time, handled above.
        moment = entry.kind == "details" and entry.ref != ""
        return moment or RESTATED_BY_KIND.get(entry.kind) not in beside

    def rows(entries: Iterable[TimelineEntry]) -> tuple[tuple[str, str, str], ...]:
        return tuple((human_time(e.at), e.event, e.who or "—") for e in entries if shown(e))

    entries = record.timeline
    # A timeline that only grew by entries at or after its latest time (a note, an answer)
    # keeps the rows drawn for it and sorts only what is new: the same rows a full sort gives
    # (the sort is stable, and the new entries come last among equal times).
    key = (instructions, beside)
    last = _LAST_ROWS[0] if _LAST_ROWS else None
    if last is not None and last[1] == key and 0 < len(last[0]) <= len(entries):
        before, _, kept, latest = last
        more = entries[len(before) :]
        ats = [e.at for e in more]
        if entries[: len(before)] == before and all(latest <= at for at in ats):
            got = kept + rows(sorted(more, key=lambda e: e.at))
            _LAST_ROWS[:] = [(entries, key, got, max([latest, *ats]))]
            return Rows(got)
    got = rows(sorted(entries, key=lambda e: e.at))
    _LAST_ROWS[:] = [(entries, key, got, max((e.at for e in entries), default=""))]
    return Rows(got)


# The last timeline's rows: (its entries, (instructions, beside), its rows, its latest time).
_LAST_ROWS: list[tuple[tuple[TimelineEntry, ...], Any, tuple[tuple[str, str, str], ...], str]] = []


def ticket_values(
    record: Record, org: OrgConfig, runbook: Runbook, beside: frozenset[str] = frozenset()
) -> dict[str, Value]:
    """Every placeholder's value, as plain text (the format escapes it); `beside`, the
    template's placeholders, keeps the timeline from restating the tables beside it."""
    table = load_table()
    rec = current_recommendation(record, runbook)
    label = runbook.action_labels
    decision = record.decision
    when = human_time
    resolved = record.resolution
    shown = asked(record, runbook)
    return {
        "summary": record.summary or "(not declared yet)",
        "incident_id": record.incident_id or "—",
        "status": status(record),
        "severity": severity(record, runbook, org),
        "organisation": org.organisation,
        "ic": record.ic or "—",
        "oncall": record.oncall or "—",
        "declared_by": record.declared_by or "—",
        "channel": org.channel,
        "slack_thread": record.slack_thread or "—",
        "release": record.release or "—",
        "rollback_target": record.rollback_target or "—",
        "services": ", ".join(record.services) or "—",
        "responders": ", ".join(record.responders) or "—",
        "detected_how": record.detected_how or "—",
        "detected_at": when(record.detected_at),
        "impact_started_at": when(record.impact_started_at),
        "declared_at": when(record.declared_at),
        "decided_at": when(decision.at if decision else None),
        "mitigated_at": when(mitigated_at(record)),
        "resolved_at": when(resolved.at if resolved else None),
        "time_to_mitigate": duration(record.declared_at, mitigated_at(record)),
        "time_to_resolve": duration(record.declared_at, resolved.at if resolved else None),
        "ic_change_rows": Rows(tuple((when(c.at), c.to, c.reason) for c in record.ic_changes)),
        "impact_rows": Rows(
            tuple((q.prompt, _answer(record, runbook, q.id, shown)) for q in runbook.questions)
        ),
        "decision": label[decision.action] if decision else "Not decided yet.",
        "recommendation": _recommendation(record, runbook),
        "recommendation_reasons": Bullets(
            tuple(f"{r.text} (runbook: {section_title(runbook, r.section)})" for r in rec.reasons)
        ),
        "deviation": _deviation(record),
        "mitigation_rows": Rows(
            tuple(
                (
                    when(m.started_at),
                    label[m.action],
                    m.outcome,
                    when(m.ended_at),
                    m.notes or "—",
                )
                for m in record.mitigations
            )
        ),
        "escalation_rows": Rows(
            tuple(
                (
                    when(e.at),
                    e.to,
                    e.reason or "—",
                    f"{when(e.acknowledged_at)} by {e.acknowledged_by}"
                    if e.acknowledged_at
                    else "Not yet",
                )
                for e in record.escalations
            )
        ),
        "timeline_rows": timeline_rows(record, org, runbook, beside),
        "communication_rows": Rows(
            tuple(
                (when(c.at), table.label("message_kind", c.kind), c.message)
                for c in sorted(record.communications, key=lambda c: c.at)
            )
        ),
        "data_lost": table.label("data_lost", resolved.data_lost) if resolved else "—",
        "resolution_details": Block(resolved.details) if resolved else "Not resolved yet.",
        "follow_ups": Bullets(
            tuple(f"{f.text} (owner: {f.owner})" if f.owner else f.text for f in record.follow_ups),
            tasks=True,
        ),
    }


# ------------------------------------------------------------------------------ drawing


def _check(name: str, values: dict[str, Value], source: str) -> Value:
    if name not in values:
        raise DataFileError(
            source, f"{{{{ {name} }}}}", f"a known placeholder, one of {sorted(values)}"
        )
    return values[name]


def _inline(
    parts: tuple[Span, ...], values: dict[str, Value], fmt: Format, cell: bool, source: str
) -> str:
    out = []
    for span in parts:
        if span.kind == "text":
            out.append(span.text)
        elif span.kind == "bold":
            out.append(fmt.bold(span.text))
        else:
            value = _check(span.text, values, source)
            if not isinstance(value, str):
                raise DataFileError(
                    source, f"{{{{ {span.text} }}}}", "a placeholder that stands alone on its line"
                )
            out.append(fmt.cell(value) if cell else fmt.inline(value))
    return "".join(out)


@lru_cache(maxsize=65_536)
def _escaped_row(fmt: Format, row: tuple[str, ...]) -> tuple[str, ...]:
    """A table row's cells, escaped: kept, so a long timeline's unchanged rows cost a lookup."""
    return tuple(fmt.cell(c) for c in row)


# The rows last drawn for each format and table header: (rows, their lines). Rows that only
# grew from those (a long timeline's new note or answer) draw only what is new: `==` on the
# tuples compares the rows they share by identity, in C.
_ROW_LINES: dict[tuple[Format, tuple[str, ...]], tuple[tuple[Any, ...], tuple[str, ...]]] = {}


def _row_lines(
    fmt: Format, header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]
) -> tuple[str, ...]:
    """The lines fmt.table draws for `rows` (escaped) under `header`."""
    key = (fmt, tuple(header))
    last = _ROW_LINES.get(key)
    done: tuple[str, ...] = ()
    if last is not None and last[0] is rows:
        return last[1]
    if last is not None and 0 < len(last[0]) <= len(rows) and rows[: len(last[0])] == last[0]:
        done = last[1]
    got = done + tuple(fmt.table_row(header, _escaped_row(fmt, r)) for r in rows[len(done) :])
    _ROW_LINES[key] = (rows, got)
    return got


def fill_template(
    template: str, values: dict[str, Value], fmt: Format, source: str = TEMPLATE_FILE
) -> str:
    blocks: list[str] = []
    for part in _parsed(template, source):
        if isinstance(part, Heading):
            blocks.append(fmt.heading(part.level, _inline(part.spans, values, fmt, False, source)))
        elif isinstance(part, Paragraph):
            blocks.append(fmt.paragraph(_inline(part.spans, values, fmt, False, source)))
        elif isinstance(part, Table):
            # fmt.table(header, rows), line by line: a placeholder's rows come drawn from
            # _row_lines (a long timeline's rows are drawn once).
            lines = fmt.table_head(part.header)
            for row in part.rows:
                if isinstance(row, str):
                    value = _check(row, values, source)
                    if not isinstance(value, Rows):
                        raise DataFileError(
                            source, f"{{{{ {row} }}}}", "a placeholder of table rows"
                        )
                    lines += _row_lines(fmt, part.header, value.rows)
                    if not value.rows:
                        lines.append(fmt.table_row(part.header, fmt.no_rows(len(part.header))))
                else:
                    cells = tuple(_inline(c, values, fmt, True, source) for c in row)
                    lines.append(fmt.table_row(part.header, cells))
            blocks.append("\n".join(lines))
        else:
            value = _check(part.name, values, source)
            if value is None:
                continue
            if isinstance(value, Rows):
                raise DataFileError(source, f"{{{{ {part.name} }}}}", "rows inside a table")
            if isinstance(value, Bullets):
                blocks.append(fmt.bullets(value.items, value.tasks, value.empty))
            elif isinstance(value, Block):
                blocks.append(fmt.block(value.text))
            elif isinstance(value, Labelled):
                blocks.append(
                    fmt.paragraph(fmt.bold(value.label + ":") + " " + fmt.inline(value.text))
                )
            else:
                blocks.append(fmt.paragraph(fmt.inline(value)))
    return "\n\n".join(b for b in blocks if b) + "\n"


def render_ticket(
    record: Record,
    org: OrgConfig | None = None,
    runbook: Runbook | None = None,
    template: str | None = None,
    format: str = "markdown",  # noqa: A002 - the CLI's word
) -> str:
    """The filled incident ticket, in one of FORMATS (markdown, jira, text)."""
    org = org or load_org()
    runbook = runbook or load_runbook()
    template = template if template is not None else load_template(org.template)
    return fill_template(
        template,
        ticket_values(record, org, runbook, frozenset(template_placeholders(template))),
        FORMATS[format],
        org.template or TEMPLATE_FILE,
    )

"""The incident as a picture: an SVG timeline drawn from the record.

Phases as bands behind everything; each rollback or hotfix as a bar, coloured and patterned by
its outcome (solid: succeeded, hatched: failed, dotted: in progress); decisions, escalations and
messages as labelled markers in rows of their own; a UTC axis; a legend. The document (its
styles for light and dark, the patterns) is the template data/timeline.svg; its words are
data/outputs.toml. Every text from the record is escaped for XML, so hostile text stays text; a
<title> and <desc> say it all in words for screen readers (the page keeps the timeline table).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib.resources import files

from .derive import hhmm
from .errors import RecordError
from .markdown import clean
from .outputs import words
from .record import Record, parse_time
from .rules import load_runbook
from .table import load_table

TEMPLATE_FILE = "data/timeline.svg"
WIDTH = 960
LEFT, RIGHT = 112, 28  # room for the rows' names; for the last label
CHAR = 6.6  # average width of a 12 px character, to keep labels apart
LABEL_CHARS = 34  # a marker's label is cut here (its <title> has the whole text)
BAR_H, ROW_GAP = 22, 14
# Tick steps to choose from, in minutes: the first giving at most MAX_TICKS ticks.
STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440)
MAX_TICKS = 10
# Small repeated pieces of the picture (the document itself is TEMPLATE_FILE).
TICK = string.Template(
    '<line class="grid" x1="$x" y1="$top" x2="$x" y2="$y" stroke-width="1"/>'
    '<line class="rule" x1="$x" y1="$y" x2="$x" y2="$tick_end" stroke-width="1"/>'
    '<text class="muted" x="$x" y="$label_y" text-anchor="middle">$label</text>'
)
EMPTY_ROW = string.Template('<text class="muted" x="$x" y="$y" font-style="italic">$text</text>')
PHASE_LABEL = string.Template('<text class="muted" x="$x" y="$y" font-size="11">$label</text>')
_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def xml(text: str) -> str:
    """Text for XML content or an attribute: controls (not allowed in XML 1.0) become spaces,
    markup characters become references."""
    text = clean(text).replace("\n", " ").replace("\t", " ")
    return "".join(_XML.get(ch, ch) for ch in text if ch not in "\ufffe\uffff")


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@cache
def load_svg_template() -> string.Template:
    return string.Template(files("runbook_core").joinpath(TEMPLATE_FILE).read_text("utf-8"))


@dataclass(frozen=True)
class Scale:
    start: datetime
    end: datetime

    def x(self, iso: str) -> float:
        span = (self.end - self.start).total_seconds()
        offset = (parse_time(iso) - self.start).total_seconds()
        return round(LEFT + offset / span * (WIDTH - LEFT - RIGHT), 1)


def _times(record: Record) -> list[str]:
    times = [record.detected_at, record.impact_started_at, record.declared_at]
    # The decision is drawn (a phase, a marker) even when its timeline entry was removed.
    times.append(record.decision.at if record.decision else None)
    times += [e.at for e in record.timeline]
    for m in record.mitigations:
        times += [m.started_at, m.ended_at]
    times += [e.at for e in record.escalations] + [c.at for c in record.communications]
    times.append(record.resolution.at if record.resolution else None)
    return [t for t in times if t]


def _scale(record: Record, now: str | None) -> Scale:
    times = [parse_time(t) for t in _times(record)]
    if now and any(m.outcome == "pending" for m in record.mitigations):
        times.append(parse_time(now))
    start, end = min(times), max(times)
    pad = max(timedelta(minutes=1), (end - start) * 0.03)
    return Scale(start - pad, end + pad)


def _phases(record: Record) -> list[tuple[str, str]]:
    """(time, phase id) where the incident entered each phase, in time order."""
    changes: list[tuple[str, str]] = []
    if record.detected_at and record.declared_at and record.detected_at < record.declared_at:
        changes.append((record.detected_at, "not_declared"))
    if record.declared_at:
        changes.append((record.declared_at, "investigating"))
    decided = [e.at for e in record.timeline if e.kind == "decision"]
    if record.decision:
        decided.append(record.decision.at)
    if decided:
        changes.append((min(decided), "decided"))
    for m in record.mitigations:
        changes.append((m.started_at, "mitigating"))
        if m.ended_at and m.outcome != "pending":
            changes.append((m.ended_at, "mitigated" if m.outcome == "succeeded" else "failed"))
    if record.resolution:
        changes.append((record.resolution.at, "resolved"))
    return sorted(changes, key=lambda c: parse_time(c[0]))


def _ticks(scale: Scale) -> list[datetime]:
    minutes = (scale.end - scale.start).total_seconds() / 60
    step = next((s for s in STEPS if minutes / s <= MAX_TICKS), STEPS[-1])
    first = scale.start.replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % step if step < 60 else 0)
    if step >= 60:
        first = first.replace(minute=0) + timedelta(hours=1)
    ticks, t = [], first
    while t <= scale.end:
        if t >= scale.start:
            ticks.append(t)
        t += timedelta(minutes=step)
    return ticks


def _lanes(items: list[tuple[float, str]], rows: int = 3) -> list[int]:
    """A label row for each (x, label), so that labels in one row do not overlap."""
    ends = [-math.inf] * rows
    out = []
    for x, label in items:
        width = len(label) * CHAR + 12
        row = next(
            (r for r in range(rows) if ends[r] < x - 4), min(range(rows), key=ends.__getitem__)
        )
        ends[row] = x + width
        out.append(row)
    return out


MARKERS = {
    "decision": "M {x} {top} l 7 7 l -7 7 l -7 -7 z",  # a diamond
    "escalation": "M {x} {top} l 7 13 l -14 0 z",  # a triangle
    "message": None,  # a circle
}


def _marker(kind: str, x: float, y: float, label: str, title: str, row: int) -> str:
    top, path = y, MARKERS[kind]
    shape = (
        f'<circle class="{kind}" cx="{x}" cy="{y + 7}" r="6"/>'
        if path is None
        else f'<path class="{kind}" d="{path.format(x=x, top=top)}"/>'
    )
    label_y = y + 28 + 14 * row
    stem = (
        f'<line class="rule" x1="{x}" y1="{y + 14}" x2="{x}" y2="{label_y - 10}" '
        'stroke-width="1" stroke-dasharray="2 2"/>'
        if row
        else ""
    )
    return (
        f'<g class="marker {kind}-marker"><title>{xml(title)}</title>{shape}{stem}'
        f"{_label(x - 4, label_y, label)}</g>"
    )


def _label(x: float, y: float, text: str) -> str:
    """A label starting at x, or ending there when it would run off the picture's right edge."""
    if x + len(text) * CHAR > WIDTH - 4:
        return f'<text class="fg" x="{x + 8}" y="{y}" text-anchor="end">{xml(text)}</text>'
    return f'<text class="fg" x="{x}" y="{y}">{xml(text)}</text>'


def _axis(scale: Scale | None, chart_top: float, axis_y: float, w: dict[str, str]) -> list[str]:
    """The time axis: a rule, ticks with HH:MM and grid lines, and the axis's name and date."""
    axis = [
        f'<line class="rule" x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - RIGHT}" y2="{axis_y}" '
        'stroke-width="1"/>'
    ]
    if scale:
        for tick in _ticks(scale):
            iso = tick.strftime("%Y-%m-%dT%H:%M:%SZ")
            x = scale.x(iso)
            axis.append(
                TICK.substitute(
                    x=x,
                    top=chart_top,
                    y=axis_y,
                    tick_end=axis_y + 5,
                    label_y=axis_y + 18,
                    label=hhmm(iso),
                )
            )
        date = scale.start.strftime("%Y-%m-%d")
        if scale.end.date() != scale.start.date():
            date += " – " + scale.end.strftime("%Y-%m-%d")
        axis.append(
            f'<text class="muted" x="{WIDTH - RIGHT}" y="{axis_y + 36}" text-anchor="end">'
            f"{xml(w['axis'].format(date=date))}</text>"
        )
    return axis


def _legend(ly: float, w: dict[str, str]) -> list[str]:
    """One entry per outcome (colour and pattern) and per marker."""
    legend: list[str] = []
    lx: float = LEFT
    for outcome, fill in (
        ("succeeded", 'class="ok"'),
        ("failed", 'fill="url(#tl-failed)"'),
        ("pending", 'fill="url(#tl-pending)"'),
    ):
        legend.append(
            f'<rect x="{lx}" y="{ly - 11}" width="22" height="12" rx="2" {fill}/>'
            f'<text class="fg" x="{lx + 28}" y="{ly}">{xml(w[outcome])}</text>'
        )
        lx += 28 + len(w[outcome]) * CHAR + 22
    for kind, word in (
        ("decision", "legend_decision"),
        ("escalation", "legend_escalation"),
        ("message", "legend_message"),
    ):
        path = MARKERS[kind]
        shape = (
            f'<circle class="{kind}" cx="{lx + 7}" cy="{ly - 5}" r="6"/>'
            if path is None
            else f'<path class="{kind}" d="{path.format(x=lx + 7, top=ly - 12)}"/>'
        )
        legend.append(f'{shape}<text class="fg" x="{lx + 20}" y="{ly}">{xml(w[word])}</text>')
        lx += 20 + len(w[word]) * CHAR + 22
    return legend


def _bands(
    phases: list[tuple[str, str]],
    scale: Scale,
    chart_top: float,
    axis_y: float,
    w: dict[str, str],
) -> tuple[list[str], list[str]]:
    """A band per phase, from its start to the next one's (the last to the right edge), and
    each phase in words."""
    table = load_table()
    bands: list[str] = []
    said_phases = []
    for i, (at, pid) in enumerate(phases):
        x1 = scale.x(at)
        x2 = scale.x(phases[i + 1][0]) if i + 1 < len(phases) else WIDTH - RIGHT
        label = table.phase(pid).label
        said_phases.append(w["phase"].format(label=label, start=hhmm(at)))
        fits = (x2 - x1) > len(label) * 6 + 8
        text = PHASE_LABEL.substitute(x=x1 + 4, y=chart_top + 14, label=xml(label)) if fits else ""
        bands.append(
            f'<g class="phase" data-phase="{pid}"><title>{xml(said_phases[-1])}</title>'
            f'<rect class="band-{i % 2}" x="{x1}" y="{chart_top}" width="{max(x2 - x1, 0.5)}" '
            f'height="{axis_y - chart_top}"/>{text}</g>'
        )
    return bands, said_phases


def _markers(record: Record, w: dict[str, str]) -> dict[str, list[tuple[str, str, str]]]:
    """(time, label, what a screen reader hears) of each decision, escalation and message."""
    table, runbook = load_table(), load_runbook()
    markers: dict[str, list[tuple[str, str, str]]] = {k: [] for k in MARKERS}
    for e in sorted(record.timeline, key=lambda e: e.at):
        if e.kind == "decision":
            markers["decision"].append((e.at, e.event, w["decision"].format(event=e.event)))
    if record.decision and not markers["decision"]:
        label = runbook.action_labels[record.decision.action]
        markers["decision"].append((record.decision.at, label, label))
    for esc in record.escalations:
        text = w["escalation"].format(to=esc.to, time=hhmm(esc.at))
        said = (
            w["escalation_why"].format(escalation=text, reason=esc.reason) if esc.reason else text
        )
        markers["escalation"].append((esc.at, text, said))
    for c in sorted(record.communications, key=lambda c: c.at):
        kind = table.label("message_kind", c.kind)
        markers["message"].append((c.at, kind, w["message"].format(kind=kind, time=hhmm(c.at))))
    return markers


def _bars(
    record: Record, scale: Scale | None, y: float, now: str | None, w: dict[str, str]
) -> tuple[list[str], list[str], float]:
    """A bar per mitigation attempt (a running one to `now`, else to the picture's end), the
    attempts in words, and where the row ends."""
    runbook = load_runbook()
    outcome_word = {"succeeded": w["succeeded"], "failed": w["failed"], "pending": w["pending"]}
    end_iso = now or (scale.end.strftime("%Y-%m-%dT%H:%M:%SZ") if scale else None)
    said, parts, labels = [], [], []
    for i, m in enumerate(record.mitigations, start=1):
        running = m.outcome == "pending" or not m.ended_at
        end = end_iso if running else m.ended_at
        if scale is None or end is None:  # unreachable: a start is a time, so _times gave a scale
            raise RecordError(f"record.mitigations[{i - 1}]", "has no time to draw it at")
        x1, x2 = scale.x(m.started_at), scale.x(end)
        name = runbook.action_labels[m.action]
        said.append(
            w["attempt"].format(
                action=name,
                outcome=outcome_word[m.outcome],
                start=hhmm(m.started_at),
                end=w["now"] if running else hhmm(m.ended_at),
            )
        )
        label = w["bar"].format(number=i, action=name, outcome=outcome_word[m.outcome])
        labels.append((x1, label))
        parts.append((x1, x2, m.outcome, said[-1] + (f". {m.notes}" if m.notes else ""), label))
    rows = _lanes(labels, 2)
    drawn = []
    for (x1, x2, outcome, title, label), row in zip(parts, rows, strict=True):
        # Outcome twice: a colour (class) and a pattern (fill), for who cannot tell colours apart.
        fill = {"succeeded": "", "failed": 'fill="url(#tl-failed)"'}.get(
            outcome, 'fill="url(#tl-pending)"'
        )
        line = {"succeeded": "ok ok-line", "failed": "bad-line"}.get(outcome, "wip-line")
        drawn.append(
            f'<g class="attempt" data-outcome="{outcome}"><title>{xml(title)}</title>'
            f'<rect class="bar {line}" x="{x1}" y="{y}" width="{max(x2 - x1, 3)}" '
            f'height="{BAR_H}" rx="3" {fill} stroke-width="1.5"/>'
            f"{_label(x1, y + BAR_H + 14 + 14 * row, label)}</g>"
        )
    return drawn, said, y + BAR_H + 14 + 14 * (max(rows, default=0) + 1) + ROW_GAP


def render_svg(record: Record, now: str | None = None) -> str:
    """The incident's timeline as an SVG document (`now`: where a running mitigation ends)."""
    w = words("timeline")
    if not _times(record) and now:
        record = record.evolve(declared_at=now)
    scale = _scale(record, now) if _times(record) else None
    chart_top = 44
    bars_y = chart_top + 30
    body, attempts, y = _bars(record, scale, bars_y, now, w)
    row_names: list[tuple[str, float]] = [
        (w["rows_phases"], chart_top + 14),
        (w["rows_mitigation"], bars_y + 15),
    ]
    markers = _markers(record, w)
    for kind, row_word in (
        ("decision", "rows_decisions"),
        ("escalation", "rows_escalations"),
        ("message", "rows_messages"),
    ):
        # Every marker's time is one of _times: with none, there is no scale and nothing to draw.
        items = [(scale.x(at), _cut(label), title) for at, label, title in markers[kind] if scale]
        lanes = _lanes([(x, label) for x, label, _ in items])
        for (x, label, title), row in zip(items, lanes, strict=True):
            body.append(_marker(kind, x, y, label, title, row))
        if not items:
            body.append(EMPTY_ROW.substitute(x=LEFT + 8, y=y + 12, text=xml(w["empty_row"])))
        row_names.append((w[row_word], y + 12))
        y += 28 + 14 * (max(lanes, default=0) + 1) + ROW_GAP - 14
    axis_y = y + 6
    phases = _phases(record) if scale else []
    # Drawn first: behind.
    bands, said_phases = _bands(phases, scale, chart_top, axis_y, w) if scale else ([], [])
    legend_y = axis_y + 58
    names = [
        f'<text class="fg" x="16" y="{ny}" font-weight="600">{xml(name)}</text>'
        for name, ny in row_names
    ]

    def listed(key: str, empty: str, items: list[str]) -> str:
        # Each item's own full stop is dropped: the sentence around the list has one.
        return w[key].format(list="; ".join(i.rstrip(". ") for i in items)) if items else w[empty]

    desc = w["description"].format(
        incident_id=record.incident_id or "—",
        start=hhmm(phases[0][0]) if phases else "—",
        end=hhmm(record.resolution.at) if record.resolution else w["now"],
        phases=", ".join(said_phases) or "—",
        attempts=listed("attempts", "no_attempts", attempts),
        escalations=listed(
            "escalations", "no_escalations", [t for _, _, t in markers["escalation"]]
        ),
        messages=listed("messages", "no_messages", [t for _, _, t in markers["message"]]),
    )
    title = w["title"].format(incident_id=record.incident_id or "—", summary=record.summary or "—")
    return load_svg_template().substitute(
        width=WIDTH,
        height=legend_y + 20,
        title=xml(title),
        desc=xml(desc),
        heading=xml(_cut(title, 120)),
        body="\n".join(
            [*bands, *_axis(scale, chart_top, axis_y, w), *names, *body, *_legend(legend_y, w)]
        ),
    )

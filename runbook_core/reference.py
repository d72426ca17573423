"""The decision reference tables, as markdown, rendered from the rules at site build time.

The docs never type these tables by hand: change a rule in data/runbook.toml and the tables
change with it (the macros in overrides/macros.py call these functions).
"""

from __future__ import annotations

import itertools
import json

from . import markdown as md
from .config import OrgConfig, load_org
from .decide import recommend, relevant_fix_forward_questions
from .rules import NOT_IN_RUNBOOK, Runbook, load_runbook
from .table import FieldSpec, load_table


def _link(runbook: Runbook, section: str | None, from_page: str) -> str:
    if section is None:
        return f"_{NOT_IN_RUNBOOK}_"
    sec = runbook.sections[section]
    return f"[{md.inline(sec.title)}]({sec.href(from_page)})"


def _verdict(runbook: Runbook, answers: dict[str, str]) -> str:
    rec = recommend(answers, runbook)
    labels = runbook.action_labels
    permitted = "permitted" if rec.fix_forward_permitted else "not permitted"
    return f"**{labels[rec.action]}**; {labels['fix_forward'].lower()} {permitted}"


def _reasons(runbook: Runbook, answers: dict[str, str], from_page: str) -> str:
    rec = recommend(answers, runbook)
    return "<br>".join(
        f"{md.cell(r.text)} ({_link(runbook, r.section, from_page)})" for r in rec.reasons
    )


def impact_table(from_page: str = "decisions.md", runbook: Runbook | None = None) -> str:
    """Every impact combination → the recommendation and whether fix forward is permitted
    (27 rows for the runbook's three questions)."""
    runbook = runbook or load_runbook()
    impact = runbook.group("impact")
    labels = runbook.action_labels
    head = [md.cell(q.name.capitalize()) for q in impact] + ["Recommendation", "Why"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for combo in itertools.product(*(q.values for q in impact)):
        answers = dict(zip((q.id for q in impact), combo, strict=True))
        cells = [md.cell(q.label(v)) for q, v in zip(impact, combo, strict=True)]
        if relevant_fix_forward_questions(answers, runbook):
            action = (
                f"**{labels['roll_back']}**; {labels['fix_forward'].lower()} permitted only if "
                "every condition below is confirmed"
            )
            why = "See [the fix-forward conditions](#fix-forward-conditions)."
        else:
            action = _verdict(runbook, answers)
            why = _reasons(runbook, answers, from_page)
        lines.append("| " + " | ".join([*cells, action, why]) + " |")
    return "\n".join(lines)


def fix_forward_table(from_page: str = "decisions.md", runbook: Runbook | None = None) -> str:
    """For the impacts where they matter: every combination of the fix-forward conditions."""
    runbook = runbook or load_runbook()
    impact, conds = runbook.group("impact"), runbook.group("fix_forward")
    rows = []
    for combo in itertools.product(*(q.values for q in impact)):
        answers = dict(zip((q.id for q in impact), combo, strict=True))
        if not relevant_fix_forward_questions(answers, runbook):
            continue
        for cond in itertools.product(*(q.values for q in conds)):
            full = {**answers, **dict(zip((q.id for q in conds), cond, strict=True))}
            cells = [md.cell(q.label(full[q.id])) for q in (*impact, *conds)]
            rows.append(
                "| "
                + " | ".join([*cells, _verdict(runbook, full), _reasons(runbook, full, from_page)])
                + " |"
            )
    head = [md.cell(q.name.capitalize()) for q in (*impact, *conds)] + ["Recommendation", "Why"]
    return "\n".join(["| " + " | ".join(head) + " |", "|" + " --- |" * len(head), *rows])


def failure_modes_table(
    from_page: str = "decisions.md", runbook: Runbook | None = None, org: OrgConfig | None = None
) -> str:
    runbook = runbook or load_runbook()
    org = org or load_org()
    lines = ["| Failure mode | Action | Runbook |", "| --- | --- | --- |"]
    for fm in runbook.failure_modes:
        lines.append(
            f"| **{md.cell(fm.name)}** | {md.cell(fm.action.format(**org.as_dict()))} "
            f"| {_link(runbook, fm.section, from_page)} |"
        )
    return "\n".join(lines)


def questions_list(runbook: Runbook | None = None) -> str:
    runbook = runbook or load_runbook()
    return "\n".join(
        f"- **{md.inline(q.prompt)}** {', '.join(md.inline(a.label) for a in q.answers)}"
        for q in runbook.questions
    )


# --------------------------------------------------------------- the incident state machine


def _code(text: str) -> str:
    return f"`{text}`"


def phases_table() -> str:
    lines = ["| Phase | Means |", "| --- | --- |"]
    for p in load_table().phases:
        lines.append(f"| {_code(p.id)} ({md.cell(p.label)}) | {md.cell(p.doc)} |")
    return "\n".join(lines)


def transitions_table(
    from_page: str = "reference/actions.md", runbook: Runbook | None = None
) -> str:
    """Every action: the phases it is allowed in, its guards and what it does."""
    runbook = runbook or load_runbook()
    table = load_table()
    lines = [
        "| Action | Allowed in | Guards | Effect | Runbook |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in table.actions.values():
        phases = ", ".join(_code(p) for p in spec.phases)
        guards = (
            "<br>".join(f"[{_code(g)}](#guard-{g.replace('_', '-')})" for g in spec.guards) or "—"
        )
        lines.append(
            f"| [{_code(spec.type)}](#action-{spec.type.replace('_', '-')}) | {phases} | {guards} "
            f"| {md.cell(spec.effect)} | {_link(runbook, spec.section, from_page)} |"
        )
    return "\n".join(lines)


def guards_list(from_page: str = "reference/actions.md", runbook: Runbook | None = None) -> str:
    """Every guard with what it checks and, where it enforces one, the runbook section."""
    runbook = runbook or load_runbook()
    out = []
    for guard in load_table().guards.values():
        anchor = guard.id.replace("_", "-")
        target = f'<span id="guard-{anchor}"></span>'
        cited = f" ({_link(runbook, guard.section, from_page)})" if guard.section else ""
        out.append(f"- {target}{_code(guard.id)} ({guard.kind}): {md.inline(guard.doc)}{cited}")
    return "\n".join(out)


def _field_type(f: FieldSpec) -> str:
    from .record import choices

    if f.type == "choice" and f.of == "questions":
        return "one of: " + ", ".join(_code(q.id) for q in load_runbook().questions)
    if f.type == "choice":
        return "one of: " + ", ".join(_code(v) for v in choices(f.of))
    if f.type == "index":
        return f"index into `{f.of}`"
    limit = (
        f" (at most {f.max:,} characters)"
        if f.max and f.type in ("line", "text", "name", "url")
        else ""
    )
    return f"{f.type}{limit}"


def actions_reference() -> str:
    """Each action's fields, as sections: what `runbook apply` and the page send."""
    out = []
    for spec in load_table().actions.values():
        anchor = spec.type.replace("_", "-")
        out.append(f"### {_code(spec.type)}: {md.inline(spec.title)} {{ #action-{anchor} }}")
        out.append("")
        out.append(md.inline(spec.effect))
        out.append("")
        if spec.fields:
            out.append("| Field | Type | Required | Meaning |")
            out.append("| --- | --- | --- | --- |")
            for f in spec.fields:
                required = "yes" if f.required else "no"
                kind, doc = md.cell(_field_type(f)), md.cell(f.doc)
                out.append(f"| {_code(f.name)} | {kind} | {required} | {doc} |")
        else:
            out.append("No fields.")
        example = {"type": spec.type, **{f.name: _example(f) for f in spec.fields if f.required}}
        out.append("")
        out.append("```json")
        out.append(json.dumps(example, ensure_ascii=False))
        out.append("```")
        out.append("")
    return "\n".join(out)


def _example(f: FieldSpec) -> object:
    from .record import choices

    if f.type == "choice" and f.of == "questions":
        return load_runbook().questions[0].id
    if f.type == "choice":
        return choices(f.of)[0]
    if f.type == "answer":
        return load_runbook().questions[0].values[0]
    if f.type == "index":
        return 0
    if f.type == "time":
        return "2026-11-28T21:40:00Z"
    if f.type == "bool":
        return True
    return "..."

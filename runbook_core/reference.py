"""The decision reference tables, as markdown, rendered from the rules at site build time.

The docs never type these tables by hand: change a rule in data/runbook.toml and the tables
change with it (the macros in overrides/macros.py call these functions).
"""

from __future__ import annotations

import itertools

from . import markdown as md
from .config import OrgConfig, load_org
from .decide import recommend, relevant_fix_forward_questions
from .rules import Runbook, load_runbook


def _link(runbook: Runbook, section: str, from_page: str) -> str:
    sec = runbook.sections[section]
    return f"[{md.inline(sec.title)}]({sec.href(from_page)})"


def _reasons(runbook: Runbook, answers: dict[str, str], from_page: str) -> str:
    rec = recommend(answers, runbook)
    return "<br>".join(
        f"{md.cell(r.text)} ({_link(runbook, r.section, from_page)})" for r in rec.reasons
    )


def impact_table(from_page: str = "decisions.md", runbook: Runbook | None = None) -> str:
    """Every impact combination → the action (27 rows for the runbook's three questions)."""
    runbook = runbook or load_runbook()
    impact = runbook.group("impact")
    labels = runbook.action_labels
    head = [md.cell(q.name.capitalize()) for q in impact] + ["Action", "Why"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for combo in itertools.product(*(q.values for q in impact)):
        answers = dict(zip((q.id for q in impact), combo, strict=True))
        cells = [md.cell(q.label(v)) for q, v in zip(impact, combo, strict=True)]
        if relevant_fix_forward_questions(answers, runbook):
            action = (
                f"**{labels['fix_forward']}** only if every condition below is confirmed; "
                f"otherwise **{labels['roll_back']}**"
            )
            why = "See [the fix-forward conditions](#fix-forward-conditions)."
        else:
            action = f"**{labels[recommend(answers, runbook).action]}**"
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
            action = runbook.action_labels[recommend(full, runbook).action]
            rows.append(
                "| "
                + " | ".join([*cells, f"**{action}**", _reasons(runbook, full, from_page)])
                + " |"
            )
    head = [md.cell(q.name.capitalize()) for q in (*impact, *conds)] + ["Action", "Why"]
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

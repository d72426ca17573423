"""Shared test data: the example scenarios (tests/data/scenarios.json), their replay, and the
structural skeleton of a ticket in each format (what hostile text must never change)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from runbook_core.actions import apply
from runbook_core.record import Record

TESTS = Path(__file__).parent
ROOT = TESTS.parent
ORG_ENV = "RUNBOOK_ORG"  # runbook_core.config.ORG_ENV
GOLDEN_ENV = "RUNBOOK_GOLDEN_DIR"


def golden_dirs() -> tuple[Path, Path]:
    """Where the golden files and example records for the active org are: the tracked ones for
    the packaged org; for a team's ($RUNBOOK_ORG), $RUNBOOK_GOLDEN_DIR, else golden/ beside the
    org file (its examples in examples/ inside), which `make golden` writes."""
    org = os.environ.get(ORG_ENV)
    if not org:
        return TESTS / "golden", ROOT / "docs" / "examples"
    folder = Path(os.environ.get(GOLDEN_ENV) or Path(org).parent / "golden")
    return folder, folder / "examples"


GOLDEN, EXAMPLES = golden_dirs()
SCENARIOS: dict[str, list[dict]] = json.loads(
    (TESTS / "data" / "scenarios.json").read_text("utf-8")
)


def replay(name: str) -> Record:
    record = Record()
    for step in SCENARIOS[name]:
        record = apply(record, step["action"], step["at"])
    return record


def structure(markdown: str) -> list[str]:
    """The ticket's skeleton: headings and the number of rows and columns of each table."""
    shape, rows = [], 0
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            cells = len(re.findall(r"(?<!\\)\|", line)) - 1
            rows += 1
            if rows == 1:
                shape.append(f"table cols={cells}")
            continue
        if rows:
            shape.append(f"rows={rows}")
            rows = 0
        if re.match(r"#{1,6} ", line):
            shape.append(line.split(":")[0] if line.startswith("# ") else line)
        elif re.match(r"- ", line):
            shape.append("bullet")
    return shape


def _jira_cells(line: str) -> int:
    """Cell separators in a Jira table line that Jira acts on (not escaped with a backslash)."""
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", line))


def jira_structure(jira: str) -> list[str]:
    """A Jira ticket's skeleton: h1.-h6. headings, each table's header and row lines with their
    cell counts, bullet lines."""
    shape = []
    for line in jira.splitlines():
        if re.match(r"h[1-6]\. ", line):
            shape.append(line.split(":")[0] if line.startswith("h1. ") else line)
        elif line.startswith("||"):
            shape.append(f"header cells={_jira_cells(line)}")
        elif line.startswith("|"):
            shape.append(f"row cells={_jira_cells(line)}")
        elif re.match(r"[*#-]+ ", line):
            shape.append("bullet")
    return shape


def text_structure(text: str) -> list[str]:
    """A plain-text ticket's skeleton: headings (a line underlined with = or -) and, per section,
    the number of unindented lines and of two-space lines (table rows, bullets). Free text blocks
    are indented four spaces and not counted: they may have any number of lines."""
    lines = text.splitlines()
    shape: list[str] = []
    counts = {"plain": 0, "rows": 0}

    def close() -> None:
        shape.append(f"plain={counts['plain']} rows={counts['rows']}")
        counts.update(plain=0, rows=0)

    i = 0
    while i < len(lines):
        line = lines[i]
        under = lines[i + 1] if i + 1 < len(lines) else ""
        if line and under and set(under) <= {"=", "-"} and len(under) == len(line):
            close()
            shape.append(("= " if under[0] == "=" else "- ") + line.split(":")[0])
            i += 2
            continue
        if line.startswith("    ") or not line.strip():
            pass
        elif line.startswith("  "):
            counts["rows"] += 1
        else:
            counts["plain"] += 1
        i += 1
    close()
    return shape


SKELETONS = {"markdown": structure, "jira": jira_structure, "text": text_structure}


def with_plain_text(record: Record, text: str = "x") -> Record:
    """The same record with every non-empty free text replaced by `text`: the reference a
    hostile record's ticket must have the same skeleton as (same lists, same choices)."""

    def walk(obj: Any) -> Any:
        changes = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.metadata.get("kind") == "text" and value and f.name not in ("incident_id", "ref"):
                changes[f.name] = text
            elif is_dataclass(value):
                changes[f.name] = walk(value)
            elif isinstance(value, tuple):
                changes[f.name] = tuple(
                    walk(v) if is_dataclass(v) else text if isinstance(v, str) else v for v in value
                )
        return replace(obj, **changes)

    return walk(record)


# ----------------------------------------------------------- the runbook, read independently

IMPACT_QUESTIONS = ("scope", "data_loss", "degradation")


def impact_undetermined(answers: dict[str, str | None]) -> bool:
    """Runbook section 5, "Cannot determine impact": an impact answer is "don't know" or missing."""
    return any(answers.get(q) in (None, "unknown") for q in IMPACT_QUESTIONS)


def fix_forward_permitted_by_runbook(answers: dict[str, str | None]) -> bool:
    """Runbook 3.2: "Only consider this option if the issue is minor, the fix is well-understood,
    and a hotfix can be deployed faster than a rollback" (minor: minor degradation, no data
    loss), with the impact determined (section 5). Written from the text, not from the rules."""
    return (
        not impact_undetermined(answers)
        and answers.get("degradation") == "minor"
        and answers.get("data_loss") == "no"
        and answers.get("fix_understood") == "yes"
        and answers.get("hotfix_faster") == "yes"
    )


def severity_label(runbook_label: str) -> str:
    """The runbook's impact class `runbook_label` as the active org names it (severity_labels)."""
    from runbook_core import load_org, load_runbook

    (severity_id,) = {r.id for r in load_runbook().severity if r.label == runbook_label}
    return load_org().severity_labels.get(severity_id, runbook_label)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`runbook ARGV...` in this process: (exit code, standard output, standard error)."""
    from runbook_core.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err

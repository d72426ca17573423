"""Shared test data: the example scenarios (tests/data/scenarios.json) and their replay."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runbook_core.actions import apply
from runbook_core.record import Record

TESTS = Path(__file__).parent
ROOT = TESTS.parent
EXAMPLES = ROOT / "docs" / "examples"
GOLDEN = TESTS / "golden"
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
    return shape

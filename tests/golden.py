"""Every generated file the tests compare against, written from the code: `make golden`.

    python -m tests.golden          # rewrite them all, then review `git diff`
    python -m tests.golden --check  # exit 1 and list the stale ones (what the tests also check)

What it writes: the example records (docs/examples/<name>.json, replays of
tests/data/scenarios.json), their tickets and post-mortem drafts in every format, their Slack
messages and timeline pictures (tests/golden/), and the record's JSON Schema
(runbook_core/data/record.schema.json). Run it after an intended change to the rules, texts,
templates, scenarios or an org file; the golden files are backed by independent assertions
(tests/test_examples.py, test_postmortem.py, test_timeline_svg.py), so review what changed.

With a team's org file ($RUNBOOK_ORG) it writes that org's golden files and example records to
their own folder ($RUNBOOK_GOLDEN_DIR, else golden/ beside the org file: tests/helpers.py), never
the tracked ones; the JSON Schema does not depend on the org and is left alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from runbook_core import all_messages, render_ticket
from runbook_core.formats import FORMATS
from runbook_core.postmortem import render_postmortem
from runbook_core.schema import schema_json
from runbook_core.timeline_svg import render_svg
from tests.helpers import EXAMPLES, GOLDEN, ORG_ENV, ROOT, SCENARIOS, replay

SCHEMA = ROOT / "runbook_core" / "data" / "record.schema.json"
TEAM_ORG = bool(os.environ.get(ORG_ENV))


def ticket_path(name: str, fmt: str) -> Path:
    return GOLDEN / f"{name}.ticket.{'md' if fmt == 'markdown' else fmt + '.txt'}"


def postmortem_path(name: str, fmt: str) -> Path:
    return GOLDEN / f"{name}.postmortem.{'md' if fmt == 'markdown' else fmt + '.txt'}"


def generated() -> Iterator[tuple[Path, str]]:
    """(path, the text the code produces now) for every golden file."""
    if not TEAM_ORG:
        yield SCHEMA, schema_json()
    for name in sorted(SCENARIOS):
        record = replay(name)
        yield EXAMPLES / f"{name}.json", record.to_json()
        for fmt in FORMATS:
            yield ticket_path(name, fmt), render_ticket(record, format=fmt)
        messages = json.dumps(all_messages(record), ensure_ascii=False, indent=2) + "\n"
        yield GOLDEN / f"{name}.messages.json", messages
        for fmt in FORMATS:
            yield postmortem_path(name, fmt), render_postmortem(record, format=fmt)
        yield GOLDEN / f"{name}.timeline.svg", render_svg(record)


def shown(path: Path) -> Path:
    resolved = path.resolve()
    return resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list stale files")
    args = parser.parse_args(argv)
    tracked = {(ROOT / "tests" / "golden").resolve(), (ROOT / "docs" / "examples").resolve()}
    if TEAM_ORG and {GOLDEN.resolve(), EXAMPLES.resolve()} & tracked:
        print(f"{GOLDEN}: a team's golden files go to a folder of their own, not the tracked ones")
        return 2
    stale = []
    for path, text in generated():
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(shown(path))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    expected = {p for p, _ in generated()}
    files = [p for p in GOLDEN.glob("*") if p.is_file()] + list(EXAMPLES.glob("*.json"))
    orphans = [p for p in files if p not in expected]
    for path in orphans:
        stale.append(shown(path))
        if not args.check:
            path.unlink()
    verb = "stale" if args.check else "rewritten"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

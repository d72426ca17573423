"""The shipped examples are what the scenarios produce; tickets and messages match golden files.

Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change, then review the diff.
"""

from __future__ import annotations

import json
import os

import pytest

from runbook_core import all_messages, record_from_json, render_ticket
from tests.helpers import EXAMPLES, GOLDEN, SCENARIOS, replay

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
NAMES = sorted(SCENARIOS)


def _check(path, text: str) -> None:
    if UPDATE:
        path.write_text(text, "utf-8")
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text("utf-8")


def test_there_is_an_example_for_every_branch() -> None:
    """Rollback ok, rollback failed, fix forward, impact unknown, on-call unavailable."""
    assert {
        "rollback-succeeded",
        "rollback-failed-escalated",
        "fix-forward",
        "impact-unknown",
        "oncall-unavailable",
    } <= set(NAMES)
    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_record_is_the_replayed_scenario(name: str) -> None:
    """docs/examples/<name>.json equals replaying tests/data/scenarios.json[name]."""
    _check(EXAMPLES / f"{name}.json", replay(name).to_json())


@pytest.mark.parametrize("name", NAMES)
def test_ticket_matches_golden(name: str) -> None:
    """The filled ticket for each example, byte for byte."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    _check(GOLDEN / f"{name}.ticket.md", render_ticket(record))


@pytest.mark.parametrize("name", NAMES)
def test_messages_match_golden(name: str) -> None:
    """The Slack messages for each example, byte for byte."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    _check(
        GOLDEN / f"{name}.messages.json",
        json.dumps(all_messages(record), ensure_ascii=False, indent=2) + "\n",
    )

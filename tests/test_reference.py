"""The decision reference tables come from the rules: change the data, the tables change."""

from __future__ import annotations

from importlib.resources import files

from runbook_core.reference import failure_modes_table, fix_forward_table, impact_table
from runbook_core.rules import load_runbook, parse_runbook

SOURCE = files("runbook_core").joinpath("data/runbook.toml").read_text("utf-8")


def _rows(table: str) -> list[str]:
    return table.splitlines()[2:]


def test_impact_table_has_every_combination() -> None:
    """27 rows: 3 × 3 × 3 impact answers, each with an action."""
    rows = _rows(impact_table())
    assert len(rows) == 27 and all("**Roll back**" in r or "**Fix forward**" in r for r in rows)


def test_fix_forward_table_covers_the_cases_where_conditions_matter() -> None:
    """Two impacts (all/subset, minor, no loss) × four condition combinations."""
    rows = _rows(fix_forward_table())
    assert len(rows) == 8 and sum("**Fix forward**" in r for r in rows) == 2


def test_failure_modes_use_the_configured_contact() -> None:
    """Org words are filled in: the escalation contact from org.toml."""
    assert "Head of Engineering" in failure_modes_table()


def test_changing_a_rule_in_the_data_changes_the_tables() -> None:
    """Drop the "hotfix faster" condition: fix forward in 4 condition rows instead of 2."""
    start = SOURCE.index('[[decision.fix_forward_conditions]]\nid = "hotfix_faster"')
    end = SOURCE.index("# After a mitigation")
    changed = parse_runbook(SOURCE[:start] + SOURCE[end:], "edited.toml")
    assert fix_forward_table(runbook=changed) != fix_forward_table(runbook=load_runbook())
    assert sum("**Fix forward**" in r for r in _rows(fix_forward_table(runbook=changed))) == 4


def test_links_point_at_runbook_anchors() -> None:
    """Reasons link to the runbook sections relative to the decisions page."""
    assert "(runbook/INCIDENT_RESPONSE.md#failure-modes)" in impact_table()

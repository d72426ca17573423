"""The reference pages come from the data: the decision tables from runbook.toml, the state
machine page from transitions.toml. Change the data, the tables change."""

from __future__ import annotations

import json
from importlib.resources import files

from runbook_core import load_org
from runbook_core.reference import (
    actions_reference,
    failure_modes_table,
    fix_forward_table,
    guards_list,
    impact_table,
    phases_table,
    transitions_table,
)
from runbook_core.rules import load_runbook, parse_runbook
from runbook_core.table import load_table

SOURCE = files("runbook_core").joinpath("data/runbook.toml").read_text("utf-8")


def _rows(table: str) -> list[str]:
    return table.splitlines()[2:]


def test_impact_table_has_every_combination_and_always_rolls_back() -> None:
    """27 rows: 3 × 3 × 3 impact answers, each recommending roll back."""
    rows = _rows(impact_table())
    assert len(rows) == 27 and all("**Roll back**" in r for r in rows)
    assert not any("**Fix forward**" in r for r in rows)
    assert sum("permitted only if every condition below is confirmed" in r for r in rows) == 2


def test_fix_forward_table_covers_the_cases_where_conditions_matter() -> None:
    """Two impacts (all/subset, minor, no loss) × four condition combinations; fix forward is
    permitted in exactly the two rows where both conditions are yes."""
    rows = _rows(fix_forward_table())
    assert len(rows) == 8 and all("**Roll back**" in r for r in rows)
    assert sum("fix forward permitted |" in r for r in rows) == 2


def test_failure_modes_use_the_configured_contact() -> None:
    """Org words are filled in: the escalation contact from the org file."""
    assert load_org().escalation_contact in failure_modes_table()


def test_changing_a_rule_in_the_data_changes_the_tables() -> None:
    """Drop the "hotfix faster" condition: fix forward permitted in 4 rows instead of 2."""
    start = SOURCE.index('[[decision.fix_forward_conditions]]\nid = "hotfix_faster"')
    end = SOURCE.index("# After a mitigation")
    changed = parse_runbook(SOURCE[:start] + SOURCE[end:], "edited.toml")
    assert fix_forward_table(runbook=changed) != fix_forward_table(runbook=load_runbook())
    assert (
        sum("fix forward permitted |" in r for r in _rows(fix_forward_table(runbook=changed))) == 4
    )


def test_links_point_at_runbook_anchors() -> None:
    """Reasons link to the runbook sections relative to the decisions page."""
    assert "(runbook/INCIDENT_RESPONSE.md#failure-modes)" in impact_table()


def test_the_state_machine_page_shows_every_phase_action_and_guard() -> None:
    """Phases, transitions (with their phases and guards) and guards, from transitions.toml."""
    table = load_table()
    phases = phases_table()
    assert all(f"`{p.id}`" in phases for p in table.phases)
    transitions = _rows(transitions_table())
    assert len(transitions) == len(table.actions)
    for row, spec in zip(transitions, table.actions.values(), strict=True):
        assert row.startswith(f"| [`{spec.type}`]")
        assert all(f"`{phase}`" in row for phase in spec.phases)
        assert all(f"`{guard}`" in row for guard in spec.guards)
    guards = guards_list()
    assert all(f"`{g}`" in guards for g in table.guards)


def test_the_actions_reference_documents_every_field_with_a_valid_example() -> None:
    """Each action's section lists its fields; its JSON example is the action with its
    required fields (what `runbook apply` and the page send)."""
    reference = actions_reference()
    for spec in load_table().actions.values():
        section = reference.split(f"### `{spec.type}`", 1)[1].split("\n### ", 1)[0]
        for field in spec.fields:
            assert f"| `{field.name}` |" in section, (spec.type, field.name)
        example = json.loads(section.split("```json\n", 1)[1].split("\n```", 1)[0])
        assert example["type"] == spec.type
        assert set(example) - {"type"} == {f.name for f in spec.fields if f.required}

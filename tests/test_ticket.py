"""The filled INCIDENT_TEMPLATE: always every section, and hostile text never changes its shape."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from runbook_core import DataFileError, Record, apply, render_ticket
from runbook_core.ticket import PLACEHOLDER, fill_template, load_template, ticket_values
from tests.helpers import ROOT, SCENARIOS, replay, structure
from tests.strategies import HOSTILE, incidents

BENIGN = "Checkout is slow"


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_the_generator_fills_the_docs_page_template_itself() -> None:
    """The packaged template is the docs page, byte for byte (one template, no drift)."""
    docs_page = ROOT / "docs" / "runbook" / "INCIDENT_TEMPLATE.md"
    if docs_page.exists():  # the source tree; inside Pyodide only the wheel is installed
        assert load_template() == docs_page.read_text("utf-8")


def test_every_placeholder_is_filled() -> None:
    """No {{ placeholder }} survives, for an empty record too."""
    for record in (Record(), replay("rollback-succeeded")):
        assert not PLACEHOLDER.search(render_ticket(record))


def test_template_sections_required_by_the_runbook_exist() -> None:
    """Timeline, impact analysis and resolution details (section 4), and the rest we promise."""
    headings = _headings(load_template())
    for needed in (
        "Key times",
        "Roles and command",
        "Impact analysis",
        "Decision",
        "Mitigation and escalation",
        "Timeline",
        "Communications",
        "Resolution",
        "Follow-ups",
    ):
        assert any(needed in h for h in headings), needed


@settings(max_examples=50)
@given(incidents())
def test_the_ticket_always_has_every_template_section(record: Record) -> None:
    """Whatever happened, the ticket has the template's headings, in order."""
    template_headings = [h.split("{{")[0] for h in _headings(load_template())]
    ticket_headings = _headings(render_ticket(record))
    assert len(ticket_headings) == len(template_headings)
    for template_h, ticket_h in zip(template_headings, ticket_headings, strict=True):
        assert ticket_h.startswith(template_h)


def _same_story(text: str) -> Record:
    """One incident where every free-text field holds `text`."""
    record = Record()
    steps = [
        {"type": "declare", "summary": text[:500], "by": text[:200]},
        {"type": "take_command", "oncall": text[:200], "oncall_available": True},
        {"type": "answer", "question": "scope", "value": "all"},
        {"type": "answer", "question": "data_loss", "value": "no"},
        {"type": "answer", "question": "degradation", "value": "minor"},
        {"type": "decide", "action": "fix_forward", "deviation_reason": text[:5000]},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": text},
        {"type": "status_update", "text": text[:4000]},
        {"type": "change_ic", "to": text[:200], "reason": text[:2000]},
        {"type": "escalate", "reason": text[:2000]},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "succeeded", "notes": text},
        {"type": "add_timeline", "event": text, "who": text[:200]},
        {"type": "add_follow_up", "text": text[:2000]},
        {"type": "resolve", "details": text, "data_lost": "no"},
    ]
    for minute, action in enumerate(steps):
        record = apply(record, action, f"2026-11-28T21:{minute:02d}:00Z")
    return record


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_changes_the_tickets_structure(text: str) -> None:
    """Same headings, same tables, same rows and columns as with plain text."""
    if not " ".join(text.split()) or not text.strip():
        pytest.skip("empty after trimming; refused as input")
    assert structure(render_ticket(_same_story(text))) == structure(
        render_ticket(_same_story(BENIGN))
    )


@settings(max_examples=30)
@given(incidents())
def test_random_hostile_incidents_render_no_raw_html(record: Record) -> None:
    """No user text reaches the ticket as live HTML (only <br> line breaks are ours)."""
    ticket = render_ticket(record)
    body = ticket.split("-->")[-1]
    assert "<script" not in body and "<img" not in body and "<!--" not in body


def test_unknown_placeholder_in_a_custom_template_is_named() -> None:
    """A team's edited template with a typo fails with the file and the placeholder."""
    values = ticket_values(Record(), *_org_and_runbook())
    with pytest.raises(DataFileError) as err:
        fill_template("# {{ sumary }}", values, "my/INCIDENT_TEMPLATE.md")
    assert err.value.file == "my/INCIDENT_TEMPLATE.md" and "sumary" in err.value.key


def _org_and_runbook():
    from runbook_core import load_org, load_runbook

    return load_org(), load_runbook()


def test_a_team_can_trim_the_template() -> None:
    """A template without some placeholders still fills (teams adapt it)."""
    values = ticket_values(replay("fix-forward"), *_org_and_runbook())
    assert fill_template("# {{ summary }}\n\n{{ timeline_rows }}", values).startswith(
        "# Checkout returns HTTP 500"
    )


def test_ticket_for_every_scenario_lists_every_timeline_event() -> None:
    """The timeline table has one row per event, sorted by time."""
    for name in SCENARIOS:
        record = replay(name)
        ticket = render_ticket(record)
        section = ticket.split("## Timeline")[1].split("##")[0]
        rows = [line for line in section.splitlines() if line.startswith("| 2026")]
        assert len(rows) == len(record.timeline)
        times = [row.split(" | ")[0] for row in rows]
        assert times == sorted(times)


def test_docs_template_page_is_not_rendered_by_macros() -> None:
    """The template page opts out of macros, so its placeholders show as written."""
    assert load_template().startswith("---\nrender_macros: false\n---")

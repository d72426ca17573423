"""The filled INCIDENT_TEMPLATE in markdown, Jira wiki markup and plain text: every section
always, and hostile text in any free-text field never changes a ticket's structure or injects
markup, in any format."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from runbook_core import DataFileError, Record, apply, load_org, load_runbook, render_ticket
from runbook_core.config import packaged_org, parse_org
from runbook_core.formats import FORMATS
from runbook_core.ticket import (
    PLACEHOLDER,
    REQUIRED_PLACEHOLDERS,
    check_template,
    fill_template,
    load_template,
    ticket_values,
)
from tests.helpers import ROOT, SCENARIOS, SKELETONS, replay, with_plain_text
from tests.strategies import HOSTILE, incidents

ORG = load_org()
BENIGN = "Checkout is slow"
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_the_generator_fills_the_docs_page_template_itself() -> None:
    """The packaged template is the docs page, byte for byte (one template, no drift)."""
    docs_page = ROOT / "docs" / "runbook" / "INCIDENT_TEMPLATE.md"
    if docs_page.exists():  # the source tree; inside Pyodide only the wheel is installed
        assert load_template() == docs_page.read_text("utf-8")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_placeholder_is_filled(fmt: str) -> None:
    """No {{ placeholder }} survives, for an empty record too."""
    for record in (Record(), replay("rollback-succeeded")):
        assert not PLACEHOLDER.search(render_ticket(record, ORG, format=fmt))


def test_template_sections_required_by_the_runbook_exist() -> None:
    """Timeline, impact analysis and resolution details (section 4), and the rest we promise."""
    headings = _headings(load_template())
    for needed in (
        "Detection",
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
    for detail in ("release", "rollback_target", "slack_thread", "detected_how", "detected_at"):
        assert "{{ " + detail + " }}" in load_template(), detail


@settings(max_examples=25)
@given(incidents())
def test_the_ticket_always_has_every_template_section(record: Record) -> None:
    """Whatever happened, the ticket has the active template's headings, in order."""
    template_headings = [h.split("{{")[0] for h in _headings(load_template(ORG.template))]
    ticket_headings = _headings(render_ticket(record, ORG))
    assert len(ticket_headings) == len(template_headings)
    for template_h, ticket_h in zip(template_headings, ticket_headings, strict=True):
        assert ticket_h.startswith(template_h)


def _same_story(text: str) -> Record:
    """One incident in which every free-text field holds `text` (cut to each field's limit)."""
    if not text.strip():  # required fields must say something: keep the hostile part
        text = "x" + text
    name = " ".join(text.split())[:190] or "x"
    line = " ".join(text.split())[:200] or "x"
    steps = [
        {"type": "declare", "summary": text[:500], "by": name},
        {"type": "log_message", "kind": "declaration"},
        {"type": "take_command", "oncall": name, "oncall_available": True},
        {
            "type": "update_details",
            "release": line,
            "rollback_target": line,
            "slack_thread": "https://example.slack.com/archives/C1/p1",
            "detected_how": text[:2000],
            "detected_at": "2026-11-28T20:55:00Z",
            "impact_started_at": "2026-11-28T20:50:00Z",
            "services": [name, name],
            "responders": name,
        },
        {"type": "correct_summary", "summary": text[:500]},
        {"type": "answer", "question": "scope", "value": "all"},
        {"type": "answer", "question": "data_loss", "value": "no"},
        {"type": "answer", "question": "degradation", "value": "minor"},
        {"type": "decide", "action": "fix_forward", "deviation_reason": text[:5000]},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": text},
        {"type": "status_update", "text": text[:4000]},
        {"type": "change_ic", "to": name + " 2", "reason": text[:2000]},
        {"type": "log_message", "kind": "handover"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": text},
        {"type": "escalate", "to": name, "doing": text[:2000]},
        {"type": "acknowledge_escalation", "by": name},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "succeeded", "notes": text},
        {"type": "add_timeline", "event": text[:4000], "who": name},
        {"type": "add_follow_up", "text": text[:2000], "owner": name},
        {"type": "resolve", "details": text, "data_lost": "unknown"},
        {"type": "log_message", "kind": "resolution"},
    ]
    record = Record()
    for minute, action in enumerate(steps):
        record = apply(record, action, f"2026-11-28T21:{minute:02d}:00Z", ORG)
    return record


# Characters each format acts on wherever they stand; hostile text may add none unescaped.
LIVE = {
    "markdown": re.compile(r"(?<!\\)[\[\]`*_~<>]"),
    "jira": re.compile(r"(?<!\\)[\[\]{}!]"),
    "text": TERMINAL_CONTROL,
}
HOSTILE_IDS = [re.sub(r"\W+", "-", h[:20]).strip("-") or f"h{i}" for i, h in enumerate(HOSTILE)]


def _live(ticket: str, fmt: str) -> list[str]:
    if fmt == "markdown":
        ticket = ticket.replace("<br>", "").replace("- [ ] ", "- ")
    return LIVE[fmt].findall(ticket)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("text", HOSTILE, ids=[f"{i}-{h}" for i, h in enumerate(HOSTILE_IDS)])
def test_hostile_text_never_changes_the_structure_or_injects_markup(text: str, fmt: str) -> None:
    """The same skeleton (headings, tables and their rows and cells, bullets; in text, underlined
    headings and row lines) as the same incident told in plain words, and no markup character
    the format acts on that the plain ticket does not have."""
    hostile = render_ticket(_same_story(text), ORG, format=fmt)
    plain = render_ticket(_same_story(BENIGN), ORG, format=fmt)
    assert SKELETONS[fmt](hostile) == SKELETONS[fmt](plain)
    assert sorted(_live(hostile, fmt)) == sorted(_live(plain, fmt))
    assert not TERMINAL_CONTROL.search(hostile)
    if fmt == "markdown":  # HTML acts in markdown only (Jira and plain text show it as text)
        lowered = hostile.lower()
        assert "<script" not in lowered and "<img" not in lowered and "<!--" not in lowered


@settings(max_examples=20)
@given(incidents())
def test_random_incidents_keep_the_structure_of_their_plain_twin(record: Record) -> None:
    """For any incident, each format's skeleton equals that of the same incident with every
    free text replaced by a plain word."""
    twin = with_plain_text(record)
    for fmt, skeleton in SKELETONS.items():
        assert skeleton(render_ticket(record, ORG, format=fmt)) == skeleton(
            render_ticket(twin, ORG, format=fmt)
        )


def test_jira_escapes_links_macros_and_headings() -> None:
    """[text|url], {code}, !image!, h1. and bq. at a line start and table pipes are inert."""
    record = _same_story(
        "[click|http://evil.example] {code}x{code} !a.png! a|b\nh1. Big\nbq. Quote"
    )
    ticket = render_ticket(record, ORG, format="jira")
    assert "[click|" not in ticket and "{code}" not in ticket and "!a.png!" not in ticket
    assert not re.search(r"^\s*(h1|bq)\.", ticket.split("h2. Resolution")[1], re.M)


def test_text_blocks_are_indented_so_they_cannot_fake_a_heading() -> None:
    """A free-text "Title\\n=====" in plain text stays inside its indented block."""
    ticket = render_ticket(_same_story("Fake\n====\nTitle"), ORG, format="text")
    assert "\n    Fake\n    ====\n" in ticket


def test_unknown_placeholder_in_a_custom_template_is_named() -> None:
    """A team's edited template with a typo fails with the file and the placeholder."""
    values = ticket_values(Record(), ORG, load_runbook())
    with pytest.raises(DataFileError) as err:
        fill_template("# {{ sumary }}", values, FORMATS["markdown"], "my/INCIDENT_TEMPLATE.md")
    assert err.value.file == "my/INCIDENT_TEMPLATE.md" and "sumary" in err.value.key


def test_a_team_can_trim_the_template() -> None:
    """A template without some placeholders still fills (teams adapt it)."""
    values = ticket_values(replay("fix-forward"), ORG, load_runbook())
    ticket = fill_template("# {{ summary }}\n\n{{ follow_ups }}\n", values, FORMATS["markdown"])
    assert ticket.startswith("# Checkout returns HTTP 500")


@pytest.mark.parametrize("fmt", list(FORMATS))
def _timeline_rows(ticket: str) -> list[str]:
    section = re.split(r"\n(?:## |h2\. )?Timeline\n", ticket)[1]
    section = re.split(r"\n(?:## |h2\. )?Communications\n", section)[0]
    return [line for line in section.splitlines() if "2026-11-28 " in line[:30]]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_ticket_timeline_lists_what_happened_in_order_and_nothing_twice(fmt: str) -> None:
    """Issue 16.8: the timeline is a record of what happened, sorted by time: every decision,
    mitigation start and outcome, escalation and change of command is there; no instruction
    ("escalate immediately", "fall back"), and nothing the tables beside it hold (the messages
    of Communications, the key times, the details table)."""
    for name in SCENARIOS:
        record = replay(name)
        rows = _timeline_rows(render_ticket(record, ORG, format=fmt))
        times = [re.search(r"2026-11-28 [\d:]+", row).group() for row in rows]
        assert times == sorted(times), name
        text = "\n".join(rows)
        for instruction in ("immediately", "Escalation required", "fall back", "should"):
            assert instruction not in text, (name, instruction)
        for restated in (
            "posted in",  # Communications
            "Incident declared",  # Key times: Declared
            "Problem detected",  # Key times: Detected
            "Impact started",
            "Incident resolved",  # Key times: Resolved, and the Resolution section
            "Details:",  # the details table
        ):
            assert restated not in text, (name, restated)
        started = sum(" started" in row for row in rows)
        ended = sum(
            re.search(r"(Rollback|Hotfix) (succeeded|failed)", row) is not None for row in rows
        )
        assert started == len(record.mitigations), name
        assert ended == sum(m.outcome != "pending" for m in record.mitigations), name
        assert sum("Escalated to" in row for row in rows) == len(record.escalations), name
        assert sum("Decision:" in row for row in rows) >= (record.decision is not None), name
        assert sum("Incident Commander" in row or "IC handed over" in row for row in rows) == len(
            record.ic_changes
        ), name


def test_the_roles_say_the_unavailable_on_call_engineer_once() -> None:
    """Issue 16.8: "Sam (on-call) is unavailable. The on-call engineer is unavailable: ..." said
    it twice; the roles row and the timeline say it once, with the runbook's section 5 rule."""
    record = replay("oncall-unavailable")
    ticket = render_ticket(record, ORG)
    roles = re.split(r"\n## Roles and command\n", ticket)
    rows = [line for line in (roles[1] if len(roles) > 1 else ticket).splitlines() if "|" in line]
    reason = record.ic_changes[0].reason
    assert reason.count("unavailable") == 1, reason
    assert reason.startswith(f"{record.oncall} (on-call) is unavailable: ")
    assert "first engineer to respond" in reason and "assumes the role of IC" in reason
    assert sum("unavailable" in line for line in rows) <= 2  # the roles row, the timeline row
    assert all(line.count("unavailable") <= 1 for line in ticket.splitlines())


def test_the_ticket_says_the_impact_class_is_ours_not_the_runbooks() -> None:
    """Issue 16.8: "SEV1" is our label; the packaged template says so beside it (a team's
    template words its own row)."""
    if ORG.template:
        pytest.skip("a team's template words its own rows")
    ticket = render_ticket(replay("rollback-failed-escalated"), ORG)
    (row,) = [line for line in ticket.splitlines() if line.startswith("| Impact class")]
    assert "ours" in row and "the runbook defines no classes" in row


def test_docs_template_page_is_not_rendered_by_macros() -> None:
    """The template page opts out of macros, so its placeholders show as written."""
    assert load_template().startswith("---\nrender_macros: false\n---")


def test_the_packaged_template_has_every_required_placeholder() -> None:
    """What a team's template may not drop, the packaged one has (declared once)."""
    used = set(PLACEHOLDER.findall(load_template()))
    assert set(REQUIRED_PLACEHOLDERS) <= used
    assert {"incident_id", "timeline_rows", "impact_rows", "resolution_details"} <= set(
        REQUIRED_PLACEHOLDERS
    )


@pytest.mark.parametrize("name", REQUIRED_PLACEHOLDERS)
def test_a_template_that_drops_a_required_placeholder_is_refused(tmp_path, name: str) -> None:
    """Reading a team's org file whose template lacks `{{ name }}` fails naming the template
    and the placeholder (no ticket without an incident id, a timeline, ...)."""
    template = tmp_path / "TEMPLATE.md"
    template.write_text(re.sub(r"\{\{ " + name + r" \}\}", "-", load_template()), "utf-8")
    (tmp_path / "org.toml").write_text('template = "TEMPLATE.md"\n', "utf-8")
    with pytest.raises(DataFileError) as err:
        load_org(tmp_path / "org.toml")
    assert err.value.file == str(template) and err.value.key == "{{ " + name + " }}"
    assert "needs" in str(err.value)


def test_a_template_with_an_unknown_placeholder_is_refused_when_read(tmp_path) -> None:
    """A typo in a team's template stops at load_org, not mid-incident at the first ticket."""
    template = tmp_path / "TEMPLATE.md"
    template.write_text(load_template().replace("{{ channel }}", "{{ chanel }}"), "utf-8")
    (tmp_path / "org.toml").write_text('template = "TEMPLATE.md"\n', "utf-8")
    with pytest.raises(DataFileError) as err:
        load_org(tmp_path / "org.toml")
    assert err.value.key == "{{ chanel }}" and "channel" in err.value.expected


def test_a_team_s_template_may_add_sections_and_reword(tmp_path) -> None:
    """Adding a section with literal rows and rewording a heading is accepted, and every
    format draws the added section."""
    text = load_template().replace("## Timeline", "## What happened, in order") + (
        "\n## Customer communication\n\n| Channel | Done |\n| --- | --- |\n| Status page | No |\n"
    )
    check_template(text, "team.md")
    org = parse_org("", "org.toml", packaged_org())
    for fmt in FORMATS:
        ticket = render_ticket(replay("rollback-succeeded"), org, template=text, format=fmt)
        assert "Customer communication" in ticket and "What happened, in order" in ticket
        assert "Status page" in ticket

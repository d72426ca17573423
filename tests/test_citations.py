"""Every runbook section the state table cites says what it is cited for: each citing action and
guard names words of that section (`cites`), and they are found in the section's text on the
runbook page, located by its heading's anchor."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

from runbook_core.rules import load_runbook
from runbook_core.table import TABLE_FILE, load_table, parse_table
from runbook_core.transitions import GUARDS

ROOT = Path(__file__).resolve().parent.parent


def _plain(markdown: str) -> str:
    """The words a reader sees: no links' targets, emphasis, code marks or line breaks."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*`]", "", text)
    return " ".join(text.split())


def section_text(section: str) -> str:
    """The section's heading and body on its page, up to the next heading of its level or above."""
    sec = load_runbook().sections[section]
    lines = (ROOT / "docs" / sec.page).read_text("utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if re.search(rf"\{{ #{sec.anchor} \}}\s*$", line)]
    assert len(starts) == 1, f"{sec.page}: one heading with {{ #{sec.anchor} }}"
    start = starts[0]
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if (m := re.match(r"(#+) ", lines[i])) and len(m.group(1)) <= level
        ),
        len(lines),
    )
    return _plain("\n".join(lines[start:end]).replace(f"{{ #{sec.anchor} }}", ""))


CITING = [
    pytest.param(a.section, a.cites, id=f"action-{a.type}")
    for a in load_table().actions.values()
    if a.section
] + [
    pytest.param(g.section, g.cites, id=f"guard-{g.id}")
    for g in load_table().guards.values()
    if g.section
]


@pytest.mark.parametrize(("section", "cites"), CITING)
def test_cited_section_says_it(section: str, cites: str) -> None:
    """The words a citation claims are in the cited section, not only somewhere on the page."""
    assert cites.strip(), "a citation names the words of the section that say it"
    assert _plain(cites) in section_text(section)


def test_section_text_is_bounded() -> None:
    """The section finder stops at the next heading: 3.1's words are not found in 3.2's text
    (else the test above could not fail)."""
    assert "default IC" in section_text("3.1")
    assert "default IC" not in section_text("3.2")
    assert "escalate immediately" in section_text("5")
    assert "escalate immediately" not in section_text("3.3")


@pytest.mark.parametrize(
    "kind", ["acknowledge_escalation", "reopen", "add_follow_up", "change_ic", "correct_summary"]
)
def test_silent_runbook_is_said(kind: str) -> None:
    """Actions the runbook does not describe say so instead of citing a section."""
    assert load_table().actions[kind].section is None


def test_guard_messages_cite_the_table() -> None:
    """Guards that cite a section in their messages take it from the table: changing the table's
    section changes the message."""
    from runbook_core import transitions
    from runbook_core.record import Record

    refusal = GUARDS["has_ic"](Record(), "2026-11-28T14:00:00Z")
    assert refusal is not None
    assert f"runbook {load_table().guards['has_ic'].section})" in refusal.message
    assert transitions._see("escalation_recorded") == "runbook section 5"


def _table_with(old: str, new: str) -> str:
    text = files("runbook_core").joinpath(TABLE_FILE).read_text("utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'section = "3.1"\ncites = "The first',
            'section = "9.9"\ncites = "The first',
            "actions[0].section",
        ),
        ('cites = "The first person to notice the issue should post"\n', "", "actions[0].cites"),
        (
            'type = "reopen"\ntitle = "Reopen the incident"\nsection = "not in the runbook"\n',
            'type = "reopen"\ntitle = "Reopen the incident"\n',
            "actions[14].section",
        ),
        (
            'type = "reopen"\ntitle = "Reopen the incident"\nsection = "not in the runbook"\n',
            'type = "reopen"\ntitle = "Reopen the incident"\nsection = "not in the runbook"\n'
            'cites = "Resolve"\n',
            "actions[14].cites",
        ),
    ],
    ids=["unknown-section", "section-without-cites", "no-section", "silent-with-cites"],
)
def test_loader_refuses_bad_citations(old: str, new: str, expected: str) -> None:
    """An unknown section, a section without its words, a missing section or words for a silent
    runbook are refused when the table is loaded, naming the key."""
    from runbook_core.errors import DataFileError

    with pytest.raises(DataFileError) as info:
        parse_table(_table_with(old, new))
    assert expected in str(info.value)


def test_declaration_without_a_declarer_does_not_name_the_ic() -> None:
    """3.1: the first person to notice declares, before any IC is established; a declaration
    with no declarer says so rather than "by the IC"."""
    from runbook_core.actions import apply
    from runbook_core.messages import declaration_message
    from runbook_core.record import Record

    now = "2026-11-28T14:00:00Z"
    record = apply(Record(), {"type": "declare", "summary": "checkout fails"}, now)
    message = declaration_message(record)
    assert "by the IC" not in message
    assert "first person to notice" in message
    assert "first person to notice" in section_text("3.1")
    named = apply(Record(), {"type": "declare", "summary": "x", "by": "Ana"}, now)
    assert "by Ana" in declaration_message(named)

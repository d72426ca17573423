"""The post-mortem draft: filled from every example record in each format, its facts checked
against the record itself (read here as plain JSON, not through the code that draws the draft):
times, durations, attempts, deviation reasons, follow-ups, messages; nothing invented, a missing
time says so; hostile text never changes the draft's structure in any format."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from hypothesis import given, settings

from runbook_core import DataFileError, Record, load_org, record_from_json, widget
from runbook_core.cli import main
from runbook_core.config import packaged_org, parse_org
from runbook_core.formats import FORMATS
from runbook_core.outputs import words
from runbook_core.postmortem import load_postmortem_template, render_postmortem
from tests.golden import postmortem_path
from tests.helpers import EXAMPLES, ROOT, SKELETONS, with_plain_text
from tests.strategies import HOSTILE, incidents
from tests.test_ticket import BENIGN, HOSTILE_IDS, _live, _same_story

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
ORG = load_org()
NOT_RECORDED = words("postmortem")["not_recorded"]


def _data(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))


def _draft(name: str, fmt: str) -> str:
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    return render_postmortem(record, ORG, format=fmt)


def _human(iso: str) -> str:
    return f"{iso[:10]} {iso[11:19]} UTC"


def _minutes(start: str, end: str) -> str:
    """Whole minutes between two ISO times, as the ticket writes them ("1 h 02 min", "7 min")."""
    seconds = (
        datetime.fromisoformat(end.replace("Z", "+00:00"))
        - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()
    hours, minutes = divmod(int(seconds // 60), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _section(markdown: str, heading: str) -> str:
    """The body of one "## heading" section of a markdown draft."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert found, heading
    return found.group(1)


def _rows(section: str) -> list[list[str]]:
    """The body rows of the section's first table, as cells."""
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def _row(markdown: str, label: str) -> list[str]:
    (row,) = [line for line in markdown.splitlines() if line.startswith(f"| {label} |")]
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_the_generator_fills_the_docs_page_template_itself() -> None:
    """runbook_core's template is the docs page (a link, not a copy), and in the docs' nav."""
    page = ROOT / "docs" / "runbook" / "POSTMORTEM_TEMPLATE.md"
    if page.exists():  # the source tree; inside Pyodide only the wheel is installed
        assert load_postmortem_template() == page.read_text("utf-8")
        assert "runbook/POSTMORTEM_TEMPLATE.md" in (ROOT / "mkdocs.yml").read_text("utf-8")


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", NAMES)
def test_every_placeholder_is_filled_and_people_s_places_are_marked(name: str, fmt: str) -> None:
    draft = _draft(name, fmt)
    assert "{{" not in draft and "}}" not in draft
    for heading in ("Contributing factors", "What went well", "What did not go well"):
        assert heading in draft
    assert draft.count("To write:") == 3


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", NAMES)
def test_draft_matches_golden(name: str, fmt: str) -> None:
    """Byte for byte (`make golden`); the facts in it are checked by the tests around this."""
    assert _draft(name, fmt) == postmortem_path(name, fmt).read_text("utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_key_times_and_durations_come_from_the_record(name: str) -> None:
    """Each milestone is the record's time, or "not recorded"; each duration is computed here
    from the record's times; never a time the record does not have."""
    data, md = _data(name), _draft(name, "markdown")
    restored = next(
        (m["ended_at"] for m in data["mitigations"] if m["outcome"] == "succeeded"), None
    )
    resolved = data["resolution"]["at"] if data["resolution"] else None
    milestones = {
        "Impact started": data["impact_started_at"],
        "Detected": data["detected_at"],
        "Declared": data["declared_at"],
        "Mitigation decided": data["decision"]["at"] if data["decision"] else None,
        "Mitigated (service restored)": restored,
        "Resolved": resolved,
    }
    for label, at in milestones.items():
        assert _row(md, label)[1] == (_human(at) if at else NOT_RECORDED), label
    lengths = {
        "Time to declare": (data["detected_at"], data["declared_at"]),
        "Time to mitigate": (data["declared_at"], restored),
        "Time to resolve": (data["declared_at"], resolved),
    }
    for label, (start, end) in lengths.items():
        assert _row(md, label)[3] == (_minutes(start, end) if start and end else NOT_RECORDED)
    # Every time the draft shows is one of the record's.
    times = set(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", md))
    recorded = set(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", json.dumps(data)))
    assert times <= {_human(t) for t in recorded}


@pytest.mark.parametrize("name", NAMES)
def test_every_mitigation_attempt_with_its_outcome_and_duration(name: str) -> None:
    data, md = _data(name), _draft(name, "markdown")
    rows = _rows(_section(md, "Mitigation attempts"))
    assert len(rows) == len(data["mitigations"]) > 0
    for i, (row, m) in enumerate(zip(rows, data["mitigations"], strict=True), start=1):
        assert row[0] == str(i) and row[1] == _human(m["started_at"])
        assert row[2] == {"roll_back": "Roll back", "fix_forward": "Fix forward"}[m["action"]]
        assert row[3].lower().startswith(m["outcome"])
        assert row[4] == _human(m["ended_at"]) and row[5] == _minutes(
            m["started_at"], m["ended_at"]
        )
    text = _draft(name, "text")
    for m in data["mitigations"]:
        assert _flat(m["notes"]) in text


@pytest.mark.parametrize("name", NAMES)
def test_the_decision_the_runbook_s_recommendation_and_any_deviation(name: str) -> None:
    data, text = _data(name), _draft(name, "text")
    decision = data["decision"]
    assert (
        f"Decision: {'Roll back' if decision['action'] == 'roll_back' else 'Fix forward'}" in text
    )
    assert "Runbook recommendation: Roll back (the runbook's default)" in text
    permitted = "permitted" if decision["fix_forward_permitted"] else "not permitted"
    assert f"Fix forward: {permitted}, on the answers" in text
    if decision["deviation_reason"]:
        assert f"Deviation from the runbook: {_flat(decision['deviation_reason'])}" in text
    else:
        assert "Deviation from the runbook: None" in text
    logged = [e for e in data["timeline"] if e["kind"] == "decision"]
    for e in logged:
        assert f"{_human(e['at'])}: {_flat(e['event'])}" in text


def test_the_deviation_example_carries_its_reason() -> None:
    """fix-forward-refused-deviation: the IC's own reason, word for word."""
    reason = _data("fix-forward-refused-deviation")["decision"]["deviation_reason"]
    assert reason and _flat(reason) in _draft("fix-forward-refused-deviation", "text")


@pytest.mark.parametrize("name", NAMES)
def test_escalations_messages_and_follow_ups(name: str) -> None:
    data, md, text = _data(name), _draft(name, "markdown"), _draft(name, "text")
    escalations = _rows(_section(md, "Escalations"))
    assert len(escalations) == max(1, len(data["escalations"]))  # "none yet" row when none
    for e in data["escalations"]:
        assert e["to"] in text and _human(e["at"]) in text
        if e["acknowledged_at"]:
            assert f"{_human(e['acknowledged_at'])} by {e['acknowledged_by']}" in text
    messages = _rows(_section(md, "Messages posted"))
    assert len(messages) == len(data["communications"])
    for c in data["communications"]:
        assert f"{_human(c['at'])} | " in text and _flat(c["message"]) in text
    follow_ups = _rows(_section(md, "Follow-ups"))
    assert len(follow_ups) == max(1, len(data["follow_ups"]))
    for f in data["follow_ups"]:
        assert f"{_flat(f['text'])}: {f['owner'] or words('postmortem')['no_owner']}" in text


@pytest.mark.parametrize("name", NAMES)
def test_impact_responders_and_data_loss(name: str) -> None:
    data, text = _data(name), _draft(name, "text")
    assert f"Declared by: {data['declared_by']}" in text
    assert f"On-call engineer: {data['oncall']}" in text
    assert f"Incident Commander (at the end): {data['ic']}" in text
    assert f"Responders: {', '.join(data['responders'])}" in text
    lost = {"yes": "Yes", "no": "No", "unknown": "Not known yet"}[data["resolution"]["data_lost"]]
    assert f"Data lost or corrupted (at resolution): {lost}" in text
    for change in data["ic_changes"]:
        assert f"{_human(change['at'])} | {change['to']} | {_flat(change['reason'])}" in text
    start = data["impact_started_at"] or data["detected_at"]
    restored = next(m["ended_at"] for m in data["mitigations"] if m["outcome"] == "succeeded")
    assert f"Duration of impact: {_minutes(start, restored)}" in text
    if not data["impact_started_at"]:
        assert "(from detection; the impact's start is not recorded)" in text


def test_an_open_incident_says_what_is_not_recorded_yet() -> None:
    """Declared only: no decision, no mitigation, no resolution; nothing made up."""
    from runbook_core import apply

    record = apply(
        Record(), {"type": "declare", "summary": "Slow", "by": "Ana"}, "2026-11-28T10:00:00Z"
    )
    text = render_postmortem(record, ORG, format="text")
    said = words("postmortem")
    assert f"Resolved: {NOT_RECORDED}" in text
    declared = "declared: 2026-11-28 10:00:00 UTC"
    assert f"Time to resolve | {declared} | resolved: {NOT_RECORDED} | {NOT_RECORDED}" in text
    assert said["not_resolved"] in text and f"Decision: {said['not_decided']}" in text


# ----------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("text", HOSTILE, ids=[f"{i}-{h}" for i, h in enumerate(HOSTILE_IDS)])
def test_hostile_text_never_changes_the_structure_or_injects_markup(text: str, fmt: str) -> None:
    """The same skeleton as the same incident told in plain words, and no markup character the
    format acts on that the plain draft does not have."""
    hostile = render_postmortem(_same_story(text), ORG, format=fmt)
    plain = render_postmortem(_same_story(BENIGN), ORG, format=fmt)
    assert SKELETONS[fmt](hostile) == SKELETONS[fmt](plain)
    assert sorted(_live(hostile, fmt)) == sorted(_live(plain, fmt))
    if fmt == "markdown":
        lowered = hostile.lower()
        assert "<script" not in lowered and "<img" not in lowered and "<!--" not in lowered


@settings(max_examples=20)
@given(incidents())
def test_random_incidents_keep_the_structure_of_their_plain_twin(record: Record) -> None:
    twin = with_plain_text(record)
    for fmt, skeleton in SKELETONS.items():
        assert skeleton(render_postmortem(record, ORG, format=fmt)) == skeleton(
            render_postmortem(twin, ORG, format=fmt)
        )


# ------------------------------------------------------------- a team's own template


def test_a_team_can_replace_the_template_through_the_org_file(tmp_path) -> None:
    (tmp_path / "pm.md").write_text("# PM {{ incident_id }}\n\n{{ mitigation_rows_x }}\n", "utf-8")
    (tmp_path / "org.toml").write_text('postmortem_template = "pm.md"\n', "utf-8")
    org = parse_org(
        (tmp_path / "org.toml").read_text("utf-8"), str(tmp_path / "org.toml"), packaged_org()
    )
    with pytest.raises(DataFileError, match="mitigation_rows_x"):
        render_postmortem(record_from_json((EXAMPLES / "fix-forward.json").read_text()), org)
    columns = "| a | b | c | d | e | f | g |\n" + "| --- " * 7 + "|\n"
    team = "# PM {{ incident_id }}\n\n## Attempts\n\n" + columns + "{{ mitigation_rows }}\n"
    (tmp_path / "pm.md").write_text(team, "utf-8")
    org = parse_org(
        (tmp_path / "org.toml").read_text("utf-8"), str(tmp_path / "org2.toml"), packaged_org()
    )
    load_postmortem_template.cache_clear()
    draft = render_postmortem(record_from_json((EXAMPLES / "fix-forward.json").read_text()), org)
    assert draft.startswith("# PM INC-") and "Attempts" in draft and "Contributing" not in draft


def test_a_missing_team_template_is_named_when_the_org_file_is_read(tmp_path) -> None:
    with pytest.raises(DataFileError, match="postmortem_template"):
        parse_org('postmortem_template = "nope.md"\n', str(tmp_path / "org.toml"), packaged_org())


# --------------------------------------------------------------------- CLI and bridge


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_cli_prints_the_draft(capsys, fmt: str) -> None:
    state = str(EXAMPLES / "rollback-failed-escalated.json")
    assert main(["postmortem", "--state", state, "--format", fmt]) == 0
    assert capsys.readouterr().out == _draft("rollback-failed-escalated", fmt)


def test_cli_writes_the_draft_to_a_file(tmp_path) -> None:
    out = tmp_path / "pm.md"
    state = str(EXAMPLES / "rollback-succeeded.json")
    assert main(["postmortem", "--state", state, "-o", str(out)]) == 0
    assert out.read_text("utf-8") == _draft("rollback-succeeded", "markdown")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_bridge_postmortem(fmt: str) -> None:
    text = (EXAMPLES / "impact-unknown.json").read_text("utf-8")
    reply = json.loads(widget.postmortem(text, fmt))
    assert reply == {
        "ok": True,
        "error": None,
        "format": fmt,
        "text": _draft("impact-unknown", fmt),
        # What the page's Download names the file: the ID, and the format's extension.
        "filename": f"{json.loads(text)['incident_id']}-postmortem."
        + {"markdown": "md", "jira": "txt", "text": "txt"}[fmt],
    }
    bad = json.loads(widget.postmortem(text, "html"))
    assert not bad["ok"] and bad["error"]["field"] == "format"
    broken = json.loads(widget.postmortem("{", fmt))
    assert not broken["ok"] and "not valid JSON" in broken["error"]["message"]

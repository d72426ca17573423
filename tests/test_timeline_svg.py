"""The incident as a picture: for every example the SVG parses as XML, has one bar per
mitigation attempt (coloured and patterned by its outcome, in time order), one marker per
escalation, decision and message posted, a title and a description; hostile text stays text."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings

from runbook_core import Record, apply, record_from_json, widget
from runbook_core.cli import main
from runbook_core.timeline_svg import render_svg
from tests.helpers import EXAMPLES, GOLDEN
from tests.strategies import HOSTILE, incidents
from tests.test_ticket import HOSTILE_IDS, _same_story

NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
NS = {"svg": "http://www.w3.org/2000/svg"}
# Every element the picture is made of: anything else (a <script>, a <foreignObject>) is injected.
ELEMENTS = set("svg title desc style defs pattern rect line circle g text path".split())


def _data(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))


def _svg(name: str) -> ET.Element:
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    return ET.fromstring(render_svg(record))


def _groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{{{NS['svg']}}}g") if cls in g.get("class", "").split()]


def _x(iso: str) -> float:
    return float(re.sub(r"\D", "", iso))  # monotonic in time: enough to compare orders


@pytest.mark.parametrize("name", NAMES)
def test_svg_matches_golden(name: str) -> None:
    """Byte for byte (`make golden`); what it draws is checked by the tests below."""
    record = record_from_json((EXAMPLES / f"{name}.json").read_text("utf-8"))
    assert render_svg(record) == (GOLDEN / f"{name}.timeline.svg").read_text("utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_one_bar_per_mitigation_attempt_in_time_order_by_outcome(name: str) -> None:
    data, root = _data(name), _svg(name)
    attempts = _groups(root, "attempt")
    assert len(attempts) == len(data["mitigations"])
    assert [g.get("data-outcome") for g in attempts] == [m["outcome"] for m in data["mitigations"]]
    xs = [float(g.find("svg:rect", NS).get("x")) for g in attempts]
    starts = [m["started_at"] for m in data["mitigations"]]
    assert sorted(range(len(xs)), key=xs.__getitem__) == sorted(
        range(len(starts)), key=lambda i: _x(starts[i])
    )
    for g, m in zip(attempts, data["mitigations"], strict=True):
        rect = g.find("svg:rect", NS)
        pattern = {"succeeded": None, "failed": "url(#tl-failed)", "pending": "url(#tl-pending)"}
        assert rect.get("fill") == pattern[m["outcome"]]  # the pattern, besides the colour
        assert float(rect.get("width")) > 0
        assert m["started_at"][11:16] in g.find("svg:title", NS).text


@pytest.mark.parametrize("name", NAMES)
def test_one_marker_per_escalation_decision_and_message(name: str) -> None:
    data, root = _data(name), _svg(name)
    assert len(_groups(root, "escalation-marker")) == len(data["escalations"])
    decisions = [e for e in data["timeline"] if e["kind"] == "decision"]
    assert len(_groups(root, "decision-marker")) == len(decisions)
    assert len(_groups(root, "message-marker")) == len(data["communications"])
    for g, e in zip(_groups(root, "escalation-marker"), data["escalations"], strict=True):
        assert e["to"] in g.find("svg:title", NS).text


@pytest.mark.parametrize("name", NAMES)
def test_title_description_phases_and_axis(name: str) -> None:
    """A title and a description for screen readers, phases as bands, the UTC axis."""
    data, root = _data(name), _svg(name)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "tl-title tl-desc"
    title, desc = root.find("svg:title", NS).text, root.find("svg:desc", NS).text
    assert data["incident_id"] in title and data["summary"] in title
    for m in data["mitigations"]:
        assert m["started_at"][11:16] in desc
    phases = [g.get("data-phase") for g in _groups(root, "phase")]
    assert phases[0] in ("not_declared", "investigating") and phases[-1] == "resolved"
    assert "mitigating" in phases
    axis = " ".join(t.text or "" for t in root.iter(f"{{{NS['svg']}}}text"))
    assert "Time (UTC), " + data["declared_at"][:10] in axis
    assert "prefers-color-scheme: dark" in root.find("svg:style", NS).text


def test_a_running_mitigation_reaches_now() -> None:
    record = record_from_json((EXAMPLES / "rollback-succeeded.json").read_text("utf-8"))
    running = record.evolve(
        resolution=None,
        mitigations=(
            record.mitigations[0].__class__(record.mitigations[0].started_at, "roll_back"),
        ),
    )
    root = ET.fromstring(render_svg(running, now="2026-11-28T23:59:00Z"))
    (bar,) = _groups(root, "attempt")
    assert bar.get("data-outcome") == "pending"
    rect = bar.find("svg:rect", NS)
    assert float(rect.get("x")) + float(rect.get("width")) > 800  # to the right end: now


def _inert(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, whatever the text
    for element in root.iter():
        assert element.tag.split("}")[1] in ELEMENTS
        assert not any(a.lower().startswith("on") for a in element.attrib)
    assert "<script" not in svg.lower()
    return root


@pytest.mark.parametrize("text", HOSTILE, ids=[f"{i}-{h}" for i, h in enumerate(HOSTILE_IDS)])
def test_hostile_text_stays_text(text: str) -> None:
    record = _same_story(text)
    root = _inert(render_svg(record))
    title = " ".join(root.find("svg:title", NS).text.split())
    # The text itself, read back from the XML: controls (not XML) are spaces, nothing else moved.
    summary = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]", " ", record.summary)
    assert " ".join(summary.split()) in title


@settings(max_examples=25)
@given(incidents())
def test_any_incident_draws_well_formed_and_inert(record: Record) -> None:
    root = _inert(render_svg(record, now="2026-11-28T23:00:00Z"))
    assert len(_groups(root, "attempt")) == len(record.mitigations)
    assert len(_groups(root, "escalation-marker")) == len(record.escalations)


def test_an_undeclared_record_draws_an_empty_picture() -> None:
    _inert(render_svg(Record()))
    declared = apply(
        Record(), {"type": "declare", "summary": "x", "by": "y"}, "2026-11-28T10:00:00Z"
    )
    root = _inert(render_svg(declared))
    assert [g.get("data-phase") for g in _groups(root, "phase")] == ["investigating"]


def test_cli_writes_the_svg(tmp_path) -> None:
    out = tmp_path / "t.svg"
    state = str(EXAMPLES / "rollback-failed-escalated.json")
    assert main(["timeline", "--state", state, "-o", str(out)]) == 0
    record = record_from_json((EXAMPLES / "rollback-failed-escalated.json").read_text("utf-8"))
    assert out.read_text("utf-8") == render_svg(record)


def test_bridge_timeline_svg() -> None:
    text = (EXAMPLES / "hotfix-failed-then-rollback.json").read_text("utf-8")
    reply = json.loads(widget.timeline_svg(text, "2026-11-28T23:00:00Z"))
    assert reply["ok"] and reply["error"] is None
    assert len(_groups(ET.fromstring(reply["svg"]), "attempt")) == 2
    assert reply["filename"] == f"{json.loads(text)['incident_id']}-timeline.svg"
    assert not json.loads(widget.timeline_svg("[]"))["ok"]


def _decision_x(root: ET.Element) -> float:
    (marker,) = _groups(root, "decision-marker")
    return float(marker.find("svg:path", NS).get("d").split()[1])


def test_a_decision_without_its_timeline_entry_is_drawn_inside_the_picture() -> None:
    """The decision is drawn (a marker, the decided phase) from record.decision when the record
    has no decision entry (a file edited by hand, or from another tool: the reader accepts it):
    its time is on the scale. It used to lie off the picture, and a record with no other time
    raised AttributeError, through the bridge too."""
    at = "2026-11-28T10:00:00Z"
    declared = apply(Record(), {"type": "declare", "summary": "x", "by": "y"}, at)
    decided = apply(declared, {"type": "decide", "action": "roll_back"}, "2026-11-28T10:30:00Z")
    kept = tuple(e for e in decided.timeline if e.kind != "decision")
    removed = record_from_json(decided.evolve(timeline=kept).to_json())
    root = _inert(render_svg(removed))
    assert 112 <= _decision_x(root) <= 960 - 28  # between the rows' names and the right edge
    assert [g.get("data-phase") for g in _groups(root, "phase")] == ["investigating", "decided"]
    # Only the decision has a time: drawn too, through the bridge, with no `now`.
    alone = Record(decision=removed.decision)
    root = _inert(render_svg(alone))
    assert 112 <= _decision_x(root) <= 960 - 28
    reply = json.loads(widget.timeline_svg(alone.to_json()))
    assert reply["ok"] and _groups(ET.fromstring(reply["svg"]), "decision-marker")

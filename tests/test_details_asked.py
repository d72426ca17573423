"""Issue 16.5: the incident's details are asked for where they belong (the thread link and the
detection right after the declaration, the releases at the mitigation step), each part its own
small optional form of update_details; once given, the ticket and the messages show them."""

from __future__ import annotations

import re

from runbook_core import Record, apply, load_org
from runbook_core.messages import escalation_message, previews
from runbook_core.table import load_forms
from runbook_core.ticket import render_ticket
from runbook_core.view import page_model
from tests.test_forms import render_partial

T0 = "2026-11-28T21:40:00Z"
VALUES = {
    "slack_thread": "https://example.slack.com/archives/C0/p1764366000",
    "detected_at": "21:31",
    "detected_how": "Error-rate alert on checkout",
    "release": "v2026.11.28-1",
    "rollback_target": "v2026.11.27-3",
}
PARTS = {
    "declared": {"slack_thread", "detected_at", "detected_how"},
    "release": {"release", "rollback_target"},
}


def at(minute: int) -> str:
    return f"2026-11-28T21:{40 + minute:02d}:00Z"


def test_each_part_holds_the_details_asked_for_there_and_none_is_required() -> None:
    spec = load_forms().actions["update_details"]
    for part, names in PARTS.items():
        assert {f.name for f in spec.fields if f.part == part} == names
    assert not any(f.required for f in spec.fields)
    parts = page_model()["forms"]["update_details"]["parts"]
    for part, names in PARTS.items():
        drawn = {f["name"] for block in parts[part] for row in block["rows"] for f in row}
        assert drawn == names


def _step(html: str, step: str) -> str:
    start = html.index(f'data-step="{step}"')
    end = html.find('<section class="rb-step', start + 1)
    return html[start:end]


def _details_forms(html: str) -> list[set[str]]:
    forms = re.findall(r'<form[^>]*data-form="update_details".*?</form>', html, re.S)
    return [set(re.findall(r' name="(\w+)"', f)) for f in forms]


def test_the_page_asks_for_the_thread_after_declaring_and_the_releases_when_mitigating() -> None:
    html = render_partial()
    declare = _step(html, "declare")
    assert PARTS["declared"] in _details_forms(declare)
    # After the declaration message it is posted from, before the Details panel.
    thread = declare.index('name="slack_thread"')
    assert declare.index('data-output="declaration-message"') < thread
    assert thread < declare.index("data-details-panel")
    assert PARTS["release"] in _details_forms(_step(html, "mitigate"))
    # Not asked before the incident is declared (update_details is not allowed yet): nothing
    # pushes the Declare button down on a first visit.
    for form in re.findall(r'<form[^>]*data-form="update_details"[^>]*>', html):
        assert " hidden" in form


def _declared() -> Record:
    record = apply(Record(), {"type": "declare", "summary": "Checkout 500s"}, T0)
    return apply(record, {"type": "take_command", "oncall": "Sam Okafor"}, at(1))


def test_the_details_each_part_sends_reach_the_ticket_and_the_messages() -> None:
    record = _declared()
    before = escalation_message(record, for_failure=False)
    assert "thread: not recorded" in before
    # As the page sends each small form: only its part's fields (the others stay).
    for minute, names in enumerate(PARTS.values(), start=2):
        action = {"type": "update_details", **{n: VALUES[n] for n in names}}
        record = apply(record, action, at(minute))
    ticket = render_ticket(record, load_org())
    for name in ("slack_thread", "detected_how", "release", "rollback_target"):
        assert VALUES[name] in ticket, name
    assert "21:31" in ticket
    assert f"| Release (the bad one) | {VALUES['release']} |" in ticket
    assert f"| Rolled back to | {VALUES['rollback_target']} |" in ticket
    message = escalation_message(record, for_failure=False)
    assert f"thread: {VALUES['slack_thread']}" in message
    assert "not recorded" not in message
    shown = previews(record, at(5))
    assert any(VALUES["slack_thread"] in text for text in shown.values())


def test_a_thread_link_alone_is_enough_and_a_bad_one_names_the_field() -> None:
    from runbook_core import InvalidInput

    record = apply(
        _declared(), {"type": "update_details", "slack_thread": VALUES["slack_thread"]}, at(2)
    )
    assert (
        record.slack_thread == VALUES["slack_thread"]
        and record.release is None
        or record.release == ""
    )
    try:
        apply(record, {"type": "update_details", "slack_thread": "javascript:alert(1)"}, at(3))
    except InvalidInput as exc:
        assert "slack_thread" in str(exc)
    else:
        raise AssertionError("a javascript: link was recorded")

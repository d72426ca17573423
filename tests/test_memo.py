"""What the engine keeps between calls (runbook_core.memo) and the replies of changes
(runbook_core.delta) change nothing about the results: after any sequence of actions, refreshes,
previews and changes made in another tab, the page's record and view, merged from the replies
as walkthrough/engine.js merges them, equal what the engine answers with nothing kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from runbook_core import InvalidInput, Record, actions, apply, delta, memo, ticket, widget
from runbook_core import view as view_module
from runbook_core.delta import diff, patch
from runbook_core.record import record_from_dict
from tests.strategies import actions as any_action
from tests.strategies import boundary, hostile_text, incidents, maybe, minute

ROOT = Path(__file__).resolve().parent.parent
ENGINE_JS = ROOT / "docs/assets/javascripts/walkthrough/engine.js"
# Hostile text and every boundary length of the longest fields, for every action's texts.
TEXT = st.one_of(hostile_text, boundary("short"), boundary("note"), boundary("status_text"))
TIMES = maybe(st.integers(min_value=-30, max_value=40).map(minute))
OPTIONS = {"ticket_format": "markdown", "draft_status": "", "drafts": {}}


def compact(value: Any) -> str:
    """What the page's JSON.stringify gives (key order kept, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def forget_all() -> None:
    """The engine with nothing kept: every record read whole, everything derived anew."""
    memo.forget()
    view_module._ROWS.clear()
    view_module._LAST.clear()
    ticket._escaped_row.cache_clear()
    ticket._LAST_ROWS.clear()
    ticket._ROW_LINES.clear()
    widget._VIEWS.clear()


@pytest.fixture(autouse=True)
def fixed_ids() -> Iterator[None]:
    """Declaring draws a random incident ID: fixed here, so two paths declare the same one."""
    real = actions.new_incident_id
    with mock.patch.object(actions, "new_incident_id", lambda now: real(now)[:-4] + "TEST"):
        yield


class Page:
    """The page's side of the replies of changes, as walkthrough/engine.js keeps it."""

    def __init__(self) -> None:
        self.views: dict[str, dict[str, Any]] = {}
        self.last = ""

    def call(self, method: str, record: dict[str, Any] | None, *args: Any) -> dict[str, Any]:
        options = {**args[-1], "since": self.last}
        text = None if record is None else compact(record)
        reply = json.loads(getattr(widget, method)(text, *args[:-1], json.dumps(options)))
        if "view_delta" in reply:
            assert reply["view_delta"]["base"] in self.views, "a change from a view not kept"
            reply["view"] = patch(self.views[reply["view_delta"]["base"]], reply["view_delta"])
        if "record_delta" in reply:
            assert record is not None
            reply["record"] = patch(record, reply.pop("record_delta"))
        reply.pop("view_delta", None)
        if reply.get("view_id"):
            self.views[reply["view_id"]] = reply["view"]
            self.last = reply.pop("view_id")
        return reply


def fresh(method: str, record_text: str | None, *args: Any) -> dict[str, Any]:
    forget_all()
    return dict(json.loads(getattr(widget, method)(record_text, *args[:-1], json.dumps(args[-1]))))


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal as JSON (the page parses what it gets): lists and tuples alike."""
    assert json.loads(json.dumps(got)) == json.loads(json.dumps(want))


class KeptVersusFresh(RuleBasedStateMachine):
    """Every reply through the kept path, merged, equals the reply of an engine that keeps
    nothing; the record sent is always the page's copy (its JSON, as the page sends it)."""

    def __init__(self) -> None:
        super().__init__()
        forget_all()
        self.page = Page()
        self.record: dict[str, Any] | None = None
        self.step = 0

    def now(self) -> str:
        self.step += 1
        return minute(self.step)

    def check(self, method: str, *args: Any) -> dict[str, Any]:
        text = None if self.record is None else compact(self.record)
        got = self.page.call(method, self.record, *args)
        want = fresh(method, text, *args)
        same(got, want)
        return got

    @initialize(summary=TEXT)
    def declare(self, summary: str) -> None:
        action = {"type": "declare", "summary": " ".join(summary[:500].split()) or "x"}
        reply = self.check("dispatch", json.dumps(action), self.now(), OPTIONS)
        if reply["ok"]:
            self.record = reply["record"]

    @rule(action=any_action(TEXT, TIMES), fmt=st.sampled_from(["markdown", "jira", "text"]))
    def act(self, action: dict[str, Any], fmt: str) -> None:
        options = {**OPTIONS, "ticket_format": fmt}
        reply = self.check("dispatch", json.dumps(action), self.now(), options)
        if reply["ok"]:
            self.record = reply["record"]

    @rule(draft=TEXT)
    def refresh(self, draft: str) -> None:
        """The periodic refresh (a new minute) with a status update being typed."""
        self.check("render", self.now(), {**OPTIONS, "draft_status": draft})

    @rule(text=TEXT)
    def preview(self, text: str) -> None:
        action = json.dumps({"type": "status_update", "text": text})
        record = None if self.record is None else compact(self.record)
        got = widget.preview(record, action, minute(self.step))
        forget_all()
        assert got == widget.preview(record, action, minute(self.step))

    @rule(action=any_action(TEXT, TIMES))
    def another_tab(self, action: dict[str, Any]) -> None:
        """Another tab's engine changed the stored record: this page reads it from storage."""
        if self.record is None:
            return
        try:
            other = apply(record_from_dict(self.record), action, self.now())
        except InvalidInput:  # refused there: nothing changed
            return
        self.record = json.loads(json.dumps(other.to_dict()))
        self.check("render", self.now(), OPTIONS)

    @rule()
    def written_elsewhere(self) -> None:
        """The same record in another JSON layout (an export, another version's page): read
        whole, and sent back whole (no change can be computed against text it did not write)."""
        if self.record is None:
            return
        text = json.dumps(self.record, indent=2)
        got = json.loads(widget.render(text, self.now(), json.dumps({**OPTIONS, "since": ""})))
        assert "record_delta" not in got
        same(got["record"], self.record)


TestKeptVersusFresh = KeptVersusFresh.TestCase
# Steps carry maximum-length texts: Hypothesis warns that their repr is long.
TestKeptVersusFresh.pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    )
]
TestKeptVersusFresh.settings = settings(
    # Inside Pyodide fewer: its 32-bit heap is shared with the whole suite, and 40 sequences of
    # maximum-length steps once ran it out (MemoryError). CPython runs the same code 40 times.
    max_examples=10 if sys.platform == "emscripten" else 40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def long_record(entries: int) -> dict[str, Any]:
    record = json.loads(
        widget.dispatch(None, json.dumps({"type": "declare", "summary": "Long"}), minute(0))
    )["record"]
    record["timeline"] += [
        {"at": minute(1), "event": f"note {i}", "who": "A", "kind": "note", "ref": ""}
        for i in range(entries)
    ]
    return dict(record)


def test_a_new_engine_names_its_views_anew_and_forgets_the_old_ones() -> None:
    """After started() (the worker's call once Python is up, fresh or restored from a memory
    snapshot, which holds the ids and views of the engine it was taken from): a page that names
    a view of before gets the whole view, never a change from another view of the same name,
    and the new view's id shares nothing with the old ones."""
    forget_all()
    page = Page()
    record = long_record(5)
    page.call("render", record, minute(1), OPTIONS)
    page.call("render", record, minute(2), OPTIONS)
    old = page.last
    widget.started()
    options = json.dumps({**OPTIONS, "since": old})  # what the page asks: the old view's id
    reply = json.loads(widget.render(compact(record), minute(3), options))
    assert "view_delta" not in reply, "a change from a view the new engine never answered"
    assert reply["view"] == fresh("render", compact(record), minute(3), OPTIONS)["view"]
    assert reply["view_id"] not in page.views
    assert reply["view_id"].split("-")[0] != old.split("-")[0]


def test_a_record_changed_in_another_tab_is_not_served_from_memory() -> None:
    """The engine kept record A (it answered an action on it); the page then sends B, A with
    one note's words changed by another tab (same length, same everything else): the reply
    is B's, in the record, the view's timeline and the ticket."""
    forget_all()
    page = Page()
    first = page.call(
        "dispatch",
        long_record(50),
        json.dumps({"type": "add_timeline", "event": "checked"}),
        minute(2),
        OPTIONS,
    )
    changed = json.loads(json.dumps(first["record"]))
    changed["timeline"][10]["event"] = "NOTE 9"  # was "note 9"
    assert compact(changed) != compact(first["record"])
    reply = page.call("render", changed, minute(3), OPTIONS)
    assert reply["record"] == changed
    events = [e["event"] for e in reply["view"]["timeline"]]
    assert "NOTE 9" in events and "note 9" not in events
    assert "| NOTE 9 |" in reply["view"]["ticket"] and "| note 9 |" not in reply["view"]["ticket"]
    same(reply, fresh("render", compact(changed), minute(3), OPTIONS))


@pytest.mark.parametrize("fmt", ["markdown", "jira", "text"])
def test_a_tickets_kept_rows_are_the_rows_drawn_anew(fmt: str) -> None:
    """The ticket's table rows drawn once and kept (ticket._row_lines) for a timeline that only
    grew, shrank, or changed in the middle: the ticket equals the one drawn with nothing kept,
    in every format."""
    forget_all()
    record = record_from_dict(long_record(40))
    entries = record.timeline
    for timeline in (
        entries,
        entries + entries[-3:],
        entries[:-5],
        entries[:10] + entries[11:],
        (*entries[:20], entries[0], *entries[21:]),
        entries,
    ):
        grown = record.evolve(timeline=timeline)
        kept = ticket.render_ticket(grown, format=fmt)
        forget_all()
        assert kept == ticket.render_ticket(grown, format=fmt)


def test_the_same_text_again_is_the_same_record() -> None:
    """Keyed by the exact text: a record the engine kept is reused only for that text (a
    refresh reads nothing whole again), and one character more is another record."""
    forget_all()
    text = compact(long_record(20))
    widget.render(text, minute(2), json.dumps(OPTIONS))
    with mock.patch.object(memo, "load_record_json", side_effect=AssertionError("read again")):
        widget.render(text, minute(3), json.dumps(OPTIONS))
        widget.preview(text, json.dumps({"type": "status_update", "text": "x"}), minute(3))
    with mock.patch.object(memo, "load_record_json", wraps=memo.load_record_json) as read:
        widget.render(text.replace('"note 1"', '"note 1 "'), minute(3), json.dumps(OPTIONS))
    assert read.call_count == 1


def test_an_action_reads_nothing_whole_and_the_refresh_builds_no_ticket() -> None:
    """After the first sight, an action on the record it answered reads no record whole, and
    a refresh (or a new minute) of an unchanged record renders no ticket."""
    forget_all()
    page = Page()
    reply = page.call("render", long_record(30), minute(2), OPTIONS)
    with (
        mock.patch.object(memo, "load_record_json", side_effect=AssertionError("read whole")),
        mock.patch.object(view_module, "render_ticket", wraps=view_module.render_ticket) as tk,
    ):
        for n in range(3):
            action = {"type": "add_timeline", "event": f"step {n}"}
            reply = page.call("dispatch", reply["record"], json.dumps(action), minute(3), OPTIONS)
            assert reply["ok"], reply["error"]
        assert tk.call_count == 3
        page.call("render", reply["record"], minute(4), OPTIONS)
        page.call("render", reply["record"], minute(5), {**OPTIONS, "draft_status": "typing"})
        assert tk.call_count == 3


def test_a_reply_of_changes_is_small_on_a_long_incident() -> None:
    """An added note on 1,000 entries: the reply carries the change, not the timeline three
    times (the record, the view's timeline, the ticket)."""
    forget_all()
    page = Page()
    record = long_record(1000)
    whole = widget.render(compact(record), minute(2), json.dumps(OPTIONS))
    page.call("render", record, minute(2), OPTIONS)
    options = json.dumps({**OPTIONS, "since": page.last})
    action = json.dumps({"type": "add_timeline", "event": "one more"})
    reply = widget.dispatch(compact(record), action, minute(3), options)
    assert len(reply) < 5_000 < len(whole) / 20


@given(incidents(TEXT))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_kept_json_is_the_records_own(record: Record) -> None:
    """memo.record_dict and memo.record_text equal to_dict() and its compact JSON, whatever
    records came before (the kept lists and items)."""
    for _ in range(2):
        assert memo.record_dict(record) == record.to_dict()
        assert memo.record_text(record) == compact(record.to_dict())
        record = record.evolve(timeline=record.timeline[:-1])


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)
LINES = st.lists(st.sampled_from(["a", "b", "", "| x |", "é"]), max_size=30).map("\n".join)
OBJECTS = st.dictionaries(
    st.sampled_from(["k", "timeline", "ticket", "x"]),
    st.one_of(JSONISH, st.lists(JSONISH, max_size=12), LINES.map(lambda s: s * 20)),
    max_size=4,
)


@given(OBJECTS, OBJECTS)
@settings(max_examples=200, deadline=None)
def test_patch_undoes_diff(old: dict[str, Any], new: dict[str, Any]) -> None:
    """patch(old, diff(old, new)) is new; its key order too when the keys are old's (a
    record's and a view's always are)."""
    got = patch(old, diff(old, new))
    assert json.loads(json.dumps(got)) == json.loads(json.dumps(new))
    if list(old) == list(new):
        assert list(got) == list(new)


def hunks_item_by_item(old: list[str], new: list[str], lines: bool) -> list[list[Any]]:
    """delta._hunks's rule, walked one item at a time: the reference for the one in C."""
    most = min(len(old), len(new))
    head = next((i for i in range(most) if old[i] != new[i]), most)
    tail = next((i for i in range(most - head) if old[-1 - i] != new[-1 - i]), most - head)
    old_end, new_end = len(old) - tail, len(new) - tail
    if head == old_end and head == new_end:
        return []
    if not lines:
        return [[head, old_end, new[head:new_end]]]
    where: dict[str, int] = {}
    for i in range(head, old_end):
        where[old[i]] = -1 if old[i] in where else i
    hunks: list[list[Any]] = []
    i = start_old = j = start_new = head
    while j < new_end:
        k = where.get(new[j], -1)
        if k < i:
            j += 1
            continue
        if (start_old, start_new) != (k, j):
            hunks.append([start_old, k, new[start_new:j]])
        while k < old_end and j < new_end and old[k] == new[j]:
            k, j = k + 1, j + 1
        i = start_old = k
        start_new = j
    if (start_old, start_new) != (old_end, new_end):
        hunks.append([start_old, old_end, new[start_new:new_end]])
    return hunks


ITEMS = st.lists(st.sampled_from(["a", "b", "c", "", "é"]), max_size=14)


@given(ITEMS, ITEMS, st.booleans(), st.data())
@settings(max_examples=400, deadline=None)
def test_hunks_found_in_c_are_those_walked_item_by_item(
    old: list[str], new: list[str], lines: bool, data: st.DataObject
) -> None:
    """delta._hunks (shared runs found by halving, on slices) gives exactly the hunks of its
    rule walked one item at a time; for lists and tuples alike, and for a few edits of `old`."""
    edited = list(old)
    for at, item in data.draw(st.lists(st.tuples(st.integers(0, 14), ITEMS), max_size=3)):
        edited[at : at + 1] = item
    for other in (new, edited):
        assert delta._hunks(old, other, lines) == hunks_item_by_item(old, other, lines)
        assert delta._hunks(tuple(old), other, lines) == hunks_item_by_item(old, other, lines)


@given(ITEMS.filter(bool), st.data())
@settings(max_examples=400, deadline=None)
def test_a_texts_hunks_are_those_of_its_lines(old: list[str], data: st.DataObject) -> None:
    """delta._line_hunks (the lines shared at the ends found on the texts, only the rest
    split) gives exactly _hunks of the two texts split into lines."""
    new = data.draw(st.one_of(ITEMS.filter(bool), st.just(old)))
    edited = list(new)
    for at, item in data.draw(st.lists(st.tuples(st.integers(0, 14), ITEMS), max_size=3)):
        edited[at : at + 1] = item
    before, after = "\n".join(old), "\n".join(edited)
    lines = delta._hunks(before.split("\n"), after.split("\n"), lines=True)
    assert delta._line_hunks(before, after) == lines


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")
@given(st.lists(st.tuples(OBJECTS, OBJECTS), min_size=1, max_size=8))
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_pages_patch_is_the_engines(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """walkthrough/engine.js `patch` merges a reply's changes exactly as delta.patch does."""
    cases = [[old, diff(old, new)] for old, new in pairs]
    script = (
        f"import {{ patch }} from {json.dumps(ENGINE_JS.as_uri())};\n"
        "let input = ''; process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => process.stdout.write(JSON.stringify("
        "JSON.parse(input).map(([base, delta]) => patch(base, delta)))));\n"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == [patch(old, delta) for old, delta in cases]

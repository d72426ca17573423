"""What changed since the ticket (or the post-mortem draft) was copied (issue 19.4): the mark,
the count of changes (entries added, removed, changed), the view's `copies` and its words, and
a mark the page wrote wrong."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook_core import widget
from runbook_core.copies import DIGEST_CHARS, OUTPUTS, changes_since, copy_mark
from runbook_core.outputs import words
from runbook_core.record import FollowUp, Record, TimelineEntry, record_from_json
from runbook_core.view import view

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "docs" / "examples").glob("*.json"))
NOW = "2026-11-28T23:30:00Z"
COPIES = words("copies")


def _example(name: str = "rollback-failed-escalated") -> Record:
    return record_from_json(next(p for p in EXAMPLES if p.stem == name).read_text("utf-8"))


def _entry(n: int, at: str = "2026-11-28T22:00:00Z") -> TimelineEntry:
    return TimelineEntry(at=at, event=f"Note {n}", who="Sam", kind="note")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_mark_has_one_digest_per_entry_and_no_change_against_itself(path: Path) -> None:
    record = record_from_json(path.read_text("utf-8"))
    mark = copy_mark(record)
    assert len(mark) == DIGEST_CHARS * (len(record.timeline) + len(record.follow_ups))
    assert changes_since(record, mark) == 0


@pytest.mark.parametrize("added", [1, 2, 6, 40])
def test_each_entry_added_is_one_change(added: int) -> None:
    record = _example()
    mark = copy_mark(record)
    later = record.evolve(timeline=(*record.timeline, *(_entry(n) for n in range(added))))
    assert changes_since(later, mark) == added


def test_a_correction_a_removal_and_an_addition_each_count_once() -> None:
    record = _example()
    mark = copy_mark(record)
    timeline = list(record.timeline)
    timeline[3] = replace(timeline[3], at="2026-11-28T21:41:00Z")  # a time corrected
    assert changes_since(record.evolve(timeline=tuple(timeline)), mark) == 1
    del timeline[5]  # a note removed
    assert changes_since(record.evolve(timeline=tuple(timeline)), mark) == 2
    timeline.append(_entry(99))  # and one added at the end
    assert changes_since(record.evolve(timeline=tuple(timeline)), mark) == 3


def test_a_follow_up_added_or_removed_is_a_change() -> None:
    """Follow-ups are in the ticket and no timeline entry notes them: they count too."""
    record = _example()
    mark = copy_mark(record)
    added = record.evolve(follow_ups=(*record.follow_ups, FollowUp("Add a replica check", "Sam")))
    assert changes_since(added, mark) == 1
    later = added.evolve(timeline=(*added.timeline, _entry(1)))
    assert changes_since(later, mark) == 2
    if record.follow_ups:
        assert changes_since(record.evolve(follow_ups=record.follow_ups[1:]), mark) == 1


def test_an_entry_added_then_removed_is_no_change() -> None:
    record = _example()
    mark = copy_mark(record)
    assert changes_since(record.evolve(timeline=(*record.timeline, _entry(1))), mark) == 1
    assert changes_since(record, mark) == 0


@given(st.lists(st.integers(0, 30), max_size=30), st.integers(0, 10))
def test_appends_count_exactly_whatever_the_entries(ns: list[int], added: int) -> None:
    """Identical entries (same time and words) are still counted one by one."""
    record = Record(timeline=tuple(_entry(n) for n in ns))
    mark = copy_mark(record)
    later = record.evolve(timeline=(*record.timeline, *(_entry(0) for _ in range(added))))
    assert changes_since(later, mark) == added


def test_the_view_says_when_each_output_was_copied_and_how_much_changed() -> None:
    record = _example()
    mark = copy_mark(record)
    later = record.evolve(timeline=(*record.timeline, *(_entry(n) for n in range(6))))
    copied = {
        "ticket": {"at": "2026-11-28T23:05:00Z", "mark": mark},
        "postmortem": {"at": "2026-11-28T23:10:00Z", "mark": copy_mark(later)},
    }
    out = view(later, NOW, copied=copied)["copies"]
    assert set(out) == set(OUTPUTS)
    assert out["ticket"] == {
        "at": "2026-11-28T23:05:00Z",
        "changes": 6,
        "text": COPIES["ticket"].format(time="23:05", changes=COPIES["changes"].format(count=6)),
    }
    assert out["postmortem"]["changes"] == 0
    assert out["postmortem"]["text"] == COPIES["postmortem"].format(
        time="23:10", changes=COPIES["no_change"]
    )
    one = record.evolve(timeline=(*record.timeline, _entry(1)))
    assert view(one, NOW, copied=copied)["copies"]["ticket"]["text"].endswith(
        f": {COPIES['one_change']}."
    )
    assert view(later, NOW)["copies"] == {"ticket": None, "postmortem": None}


def test_a_copy_made_another_day_says_the_date() -> None:
    record = _example()
    copied = {"ticket": {"at": "2026-11-27T23:05:00Z", "mark": copy_mark(record)}}
    text = view(record, NOW, copied=copied)["copies"]["ticket"]["text"]
    assert text.startswith(COPIES["ticket"].split("{")[0] + "2026-11-27 23:05 UTC")


@pytest.mark.parametrize(
    "entry",
    [
        "not a mark",
        {"at": "yesterday", "mark": ""},
        {"at": "2026-11-28T23:05:00Z", "mark": "abc"},  # not whole digests
        {"at": "2026-11-28T23:05:00Z", "mark": ["a"]},
        {"at": None, "mark": ""},
        {"mark": ""},
    ],
)
def test_a_mark_the_page_wrote_wrong_is_no_mark(entry: object) -> None:
    out = view(_example(), NOW, copied={"ticket": entry})["copies"]
    assert out["ticket"] is None


def test_the_bridge_passes_the_page_s_marks_and_makes_them() -> None:
    text = next(p for p in EXAMPLES if p.stem == "rollback-failed-escalated").read_text("utf-8")
    mark = widget.copy_mark(text)
    assert mark == copy_mark(record_from_json(text))
    options = json.dumps({"copied": {"ticket": {"at": "2026-11-28T23:05:00Z", "mark": mark}}})
    reply = json.loads(widget.render(text, NOW, options))
    assert reply["view"]["copies"]["ticket"]["changes"] == 0
    # Options of another shape are ignored, never an error.
    for bad in ('{"copied": []}', '{"copied": {"ticket": 5}}', "[]"):
        assert json.loads(widget.render(text, NOW, bad))["view"]["copies"]["ticket"] is None


@given(st.lists(st.sampled_from("abc"), max_size=12), st.lists(st.sampled_from("abc"), max_size=12))
def test_the_count_is_the_edit_distance(a: list[str], b: list[str]) -> None:
    """Against a distance computed independently (by recursion over the two lists)."""
    from functools import cache

    @cache
    def distance(i: int, j: int) -> int:
        if i == len(a) or j == len(b):
            return len(a) - i + len(b) - j
        if a[i] == b[j]:
            return distance(i + 1, j + 1)
        return 1 + min(distance(i + 1, j), distance(i, j + 1), distance(i + 1, j + 1))

    def record(letters: list[str]) -> Record:
        return Record(timeline=tuple(_entry(ord(c)) for c in letters))

    assert changes_since(record(b), copy_mark(record(a))) == distance(0, 0)


def test_a_long_changed_stretch_is_bounded_by_its_length() -> None:
    """Past the table's size the count is what is left of the longer stretch: never less than
    the entries added."""
    old = Record(timeline=tuple(_entry(n) for n in range(300)))
    new = Record(timeline=tuple(_entry(n + 1000) for n in range(350)))
    assert changes_since(new, copy_mark(old)) == 350

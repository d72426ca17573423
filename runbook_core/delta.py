"""A reply's changes: what the page merges into the view (or record) it already has, instead of
the whole of it again (the timeline once in the record, again in the view and again in the
ticket). The page's engine client (walkthrough/engine.js, `patch`) mirrors `patch` here.

A difference of two JSON objects is {"set": {key: new value}, "splice": {key: [[start, end,
items], ...]}, "drop": [key]}: a list (or a long text, as its lines) is sent as the runs that
changed, each replacing old[start:end] with `items`, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SPLICED_TEXT = 200  # characters: a shorter text is sent whole


def _shared(old: Sequence[Any], i: int, new: Sequence[Any], j: int, most: int) -> int:
    """How many items old[i:] and new[j:] share at their start, at most `most`: found by
    halving, comparing slices (in C; an item both share compares by identity), so a long
    timeline or ticket costs no Python step per item."""
    got, top = 0, most
    while got < top:
        mid = (got + top + 1) // 2
        if old[i + got : i + mid] == new[j + got : j + mid]:
            got = mid
        else:
            top = mid - 1
    return got


def _common(old: Sequence[Any], new: Sequence[Any]) -> tuple[int, int]:
    """How many items the two (of one type) share at their start, then at their end (not
    overlapping)."""
    most = min(len(old), len(new))
    head = _shared(old, 0, new, 0, most)
    tail = _shared(old[::-1], 0, new[::-1], 0, most - head)
    return head, tail


def _hunks(old: Sequence[Any], new: Sequence[Any], lines: bool) -> list[list[Any]]:
    """[[start, end, items], ...]: old[start:end] becomes `items`, in order. A list's items
    change in one run (an entry added, corrected, removed); a text's lines may change in
    several places (a ticket's impact table and its timeline's last row): between what the two
    share at their ends, runs of equal lines are found from lines that occur once in `old`
    (a line that repeats is sent again rather than searched for). Linear, and in C but for a
    step per changed line."""
    if type(old) is not type(new):  # a list and a tuple: their slices never compare equal
        old, new = list(old), list(new)
    head, tail = _common(old, new)
    old_end, new_end = len(old) - tail, len(new) - tail
    if head == old_end and head == new_end:
        return []
    if not lines:
        return [[head, old_end, list(new[head:new_end])]]
    # Each line's last and first place in what is left of old: once when they are the same.
    middle = old[head:old_end]
    last = dict(zip(middle, range(head, old_end), strict=True))
    first = dict(zip(middle[::-1], range(old_end - 1, head - 1, -1), strict=True))
    hunks: list[list[Any]] = []
    i = start_old = head  # old[start_old:] and new[start_new:] are not matched yet
    j = start_new = head
    while j < new_end:
        k = last.get(new[j], -1)
        if k < i or first[new[j]] != k:  # not a line that occurs once in what is left of old
            j += 1
            continue
        if (start_old, start_new) != (k, j):
            hunks.append([start_old, k, list(new[start_new:j])])
        run = _shared(old, k, new, j, min(old_end - k, new_end - j))
        i = start_old = k = k + run
        start_new = j = j + run
    if (start_old, start_new) != (old_end, new_end):
        hunks.append([start_old, old_end, list(new[start_new:new_end])])
    return hunks


def _line_hunks(old: str, new: str) -> list[list[Any]]:
    """_hunks of the two texts' lines, splitting only what lies between the lines they share
    at their ends (found on the texts, in C): a long ticket whose last row changed is not cut
    into thousands of lines twice."""
    most = min(len(old), len(new))
    same = _shared(old, 0, new, 0, most)
    start = old.rfind("\n", 0, same) + 1  # the lines before start are the same in both
    head = old.count("\n", 0, start)
    back = _shared(old[::-1], 0, new[::-1], 0, most - start)
    # The lines after the first line break in the shared end are the same in both.
    cut_old = old.find("\n", len(old) - back) if back else -1
    if cut_old == -1:
        cut_old, cut_new = len(old), len(new)
    else:
        cut_new = cut_old + len(new) - len(old)
    hunks = _hunks(old[start:cut_old].split("\n"), new[start:cut_new].split("\n"), lines=True)
    return [[a + head, b + head, items] for a, b, items in hunks]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What turns `old` into `new`: patch(old, diff(old, new)) == new, in new's key order when
    the keys are old's (a record's and a view's always are; a new key comes last)."""
    put: dict[str, Any] = {}
    spliced: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            put[key] = value
            continue
        before = old[key]
        if before is value or (type(before) is type(value) and before == value):
            continue
        if isinstance(value, str) and isinstance(before, str) and len(value) > SPLICED_TEXT:
            spliced[key] = _line_hunks(before, value)
        elif isinstance(value, list | tuple) and isinstance(before, list | tuple):
            spliced[key] = _hunks(before, value, lines=False)
        else:
            put[key] = value
    out: dict[str, Any] = {}
    if put:
        out["set"] = put
    if spliced:
        out["splice"] = spliced
    dropped = [key for key in old if key not in new]
    if dropped:
        out["drop"] = dropped
    return out


def patch(old: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """`old` with `delta` applied, as the page applies it (walkthrough/engine.js)."""
    out = dict(old)
    for key in delta.get("drop", ()):
        del out[key]
    for key, hunks in delta.get("splice", {}).items():
        before = old[key]
        items = before.split("\n") if isinstance(before, str) else before
        got: list[Any] = []
        at = 0
        for start, end, middle in hunks:
            got += [*items[at:start], *middle]
            at = end
        got += items[at:]
        out[key] = "\n".join(got) if isinstance(before, str) else got
    out.update(delta.get("set", {}))
    return out

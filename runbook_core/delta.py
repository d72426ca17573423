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


def _common(old: Sequence[Any], new: Sequence[Any]) -> tuple[int, int]:
    """How many items the two share at their start, then at their end (not overlapping)."""
    most = min(len(old), len(new))
    head = 0
    while head < most and (old[head] is new[head] or old[head] == new[head]):
        head += 1
    tail = 0
    while tail < most - head and (
        old[-1 - tail] is new[-1 - tail] or old[-1 - tail] == new[-1 - tail]
    ):
        tail += 1
    return head, tail


def _hunks(old: Sequence[Any], new: Sequence[Any], lines: bool) -> list[list[Any]]:
    """[[start, end, items], ...]: old[start:end] becomes `items`, in order. A list's items
    change in one run (an entry added, corrected, removed); a text's lines may change in
    several places (a ticket's impact table and its timeline's last row): between what the two
    share at their ends, runs of equal lines are found from lines that occur once in `old`
    (linear; a line that repeats is sent again rather than searched for)."""
    head, tail = _common(old, new)
    old_end, new_end = len(old) - tail, len(new) - tail
    if head == old_end and head == new_end:
        return []
    if not lines:
        return [[head, old_end, list(new[head:new_end])]]
    where: dict[Any, int] = {}
    for i in range(head, old_end):
        where[old[i]] = -1 if old[i] in where else i
    hunks: list[list[Any]] = []
    i = start_old = head  # old[start_old:] and new[start_new:] are not matched yet
    j = start_new = head
    while j < new_end:
        k = where.get(new[j], -1)
        if k < i:  # not a line that occurs once in what is left of old
            j += 1
            continue
        if (start_old, start_new) != (k, j):
            hunks.append([start_old, k, list(new[start_new:j])])
        while k < old_end and j < new_end and old[k] == new[j]:
            k += 1
            j += 1
        i = start_old = k
        start_new = j
    if (start_old, start_new) != (old_end, new_end):
        hunks.append([start_old, old_end, list(new[start_new:new_end])])
    return hunks


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
            spliced[key] = _hunks(before.split("\n"), value.split("\n"), lines=True)
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

"""What has changed since the ticket (or the post-mortem draft) was copied into the tracker.

When the IC copies an output, the page keeps a mark of the record as it was: one short digest
per timeline entry and per follow-up, in the record's order (every action but the follow-ups'
writes to the timeline, so the two are the record's log of changes). Later, `changes_since`
compares the record with the mark: each entry added, removed or changed (its time corrected,
its words amended) is one change. The page stores the mark beside the incident and shows the
view's sentence ("Ticket copied at 14:05 UTC: 6 changes since") until the output is copied
again.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from .errors import RecordError
from .outputs import words
from .record import Record, parse_time, utc_iso

OUTPUTS = ("ticket", "postmortem")  # the outputs whose copies the page tracks
DIGEST_CHARS = 4  # 3 bytes in base64: one change in 16 million passes for no change
MAX_CELLS = 40_000  # the distance's table: changed stretches of up to 200 entries, exactly


def _digest(*parts: str) -> str:
    raw = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=3).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _items(record: Record) -> list[str]:
    """A digest per timeline entry, then per follow-up (the one change no timeline entry
    notes), in the record's order."""
    return [_digest("t", e.at, e.event, e.who, e.kind, e.ref) for e in record.timeline] + [
        _digest("f", f.text, f.owner) for f in record.follow_ups
    ]


def copy_mark(record: Record) -> str:
    """The mark of the record as it is now: a digest per timeline entry and follow-up."""
    return "".join(_items(record))


def changes_since(record: Record, mark: str) -> int:
    """How many timeline entries and follow-ups were added, removed or changed since `mark`
    was taken."""
    old = [mark[i : i + DIGEST_CHARS] for i in range(0, len(mark), DIGEST_CHARS)]
    new = _items(record)
    # What did not move is skipped: the (quadratic) distance sees only the rest.
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return _distance(old[start : len(old) - end], new[start : len(new) - end])


def _distance(a: list[str], b: list[str]) -> int:
    """Entries added, removed or replaced to turn `a` into `b` (Levenshtein's distance); past
    MAX_CELLS, its upper bound (what is left of the longer). Not difflib: the browser's
    trimmed standard library has no difflib (sitebuild/stdlib-keep.txt)."""
    if not a or not b or len(a) * len(b) > MAX_CELLS:
        return max(len(a), len(b))
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def _when(at: str, now: str) -> str:
    """HH:MM, with the date when the copy was made on another day than `now` (both UTC)."""
    return at[11:16] if at[:10] == now[:10] else f"{at[:10]} {at[11:16]}"


def copies_view(
    record: Record, now: str, copied: Mapping[str, Any] | None
) -> dict[str, dict[str, Any] | None]:
    """For each tracked output: None when it was never copied (or the page's mark is not one),
    else {"at", "changes", "text"}."""
    texts = words("copies")
    out: dict[str, dict[str, Any] | None] = dict.fromkeys(OUTPUTS)
    for name in OUTPUTS:
        entry = (copied or {}).get(name)
        if not isinstance(entry, Mapping):
            continue
        at, mark = entry.get("at"), entry.get("mark")
        if not isinstance(at, str) or not isinstance(mark, str) or len(mark) % DIGEST_CHARS:
            continue
        try:
            at = utc_iso(parse_time(at, "copied"))
        except RecordError:  # a mark the page wrote wrong is no mark
            continue
        count = changes_since(record, mark)
        said = (
            texts["no_change"]
            if count == 0
            else texts["one_change"]
            if count == 1
            else texts["changes"].format(count=count)
        )
        out[name] = {
            "at": at,
            "changes": count,
            "text": texts[name].format(time=_when(at, now), changes=said),
        }
    return out

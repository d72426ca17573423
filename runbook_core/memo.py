"""What the engine keeps between calls, so that an action's cost does not grow with the incident.

The page's stored record stays the truth: every call brings the record's JSON text, and a
record is reused only for exactly the text it was read from (or written as). A text not seen
before (another tab's change, an import, a page load) is read and checked whole, as always.
Records are frozen, so what is derived from one record object (its ticket, its timeline rows)
never changes and is kept beside it, keyed by what else it depends on.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, TypeVar

from .record import Loaded, Record, load_record_json

T = TypeVar("T")

RECORDS_KEPT = 4  # texts: the open record, its predecessor, another tab's, a rebase's
DERIVED_KEPT = 8  # records whose derived parts are kept
ITEMS_KEPT = 100_000  # list items (timeline entries...) kept as JSON-ready dicts

# The record's fields, in order, and those that are lists of dataclasses (kept item by item).
_FIELDS = tuple(f.name for f in fields(Record))


@dataclass(frozen=True)
class Seen:
    """A record read from (or written as) `text`. `canonical`: `text` is exactly this record's
    own compact JSON (record_text), so a change can be sent as a difference from it."""

    text: str
    loaded: Loaded
    canonical: bool


_SEEN: OrderedDict[str, Seen] = OrderedDict()
_ITEMS: dict[int, tuple[Any, dict[str, Any], str]] = {}
_LISTS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], str]] = {}
_DERIVED: OrderedDict[int, tuple[Record, dict[Hashable, tuple[tuple[Any, ...], Any]]]] = (
    OrderedDict()
)


def forget() -> None:
    """Drop everything kept (tests: the path without memory)."""
    _SEEN.clear()
    _ITEMS.clear()
    _LISTS.clear()
    _DERIVED.clear()


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)


def _item(value: Any) -> tuple[Any, str]:
    """A list item as JSON-ready data and as compact JSON; a dataclass item's are kept by the
    item's identity (items are frozen, and a record an action makes shares every unchanged
    item with the one before), so a long list costs one lookup per unchanged item."""
    if not is_dataclass(value) or isinstance(value, type):
        return value, _compact(value)
    got = _ITEMS.get(id(value))
    if got is None or got[0] is not value:
        if len(_ITEMS) >= ITEMS_KEPT:
            _ITEMS.clear()
        data = asdict(value)
        got = _ITEMS[id(value)] = (value, data, _compact(data))
    return got[1], got[2]


def _list(name: str, value: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """A list field as data and JSON. The last one built for this field is kept: a list that
    only grew from it (a note added to the timeline) costs its new items (`==` on tuples
    compares shared items by identity, in C)."""
    last = _LISTS.get(name)
    if last is not None and last[0] is value:
        return last[1], last[2]
    if last is not None and 0 < len(last[0]) <= len(value) and value[: len(last[0])] == last[0]:
        more = [_item(v) for v in value[len(last[0]) :]]
        data = last[1] + tuple(d for d, _ in more)
        text = last[2][:-1] + "".join("," + t for _, t in more) + "]"
    else:
        items = [_item(v) for v in value]
        data = tuple(d for d, _ in items)
        text = "[" + ",".join(t for _, t in items) + "]"
    _LISTS[name] = (value, data, text)
    return data, text


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Parts:
    """A record as JSON-ready data (record.to_dict()) and as compact JSON text, from kept
    items: both built once per record object."""

    def __init__(self, record: Record) -> None:
        data: dict[str, Any] = {}
        texts: list[str] = []
        for name in _FIELDS:
            value = getattr(record, name)
            if isinstance(value, tuple):
                data[name], text = _list(name, value)
            else:
                plain = is_dataclass(value) and not isinstance(value, type)
                data[name] = asdict(value) if plain else value
                text = _compact(data[name])
            texts.append(_compact(name) + ":" + text)
        self.data = data
        self.text = "{" + ",".join(texts) + "}"


def record_dict(record: Record) -> dict[str, Any]:
    """record.to_dict(), built from kept parts: equal to it (tests/test_memo.py). Its dicts are
    shared between calls: read them, never change them."""
    return derived(record, "parts", (), lambda: _Parts(record)).data


def record_text(record: Record) -> str:
    """The record's compact JSON: what the page's JSON.stringify gives for the record it was
    sent (same key order, same escapes), so the page's next call finds it here."""
    return derived(record, "parts", (), lambda: _Parts(record)).text


def seen(text: str) -> Seen:
    """The record in `text`: kept if this exact text was seen; else read leniently and checked
    whole (record.load_record_json, which raises RunbookError for a bad record)."""
    got = _SEEN.get(text)
    if got is None:
        loaded = load_record_json(text)
        got = Seen(text, loaded, record_text(loaded.record) == text)
    _keep(_SEEN, text, got, RECORDS_KEPT)
    return got


def remember(loaded: Loaded) -> Seen:
    """A record made here (by an action, which checks what it changes; or read whole from an
    import): kept under its own text, which is what the page sends back next."""
    text = record_text(loaded.record)
    got = Seen(text, loaded, True)
    _keep(_SEEN, text, got, RECORDS_KEPT)
    return got


def derived(record: Record, key: Hashable, deps: tuple[Any, ...], make: Callable[[], T]) -> T:
    """What `make` derives from `record` (and from `deps`, compared by value: the org, which
    is read again at every call, and the runbook), kept while the record is among the last
    DERIVED_KEPT used."""
    slot = _DERIVED.get(id(record))
    if slot is None or slot[0] is not record:
        slot = (record, {})
    _keep(_DERIVED, id(record), slot, DERIVED_KEPT)
    got = slot[1].get(key)
    if got is not None and len(got[0]) == len(deps) and all(map(_same, got[0], deps)):
        value: T = got[1]
        return value
    value = make()
    slot[1][key] = (deps, value)
    return value


def _same(a: object, b: object) -> bool:
    return a is b or a == b

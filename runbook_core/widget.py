"""The browser walkthrough's one entry point: JSON in, JSON out.

The page's JavaScript only sends the IC's actions here (through the Pyodide worker) and draws
the view that comes back (runbook_core.view); every decision and every generated text is made by
this package, exactly as the CLI makes it. Errors come back as data ({"ok": false, "error": ...})
and never lose the record: the record returned is the one passed in.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import OrderedDict
from typing import Any

from . import __version__, copies
from .actions import apply
from .config import load_org
from .delta import diff
from .errors import InvalidInput, RunbookError
from .formats import FORMAT_NAMES, FORMATS
from .memo import Seen, record_dict, remember, seen
from .messages import ACTION_MESSAGE, compose
from .record import Loaded, Record, load_json, load_record_json
from .table import load_table
from .transitions import Values, draft_values
from .view import view


# What the first screen never needs (the handover link, the post-mortem draft, the timeline
# picture) is imported on first use, or by `later` once the page is ready: the engine's cold
# start imports only what the first render reads.
def later() -> None:
    """Import the rest of the engine (the worker calls it once the page is ready, before
    Python's memory snapshot, so that a repeat visit has it)."""
    from . import handover, postmortem, timeline_svg  # noqa: F401


# The worker's way in (engine-worker.mjs): a long text (a long incident's record) crosses from
# JavaScript as UTF-8 bytes, a Uint8Array, several times cheaper than as a string (400 KB: about
# 1 ms rather than 4, under Node); decoded here, it is the same text.
def call(method: str, *args: Any) -> str:
    """The bridge function `method` (one of BRIDGE) on `args`, each a str, None, or a text's
    UTF-8 bytes (bytes, or a JavaScript Uint8Array in Pyodide)."""
    if method not in BRIDGE:
        raise ValueError(f"unknown engine method {method}")
    function: Any = globals()[method]
    return str(function(*map(_text, args)))


def _text(arg: Any) -> Any:
    """A text's UTF-8 bytes decoded; anything else (a str, None, Pyodide's jsnull for a
    JavaScript null) as it came, as the bridge function has always received it."""
    if isinstance(arg, bytes | bytearray | memoryview):
        return bytes(arg).decode("utf-8")
    if isinstance(arg, str | int) or arg is None:
        return arg
    to_bytes = getattr(arg, "to_bytes", None)  # a JsProxy of a Uint8Array has it
    return to_bytes().decode("utf-8") if callable(to_bytes) else arg


def _error(exc: RunbookError) -> dict[str, str]:
    return {"field": getattr(exc, "field", ""), "message": str(exc)}


def _options(options_json: str | None) -> dict[str, Any]:
    """{"draft_status": text typed but not posted, "ticket_format": markdown|jira|text,
    "drafts": {action type: {field: value typed}} for the message-logging actions,
    "copied": {output: {"at", "mark"}} when the ticket / post-mortem was last copied, "since":
    the view the page holds, for a reply of changes (engine.js)}."""
    try:
        data = load_json(options_json or "{}", "options")
    except RunbookError:
        data = {}
    data = data if isinstance(data, dict) else {}
    drafts, draft = data.get("drafts"), data.get("draft_status")
    ticket_format = data.get("ticket_format")
    return {
        "drafts": {
            kind: action
            for kind, action in drafts.items()
            if kind in ACTION_MESSAGE and isinstance(action, dict)
        }
        if isinstance(drafts, dict)
        else {},
        "draft_status": draft if isinstance(draft, str) else "",
        # When the ticket / the post-mortem draft was last copied (runbook_core.copies).
        "copied": data.get("copied") if isinstance(data.get("copied"), dict) else {},
        # A str first: a list or an object is not a format (and `in` would raise on it).
        "ticket_format": ticket_format
        if isinstance(ticket_format, str) and ticket_format in FORMAT_NAMES
        else "markdown",
        # Present (a view id, or ""): the reply carries what changed (see _reply).
        "since": since if isinstance(since := data.get("since"), str) else None,
    }


def _drafts(record: Record, now: str, drafts: dict[str, Any]) -> dict[str, Values]:
    """The typed fields of each message-logging action, by message kind, read as the action reads
    them; a draft the action would refuse (too long...) previews without that action's fields."""
    out = {}
    for action, fields in drafts.items():
        try:
            out[ACTION_MESSAGE[action]] = draft_values(
                load_table().actions[action], fields, record, now
            )
        except RunbookError:
            continue
    return out


# The views last answered, by id, for replies that carry only what changed (options "since").
VIEWS_KEPT = 4
_VIEWS: OrderedDict[str, dict[str, Any]] = OrderedDict()
_VIEW_IDS = itertools.count(1)
_SESSION = os.urandom(4).hex()  # drawn again by started(): see there


def started() -> None:
    """A new engine: Python started afresh, or its memory restored from a snapshot, which holds
    what import set (engine-worker.mjs calls this after either). Its view ids are drawn anew and
    the views it kept are forgotten, so that a restarted engine's ids never name an older one's
    views, even when both were restored from the same snapshot."""
    global _SESSION
    _SESSION = os.urandom(4).hex()
    _VIEWS.clear()


def _reply(
    ok: bool,
    error: Any,
    record: Record | None,
    now: str,
    options: dict[str, Any],
    read_only: str = "",
    base: Seen | None = None,
) -> str:
    """{"ok", "error", "record", "view"}. With options "since" (the id of a view this engine
    answered, or ""): {"ok", "error", "view_id", and "record_delta" (from `base`, the record
    the page sent, when it is that record's own JSON) or "record", and "view_delta" ({"base":
    since, ...delta.diff}) or "view"}: what the page's engine client merges (engine.js)."""
    out: dict[str, Any] = {"ok": ok, "error": error, "record": None, "view": None}
    if record is None:
        return json.dumps(out, ensure_ascii=False)
    shown = view(
        record,
        now,
        options["draft_status"],
        ticket_format=options["ticket_format"],
        read_only=read_only,
        drafts=_drafts(record, now, options["drafts"]),
        copied=options["copied"],
    )
    since = options["since"]
    if since is None:
        out.update(record=record_dict(record), view=shown)
        return json.dumps(out, ensure_ascii=False)
    del out["record"], out["view"]
    if base is not None and base.canonical:
        out["record_delta"] = diff(record_dict(base.loaded.record), record_dict(record))
    else:
        out["record"] = record_dict(record)
    before = _VIEWS.get(since)
    if before is not None:
        out["view_delta"] = {"base": since, **diff(before, shown)}
    else:
        out["view"] = shown
    out["view_id"] = f"{_SESSION}-{next(_VIEW_IDS)}"
    _VIEWS[out["view_id"]] = shown
    while len(_VIEWS) > VIEWS_KEPT:
        _VIEWS.popitem(last=False)
    return json.dumps(out, ensure_ascii=False)


def _seen(record_json: str | None) -> Seen | None:
    """The record sent, as memo keeps it (read and checked whole the first time it is seen)."""
    return seen(record_json) if record_json else None


def _load(record_json: str | None) -> Loaded:
    """Leniently: a record an earlier version wrote over a limit of this one opens read-only."""
    got = _seen(record_json)
    return got.loaded if got is not None else Loaded(Record())


def dispatch(
    record_json: str | None, action_json: str, now: str, options_json: str | None = None
) -> str:
    """Apply one action; reply {"ok", "error", "record", "view"}; on a refusal, the record given."""
    options = _options(options_json)
    try:
        base = _seen(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    loaded = base.loaded if base is not None else Loaded(Record())
    record, read_only = loaded.record, loaded.read_only
    if read_only:
        error = {"field": "record", "message": read_only}
        return _reply(False, error, record, now, options, read_only, base)
    try:
        new = apply(record, load_json(action_json, "action"), now)
    except RunbookError as exc:
        return _reply(False, _error(exc), record, now, options, base=base)
    remember(Loaded(new))  # checked by the action: the page sends it back next
    return _reply(True, None, new, now, options, base=base)


def render(record_json: str | None, now: str, options_json: str | None = None) -> str:
    """The view for a saved record (page load, resume, another tab's change, a new minute)."""
    options = _options(options_json)
    try:
        base = _seen(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    loaded = base.loaded if base is not None else Loaded(Record())
    return _reply(True, None, loaded.record, now, options, loaded.read_only, base)


def import_record(
    text: str, now: str, options_json: str | None = None, local_json: str | None = None
) -> str:
    """Validate an exported record before the page offers to store it. With `local_json` (this
    browser's copy of the same incident) the reply also carries `replace`, what storing it
    would lose and gain: the rule a handover link is opened by (open_handover), one decision
    for both."""
    options = {**_options(options_json), "since": None}  # a new record: sent whole
    if not isinstance(text, str) or not text.strip():
        error = {"field": "record", "message": "the file is empty: choose an exported record"}
        return _reply(False, error, None, now, options)
    try:
        loaded = load_record_json(text)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    remember(loaded)  # read whole just now: the page's next call sends it back
    answer = _reply(True, None, loaded.record, now, options, loaded.read_only)
    if local_json is None:
        return answer
    try:
        local = _load(local_json).record
    except RunbookError:
        local = None  # an unreadable local copy: nothing of it can be compared
    from .handover import replacement

    reply = json.loads(answer)
    reply["replace"] = replacement(local, loaded.record).as_dict()
    return json.dumps(reply, ensure_ascii=False)


def preview(record_json: str | None, action_json: str, now: str) -> str:
    """The message a message-logging action ({"type": "status_update" | "escalate", fields...})
    would record if it were recorded at `now` with the fields typed so far: the same function
    its effect uses. Reply {"ok", "error", "kind", "text", "at"}; light enough to run as the IC
    types (no view, no ticket)."""
    try:
        record = _load(record_json).record
        action = load_json(action_json, "action")
        action_type = action.get("type") if isinstance(action, dict) else None
        # A str first: a list or an object is not an action type (and .get would raise on it).
        kind = ACTION_MESSAGE.get(action_type) if isinstance(action_type, str) else None
        if kind is None:
            raise InvalidInput("type", f"one of {sorted(ACTION_MESSAGE)}")
        values = draft_values(load_table().actions[action["type"]], action, record, now)
        text = compose(kind, record, values, values.get("at", now))
    except RunbookError as exc:
        return json.dumps({"ok": False, "error": _error(exc)}, ensure_ascii=False)
    at = values.get("at", now)
    return json.dumps(
        {"ok": True, "error": None, "kind": kind, "text": text, "at": at}, ensure_ascii=False
    )


def export_record(record_json: str) -> str:
    """The record as the JSON file `runbook ticket --state` reads."""
    return _load(record_json).record.to_json()


def info() -> str:
    return json.dumps({"version": __version__, "org": load_org().as_dict()})


# -------------------------------------------- handing over and looking back (issue 19)
# Pure outputs of the record for the page: the post-mortem draft, the timeline picture, the
# handover link and opening one. Each answers JSON {"ok", "error", ...}; a refusal never loses
# the record (the page keeps its own).


def _refused(exc: RunbookError, **more: Any) -> str:
    error = {**_error(exc), "kind": getattr(exc, "kind", "")}
    return json.dumps({"ok": False, "error": error, **more}, ensure_ascii=False)


def postmortem(record_json: str | None, format: str = "markdown") -> str:  # noqa: A002
    """{"ok", "error", "format", "text", "filename"}: the post-mortem draft in markdown, jira
    or text."""
    if format not in FORMAT_NAMES:
        error = {"field": "format", "message": f"format: one of {list(FORMAT_NAMES)}", "kind": ""}
        return json.dumps({"ok": False, "error": error, "format": format, "text": None})
    from .postmortem import render_postmortem

    try:
        record = _load(record_json).record
        text = render_postmortem(record, format=format)
    except RunbookError as exc:
        return _refused(exc, format=format, text=None)
    filename = f"{record.incident_id or 'incident'}-postmortem.{FORMATS[format].extension}"
    return json.dumps(
        {"ok": True, "error": None, "format": format, "text": text, "filename": filename},
        ensure_ascii=False,
    )


def timeline_svg(record_json: str | None, now: str | None = None) -> str:
    """{"ok", "error", "svg", "filename"}: the incident as an SVG document (a running
    mitigation ends at `now`)."""
    from .timeline_svg import render_svg

    try:
        record = _load(record_json).record
        svg = render_svg(record, now=now)
    except RunbookError as exc:
        return _refused(exc, svg=None)
    filename = f"{record.incident_id or 'incident'}-timeline.svg"
    return json.dumps(
        {"ok": True, "error": None, "svg": svg, "filename": filename}, ensure_ascii=False
    )


def handover_link(record_json: str | None, base: str = "") -> str:
    """{"ok", "error", "link", "length", "limit"}: the handover link for the record, after
    `base` (the walkthrough's address). Too large: error kind "too_large" (offer Export)."""
    from .handover import encode, max_link

    try:
        link = encode(_load(record_json).record, base)
    except RunbookError as exc:
        return _refused(exc, link=None, length=None, limit=max_link())
    return json.dumps(
        {"ok": True, "error": None, "link": link, "length": len(link), "limit": max_link()}
    )


def copy_mark(record_json: str | None) -> str:
    """The mark the page keeps when it copies the ticket or the post-mortem draft: the view
    then says how many changes the record has had since (runbook_core.copies)."""
    return copies.copy_mark(_load(record_json).record)


def open_handover(
    link: str, now: str, options_json: str | None = None, local_json: str | None = None
) -> str:
    """A handover link opened: {"ok", "error", "record", "view", "replace"}, like
    import_record; `replace` compares it with this browser's copy of the incident (local_json,
    if any): {"identical", "other_incident", "lost": [{"at", "event"}], "gained"}, so the page
    can ask before replacing newer work. Errors name what is wrong with the link (kind:
    not_a_link, bad_version, truncated, damaged, not_a_record) and what to do."""
    from .handover import decode, replacement

    options = _options(options_json)
    try:
        record = decode(link)
    except RunbookError as exc:
        return _refused(exc, record=None, view=None, replace=None)
    try:
        local = _load(local_json).record if local_json else None
    except RunbookError:
        local = None  # an unreadable local copy: nothing of it can be compared
    reply = json.loads(_reply(True, None, record, now, {**options, "since": None}))
    reply["replace"] = replacement(local, record).as_dict()
    return json.dumps(reply, ensure_ascii=False)


# The functions the page calls through the worker (its METHODS).
BRIDGE = frozenset(
    {
        "dispatch",
        "render",
        "preview",
        "import_record",
        "export_record",
        "info",
        "postmortem",
        "timeline_svg",
        "handover_link",
        "open_handover",
        "copy_mark",
    }
)

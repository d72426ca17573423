"""The browser walkthrough's one entry point: JSON in, JSON out.

The page's JavaScript only sends the IC's actions here (through the Pyodide worker) and draws
the view that comes back (runbook_core.view); every decision and every generated text is made by
this package, exactly as the CLI makes it. Errors come back as data ({"ok": false, "error": ...})
and never lose the record: the record returned is the one passed in.
"""

from __future__ import annotations

import json
from typing import Any

from . import __version__
from .actions import apply
from .config import load_org
from .errors import InvalidInput, RunbookError
from .formats import FORMAT_NAMES
from .messages import ACTION_MESSAGE, compose
from .record import Record, load_json, record_from_json
from .table import load_table
from .transitions import Values, draft_values
from .view import view


def _error(exc: RunbookError) -> dict[str, str]:
    return {"field": getattr(exc, "field", ""), "message": str(exc)}


def _options(options_json: str | None) -> dict[str, Any]:
    """{"draft_status": text typed but not posted, "ticket_format": markdown|jira|text,
    "drafts": {action type: {field: value typed}} for the message-logging actions}."""
    try:
        data = load_json(options_json or "{}", "options")
    except RunbookError:
        data = {}
    data = data if isinstance(data, dict) else {}
    drafts = data.get("drafts")
    return {
        "drafts": {
            kind: action
            for kind, action in drafts.items()
            if kind in ACTION_MESSAGE and isinstance(action, dict)
        }
        if isinstance(drafts, dict)
        else {},
        "draft_status": data.get("draft_status")
        if isinstance(data.get("draft_status"), str)
        else "",
        "ticket_format": data.get("ticket_format")
        if data.get("ticket_format") in FORMAT_NAMES
        else "markdown",
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


def _reply(ok: bool, error: Any, record: Record | None, now: str, options: dict[str, Any]) -> str:
    return json.dumps(
        {
            "ok": ok,
            "error": error,
            "record": record.to_dict() if record is not None else None,
            "view": view(
                record,
                now,
                options["draft_status"],
                ticket_format=options["ticket_format"],
                drafts=_drafts(record, now, options["drafts"]),
            )
            if record is not None
            else None,
        },
        ensure_ascii=False,
    )


def _load(record_json: str | None) -> Record:
    return record_from_json(record_json) if record_json else Record()


def dispatch(
    record_json: str | None, action_json: str, now: str, options_json: str | None = None
) -> str:
    """Apply one action; reply {"ok", "error", "record", "view"}; on a refusal, the record given."""
    options = _options(options_json)
    try:
        record = _load(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    try:
        new = apply(record, load_json(action_json, "action"), now)
    except RunbookError as exc:
        return _reply(False, _error(exc), record, now, options)
    return _reply(True, None, new, now, options)


def render(record_json: str | None, now: str, options_json: str | None = None) -> str:
    """The view for a saved record (page load, resume, another tab's change, a new minute)."""
    options = _options(options_json)
    try:
        record = _load(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    return _reply(True, None, record, now, options)


def import_record(text: str, now: str, options_json: str | None = None) -> str:
    """Validate an exported record before the page offers to store it."""
    options = _options(options_json)
    if not isinstance(text, str) or not text.strip():
        error = {"field": "record", "message": "the file is empty: choose an exported record"}
        return _reply(False, error, None, now, options)
    try:
        record = record_from_json(text)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    return _reply(True, None, record, now, options)


def preview(record_json: str | None, action_json: str, now: str) -> str:
    """The message a message-logging action ({"type": "status_update" | "escalate", fields...})
    would record if it were recorded at `now` with the fields typed so far: the same function
    its effect uses. Reply {"ok", "error", "kind", "text", "at"}; light enough to run as the IC
    types (no view, no ticket)."""
    try:
        record = _load(record_json)
        action = load_json(action_json, "action")
        kind = ACTION_MESSAGE.get(action.get("type")) if isinstance(action, dict) else None
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
    return _load(record_json).to_json()


def info() -> str:
    return json.dumps({"version": __version__, "org": load_org().as_dict()})

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
from .errors import RunbookError
from .formats import FORMAT_NAMES
from .record import Loaded, Record, load_json, load_record_json
from .view import view


def _error(exc: RunbookError) -> dict[str, str]:
    return {"field": getattr(exc, "field", ""), "message": str(exc)}


def _options(options_json: str | None) -> dict[str, str]:
    """{"draft_status": text typed but not posted, "ticket_format": markdown|jira|text}."""
    try:
        data = load_json(options_json or "{}", "options")
    except RunbookError:
        data = {}
    data = data if isinstance(data, dict) else {}
    return {
        "draft_status": data.get("draft_status")
        if isinstance(data.get("draft_status"), str)
        else "",
        "ticket_format": data.get("ticket_format")
        if data.get("ticket_format") in FORMAT_NAMES
        else "markdown",
    }


def _reply(
    ok: bool,
    error: Any,
    record: Record | None,
    now: str,
    options: dict[str, str],
    read_only: str = "",
) -> str:
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
                read_only=read_only,
            )
            if record is not None
            else None,
        },
        ensure_ascii=False,
    )


def _load(record_json: str | None) -> Loaded:
    """Leniently: a record an earlier version wrote over a limit of this one opens read-only."""
    return load_record_json(record_json) if record_json else Loaded(Record())


def dispatch(
    record_json: str | None, action_json: str, now: str, options_json: str | None = None
) -> str:
    """Apply one action; reply {"ok", "error", "record", "view"}; on a refusal, the record given."""
    options = _options(options_json)
    try:
        loaded = _load(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    record, read_only = loaded.record, loaded.read_only
    if read_only:
        error = {"field": "record", "message": read_only}
        return _reply(False, error, record, now, options, read_only)
    try:
        new = apply(record, load_json(action_json, "action"), now)
    except RunbookError as exc:
        return _reply(False, _error(exc), record, now, options)
    return _reply(True, None, new, now, options)


def render(record_json: str | None, now: str, options_json: str | None = None) -> str:
    """The view for a saved record (page load, resume, another tab's change, a new minute)."""
    options = _options(options_json)
    try:
        loaded = _load(record_json)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    return _reply(True, None, loaded.record, now, options, loaded.read_only)


def import_record(text: str, now: str, options_json: str | None = None) -> str:
    """Validate an exported record before the page offers to store it."""
    options = _options(options_json)
    if not isinstance(text, str) or not text.strip():
        error = {"field": "record", "message": "the file is empty: choose an exported record"}
        return _reply(False, error, None, now, options)
    try:
        loaded = load_record_json(text)
    except RunbookError as exc:
        return _reply(False, _error(exc), None, now, options)
    return _reply(True, None, loaded.record, now, options, loaded.read_only)


def export_record(record_json: str) -> str:
    """The record as the JSON file `runbook ticket --state` reads."""
    return _load(record_json).record.to_json()


def info() -> str:
    return json.dumps({"version": __version__, "org": load_org().as_dict()})

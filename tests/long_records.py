"""Long incidents made for the browser tests and the load benchmark (bench/run.py): a declared,
unresolved incident with many timeline entries, as an export of it reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from runbook_core import widget


def long_record(size: int, summary: str, who: str = "Bench") -> str:
    """A declared, unresolved incident with `size` timeline entries (the declaration and notes
    by `who` 20 s apart, the last a minute ago), as an export of it reads (JSON text)."""

    def iso(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=20 * size + 60)
    action = {"type": "declare", "summary": summary, "by": who}
    reply = json.loads(widget.dispatch(None, json.dumps(action), iso(start)))
    if not reply["ok"]:
        raise ValueError(f"could not declare a long incident: {reply['error']}")
    record = reply["record"]
    record["timeline"] += [
        {
            "at": iso(start + timedelta(seconds=20 * i)),
            "event": f"{who} note {i}: checked the error dashboards again",
            "who": who,
            "kind": "note",
            "ref": "",
        }
        for i in range(1, size)
    ]
    return json.dumps(record, indent=2)

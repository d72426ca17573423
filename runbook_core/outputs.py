"""The words of the handover link, the post-mortem draft, the walkthrough's view and the
timeline picture (data/outputs.toml), checked when read: every key present, only the
placeholders the code fills."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from . import datafile
from .rules import _Reader

OUTPUTS_FILE = "data/outputs.toml"
# Every text key of each table, with the placeholders it may use.
FIELDS: dict[str, dict[str, set[str]]] = {
    "handover": {
        "not_a_link": set(),
        "bad_version": {"found", "expected"},
        "truncated": set(),
        "damaged": set(),
        "not_a_record": {"problem"},
        "too_large": {"length", "limit"},
        "not_declared": set(),
        "identical": {"path", "incident_id"},
        "other_incident": {"path", "local_id", "incident_id"},
        "newer_local": {"path", "count", "event", "time"},
        "unreadable_local": {"path", "problem"},
        "written": {"path", "incident_id", "gained"},
    },
    "postmortem": {
        **dict.fromkeys(
            (
                "not_recorded",
                "none",
                "not_resolved",
                "not_assessed",
                "not_decided",
                "nobody",
                "in_progress",
                "not_acknowledged",
                "no_owner",
                "time_to_declare",
                "time_to_mitigate",
                "time_to_resolve",
                "impact_duration",
                "impact_start",
                "detected",
                "declared",
                "mitigated",
                "resolved",
                "permitted",
                "not_permitted",
                "deviation_label",
                "deviation_none",
                "deviation_stale",
            ),
            set(),
        ),
        "acknowledged": {"time", "who"},
        "milestone": {"what", "time"},
        "impact_from_detection": {"length"},
        "recommendation": {"action", "fix_forward", "permitted"},
        "logged_decision": {"time", "event"},
        "reason": {"text", "section"},
        "no_mitigation": {"reason"},
    },
    "walkthrough": {
        "fix_forward_permitted": {"fix_forward"},
        "fix_forward_not_permitted": {"fix_forward"},
        "major_required": set(),
        "major_escalated": set(),
        "escalations": set(),
    },
    "timeline": {
        "title": {"incident_id", "summary"},
        "description": {
            "incident_id",
            "start",
            "end",
            "phases",
            "attempts",
            "escalations",
            "messages",
        },
        "phase": {"label", "start"},
        "attempt": {"action", "outcome", "start", "end"},
        "bar": {"number", "action", "outcome"},
        "escalation_why": {"escalation", "reason"},
        "attempts": {"list"},
        "escalations": {"list"},
        "messages": {"list"},
        "escalation": {"to", "time"},
        "message": {"kind", "time"},
        "decision": {"event"},
        "axis": {"date"},
        **dict.fromkeys(
            (
                "no_attempts",
                "no_escalations",
                "no_messages",
                "empty_row",
                "now",
                "succeeded",
                "failed",
                "pending",
                "legend_decision",
                "legend_escalation",
                "legend_message",
                "rows_phases",
                "rows_mitigation",
                "rows_decisions",
                "rows_escalations",
                "rows_messages",
            ),
            set(),
        ),
    },
    "page": {
        **dict.fromkeys(
            (
                "handover_title",
                "handover_hint",
                "handover_copy",
                "handover_label",
                "handover_export",
                "cancelled",
                "postmortem_title",
                "postmortem_hint",
                "postmortem_format",
                "postmortem_copy",
                "postmortem_download",
                "postmortem_downloaded",
                "picture_title",
                "picture_download",
                "picture_downloaded",
            ),
            set(),
        ),
        "handover_copied": {"length", "limit"},
        "handover_refused": {"why"},
        "opened": {"id"},
        "identical": {"id"},
        "newer_local": {"id", "count", "event", "time"},
        "replace": {"id", "gained"},
        "link_refused": {"why"},
        "not_stored": {"why"},
    },
    "copies": {
        "ticket": {"time", "changes"},
        "postmortem": {"time", "changes"},
        "no_change": set(),
        "one_change": set(),
        "changes": {"count"},
    },
}
# Whole numbers: name -> (smallest, largest) accepted.
NUMBERS = {"handover": {"max_link": (2_000, 1_000_000)}}


def parse_outputs(text: str, source: str = OUTPUTS_FILE) -> dict[str, dict[str, str | int]]:
    r = _Reader(source)
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise r.fail("(file)", f"valid TOML ({exc})") from None
    r.only(raw, set(FIELDS), "")
    out: dict[str, dict[str, str | int]] = {}
    for name, keys in FIELDS.items():
        table = r.table(r.get(raw, name, ""), name)
        numbers = NUMBERS.get(name, {})
        r.only(table, set(keys) | set(numbers), name)
        words: dict[str, str | int] = {}
        for key, allowed in keys.items():
            words[key] = r.placeholders(r.text(table, key, name), allowed, f"{name}.{key}")
        for key, (low, high) in numbers.items():
            value = r.get(table, key, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise r.fail(f"{name}.{key}", f"a whole number from {low} to {high}")
            words[key] = value
        out[name] = words
    return out


@cache
def load_outputs() -> dict[str, dict[str, str | int]]:
    return parse_outputs(files("runbook_core").joinpath(OUTPUTS_FILE).read_text("utf-8"))


def words(table: str) -> dict[str, str]:
    """The texts of one table (numbers left out)."""
    return {k: v for k, v in load_outputs()[table].items() if isinstance(v, str)}

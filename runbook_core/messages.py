"""The Slack messages: declaration, status update, IC handover, escalation, resolution.

Each is a pure function of the record, the moment it is for, and the organisation's words; the
texts are data/messages.toml. A message is previewed for the current time and, when the IC logs it
as posted, recorded as it was at that time (record.communications).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib.resources import files

from . import datafile
from .config import OrgConfig, load_org
from .derive import (
    duration,
    escalation_required,
    hhmm,
    impact_summary,
    last_mitigation,
    latest_failed_rollback,
    status,
)
from .errors import DataFileError
from .limits import clip, load_limits
from .record import Record, parse_time, utc_iso
from .rules import load_runbook
from .table import load_table

MESSAGES_FILE = "data/messages.toml"
# Which placeholders each message may use; checked when the file is loaded.
FIELDS = {
    "declaration": {"summary", "incident_id", "time", "declared_by"},
    "status_update": {
        "incident_id",
        "time",
        "summary",
        "status",
        "ic",
        "impact",
        "text",
        "next_update",
    },
    "escalation": {
        "mention",
        "incident_id",
        "summary",
        "failure",
        "impact",
        "doing",
        "ic",
        "declared",
        "thread",
    },
    "escalation_other": {
        "mention",
        "incident_id",
        "summary",
        "impact",
        "doing",
        "ic",
        "declared",
        "thread",
    },
    "handover": {"incident_id", "time", "ic", "previous", "summary", "why"},
    "resolution": {
        "incident_id",
        "time",
        "summary",
        "mitigation",
        "duration",
        "data_loss",
        "details",
        "ic",
    },
}
# Mentions free text must not trigger: @channel/@here/@everyone, Slack's <!...>, <@...>, <#...>
# and <url|text> links. A word joiner (U+2060) keeps the text readable and inert.
_BROADCAST = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
_SLACK_MARKUP = re.compile(r"<(?=[!@#]|[a-z][a-z0-9+.-]*:)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
WORD_JOINER = "\u2060"
# Where the organisation's own mention goes while a message is escaped for Slack's API: free text
# can never contain it (safe() removes private-use characters), so only the intended mention
# survives unescaped.
MENTION = "\ue000"
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


def slack_escape(text: str) -> str:
    """Slack's text rules for the API (chat.postMessage): &, < and > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Messages:
    declaration: str
    status_update: str
    escalation: str
    escalation_other: str
    handover: str
    resolution: str
    data_loss: dict[str, str]


def parse_messages(text: str, source: str = MESSAGES_FILE) -> Messages:
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise DataFileError(source, "(file)", f"valid TOML ({exc})") from None
    for key in raw:
        if key not in FIELDS and key != "data_loss":
            raise DataFileError(source, key, f"one of the messages {sorted(FIELDS)} or data_loss")
    for key, allowed in FIELDS.items():
        template = raw.get(key)
        if not isinstance(template, str) or not template.strip():
            raise DataFileError(source, key, "a non-empty string")
        try:
            used = {
                name for _, name, _, _ in string.Formatter().parse(template) if name is not None
            }
        except ValueError as exc:
            raise DataFileError(source, key, f"balanced {{placeholders}} ({exc})") from None
        if not used <= allowed:
            raise DataFileError(
                source, key, f"placeholders from {sorted(allowed)}, not {sorted(used - allowed)}"
            )
        if "incident_id" in allowed and "incident_id" not in used:
            raise DataFileError(
                source, key, "the {incident_id} placeholder: every message names it"
            )
    words = raw.get("data_loss")
    needed = set(load_table().values("data_lost"))
    if not isinstance(words, dict) or set(words) != needed:
        raise DataFileError(source, "data_loss", f"a table with exactly the keys {sorted(needed)}")
    for key, value in words.items():
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(source, f"data_loss.{key}", "a non-empty string")
    return Messages(**raw)


@cache
def load_messages() -> Messages:
    return parse_messages(files("runbook_core").joinpath(MESSAGES_FILE).read_text("utf-8"))


def safe(text: str) -> str:
    """Free text for a Slack message: no control characters, no accidental mentions."""
    text = _PRIVATE_USE.sub("", _CONTROL.sub(" ", text))
    text = _BROADCAST.sub("@" + WORD_JOINER, text)
    return _SLACK_MARKUP.sub("<" + WORD_JOINER, text)


def one_line(text: str) -> str:
    return " ".join(safe(text).split())


# The declaration's first line before the engine starts (issue 16.4): the page puts the summary
# between `before` and `after` only when `pattern` matches it, i.e. when the engine would record
# and quote it unchanged (no control, private-use or whitespace other than single inner spaces,
# no "<" or "@" that safe() may make inert, at most the summary's limit); otherwise it waits.
_SLOT = "SUMMARYSLOT"


def _plain_ranges() -> list[tuple[int, int]]:
    """Code points one_line() keeps as they are, one by one, as ranges (tests check each)."""
    chars = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    changed = set(_CONTROL.findall(chars)) | set(_PRIVATE_USE.findall(chars)) | set("<@")
    changed |= {chr(c) for c in range(0x3100) if chr(c).isspace()}  # none above U+3000
    ranges: list[tuple[int, int]] = []
    start = 0
    for code in sorted([ord(c) for c in changed] + list(range(0xD800, 0xE000))) + [0x110000]:
        if code > start:
            ranges.append((start, code - 1))
        start = code + 1
    return ranges


@cache
def early_declaration() -> dict[str, str]:
    """The page's data for it: `pattern` is one regular expression over code points (JavaScript
    with the "u" flag; Python reads the same with early_pattern())."""
    line = declaration_message(Record(summary=_SLOT)).split("\n")[0]
    before, slot, after = line.partition(_SLOT)
    if not slot or _SLOT in after:
        raise DataFileError(MESSAGES_FILE, "declaration", "one {summary} on its first line")
    cls = "".join(
        f"\\u{{{lo:x}}}" if lo == hi else f"\\u{{{lo:x}}}-\\u{{{hi:x}}}"
        for lo, hi in _plain_ranges()
    )
    most = load_limits().chars("summary")
    pattern = f"^(?=[\\s\\S]{{1,{most}}}$)[{cls}]+(?: [{cls}]+)*$"
    return {"before": before, "after": after, "pattern": pattern, "flags": "u"}


def early_pattern() -> re.Pattern[str]:
    """early_declaration()'s pattern as Python reads it (\\u{...} is JavaScript's spelling)."""
    source = re.sub(
        r"\\u\{([0-9a-f]+)\}", lambda m: f"\\U{int(m[1], 16):08x}", early_declaration()["pattern"]
    )
    # Python's $ also matches before a final line break; JavaScript's (no "m" flag) does not.
    return re.compile(source.replace("$", r"\Z"))


def _common(record: Record) -> dict[str, str]:
    # Every field is made inert, the ID too: the loader checks its pattern, and this does not
    # rely on it.
    return {
        "incident_id": one_line(record.incident_id) or "(no ID yet)",
        "summary": one_line(record.summary) or "[Brief summary of the issue]",
        "ic": one_line(record.ic) or "not assigned",
    }


def declaration_message(record: Record) -> str:
    """Runbook 3.1: 🚨 INCIDENT DECLARED: [Brief summary of the issue] 🚨, then the ID."""
    return load_messages().declaration.format(
        summary=_common(record)["summary"],
        incident_id=_common(record)["incident_id"],
        time=hhmm(record.declared_at),
        # 3.1: whoever noticed it first declares (the IC is established after).
        declared_by=one_line(record.declared_by) or "the first person to notice",
    )


def status_message(record: Record, text: str, now: str, org: OrgConfig | None = None) -> str:
    org = org or load_org()
    # Every update says when the next one comes: one interval from this one.
    due = utc_iso(parse_time(now) + timedelta(minutes=org.status_update_interval_minutes))
    return load_messages().status_update.format(
        **_common(record),
        time=hhmm(now),
        status=status(record),
        impact=impact_summary(record),
        text=safe(text).strip() or "(no details)",
        next_update=hhmm(due),
    )


def doing_now(record: Record) -> str:
    """What is being done, in words, when the IC did not say."""
    last = last_mitigation(record)
    labels = load_runbook().action_labels
    if last is not None and last.outcome == "pending":
        return f"{labels[last.action]} in progress since {hhmm(last.started_at)} UTC."
    return "Deciding the next step; we need your help."


def escalation_message(
    record: Record,
    org: OrgConfig | None = None,
    doing: str = "",
    for_failure: bool | None = None,
    api: bool = False,
    to: str = "",
) -> str:
    """The escalation message: for the latest failed rollback (section 5), or another one. It
    addresses `to` when the IC escalates to someone other than the organisation's contact. With
    `api`, escaped for Slack's API with the organisation's mention kept as a mention."""
    org = org or load_org()
    failed = latest_failed_rollback(record)
    if for_failure is None:
        for_failure = failed is not None
    to = one_line(to)
    values = {
        **_common(record),
        "mention": MENTION if not to or to == one_line(org.escalation_contact) else to,
        "impact": impact_summary(record),
        "doing": one_line(doing) or doing_now(record),
        "declared": hhmm(record.declared_at),
        "thread": one_line(record.slack_thread) or "not recorded",
    }
    if not for_failure or failed is None:
        text = load_messages().escalation_other.format(**values)
    else:
        # At most `quote` characters of the notes: the escalation is read at a glance; the
        # record keeps them whole (the mitigation, the escalation's reason, the ticket).
        notes = clip(one_line(record.mitigations[failed].notes))
        failure = f"the rollback at {hhmm(record.mitigations[failed].started_at)} UTC"
        text = load_messages().escalation.format(
            **values, failure=f"{failure}: {notes}" if notes else f"{failure} (no notes recorded)"
        )
    return (slack_escape(text) if api else text).replace(MENTION, org.mention())


def handover_message(record: Record, now: str | None = None) -> str:
    change = record.ic_changes[-1] if record.ic_changes else None
    previous = record.ic_changes[-2].to if len(record.ic_changes) > 1 else ""
    return load_messages().handover.format(
        **_common(record),
        time=hhmm(change.at if change else now),
        previous=one_line(previous) or "nobody",
        why=one_line(change.reason) if change else "",
    )


def resolution_message(record: Record) -> str:
    res = record.resolution
    labels = load_runbook().action_labels
    done = [m for m in record.mitigations if m.outcome == "succeeded"]
    if done:
        mitigation = labels[done[-1].action]
    elif res and res.without_mitigation:
        mitigation = f"none: {one_line(res.without_mitigation)}"
    else:
        mitigation = "none recorded"
    messages = load_messages()
    return messages.resolution.format(
        **_common(record),
        time=hhmm(res.at if res else None),
        mitigation=mitigation,
        duration=duration(record.declared_at, res.at if res else None),
        data_loss=messages.data_loss[res.data_lost] if res else "Not yet determined.",
        # The record keeps the details whole (the resolution, the ticket); the message quotes
        # at most `quote` characters of them.
        details=clip(safe(res.details)) if res else "(resolution details)",
    )


def message_for(
    kind: str,
    record: Record,
    now: str,
    org: OrgConfig | None = None,
    text: str = "",
    api: bool = False,
) -> str:
    """The message of this kind for the record at `now` (what a preview shows, what is logged);
    with `api`, escaped for Slack's API."""
    org = org or load_org()
    if kind == "escalation":
        return escalation_message(record, org, doing=text, api=api)
    if kind == "declaration":
        message = declaration_message(record)
    elif kind == "status_update":
        message = status_message(record, text, now, org)
    elif kind == "handover":
        message = handover_message(record, now)
    elif kind == "resolution":
        message = resolution_message(record)
    else:
        raise ValueError(kind)
    return slack_escape(message) if api else message


# The message each message-logging action records, and the action's fields that go into it.
ACTION_MESSAGE = {"status_update": "status_update", "escalate": "escalation"}
MESSAGE_FIELDS = {"status_update": ("text",), "escalation": ("to", "doing")}


def compose(
    kind: str,
    record: Record,
    values: Mapping[str, object],
    at: str,
    org: OrgConfig | None = None,
    api: bool = False,
) -> str:
    """The message of this kind that an action with these (checked) field values, recorded at
    `at`, logs as posted: what the action's effect records, what the page previews as the IC
    types and what the IC copies are this one function."""
    org = org or load_org()

    def field(name: str) -> str:
        value = values.get(name, "")
        return value if isinstance(value, str) else ""

    if kind == "escalation":
        return escalation_message(
            record,
            org,
            doing=field("doing"),
            for_failure=escalation_required(record),
            api=api,
            to=field("to"),
        )
    return message_for(kind, record, at, org, field("text"), api)


def available(record: Record) -> list[str]:
    """The kinds of message that exist for this record now."""
    if not record.declared_at:
        return []
    kinds = ["declaration"]
    if not record.resolution:
        kinds += ["status_update", "escalation"]
    if len(record.ic_changes) > 1:
        kinds.append("handover")
    if record.resolution:
        kinds.append("resolution")
    return kinds


def previews(
    record: Record,
    now: str,
    draft_status: str = "",
    org: OrgConfig | None = None,
    api: bool = False,
    drafts: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, str]:
    """The messages that exist for this record now, by kind, computed for `now` with the field
    values typed but not recorded yet (`drafts`, by kind; `draft_status`: the status text)."""
    org = org or load_org()
    drafts = {"status_update": {"text": draft_status}, **(drafts or {})}
    return {
        kind: compose(kind, record, drafts.get(kind, {}), now, org, api)
        for kind in available(record)
    }


def all_messages(
    record: Record,
    draft_status: str = "",
    now: str | None = None,
    org: OrgConfig | None = None,
    api: bool = False,
) -> dict[str, str]:
    """Every message for the record, keyed by the page's data-output names (kind-message)."""
    now = now or (record.timeline[-1].at if record.timeline else record.declared_at)
    if not now:
        return {}
    return {
        f"{kind}-message": text
        for kind, text in previews(record, now, draft_status, org, api).items()
    }

"""The view model: what the walkthrough shows for a record at a moment, including which actions
are allowed now and why not. One function from (record, now, config) to plain data; the page
draws it and holds no rule of its own. `recommendation_view` is its finite part (a pure function
of the answers), which the site also computes at build time for every answer combination.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from .config import OrgConfig, load_org
from .copies import copies_view
from .decide import recommend, relevant_fix_forward_questions, section_title
from .derive import (
    asked,
    asked_for,
    before_declaration,
    decision_stale,
    escalation_required,
    major_incident,
    message_due,
    next_mitigation,
    next_update_due,
    next_update_soon,
    phase,
    severity,
    status,
)
from .formats import FORMAT_NAMES, FORMATS
from .limits import load_limits
from .memo import derived
from .messages import early_declaration, previews
from .outputs import words as output_words
from .record import Impact, Record, TimelineEntry
from .rules import Runbook, load_runbook
from .table import FormSpec, load_forms, load_table
from .ticket import render_ticket
from .transitions import allowed_now, mitigation_follows_decision

# Where the widget page sits in the docs, for links to runbook sections.
WIDGET_PAGE = "walkthrough.md"
# Messages the IC logs with log_message; status updates and escalations have their own actions.
LOGGED_BY_LOG_MESSAGE = ("declaration", "handover", "resolution")


def recommendation_view(
    answers: Mapping[str, str | None], runbook: Runbook | None = None, org: OrgConfig | None = None
) -> dict[str, Any]:
    """The recommendation, its reasons (with links), whether fix forward is permitted, the
    impact class and which fix-forward questions to ask: a function of the answers only."""
    runbook = runbook or load_runbook()
    rec = recommend(answers, runbook)
    reasons = []
    for reason in rec.reasons:
        section = runbook.sections.get(reason.section) if reason.section else None
        reasons.append(
            {
                "section": reason.section,
                "title": section_title(runbook, reason.section),
                "text": reason.text,
                "href": section.href(WIDGET_PAGE) if section else None,
            }
        )
    said = output_words("walkthrough")
    permitted = (
        "fix_forward_permitted" if rec.fix_forward_permitted else "fix_forward_not_permitted"
    )
    return {
        "action": rec.action,
        "label": runbook.action_labels[rec.action],
        "fix_forward_permitted": rec.fix_forward_permitted,
        # The sentence under the recommendation (data/outputs.toml [walkthrough]).
        "fix_forward_text": said[permitted].format(
            fix_forward=runbook.action_labels["fix_forward"]
        ),
        "reasons": reasons,
        # The one section every reason cites, when they all cite the same: said once, after
        # them, not after each (issue 16.6). None when they cite several (each cites its own).
        "cite_once": _cite_once(reasons),
        "severity": severity(Record(impact=_impact(answers, runbook)), runbook, org),
        "ask_fix_forward": list(relevant_fix_forward_questions(answers, runbook)),
        # The questions shown for these answers (derive.asked), in the runbook's order.
        "asked": [q.id for q in runbook.questions if q.id in asked_for(answers, runbook)],
        # Choosing fix forward needs a written reason unless the runbook permits it.
        "reason_needed": {"roll_back": False, "fix_forward": not rec.fix_forward_permitted},
    }


def _cite_once(reasons: list[dict[str, Any]]) -> dict[str, Any] | None:
    sections = {r["section"] for r in reasons}
    if len(reasons) < 2 or len(sections) != 1:
        return None
    first = reasons[0]
    return {"section": first["section"], "title": first["title"], "href": first["href"]}


def _impact(answers: Mapping[str, str | None], runbook: Runbook) -> Impact:
    return Impact(**{q.id: answers.get(q.id) for q in runbook.group("impact")})


def answer_key(answers: Mapping[str, str | None], runbook: Runbook | None = None) -> str:
    """A stable key for a combination of answers ("-" for unanswered), in question order."""
    runbook = runbook or load_runbook()
    return "|".join(answers.get(q.id) or "-" for q in runbook.questions)


def recommendation_table(
    runbook: Runbook | None = None, org: OrgConfig | None = None
) -> dict[str, dict[str, Any]]:
    """recommendation_view for every combination of answers, unanswered included, by
    answer_key: what the page shows before its engine is ready."""
    runbook = runbook or load_runbook()
    ids = [q.id for q in runbook.questions]
    table = {}
    for combo in itertools.product(*((None, *q.values) for q in runbook.questions)):
        answers = dict(zip(ids, combo, strict=True))
        table[answer_key(answers, runbook)] = recommendation_view(answers, runbook, org)
    return table


def decision_table(runbook: Runbook | None = None, org: OrgConfig | None = None) -> dict[str, Any]:
    """recommendation_table, compact, for shipping with the page: the distinct views, and for
    every combination of answers (in `questions` order, each question's values preceded by
    null, the last question varying fastest) the index of its view."""
    runbook = runbook or load_runbook()
    views: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    index = []
    for view_ in recommendation_table(runbook, org).values():
        key = json.dumps(view_, sort_keys=True)
        if key not in seen:
            seen[key] = len(views)
            views.append(view_)
        index.append(seen[key])
    # Each answer's offset into `index` (an unanswered question adds 0): the page adds up the
    # offsets of the answers chosen and reads views[index[sum]], with no ordering of its own.
    offsets: dict[str, dict[str, int]] = {}
    stride = 1
    for q in reversed(runbook.questions):
        offsets[q.id] = {v: (n + 1) * stride for n, v in enumerate(q.values)}
        stride *= len(q.values) + 1
    return {
        "questions": [q.id for q in runbook.questions],
        "values": [[None, *q.values] for q in runbook.questions],
        "offsets": offsets,
        "views": views,
        "index": index,
    }


def _steps_done(record: Record, runbook: Runbook) -> dict[str, bool]:
    return {
        "declare": bool(record.declared_at),
        "command": bool(record.ic),
        "impact": all(getattr(record.impact, q.id) is not None for q in runbook.group("impact")),
        "decide": record.decision is not None and not decision_stale(record),
        "mitigate": any(m.outcome == "succeeded" for m in record.mitigations),
        "communicate": any(c.kind == "status_update" for c in record.communications),
        "resolve": record.resolution is not None,
        "ticket": record.resolution is not None,
    }


# Timeline rows by (entry, index, declared time): all a row depends on, so a long timeline's
# unchanged rows are looked up, not rebuilt (entries are frozen).
_ROWS: dict[tuple[int, int, str | None], tuple[TimelineEntry, dict[str, Any]]] = {}


# The last timeline drawn: (its entries, the declared time, its rows in order, the latest
# time). A timeline that only grew, by entries at or after that time, keeps its rows' order.
_LAST: list[tuple[tuple[TimelineEntry, ...], str | None, list[dict[str, Any]], str]] = []


def _timeline(record: Record) -> list[dict[str, Any]]:
    entries = record.timeline
    if _LAST:
        before, declared, rows, latest = _LAST[0]
        more = entries[len(before) :]
        ats = [e.at for e in more]
        if (
            declared == record.declared_at
            and entries[: len(before)] == before
            and all(latest <= at for at in ats)
            and ats == sorted(ats)
        ):
            out = rows + _rows(record, range(len(before), len(entries)))
            _LAST[0] = (entries, declared, out, max([latest, *ats]))
            return out
    order = sorted(range(len(entries)), key=[e.at for e in entries].__getitem__)
    out = _rows(record, order)
    _LAST[:] = [(entries, record.declared_at, out, max((e.at for e in entries), default=""))]
    return out


def _rows(record: Record, order: Iterable[int]) -> list[dict[str, Any]]:
    """The rows of these entries (by index), in this order."""
    if len(_ROWS) > 100_000:
        _ROWS.clear()
    out = []
    for i in order:
        e = record.timeline[i]
        kept = _ROWS.get((id(e), i, record.declared_at))
        if kept is not None and kept[0] is e:
            row = kept[1]
        else:
            row = {
                "index": i,
                "at": e.at,
                "event": e.event,
                "who": e.who,
                "kind": e.kind,
                "derived": e.kind != "note" or bool(e.ref),
                "before_declaration": before_declaration(record, e.at),
            }
            _ROWS[id(e), i, record.declared_at] = (e, row)
        out.append(row)
    return out


def _messages(
    record: Record,
    now: str,
    draft_status: str,
    org: OrgConfig,
    drafts: Mapping[str, Mapping[str, Any]] | None = None,
    log_allowed: bool = True,
) -> list[dict[str, Any]]:
    """`log_allowed`: whether log_message is allowed now; a message is `loggable` when it is
    also due (the page offers to log it only then)."""
    table = load_table()
    out = []
    for kind, text in previews(record, now, draft_status, org, drafts=drafts).items():
        logged = [c.at for c in record.communications if c.kind == kind]
        due = message_due(record, kind) if kind in LOGGED_BY_LOG_MESSAGE else False
        out.append(
            {
                "kind": kind,
                "label": table.label("message_kind", kind),
                "text": text,
                "at": now,  # the moment it is computed for: logged at this time, it is this text
                "due": due,
                "loggable": log_allowed and due,
                "last_logged_at": max(logged) if logged else None,
            }
        )
    return out


def view(
    record: Record,
    now: str,
    draft_status: str = "",
    org: OrgConfig | None = None,
    ticket_format: str = "markdown",
    read_only: str = "",
    drafts: Mapping[str, Mapping[str, Any]] | None = None,
    copied: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the page shows for this record at this moment. `read_only` (why, and what to
    do) when the record breaks a limit of this version (record.Loaded): every action is then
    refused with it, and the ticket, the messages and export still work. `drafts`: by message
    kind, the field values typed but not recorded yet (see widget.preview). `copied`: by output
    (ticket, postmortem), the page's mark of when it was last copied (runbook_core.copies)."""
    org = org or load_org()
    runbook = load_runbook()
    table = load_table()
    done = _steps_done(record, runbook)
    current = next((s.id for s in runbook.steps if not done[s.id]), "ticket")
    answers = record.answers()
    rec = recommendation_view(answers, runbook, org)
    decision = record.decision
    last = record.mitigations[-1] if record.mitigations else None
    upcoming = next_mitigation(record)
    due = next_update_due(record, org)
    fmt = FORMATS.get(ticket_format, FORMATS["markdown"])
    shown = asked(record, runbook)
    actions = _refuse_all(read_only) if read_only else allowed_now(record, now)
    messages = _messages(
        record, now, draft_status, org, drafts, log_allowed=actions["log_message"]["allowed"]
    )
    return {
        "declared": bool(record.declared_at),
        "incident_id": record.incident_id,
        "summary": record.summary,
        "ic": record.ic,
        "phase": phase(record),
        "status": status(record),
        "severity": severity(record, runbook, org),
        "current_step": current,
        "steps": [{"id": s.id, "title": s.title, "done": done[s.id]} for s in runbook.steps],
        "answers": answers,
        "asked": [q.id for q in runbook.questions if q.id in shown],
        "recommendation": rec,
        "decision": None
        if decision is None
        else {
            "at": decision.at,
            "action": decision.action,
            "label": runbook.action_labels[decision.action],
            "fix_forward_permitted": decision.fix_forward_permitted,
            "deviation_reason": decision.deviation_reason,
            "stale": decision_stale(record),
        },
        "reason_needed": rec["reason_needed"],
        "mitigation": {
            "pending": last is not None and last.outcome == "pending",
            "current": None
            if last is None or last.outcome != "pending"
            else {
                "action": last.action,
                "label": runbook.action_labels[last.action],
                "started_at": last.started_at,
            },
            "next_action": upcoming,
            # Starting the next one needs a written reason (a hotfix against the default).
            "next_needs_reason": mitigation_follows_decision(record, {"action": upcoming}, now)
            is not None,
            "history": [
                {
                    "action": m.action,
                    "label": runbook.action_labels[m.action],
                    "outcome": m.outcome,
                    "started_at": m.started_at,
                    "ended_at": m.ended_at,
                    "notes": m.notes,
                }
                for m in record.mitigations
                if m.outcome != "pending"
            ],
            "succeeded": any(m.outcome == "succeeded" for m in record.mitigations),
        },
        "major_incident": major_incident(record),
        "escalation": {
            "required": escalation_required(record),
            # The major-incident box's title (data/outputs.toml [walkthrough]).
            "title": output_words("walkthrough")[
                "major_required"
                if escalation_required(record)
                else "major_escalated"
                if major_incident(record)
                else "escalations"
            ],
            "records": [
                {
                    "at": e.at,
                    "to": e.to,
                    "acknowledged_at": e.acknowledged_at,
                    "acknowledged_by": e.acknowledged_by,
                }
                for e in record.escalations
            ],
        },
        "resolved": record.resolution is not None,
        "resolution": None
        if record.resolution is None
        else {
            "at": record.resolution.at,
            "details": record.resolution.details,
            "data_lost": record.resolution.data_lost,
        },
        "next_update_due": due,
        # From this time the next update is due soon (the page marks it before it is overdue).
        "next_update_soon": next_update_soon(record, org),
        "messages": messages,
        "communications": [
            {"at": c.at, "kind": c.kind, "label": table.label("message_kind", c.kind)}
            for c in sorted(record.communications, key=lambda c: c.at)
        ],
        "follow_ups": [
            {"index": i, "text": f.text, "owner": f.owner} for i, f in enumerate(record.follow_ups)
        ],
        "details": {
            "release": record.release,
            "rollback_target": record.rollback_target,
            "slack_thread": record.slack_thread,
            "detected_how": record.detected_how,
            "detected_at": record.detected_at,
            "impact_started_at": record.impact_started_at,
            "services": list(record.services),
            "responders": list(record.responders),
        },
        # Both depend on the record alone (and the org): kept beside it (memo.derived), so a
        # refresh or a preview at a new minute does not rebuild them.
        "timeline": derived(record, "timeline", (), lambda: _timeline(record)),
        "read_only": read_only,
        "actions": actions,
        "ticket": derived(
            record,
            ("ticket", fmt.name),
            (org, runbook),
            lambda: render_ticket(record, org, runbook, format=fmt.name),
        ),
        "ticket_format": fmt.name,
        "ticket_filename": f"{record.incident_id or 'incident'}.{fmt.extension}",
        # What an announcement (data/forms.toml announce) says: its {name}s, and its case.
        "announce": {
            "values": {
                "incident_id": record.incident_id or "",
                "recommendation": rec["label"],
                "decision": runbook.action_labels[decision.action] if decision else "",
                "next_update_due": due[11:16] if due else "",
                "status": status(record),
            },
            "cases": {
                "permitted": rec["fix_forward_permitted"],
                "not_permitted": not rec["fix_forward_permitted"],
                "escalation_required": escalation_required(record),
            },
        },
        # Since the ticket / the post-mortem draft was last copied: {"at", "changes", "text"}.
        "copies": copies_view(record, now, copied),
    }


def _refuse_all(reason: str) -> dict[str, dict[str, Any]]:
    return {kind: {"allowed": False, "why_not": reason} for kind in load_table().actions}


def _form(spec: FormSpec, words: dict[str, Any], choices: dict[str, Any]) -> dict[str, Any]:
    """One action's form for the partial's form_fields macro: its fields in order, grouped into
    blocks (the hidden block a field sits in, `within`) of rows (fields side by side, `row`);
    `parts`: the same for each part of an action asked for in several places (forms.toml)."""
    action = load_table().actions[spec.action]
    parts: dict[str, list[dict[str, Any]]] = {"": []}
    for f in spec.shown():
        hook, _, value = f.within.partition("=")
        field = {
            **f.__dict__,
            "hint": f.hint.format(**words),
            "options": choices.get(action.field(f.name).of, []),
        }
        blocks = parts.setdefault(f.part, [])
        if not blocks or blocks[-1]["within"] != f.within:
            blocks.append({"within": f.within, "hook": hook, "value": value, "rows": []})
        rows = blocks[-1]["rows"]
        if rows and f.row and rows[-1][0]["row"] == f.row:
            rows[-1].append(field)
        else:
            rows.append([field])
    return {
        "page": spec.page,
        "reason": spec.reason,
        "label": spec.label,
        "blocks": parts[""],
        "parts": parts,
        "fields": [f.name for f in spec.fields],
    }


def page_model(org: OrgConfig | None = None, runbook: Runbook | None = None) -> dict[str, Any]:
    """What the walkthrough's markup is drawn from at site build time (the Jinja partial
    overrides/partials/walkthrough.html): the steps, questions, choices, limits and words, and
    the view of an empty record, so the page works, and reads right, before its engine starts."""
    org = org or load_org()
    runbook = runbook or load_runbook()
    table = load_table()

    def section(sid: str | None) -> dict[str, str] | None:
        if sid is None:
            return None
        s = runbook.sections[sid]
        return {"id": s.id, "title": s.title, "page": s.page, "anchor": s.anchor}

    def question(q: Any) -> dict[str, Any]:
        return {
            "id": q.id,
            "prompt": q.prompt,
            "group": q.group,
            "answers": [{"value": a.value, "label": a.label} for a in q.answers],
        }

    forms = load_forms()
    # Words a form's hint may name: the runbook's and the organisation's.
    words = {
        "ic_default": runbook.ic_default_reason.text,
        "ic_unavailable": runbook.ic_unavailable_reason.text,
        **org.as_dict(),
    }
    choices = {
        "actions": [{"value": a, "label": label} for a, label in runbook.action_labels.items()],
        **{
            name: [{"value": v, "label": label} for v, label in vocabulary.items()]
            for name, vocabulary in table.vocabulary.items()
        },
    }
    empty = Record()
    return {
        "steps": [
            {
                "id": s.id,
                "number": n,
                "title": s.title,
                "summary": s.summary,
                "section": section(s.section),
            }
            for n, s in enumerate(runbook.steps, start=1)
        ],
        "sections": {sid: section(sid) for sid in runbook.sections},
        "questions": {
            group: [question(q) for q in runbook.group(group)]
            for group in ("impact", "fix_forward")
        },
        "mitigations": [{"value": a, "label": label} for a, label in runbook.action_labels.items()],
        "labels": dict(runbook.action_labels),
        "vocabulary": {
            name: [{"value": v, "label": label} for v, label in words.items()]
            for name, words in table.vocabulary.items()
        },
        "limits": {
            kind: {f.name: f.max for f in spec.fields if f.max}
            for kind, spec in table.actions.items()
        },
        "org": {**org.as_dict(), "mention": org.mention()},
        "texts": {
            "ic_default": runbook.ic_default_reason.text,
            "ic_unavailable": runbook.ic_unavailable_reason.text,
            "rollback_fails": runbook.outcomes["roll_back_failed"].text.format(**org.as_dict()),
        },
        "formats": [{"value": name, "label": label} for name, label in FORMAT_NAMES.items()],
        "outputs": output_words("page"),  # the handover link's, the post-mortem's, the picture's
        "forms": {kind: _form(spec, words, choices) for kind, spec in forms.actions.items()},
        "announce": {
            "default": forms.default_announce,
            **{kind: spec.announce for kind, spec in forms.actions.items() if spec.announce},
        },
        "initial": {
            "recommendation": recommendation_view({}, runbook, org),
            "actions": allowed_now(empty, "2000-01-01T00:00:00Z"),
            "ticket": render_ticket(empty, org, runbook),
            "status": status(empty),
            "major_title": output_words("walkthrough")["major_required"],
        },
        # The page's times (data/limits.toml [minutes]), as data-* attributes.
        "minutes": dict(load_limits().minutes),
        "decisions": decision_table(runbook, org),
        # The declaration's first line for a summary, before the engine starts (issue 16.4).
        "early_declaration": early_declaration(),
    }

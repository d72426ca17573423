"""The walkthrough form as HTML, rendered at site build time from the runbook's data.

A pure function of the runbook, the organisation's words and a few URLs: the page can be read and
typed into before Python is running in the browser. It decides nothing; the controls carry the
action field names (`name`) and action types (`data-action`) that `runbook_core.widget.dispatch`
reads, and every text is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape

from .config import OrgConfig, load_org
from .decide import recommend
from .record import Record
from .rules import Question, Runbook, load_runbook
from .ticket import render_ticket
from .widget import WIDGET_PAGE


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _attrs(**attrs: object) -> str:
    """HTML attributes: True -> bare attribute, None/False -> omitted, `_` -> `-` in names."""
    out = []
    for key, value in attrs.items():
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            out.append(f" {name}")
        elif value not in (None, False):
            out.append(f' {name}="{_e(value)}"')
    return "".join(out)


def _error(form: str, field: str) -> str:
    return (
        f'<p class="rb-error" id="rb-err-{form}-{field}" data-error-for="{_e(field)}" hidden></p>'
    )


def _general_error(form: str) -> str:
    return f'<p class="rb-error" id="rb-err-{form}" data-error-general hidden></p>'


def _text(
    form: str,
    name: str,
    label: str,
    *,
    error_for: str | None = None,
    hint: str = "",
    multiline: bool = False,
    required: bool = False,
    rows: int = 3,
    placeholder: str = "",
    draft: bool = True,
    autocomplete: str = "off",
) -> str:
    """A labelled text input or textarea with its hint and its error slot."""
    field = error_for or name
    ident = f"rb-{form}-{name}"
    described = " ".join(filter(None, [f"{ident}-hint" if hint else "", f"rb-err-{form}-{field}"]))
    common = _attrs(
        id=ident,
        name=name,
        aria_describedby=described,
        required=required,
        data_draft=draft,
        placeholder=placeholder or None,
    )
    control = (
        f'<textarea{common} rows="{rows}" spellcheck="true"></textarea>'
        if multiline
        else f'<input type="text"{common}{_attrs(autocomplete=autocomplete)}>'
    )
    hint_html = f'<span class="rb-hint" id="{ident}-hint">{_e(hint)}</span>' if hint else ""
    return (
        f'<div class="rb-field"><label for="{ident}">{_e(label)}'
        f"{' <span class=rb-required>(required)</span>' if required else ''}</label>"
        f"{hint_html}{control}{_error(form, field)}</div>"
    )


def _radios(
    form: str,
    name: str,
    legend: str,
    options: Iterable[tuple[str, str]],
    *,
    draft: bool = True,
    question: Question | None = None,
    hint: str = "",
    extra: str = "",
    hidden: bool = False,
) -> str:
    """A fieldset of radios named `name`; questions dispatch `answer` as soon as one is chosen."""
    ident = f"rb-{form}-{name}"
    items = "".join(
        f'<label class="rb-choice"><input type="radio"{_attrs(name=name, value=value)}'
        f"{_attrs(data_draft=draft)}> <span>{_e(label)}</span></label>"
        for value, label in options
    )
    hint_html = f'<p class="rb-hint" id="{ident}-hint">{_e(hint)}</p>' if hint else ""
    described = " ".join(filter(None, [f"{ident}-hint" if hint else "", f"rb-err-{form}-{name}"]))
    data = _attrs(
        data_question=question.id if question else None,
        data_group=question.group if question else None,
    )
    return (
        f'<fieldset class="rb-radios"{data}{_attrs(aria_describedby=described, hidden=hidden)}>'
        f'<legend>{_e(legend)}</legend>{hint_html}<div class="rb-choices">{items}</div>'
        f"{extra}{_error(form, name)}</fieldset>"
    )


def _question(q: Question, *, hidden: bool = False) -> str:
    return _radios(
        f"q-{q.id}",
        q.id,
        q.prompt,
        ((a.value, a.label) for a in q.answers),
        draft=False,
        question=q,
        hidden=hidden,
    )


def _button(
    label: str,
    *,
    action: str | None = None,
    command: str | None = None,
    primary: bool = False,
    submit: bool = False,
    danger: bool = False,
    **attrs: object,
) -> str:
    cls = "md-button md-button--primary" if primary else "md-button"
    cls += " rb-danger" if danger else ""
    return (
        f'<button type="{"submit" if submit else "button"}" class="{cls}"'
        f"{_attrs(data_action=action, data_command=command, **attrs)}>{_e(label)}</button>"
    )


def _output(
    name: str,
    heading: str,
    text: str = "",
    *,
    hidden: bool = True,
    copy_label: str = "Copy",
    extra: str = "",
) -> str:
    """A generated text (selectable, focusable) with its Copy button."""
    return (
        f'<div class="rb-output"{_attrs(data_output_box=name, hidden=hidden)}>'
        f'<p class="rb-output-title" id="rb-out-{name}-title">{_e(heading)}</p>'
        f'<pre class="rb-text"{_attrs(data_output=name, tabindex="0")} '
        f'aria-labelledby="rb-out-{name}-title">{_e(text)}</pre>'
        f'<div class="rb-buttons">{_button(copy_label, command="copy", data_target=name)}'
        f"{extra}</div></div>"
    )


def _buttons(*buttons: str) -> str:
    return f'<div class="rb-buttons">{"".join(buttons)}</div>'


def _form(action: str, body: str, *, hidden: bool = False, label: str = "") -> str:
    attrs = _attrs(data_form=action, hidden=hidden, aria_label=label or None)
    return f'<form class="rb-form"{attrs} novalidate>{body}{_general_error(action)}</form>'


def render_walkthrough(
    *,
    pyodide_url: str,
    wheel_url: str,
    worker_url: str,
    template_url: str,
    page_urls: Mapping[str, str],
    runbook: Runbook | None = None,
    org: OrgConfig | None = None,
) -> str:
    """The widget's HTML. URLs are relative to the page the widget is on; `page_urls` maps each
    docs page the runbook cites (e.g. "ROLLBACK.md") to its URL relative to that page."""
    runbook = runbook or load_runbook()
    org = org or load_org()

    def section_link(section_id: str, text: str | None = None) -> str:
        section = runbook.sections[section_id]
        if section.page not in page_urls:
            raise ValueError(
                f"runbook section {section_id!r} cites {section.page!r}, which is "
                "not a page of this site"
            )
        href = f"{page_urls[section.page]}#{section.anchor}"
        return f'<a href="{_e(href)}">{_e(text or section.title)}</a>'

    # The view's reason links are relative to the docs file WIDGET_PAGE; the page maps them.
    links = {}
    for section in runbook.sections.values():
        if section.page in page_urls:
            links[section.href(WIDGET_PAGE).split("#")[0]] = page_urls[section.page]

    labels = runbook.action_labels
    bodies = {
        "declare": _declare(org),
        "command": _command(runbook),
        "impact": _impact(runbook),
        "decide": _decide(runbook, section_link),
        "mitigate": _mitigate(runbook, org, section_link),
        "communicate": _communicate(org),
        "resolve": _resolve(),
        "ticket": _ticket(runbook, org),
    }
    sections = []
    for number, step in enumerate(runbook.steps, start=1):
        if step.id not in bodies:
            raise ValueError(f"runbook step {step.id!r} has no form in runbook_core/form.py")
        sections.append(
            f'<section class="rb-step" data-step="{_e(step.id)}" id="step-{_e(step.id)}" '
            f'aria-labelledby="step-{_e(step.id)}-title">'
            f'<h2 class="rb-step-title" id="step-{_e(step.id)}-title">'
            f'<span class="rb-step-no" aria-hidden="true">{number}</span> {_e(step.title)}'
            f'<span class="rb-done-mark" data-done-mark hidden> (done)</span></h2>'
            f'<p class="rb-step-summary">{_e(step.summary)} '
            f'<span class="rb-cite">Runbook: {section_link(step.section)}</span></p>'
            f"{bodies[step.id]}</section>"
        )

    nav = "".join(
        f'<li><a href="#step-{_e(s.id)}" data-step-link="{_e(s.id)}">{_e(s.title)}</a></li>'
        for s in runbook.steps
    )
    root = _attrs(
        class_="rb-widget",
        data_runbook_widget=True,
        data_state="loading",
        data_pyodide=pyodide_url,
        data_wheel=wheel_url,
        data_worker=worker_url,
        data_template=template_url,
        data_links=json.dumps(links, sort_keys=True),
        data_actions=json.dumps(labels),
    )
    template_link = f'<a href="{_e(template_url)}">blank incident template</a>'
    return (
        f"<div{root}>"
        '<div class="rb-engine" data-engine-status>'
        '<span class="rb-spinner" aria-hidden="true"></span>'
        '<p class="rb-engine-text" data-engine-message>Starting the runbook engine… '
        "You can already read and fill in the form: nothing you type is lost, and anything you "
        "submit is applied as soon as the engine is ready.</p>"
        f'<p class="rb-engine-fallback" data-engine-fallback hidden>If it keeps failing, use the '
        f"{template_link} and the runbook by hand.</p></div>"
        '<div class="rb-bar" data-summary-bar>'
        '<span><span class="rb-bar-label">Incident</span> '
        '<strong data-field="incident_id">not declared</strong></span>'
        '<span><span class="rb-bar-label">Status</span> '
        '<strong data-field="status">Not declared</strong></span>'
        '<span><span class="rb-bar-label">IC</span> <strong data-field="ic">—</strong></span>'
        '<span><span class="rb-bar-label">Impact</span> '
        '<strong data-field="severity">Not assessed yet</strong></span>'
        '<span class="rb-offline" data-offline-note hidden title="This page and its engine are '
        'saved in this browser: the walkthrough works without a network.">'
        "Available offline</span>"
        '<a class="rb-due" data-due href="#step-communicate" hidden></a></div>'
        '<p class="rb-error rb-widget-error" data-widget-error role="alert" hidden></p>'
        f'<nav class="rb-steps" aria-label="Walkthrough steps"><ol>{nav}'
        '<li><a href="#rb-timeline" data-step-link="timeline">Timeline</a></li></ol></nav>'
        '<div class="rb-live" data-live role="status" aria-live="polite" aria-atomic="true"></div>'
        f"{''.join(sections)}{_timeline()}</div>"
    )


def _declare(org: OrgConfig) -> str:
    return _form(
        "declare",
        _text(
            "declare",
            "summary",
            "Brief summary of the issue",
            required=True,
            hint="One line: what is broken, for whom. It goes into the declaration "
            "message and the ticket.",
        )
        + _text(
            "declare", "by", "Your name", hint="Who is declaring (optional).", autocomplete="name"
        )
        + '<p class="rb-info" data-declared-info hidden></p>'
        + _buttons(
            _button(
                "Declare the incident",
                action="declare",
                primary=True,
                submit=True,
                data_label_again="Correct the summary",
            )
        ),
    ) + _output("declare-message", f"Post this in {org.channel}")


def _command(runbook: Runbook) -> str:
    take = _form(
        "take_command",
        _text(
            "take_command",
            "oncall",
            "On-call engineer",
            hint=runbook.ic_default_reason.text,
            autocomplete="name",
        )
        + '<div class="rb-field rb-check"><label for="rb-take_command-oncall_unavailable">'
        '<input type="checkbox" id="rb-take_command-oncall_unavailable" '
        'name="oncall_unavailable" data-draft '
        'aria-describedby="rb-err-take_command-oncall_available"> '
        "The on-call engineer is unavailable</label>"
        f"{_error('take_command', 'oncall_available')}</div>"
        '<div data-show-if="oncall_unavailable" hidden>'
        + _text(
            "take_command",
            "first_responder",
            "First engineer to respond (assumes IC)",
            hint=runbook.ic_unavailable_reason.text,
            autocomplete="name",
        )
        + "</div>"
        + _buttons(_button("Take command", action="take_command", primary=True, submit=True)),
    )
    change = _form(
        "change_ic",
        '<p class="rb-subtitle">Hand over command</p>'
        + _text("change_ic", "to", "New Incident Commander", autocomplete="name")
        + _text(
            "change_ic",
            "reason",
            "Why the handover",
            multiline=True,
            rows=2,
            hint="Recorded in the ticket and the handover message.",
        )
        + _buttons(_button("Hand over", action="change_ic", submit=True)),
        hidden=True,
        label="Hand over command",
    )
    return (
        take
        + '<p class="rb-info" data-ic-info hidden></p>'
        + change
        + _output("handover-message", "Handover message for the channel")
    )


def _impact(runbook: Runbook) -> str:
    questions = "".join(_question(q) for q in runbook.group("impact"))
    return (
        f'<div class="rb-questions">{questions}</div>'
        '<p class="rb-info">Impact class: <strong data-field="severity">Not assessed yet'
        "</strong></p>"
    )


def _decide(runbook: Runbook, section_link) -> str:
    initial = recommend({}, runbook).as_dict(runbook)
    reasons = "".join(
        f'<li>{_e(r["text"])} <span class="rb-cite">({section_link(r["section"])})</span></li>'
        for r in initial["reasons"]
    )
    labels = runbook.action_labels
    fix_forward = "".join(_question(q, hidden=True) for q in runbook.group("fix_forward"))
    options = [(a, labels[a]) for a in labels]
    decide = _form(
        "decide",
        _radios(
            "decide",
            "action",
            "Your decision",
            options,
            extra='<p class="rb-hint" data-recommended-hint hidden></p>',
        )
        + "<div data-deviation hidden>"
        + _text(
            "decide",
            "deviation_reason",
            "Why are you going against the runbook's recommendation?",
            multiline=True,
            required=True,
            hint="Kept in the record and the ticket for the post-mortem.",
        )
        + "</div>"
        + _buttons(_button("Record the decision", action="decide", primary=True, submit=True)),
    )
    return (
        '<div class="rb-recommendation" data-recommendation>'
        '<p class="rb-recommendation-title">The runbook recommends: '
        f'<strong data-field="recommendation">{_e(initial["label"])}</strong></p>'
        f'<ul class="rb-reasons" data-reasons>{reasons}</ul></div>'
        f'<div class="rb-fix-forward" data-ask-fix-forward hidden>'
        '<p class="rb-subtitle">Fix forward is possible only if all of these hold:</p>'
        f"{fix_forward}</div>"
        '<p class="rb-warning" data-decision-stale hidden>The answers changed after the '
        "decision and the runbook now recommends something else: review the decision.</p>"
        + decide
        + '<p class="rb-info" data-decision-info hidden></p>'
    )


def _mitigate(runbook: Runbook, org: OrgConfig, section_link) -> str:
    labels = {"roll_back": "Start the rollback", "fix_forward": "Start the hotfix deployment"}
    start = _form(
        "start_mitigation",
        '<div class="rb-buttons">'
        + _button(
            labels["roll_back"],
            action="start_mitigation",
            primary=True,
            submit=True,
            data_labels=json.dumps(labels),
        )
        + "</div>",
    )
    outcome = _form(
        "mitigation_outcome",
        '<p class="rb-info" data-mitigation-current></p>'
        + _radios(
            "mitigation_outcome",
            "outcome",
            "How did it go?",
            [("succeeded", "Succeeded: service is restored"), ("failed", "Failed")],
        )
        + _text(
            "mitigation_outcome",
            "notes",
            "Notes",
            multiline=True,
            rows=2,
            hint="Optional: what was done, what was seen.",
        )
        + _buttons(
            _button("Record the outcome", action="mitigation_outcome", primary=True, submit=True)
        ),
        hidden=True,
    )
    rollback_fails = runbook.outcomes["roll_back_failed"].text.format(**org.as_dict())
    banner = (
        '<div class="rb-major" data-major role="alert" hidden>'
        f'<p class="rb-major-title">Major incident: escalate now</p>'
        f"<p>{_e(rollback_fails)} {section_link('5', 'Runbook section 5')}.</p>"
        + _output(
            "escalation-message", f"Send this to the {org.escalation_contact} now", hidden=False
        )
        + "</div>"
    )
    return (
        banner
        + '<p class="rb-info">To roll back, follow the '
        + section_link("rollback", "Rollback runbook")
        + "; "
        "to fix forward, direct the hotfix deployment. Record when it starts and how it ends.</p>"
        + start
        + outcome
        + '<ul class="rb-history" data-mitigations hidden></ul>'
    )


def _communicate(org: OrgConfig) -> str:
    return (
        '<p class="rb-due rb-due-large" data-due hidden></p>'
        + _form(
            "status_update",
            _text(
                "status_update",
                "status_text",
                "What is the latest?",
                error_for="text",
                multiline=True,
                rows=3,
                hint="What you know, what is being done. The message below updates as you type.",
            )
            + _output("status-message", f"Status update for {org.channel}", hidden=False)
            + f'<p class="rb-hint">Copy it, post it in {_e(org.channel)}, then log it here: '
            "the next update is due "
            f"{org.status_update_interval_minutes} minutes later.</p>"
            + _buttons(_button("Post update", action="status_update", primary=True, submit=True)),
        )
        + '<p class="rb-info" data-updates-info hidden></p>'
    )


def _resolve() -> str:
    return _form(
        "resolve",
        _text(
            "resolve",
            "details",
            "Resolution details",
            multiline=True,
            rows=3,
            required=True,
            hint="What fixed it and the state of the system now.",
        )
        + _radios(
            "resolve",
            "data_lost",
            "Was any data lost or corrupted?",
            [("yes", "Yes"), ("no", "No"), ("unknown", "Not known yet")],
        )
        + _buttons(_button("Resolve the incident", action="resolve", primary=True, submit=True)),
    ) + _output("resolution-message", "Resolution message for the channel")


def _ticket(runbook: Runbook, org: OrgConfig) -> str:
    blank = render_ticket(Record(), org, runbook)
    extra = (
        _button("Download .md", command="download-ticket")
        + _button("Export JSON", command="export")
        + _button("Import JSON", command="import")
        + '<input type="file" class="rb-visually-hidden" accept=".json,application/json" '
        'data-import-file tabindex="-1" aria-label="Import an incident record (JSON)">'
        + _button("New incident", command="new-incident", danger=True)
    )
    return (
        _output(
            "ticket",
            "The incident ticket (markdown)",
            blank,
            hidden=False,
            copy_label="Copy ticket",
            extra=extra,
        ).replace('class="rb-text"', 'class="rb-text rb-ticket"', 1)
        + '<p class="rb-error" id="rb-err-import" data-error-for="record" hidden></p>'
        + '<p class="rb-hint">Export JSON to hand the incident over: the next IC imports it '
        "here, or runs <code>runbook ticket --state</code> on it.</p>"
    )


def _timeline() -> str:
    add = _form(
        "add_timeline",
        '<p class="rb-subtitle">Add an entry</p>'
        + _text("add_timeline", "timeline_event", "What happened", error_for="event")
        + '<div class="rb-row">'
        + _text(
            "add_timeline",
            "timeline_at",
            "When",
            error_for="at",
            hint="HH:MM in UTC today, or a full ISO time; empty means now.",
            placeholder="HH:MM",
        )
        + _text(
            "add_timeline",
            "timeline_who",
            "Who",
            error_for="who",
            hint="Optional.",
            autocomplete="name",
        )
        + "</div>"
        + _buttons(_button("Add to the timeline", action="add_timeline", submit=True)),
    )
    return (
        '<section class="rb-step rb-timeline-panel" data-panel="timeline" id="rb-timeline" '
        'aria-labelledby="rb-timeline-title">'
        '<h2 class="rb-step-title" id="rb-timeline-title">Timeline</h2>'
        '<p class="rb-step-summary">Recorded as you go, in UTC (your local time in brackets). '
        "Correct a time if something happened earlier than it was entered.</p>"
        '<p class="rb-info" data-timeline-empty>Nothing yet: declaring the incident starts it.</p>'
        '<ol class="rb-timeline" data-timeline></ol>'
        f"{add}</section>"
    )

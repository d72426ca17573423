// Drawing: the view runbook_core returns, onto the server-rendered markup. Nothing here decides
// anything: which forms show, what they say and why an action is unavailable all come from the
// view (runbook_core.view.view). Each function takes the widget (its root, drafts, links).

import { button, el, hhmm, localTime, moreLines, nowISO, pick, setFlag } from "./dom.js";
import { redraw, redrawRows } from "./lists.js";
import { wordOf } from "./shared.js";

const q = (root, selector) => root.querySelector(selector);
const qa = (root, selector) => [...root.querySelectorAll(selector)];
// The markup's words (shared.js wordOf): every text drawn here that the view does not give.
const say = (w, key, values) => wordOf(w.root, key, values);

function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

const drawnTimeline = new WeakMap(); // the timeline list -> what it was last drawn from

// More lines (a ticket) or entries (a timeline) than these: "long" (data-long), laid out only near
// the screen, yet never changing size as it first comes into view (widget.css says how and why).
const LONG_LINES = 40;
const LONG_ENTRIES = 100;

// The whole view in chunks, in the order of the page (the bar and the declare form first), for
// a draw that may yield between them (widget.js showInChunks): each stays well under a long task.
export const DRAW_CHUNKS = [
  (w, view) => {
    const root = w.root;
    root.dataset.currentStep = view.current_step;
    root.dataset.declared = String(view.declared);
    root.dataset.phase = view.phase;
    root.dataset.incidentId = view.incident_id || "";
    root.dataset.readOnly = String(Boolean(view.read_only));
    drawBar(w, view);
    drawReadOnly(w, view);
    drawSteps(w, view);
    drawForms(w, view);
    drawMirrors(w, view);
  },
  (w, view) => {
    drawQuestions(w, view);
    drawRecommendation(w, view.recommendation);
    drawDecision(w, view);
    drawMitigation(w, view);
  },
  (w, view) => {
    drawMessages(w, view);
    drawCommunicate(w, view);
    drawResolve(w, view);
  },
  (w, view) => {
    drawTicket(w, view);
    drawFollowUps(w, view);
    drawTimeline(w, view);
    drawDue(w, view);
  },
];

export function drawBar(w, view) {
  // An empty value shows the markup's word for it (data-empty).
  for (const node of qa(w.root, '[data-field="incident_id"]')) setText(node, view.incident_id || node.dataset.empty);
  for (const node of qa(w.root, '[data-field="status"]')) setText(node, view.status);
  for (const node of qa(w.root, '[data-field="ic"]')) setText(node, view.ic || node.dataset.empty);
  for (const node of qa(w.root, '[data-field="severity"]')) setText(node, view.severity);
}

// A record over a limit of this version: the notice, with the view's reason (field and fix).
export function drawReadOnly(w, view) {
  const box = q(w.root, "[data-read-only-notice]");
  if (!box) return;
  box.hidden = !view.read_only;
  setText(q(box, "[data-read-only-reason]"), view.read_only || "");
}

export function drawSteps(w, view) {
  for (const step of view.steps) {
    const section = q(w.root, `section[data-step="${step.id}"]`);
    const link = q(w.root, `[data-step-link="${step.id}"]`);
    const current = step.id === view.current_step && !view.resolved;
    if (section) {
      section.dataset.done = String(step.done);
      section.classList.toggle("rb-current", current);
      q(section, "[data-done-mark]").hidden = !step.done;
    }
    if (link) {
      link.classList.toggle("rb-done", step.done);
      if (current) link.setAttribute("aria-current", "step");
      else link.removeAttribute("aria-current");
    }
  }
}

// Forms show when their action is allowed now; "show why" forms stay and say why not.
export function drawForms(w, view) {
  const loggable = Object.fromEntries(view.messages.map((m) => [m.kind, m.loggable]));
  for (const form of qa(w.root, "form[data-form]")) {
    const type = form.dataset.form;
    const state = view.actions[type];
    if (!state) continue; // a page-only form (timeline time corrections are drawn below)
    // log_message: the engine says which message is both allowed and due to be logged.
    const allowed = type === "log_message" ? Boolean(loggable[q(form, '[name="kind"]').value]) : state.allowed;
    const why = q(form, "[data-why-not]");
    if (form.hasAttribute("data-show-why")) {
      form.hidden = false;
      for (const submit of qa(form, 'button[type="submit"]')) {
        submit.setAttribute("aria-disabled", String(!allowed));
      }
      if (why) {
        why.hidden = allowed;
        // A read-only record's reason is a sentence of its own, not a step to come.
        setText(why, allowed ? "" : view.read_only ? state.why_not : say(w, "not-yet", { why: state.why_not }));
      }
    } else {
      form.hidden = !allowed;
    }
  }
}

// Controls that show the record's value (data-mirror) unless the IC typed something unsent.
export function drawMirrors(w, view) {
  for (const control of qa(w.root, "[data-mirror]")) {
    const name = control.getAttribute("name") || control.querySelector("input")?.name;
    const form = control.closest("form[data-form]");
    const key = form ? `${form.dataset.form}.${name}` : name;
    if (key in w.drafts) continue;
    let value = pick(view, control.dataset.mirror);
    if (Array.isArray(value)) value = value.join(", ");
    if (control.matches("fieldset")) {
      for (const radio of qa(control, 'input[type="radio"]')) radio.checked = radio.value === value;
    } else if (control.value !== (value ?? "")) {
      control.value = value ?? "";
    }
  }
}

export function drawQuestions(w, view) {
  const show = new Set(view.asked);
  for (const fieldset of qa(w.root, "fieldset[data-question]")) {
    const id = fieldset.dataset.question;
    if (fieldset.dataset.group === "fix_forward") fieldset.hidden = !show.has(id);
    if (fieldset.dataset.pending) continue; // a keyboard choice not confirmed yet
    const value = view.answers[id];
    for (const radio of qa(fieldset, "input")) radio.checked = radio.value === value;
  }
  q(w.root, "[data-ask-fix-forward]").hidden =
    !qa(w.root, 'fieldset[data-group="fix_forward"]').some((f) => !f.hidden);
}

export function drawRecommendation(w, rec, { provisional = false } = {}) {
  setText(q(w.root, '[data-field="recommendation"]'), rec.label);
  setText(q(w.root, '[data-field="fix-forward-permitted"]'), rec.fix_forward_text);
  q(w.root, "[data-recommendation]").classList.toggle("rb-permitted-yes", rec.fix_forward_permitted);
  q(w.root, "[data-recommendation-source]").hidden = !provisional;
  const reasons = q(w.root, "[data-reasons]");
  const cite = (reason) => reason.href ? el("a", { href: w.linkFor(reason.href), text: reason.title })
    : el("em", { text: reason.title });
  // One section for all the reasons: cited once, after them (view: cite_once).
  const once = rec.cite_once;
  redraw(reasons, JSON.stringify(rec.reasons) + Boolean(once), () => rec.reasons.map((reason) => once
    ? el("li", { text: reason.text })
    : el("li", {}, `${reason.text} `, el("span", { className: "rb-cite" }, "(", cite(reason), ")"))));
  const citeOnce = q(w.root, "[data-cite-once]");
  citeOnce.hidden = !once || once.section === citeOnce.dataset.stepSection; // the step cites it
  redraw(q(citeOnce, "[data-cite-link]"), JSON.stringify(once), () => once ? [cite(once)] : []);
}

export function drawDecision(w, view) {
  const decision = view.decision;
  q(w.root, "[data-decision-stale]").hidden = !decision?.stale;
  const info = q(w.root, "[data-decision-info]");
  info.hidden = !decision;
  if (decision) {
    setText(info, [say(w, "decided", { time: hhmm(decision.at), label: decision.label }),
      decision.deviation_reason ? say(w, "deviation", { reason: decision.deviation_reason }) : null,
    ].filter(Boolean).join(" ")); // stale: said once, by [data-decision-stale]
  }
  drawDeviation(w);
}

// The deviation reason shows when the chosen action needs one (fix forward not permitted).
export function drawDeviation(w) {
  const chosen = qa(w.root, 'form[data-form="decide"] input[name="action"]').find((c) => c.checked)?.value;
  const needed = w.view?.reason_needed ?? w.provisional?.reason_needed ?? {};
  q(w.root, "[data-deviation]").hidden = !(chosen && needed[chosen]);
}

export function drawMitigation(w, view) {
  const m = view.mitigation;
  const form = q(w.root, 'form[data-form="start_mitigation"]');
  form.hidden = m.pending;
  for (const start of qa(form, "[data-start]")) {
    const next = start.dataset.start === m.next_action;
    const alternative = !next && start.dataset.labelAlternative;
    start.hidden = !next && !alternative;
    start.classList.toggle("md-button--primary", next);
    start.toggleAttribute("data-focus-first", next);
    start.dataset.labelFirst ??= start.textContent;
    setText(start, alternative ? start.dataset.labelAlternative : start.dataset.labelFirst);
  }
  q(form, "[data-hotfix-reason]").hidden = !m.next_needs_reason;
  const current = q(w.root, "[data-mitigation-current]");
  current.hidden = !m.current;
  if (m.current) setText(current, say(w, "in-progress", { label: m.current.label, time: hhmm(m.current.started_at) }));
  const history = q(w.root, "[data-mitigations]");
  history.hidden = m.history.length === 0;
  history.replaceChildren(...m.history.map((h) => el("li", {
    className: `rb-outcome-${h.outcome}`,
    text: say(w, "attempt", { label: h.label, outcome: h.outcome, start: hhmm(h.started_at), end: hhmm(h.ended_at) }) +
      (h.notes ? `. ${h.notes}` : ""),
  })));
  const esc = view.escalation;
  const major = q(w.root, "[data-major]");
  major.hidden = !view.major_incident && esc.records.length === 0;
  major.classList.toggle("rb-major-active", esc.required);
  setText(q(w.root, "[data-major-title]"), esc.title);
  // Once recorded, "record it" is no longer the action to take (a second one stays possible).
  q(w.root, 'form[data-form="escalate"] button[type="submit"]').classList.toggle("md-button--primary", esc.required);
  const records = q(w.root, "[data-escalations]");
  records.hidden = esc.records.length === 0;
  records.replaceChildren(...esc.records.map((e) => el("li", {
    text: `${say(w, "escalated", { to: e.to, time: hhmm(e.at) })} ${e.acknowledged_at
      ? say(w, "acknowledged", { by: e.acknowledged_by, time: hhmm(e.acknowledged_at) })
      : say(w, "not-acknowledged")}`,
  })));
}

export function drawMessages(w, view, only = null) {
  const byKind = Object.fromEntries(view.messages.map((m) => [m.kind, m]));
  for (const box of qa(w.root, "[data-output-box]")) {
    const name = box.dataset.outputBox;
    if (!name.endsWith("-message")) continue; // the ticket, the post-mortem: not messages
    const kind = name.replace(/-message$/, "");
    if (only && kind !== only) continue;
    const message = byKind[kind];
    box.hidden = !message;
    setText(q(box, `[data-output="${name}"]`), message ? message.text : ""); // not its alias
    w.messageAt[name] = message?.at ?? null;
    const posted = q(box, "[data-posted]");
    if (posted && message) {
      posted.hidden = !message.last_logged_at;
      setText(posted, message.last_logged_at ? say(w, "logged-at", { time: hhmm(message.last_logged_at) }) : "");
    }
  }
}

// One message as the engine previewed it for what is typed (widget.preview), and the time it
// is computed for (what is copied is logged at that time).
export function drawMessage(w, kind, text, at) {
  const name = `${kind}-message`;
  const box = q(w.root, `[data-output-box="${name}"]`);
  if (!box || box.hidden) return;
  setText(q(box, `[data-output="${name}"]`), text); // not its alias
  w.messageAt[name] = at;
}

export function drawCommunicate(w, view) {
  const updates = view.communications.filter((c) => c.kind === "status_update");
  const info = q(w.root, "[data-updates-info]");
  info.hidden = updates.length === 0;
  if (updates.length) {
    setText(info, say(w, updates.length > 1 ? "updates-logged" : "update-logged",
      { count: updates.length, time: hhmm(updates[updates.length - 1].at) }));
  }
}

export function drawResolve(w, view) {
  q(w.root, "[data-without-mitigation]").hidden = view.mitigation.succeeded || view.resolved;
  const info = q(w.root, "[data-declared-info]");
  info.hidden = !view.declared;
  if (view.declared) {
    setText(info, say(w, "declared-info", { id: view.incident_id }));
  }
  const ic = q(w.root, "[data-ic-info]");
  ic.hidden = !view.ic;
  if (view.ic) setText(ic, say(w, "ic-info", { ic: view.ic }));
}

export function drawTicket(w, view) {
  const ticket = q(w.root, '[data-output="ticket"]');
  setFlag(ticket, "data-long", moreLines(view.ticket, LONG_LINES));
  setText(ticket, view.ticket);
  const select = q(w.root, "[data-ticket-format]");
  if (select.value !== view.ticket_format) select.value = view.ticket_format;
  const title = q(w.root, "#rb-out-ticket-title");
  setText(title, say(w, "ticket-title", { format: select.selectedOptions[0]?.textContent || view.ticket_format }));
}

export function drawFollowUps(w, view) {
  const list = q(w.root, "[data-follow-ups]");
  q(w.root, "[data-follow-ups-empty]").hidden = view.follow_ups.length > 0;
  const allowed = view.actions.remove_follow_up.allowed;
  const add = () => q(w.root, 'form[data-form="add_follow_up"] [name="text"]');
  redraw(list, JSON.stringify([view.follow_ups, allowed]), () => view.follow_ups.map((f) => el("li", {},
    el("span", { text: f.text }), f.owner ? el("span", { className: "rb-who", text: ` — ${f.owner}` }) : null,
    allowed ? button(say(w, "remove"), say(w, "follow-up", { text: f.text }), { className: "rb-link-button",
      dataAction: "remove_follow_up", dataIndex: f.index }) : null)), add);
}

export function drawTimeline(w, view) {
  const list = q(w.root, "[data-timeline]");
  const open = q(list, 'form[data-form="edit_timeline"]');
  const typed = open && Number(open.dataset.index) === w.editing ? q(open, "input").value : undefined;
  const entries = view.timeline;
  q(w.root, "[data-timeline-empty]").hidden = entries.length > 0;
  setFlag(list, "data-long", entries.length > LONG_ENTRIES);
  const today = nowISO().slice(0, 10);
  const editable = view.actions.edit_timeline.allowed;
  const add = () => q(w.root, 'form[data-form="add_timeline"] [name="event"]');
  // Nothing it shows changed (a refresh: the engine's reply shares the unchanged timeline).
  const shown = [entries, editable, w.editing, today];
  if (drawnTimeline.get(list)?.every((value, i) => value === shown[i])) return;
  drawnTimeline.set(list, shown);
  // Each entry's buttons are named after it (time and words), numbered where two read the same.
  const names = entries.map((e) => `${e.at.slice(11, 16)} UTC: ${e.event.slice(0, 80)}`);
  // Counted once (linear): comparing every name with every other took 1.8 s at 10,000 entries.
  const count = new Map();
  for (const name of names) count.set(name, (count.get(name) || 0) + 1);
  const named = names.map((name, i) => (count.get(name) > 1 ? say(w, "numbered-entry", { entry: name, number: i + 1 }) : name));
  const changed = redrawRows(list, entries.map((entry, position) => [
    JSON.stringify([entry, editable, w.editing === entry.index, named[position], today]),
    () => timelineRow(w, entry, named[position], editable, today)]), add);
  const input = q(list, 'form[data-form="edit_timeline"] input');
  if (changed && input && typed !== undefined) input.value = typed;
}

// One timeline entry, with its tools (and its correction form when it is being corrected).
function timelineRow(w, entry, name, editable, today) {
  const day = entry.at.slice(0, 10) === today ? "" : `${entry.at.slice(0, 10)} `;
  const editing = w.editing === entry.index;
  const fieldId = `rb-edit-at-${entry.index}`;
  const errorId = `rb-err-edit-${entry.index}`;
  return el("li", { className: "rb-entry", dataIndex: entry.index, dataKind: entry.kind },
    el("div", { className: "rb-entry-main" },
      el("time", { dateTime: entry.at, className: "rb-utc", title: entry.at,
        text: say(w, "entry-time", { day, time: entry.at.slice(11, 16) }) }),
      el("span", { className: "rb-local", text: ` ${say(w, "local-time", { time: localTime(entry.at) })} ` }),
      el("span", { className: "rb-event", text: entry.event }),
      entry.who ? el("span", { className: "rb-who", text: ` — ${entry.who}` }) : null,
      entry.before_declaration
        ? el("span", { className: "rb-flag", text: ` ${say(w, "before-declaration")}` }) : null),
    editable ? el("div", { className: "rb-entry-tools" },
      button(say(w, "correct-time"), say(w, "of-entry", { entry: name }), { className: "rb-link-button",
        dataCommand: "edit-time", dataIndex: entry.index, ariaExpanded: String(editing) }),
      entry.derived ? null : button(say(w, "remove"), say(w, "note-entry", { entry: name }), {
        className: "rb-link-button", dataAction: "remove_timeline", dataIndex: entry.index }))
      : null,
    editing ? el("form", { className: "rb-form rb-edit", dataForm: "edit_timeline",
      dataIndex: entry.index, noValidate: true },
    el("div", { className: "rb-field" },
      el("label", { for: fieldId, text: say(w, "correct-time-of", { event: entry.event }) }),
      el("span", { className: "rb-hint", id: `${fieldId}-hint`, text: say(w, "time-hint") }),
      el("input", { type: "text", id: fieldId, name: "at", value: entry.at, autocomplete: "off",
        ariaDescribedby: `${fieldId}-hint ${errorId}` }),
      el("p", { className: "rb-error", id: errorId, dataErrorFor: "at", hidden: true })),
    el("p", { className: "rb-error", dataErrorGeneral: "", hidden: true }),
    el("div", { className: "rb-buttons" },
      el("button", { type: "submit", className: "md-button md-button--primary", text: say(w, "save-time") }),
      button(say(w, "cancel"), say(w, "the-correction"), { className: "md-button", dataCommand: "cancel-edit" })))
      : null);
}

export function drawDue(w, view) {
  const due = view?.next_update_due;
  const soon = view?.next_update_soon;
  for (const node of qa(w.root, "[data-due]")) {
    node.hidden = !due;
    if (!due) continue;
    const left = Date.parse(due) - Date.now();
    const minutes = left > 0 ? Math.ceil(left / 60000) : Math.floor(-left / 60000);
    node.classList.toggle("rb-urgent", left <= 0);
    node.classList.toggle("rb-soon", left > 0 && Date.now() >= Date.parse(soon));
    setText(node, say(w, left > 0 ? "due-in" : "overdue", { time: hhmm(due), minutes }));
  }
}

export function drawIncidents(w, list, showArchived) {
  const panel = q(w.root, "[data-panel='incidents']");
  const items = list.incidents.filter((i) => showArchived || !i.meta.archived);
  q(panel, "[data-incidents-empty]").hidden = list.incidents.length > 0 || !list.available;
  q(panel, "[data-incidents-unavailable]").hidden = list.available;
  const newButton = () => q(panel, '[data-command="new-incident"]');
  redraw(q(panel, "[data-incident-list]"), JSON.stringify([items, w.id]), () => items.map((i) => {
    const open = i.id === w.id;
    const changed = i.meta.updated_at
      ? say(w, "last-change", { date: i.meta.updated_at.slice(0, 10), time: hhmm(i.meta.updated_at) }) : "";
    return el("li", { className: `rb-incident${open ? " rb-incident-open" : ""}`, dataIncident: i.id },
      el("div", { className: "rb-incident-main" },
        el("strong", { text: i.id }), " ",
        el("span", { text: i.meta.summary || "" }),
        el("span", { className: "rb-incident-status" },
          (i.meta.status || "") + (i.meta.archived ? " " + say(w, "archived-mark") : ""), changed)),
      el("div", { className: "rb-entry-tools" },
        open ? el("span", { className: "rb-open-mark", text: say(w, "open-here") })
          : button(say(w, "open"), i.id, { className: "rb-link-button", dataCommand: "open-incident", dataId: i.id }),
        button(say(w, i.meta.archived ? "unarchive" : "archive"), i.id, { className: "rb-link-button",
          dataCommand: i.meta.archived ? "unarchive-incident" : "archive-incident", dataId: i.id }),
        button(say(w, "delete"), i.id, { className: "rb-link-button rb-danger-link", dataCommand: "delete-incident", dataId: i.id })));
  }), newButton);
}

// The walkthrough widget: mounts on the server-rendered form, runs runbook_core in one module
// worker (engine-worker.mjs) and draws what it returns. Every decision and every generated text
// comes from Python (runbook_core.widget); this file only collects inputs, keeps them safe in
// localStorage, and draws.
//
// Loaded on every page (Material's instant navigation loads scripts once); mounts from
// Material's `document$` whenever a page with [data-runbook-widget] is shown. The engine is
// created once per page lifetime and kept on window.__runbookEngine. Also registers the
// offline service worker (sw.js) on every page.

// [deployment] Storage keys are this deployment's own (deployment.mjs): another copy of the
// site on the same origin keeps its incident apart.
import { deploymentName } from "./deployment.mjs";

const KEYS = {
  // the record JSON, as runbook_core.widget returns it
  record: deploymentName("runbook:incident:v1"),
  // the last view, to draw at once on resume (refreshed when ready)
  view: deploymentName("runbook:view:v1"),
  // unsent form input, by control name
  drafts: deploymentName("runbook:drafts:v1"),
  // a saved record this version could not read
  unreadable: deploymentName("runbook:incident:unreadable"),
};
const START_TIMEOUT_MS = 15000;
const CALL_TIMEOUT_MS = 15000;
const PREVIEW_DELAY_MS = 150;

// Fields of each action: [action key, control name]. Radios send the checked value or null.
const FIELDS = {
  declare: [["summary", "summary"], ["by", "by"]],
  take_command: [["oncall", "oncall"], ["first_responder", "first_responder"]],
  change_ic: [["to", "to"], ["reason", "reason"]],
  decide: [["action", "action"], ["deviation_reason", "deviation_reason"]],
  start_mitigation: [],
  mitigation_outcome: [["outcome", "outcome"], ["notes", "notes"]],
  status_update: [["text", "status_text"]],
  resolve: [["details", "details"], ["data_lost", "data_lost"]],
  add_timeline: [["event", "timeline_event"], ["at", "timeline_at"], ["who", "timeline_who"]],
  edit_timeline: [["at", "timeline_edit_at"]],
  remove_timeline: [],
};
// Controls emptied once their action succeeded (if unchanged since it was sent); the others
// mirror the record (MIRROR) or keep what was typed.
const CLEAR_AFTER = {
  declare: ["summary", "by"],
  change_ic: ["to", "reason"],
  decide: ["action", "deviation_reason"],
  mitigation_outcome: ["outcome", "notes"],
  status_update: ["status_text"],
  resolve: ["details", "data_lost"],
  add_timeline: ["timeline_event", "timeline_at", "timeline_who"],
};
// Controls that show the record's value when nothing unsent is typed in them.
const MIRROR = {
  summary: (r) => r.summary,
  by: (r) => r.declared_by,
  oncall: (r) => r.oncall,
  action: (r) => r.decision?.action,
  deviation_reason: (r) => r.decision?.deviation_reason,
  details: (r) => r.resolution?.details,
  data_lost: (r) => r.resolution?.data_lost,
};
// Error fields named by Python -> the control that shows them, when the names differ.
const CONTROL_FOR = {
  text: ["status_text"],
  event: ["timeline_event"],
  at: ["timeline_at", "timeline_edit_at"],
  who: ["timeline_who"],
  oncall_available: ["oncall_unavailable"],
};

// ------------------------------------------------------------------------------- utilities

const store = {
  get(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, value);
      return true;
    } catch {
      return false;
    }
  },
  remove(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      /* storage unavailable: nothing to remove */
    }
  },
  json(key) {
    try {
      return JSON.parse(this.get(key));
    } catch {
      return null;
    }
  },
};

const nowISO = () => new Date().toISOString().slice(0, 19) + "Z";
const hhmm = (iso) => (iso ? iso.slice(11, 16) : "--:--");

function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// "14:05" means 14:05 UTC today; anything else goes to Python as typed, which validates it.
function timeInput(text) {
  const value = (text || "").trim();
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return value;
  const [, h, m, s] = match;
  return `${nowISO().slice(0, 10)}T${h.padStart(2, "0")}:${m}:${s || "00"}Z`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("data") || key.startsWith("aria") || key === "for") {
      node.setAttribute(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value);
    } else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: filename, rel: "noopener" });
  link.click(); // detached: Material's instant navigation never sees this click
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// Copy outside secure contexts: the exact text (selecting a <pre> would drop a final newline).
function copyWithTextarea(text, returnFocus) {
  const area = el("textarea", { value: text, readOnly: true, ariaHidden: "true",
    className: "rb-visually-hidden" });
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  returnFocus?.focus();
  return copied;
}

// Serialises everything that reads or writes the record, across instant navigations.
let queue = Promise.resolve();
function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

// ---------------------------------------------------------------------------------- engine

class EngineTimeout extends Error {}

// [csp] What the site's Content-Security-Policy lacks for the engine to run, from a
// securitypolicyviolation event ({blocked: blockedURI, directive: effectiveDirective}).
function cspProblem({ blocked, directive }) {
  let source = blocked || "the blocked source";
  if (blocked === "wasm-eval") source = "'wasm-unsafe-eval'";
  else if (blocked === "eval") source = "'unsafe-eval'";
  else if (blocked === "inline") source = "the inline script's hash";
  else if (/^https?:/.test(blocked) && new URL(blocked).origin === location.origin) {
    source = `'self' (${new URL(blocked).pathname})`;
  }
  return `the site's Content-Security-Policy blocks it: ${directive} must allow ${source} ` +
    "(see the Deploy page)";
}

class Engine {
  constructor(urls, key) {
    this.key = key;
    this.urls = urls;
    this.startedAt = Date.now();
    this.state = "loading";
    this.readyMs = null; // ms from navigation start to ready (performance.now())
    this.error = "";
    this.info = null;
    this.pending = new Map();
    this.nextId = 1;
    this.listeners = new Set();
    this.timer = setTimeout(
      () => this.fail("it did not start within 15 seconds", { recoverable: true }),
      START_TIMEOUT_MS,
    );
    try {
      this.worker = new Worker(urls.worker, { type: "module", name: "runbook-engine" });
    } catch (error) {
      this.fail(`this browser cannot run it (${error.message})`);
      return;
    }
    this.worker.addEventListener("message", (event) => this.onMessage(event.data));
    this.worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.fail(event.message ? `it crashed: ${event.message}` : "its script did not load");
    });
    this.worker.postMessage({ type: "init", pyodideURL: urls.pyodide, wheelURL: urls.wheel });
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setState(state) {
    this.state = state;
    for (const listener of [...this.listeners]) listener(state);
  }

  onMessage(message) {
    if (message.type === "ready") {
      clearTimeout(this.timer);
      this.info = message.info;
      this.readyMs = Math.round(performance.now());
      this.error = "";
      this.setState("ready");
    } else if (message.type === "fatal") {
      this.fail(message.message);
    } else if (message.type === "csp" && this.state !== "ready") {
      this.blocked(message); // [csp]
    } else if (message.type === "result") {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(message.message));
    }
  }

  // recoverable: a slow start; if the worker answers later, the widget becomes ready then.
  fail(reason, { recoverable = false } = {}) {
    if (this.state === "error") return;
    clearTimeout(this.timer);
    this.error = reason;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(new Error(`the engine is not available: ${reason}`));
    }
    this.pending.clear();
    if (!recoverable) this.terminate();
    this.setState("error");
  }

  // [csp] The policy blocked the engine (reported by the worker, or by the page for the
  // worker's own script): name what it lacks, even over an error already shown, since the
  // violation is often reported after the failure it caused.
  blocked(violation) {
    const reason = cspProblem(violation);
    if (this.state !== "error") return this.fail(reason);
    this.error = reason;
    this.setState("error");
  }

  terminate() {
    this.worker?.terminate();
    this.worker = null;
  }

  call(method, ...args) {
    if (this.state === "error" || !this.worker) {
      return Promise.reject(new Error(`the engine is not available: ${this.error}`));
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const wait = this.state === "ready" ? CALL_TIMEOUT_MS : START_TIMEOUT_MS + CALL_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EngineTimeout("the engine did not answer within 15 seconds"));
      }, wait);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ type: "call", id, method, args });
    });
  }
}

// One engine per page lifetime; a new one only if the published files changed (new deploy)
// or the last one failed.
function engineFor(urls) {
  const key = [urls.worker, urls.pyodide, urls.wheel].join(" ");
  const existing = window.__runbookEngine;
  if (existing && existing.key === key && existing.state !== "error") return existing;
  existing?.fail("the site was updated; starting its new version");
  existing?.terminate();
  const engine = new Engine(urls, key);
  window.__runbookEngine = engine;
  return engine;
}

// ---------------------------------------------------------------------------------- widget

let mounted = null; // the Widget on the page shown now

function current() {
  return mounted && mounted.root.isConnected ? mounted : null;
}

class Widget {
  constructor(root, engine) {
    this.root = root;
    this.engine = engine;
    this.record = null;
    this.view = null;
    this.editing = null; // timeline index whose time is being corrected
    this.previewTimer = null;
    this.previewQueued = false;
    this.links = JSON.parse(root.dataset.links || "{}");
    this.actionLabels = JSON.parse(root.dataset.actions || "{}");
    this.live = root.querySelector("[data-live]");
    this.drafts = store.json(KEYS.drafts) || {};

    this.restoreDrafts();
    this.bind();
    const record = store.json(KEYS.record);
    const view = store.json(KEYS.view);
    if (record && view) {
      try {
        this.draw(record, view); // resume at once; redrawn by the engine when ready
      } catch {
        /* a stale or damaged cache: the engine's answer replaces it */
      }
    }
    this.showEngineState(engine.state);
    this.unsubscribe = engine.subscribe((state) => {
      if (!this.root.isConnected) return this.unsubscribe();
      this.showEngineState(state);
      if (state === "ready") this.refresh();
    });
    this.clock = setInterval(() => {
      if (!this.root.isConnected) clearInterval(this.clock);
      else this.drawDue();
    }, 10000);
    if (engine.state !== "error") this.refresh();
    this.showOffline();
  }

  // "Available offline", quietly, once this page's engine files are cached.
  async showOffline() {
    const cached = await engineCached(this.engine);
    const note = this.q("[data-offline-note]");
    if (note) note.hidden = !cached;
  }

  destroy() {
    this.unsubscribe();
    clearInterval(this.clock);
    clearTimeout(this.previewTimer);
  }

  q(selector, scope = this.root) {
    return scope.querySelector(selector);
  }

  qa(selector, scope = this.root) {
    return [...scope.querySelectorAll(selector)];
  }

  control(name, scope = this.root) {
    return this.qa(`[name="${name}"]`, scope);
  }

  // ------------------------------------------------------------------ engine state

  showEngineState(state) {
    const ready = state === "ready" && this.view !== null && this.refreshed;
    this.root.dataset.state = state === "error" ? "error" : ready ? "ready" : "loading";
    const status = this.q("[data-engine-status]");
    const message = this.q("[data-engine-message]");
    if (state === "error") {
      status.hidden = false;
      status.classList.add("rb-engine-error");
      message.textContent =
        `The walkthrough engine could not start: ${this.engine.error}. ` +
        "What you typed is kept in this browser. Reload the page to try again.";
      this.q("[data-engine-fallback]").hidden = false;
      this.root.dataset.lastError = this.engine.error;
      this.announce(`The walkthrough engine could not start: ${this.engine.error}.`);
    } else if (ready) {
      status.hidden = true;
      this.root.dataset.engineReadyMs = String(this.engine.readyMs);
    } else {
      status.hidden = false;
    }
  }

  // The view for the saved record at this moment (on mount, when ready, after a change in
  // another tab, when the status draft changes).
  refresh() {
    return enqueue(async () => {
      const saved = store.get(KEYS.record);
      let reply;
      let problem = null;
      try {
        reply = JSON.parse(await this.engine.call("render", saved, nowISO(), this.draftStatus()));
        if (!reply.ok) problem = reply.error.message;
      } catch (error) {
        if (this.engine.state === "error") return; // shown by showEngineState
        if (error instanceof EngineTimeout) {
          current()?.showError(null, { field: "", message: `${error.message}: reload the page.` });
          return;
        }
        problem = error.message;
      }
      if (problem !== null) {
        // Unreadable (e.g. written by a newer version): keep it aside, start empty, say so.
        if (saved) store.set(KEYS.unreadable, saved);
        store.remove(KEYS.record);
        store.remove(KEYS.view);
        try {
          reply = JSON.parse(await this.engine.call("render", null, nowISO(), ""));
          reply.problem = problem;
        } catch (error) {
          if (this.engine.state !== "error") {
            this.engine.fail(`it cannot draw the walkthrough (${error.message})`);
          }
          return;
        }
      }
      const widget = current();
      if (!widget) return;
      widget.draw(reply.record, reply.view);
      if (reply.problem) {
        const slot = widget.q("[data-widget-error]");
        slot.textContent = "The incident saved in this browser could not be read " +
          `(${reply.problem}). It is kept aside under "${KEYS.unreadable}" in this ` +
          "browser's storage; import an exported JSON file or start a new incident.";
        slot.hidden = false;
        widget.root.dataset.lastError = reply.problem;
      }
      if (!widget.refreshed) {
        widget.refreshed = true;
        widget.showEngineState(widget.engine.state);
        widget.announce("The walkthrough is ready.");
      }
    });
  }

  // ------------------------------------------------------------------ events

  bind() {
    const root = this.root;
    root.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(event.target.closest("form[data-form]"));
    });
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !root.contains(button)) return;
      if (button.dataset.command) this.command(button);
      else if (button.dataset.action === "remove_timeline") {
        this.act({ type: "remove_timeline", index: Number(button.dataset.index) },
          button.closest("li"));
      }
    });
    root.addEventListener("input", (event) => {
      if (event.target.matches("[data-draft]")) this.saveDraft(event.target);
      if (event.target.name === "status_text") this.schedulePreview();
    });
    root.addEventListener("change", (event) => {
      const target = event.target;
      const fieldset = target.closest("fieldset[data-question]");
      if (fieldset && target.type === "radio") {
        this.act({ type: "answer", question: target.name, value: target.value }, fieldset);
        return;
      }
      if (target.matches("[data-draft]")) this.saveDraft(target);
      if (target.name === "oncall_unavailable") this.drawFirstResponder();
      if (target.name === "action") this.drawDeviation();
      if (target.matches("[data-import-file]") && target.files.length) {
        this.importFile(target.files[0]);
        target.value = "";
      }
    });
    root.addEventListener("keydown", (event) => {
      // Ctrl/Cmd+Enter in a text area submits its form.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) &&
          event.target.matches("textarea")) {
        event.preventDefault();
        event.target.form?.requestSubmit();
      }
    });
  }

  submit(form) {
    if (!form || form.getAttribute("aria-busy") === "true") return; // no double submits
    const type = form.dataset.form;
    const action = { type };
    const sent = {};
    for (const [key, name] of FIELDS[type] || []) {
      const controls = this.control(name, form);
      if (!controls.length) continue;
      let value;
      if (controls[0].type === "radio") value = controls.find((c) => c.checked)?.value ?? null;
      else value = controls[0].value;
      sent[name] = value;
      if (key === "at") {
        value = timeInput(value);
        if (!value && type === "add_timeline") continue; // empty means now
      }
      action[key] = value;
    }
    if (type === "take_command") {
      const unavailable = this.q('[name="oncall_unavailable"]', form).checked;
      action.oncall_available = !unavailable;
      sent.oncall_unavailable = unavailable;
    }
    if (type === "edit_timeline") action.index = Number(form.dataset.index);
    this.act(action, form, sent);
  }

  command(button) {
    const name = button.dataset.command;
    if (name === "copy") this.copy(button);
    else if (name === "download-ticket") {
      download(this.view?.ticket_filename || "incident.md",
        this.q('[data-output="ticket"]').textContent, "text/markdown;charset=utf-8");
      this.announce("Ticket downloaded.");
    } else if (name === "export") this.exportRecord();
    else if (name === "import") this.q("[data-import-file]").click();
    else if (name === "new-incident") this.newIncident();
    else if (name === "edit-time") {
      this.editing = Number(button.dataset.index);
      this.drawTimeline();
      this.q(`form[data-form="edit_timeline"][data-index="${this.editing}"] input`)?.focus();
    } else if (name === "cancel-edit") {
      const index = this.editing;
      this.editing = null;
      this.drawTimeline();
      this.q(`[data-command="edit-time"][data-index="${index}"]`)?.focus();
    }
  }

  // ------------------------------------------------------------------ actions

  // Applies one action. `now` is taken at the click, even if the engine is still starting.
  act(action, scope, sent = {}) {
    const now = nowISO();
    const draftStatus = this.draftStatus();
    this.clearErrors(scope);
    const waiting = this.engine.state !== "ready";
    scope?.setAttribute("aria-busy", "true");
    if (waiting && this.engine.state !== "error") {
      this.note(scope, "Waiting for the engine: this is applied as soon as it is ready.");
    }
    return enqueue(async () => {
      let reply;
      try {
        reply = JSON.parse(await this.engine.call(
          "dispatch", store.get(KEYS.record), JSON.stringify(action), now, draftStatus));
      } catch (error) {
        reply = { ok: false, error: { field: "", message: `Not recorded: ${error.message}. ` +
          "What you typed is kept." } };
      } finally {
        scope?.removeAttribute("aria-busy");
      }
      const widget = current();
      if (widget && scope) widget.clearErrors(scope);
      if (!reply.ok) {
        if (widget) {
          widget.showError(scope?.isConnected ? scope : null, reply.error);
          if (reply.record) widget.syncControls(reply.record); // undo an unrecorded answer
        }
        return false;
      }
      this.save(reply.record, reply.view);
      if (!widget) return true;
      widget.clearSent(action.type, sent);
      if (action.type === "edit_timeline") widget.editing = null;
      widget.draw(reply.record, reply.view);
      delete widget.root.dataset.lastError;
      widget.announce(doneMessage(action.type, reply.view));
      return true;
    });
  }

  save(record, view) {
    const ok = store.set(KEYS.record, JSON.stringify(record));
    store.set(KEYS.view, JSON.stringify(view));
    if (!ok) {
      current()?.announce(
        "Warning: this browser did not let the page save the incident. Export JSON now.");
    }
  }

  schedulePreview() {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => {
      if (this.previewQueued || !this.view?.declared) return;
      this.previewQueued = true;
      enqueue(async () => {
        this.previewQueued = false;
        const reply = JSON.parse(await this.engine.call(
          "render", store.get(KEYS.record), nowISO(), this.draftStatus()));
        if (reply.ok && current() === this) this.drawOutputs(reply.view);
      }).catch(() => {});
    }, PREVIEW_DELAY_MS);
  }

  exportRecord() {
    enqueue(async () => {
      try {
        const text = await this.engine.call("export_record", store.get(KEYS.record));
        const id = this.view?.incident_id || "incident";
        download(`${id}.json`, text, "application/json");
        this.announce(`Exported ${id}.json`);
      } catch (error) {
        this.showError(this.q("[data-step=ticket]"), { field: "record", message: error.message });
      }
    });
  }

  importFile(file) {
    const scope = this.q("[data-step=ticket]");
    this.clearErrors(scope);
    enqueue(async () => {
      let reply;
      try {
        reply = JSON.parse(await this.engine.call("import_record", await file.text(), nowISO()));
      } catch (error) {
        reply = { ok: false, error: { field: "record", message: error.message } };
      }
      const widget = current();
      if (!widget) return;
      if (!reply.ok) {
        widget.showError(scope, {
          field: "record",
          message: `${file.name} was not imported, the current incident is kept: ` +
            reply.error.message,
        });
        return;
      }
      const mine = widget.record;
      if (mine?.declared_at && mine.incident_id !== reply.record.incident_id &&
          !window.confirm(`Replace the current incident (${mine.incident_id}) with ` +
            `${reply.record.incident_id || "the imported one"}? Export it first if you need it.`)) {
        return;
      }
      widget.save(reply.record, reply.view);
      widget.resetControls();
      widget.draw(reply.record, reply.view);
      delete widget.root.dataset.lastError;
      widget.announce(`Imported ${reply.record.incident_id || file.name}.`);
    });
  }

  newIncident() {
    const id = this.view?.incident_id;
    const question = id
      ? `Start a new incident? ${id} will be cleared from this browser; export it first if ` +
        "you still need it."
      : "Start a new incident? Everything typed in this form will be cleared.";
    if (!window.confirm(question)) return;
    enqueue(async () => {
      store.remove(KEYS.record);
      store.remove(KEYS.view);
      const widget = current();
      widget?.resetControls();
      const reply = JSON.parse(await this.engine.call("render", null, nowISO(), ""));
      if (reply.ok && current()) current().draw(reply.record, reply.view);
      current()?.announce("New incident: the form is empty.");
    }).catch(() => {});
  }

  // ------------------------------------------------------------------ copy

  async copy(button) {
    const target = this.q(`[data-output="${button.dataset.target}"]`);
    const text = target.textContent;
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        copied = true;
      } catch {
        /* not allowed here: fall back to selecting the text */
      }
    }
    if (!copied) copied = copyWithTextarea(text, button);
    if (!copied) {
      // Nothing worked: select the text so that Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(target);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = copied ? "Copied ✓" : "Selected: press Ctrl+C";
    button.classList.toggle("rb-copied", copied);
    this.announce(copied ? "Copied to the clipboard." : "The text is selected: press Ctrl+C to copy.");
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = label;
      button.classList.remove("rb-copied");
    }, 2000);
  }

  // ------------------------------------------------------------------ drafts and controls

  saveDraft(control) {
    if (control.type === "radio") {
      if (control.checked) this.drafts[control.name] = control.value;
    } else if (control.type === "checkbox") this.drafts[control.name] = control.checked;
    else this.drafts[control.name] = control.value;
    store.set(KEYS.drafts, JSON.stringify(this.drafts));
  }

  setControl(name, value) {
    for (const control of this.control(name)) {
      if (control.type === "radio") control.checked = control.value === value;
      else if (control.type === "checkbox") control.checked = Boolean(value);
      else if (control.value !== (value ?? "")) control.value = value ?? "";
    }
  }

  restoreDrafts() {
    for (const [name, value] of Object.entries(this.drafts)) this.setControl(name, value);
    this.drawFirstResponder();
  }

  // After success: forget what was sent, unless it was edited again meanwhile.
  clearSent(type, sent) {
    let changed = false;
    for (const name of CLEAR_AFTER[type] || []) {
      const controls = this.control(name);
      if (!controls.length) continue;
      const now = controls[0].type === "radio"
        ? controls.find((c) => c.checked)?.value ?? null
        : controls[0].value;
      if (name in sent && now !== sent[name]) continue;
      this.setControl(name, null);
      delete this.drafts[name];
      changed = true;
    }
    if (changed) store.set(KEYS.drafts, JSON.stringify(this.drafts));
  }

  resetControls() {
    this.drafts = {};
    store.remove(KEYS.drafts);
    for (const form of this.qa("form")) form.reset();
    for (const radio of this.qa("fieldset[data-question] input")) radio.checked = false;
    this.clearErrors(this.root);
    this.editing = null;
    this.drawFirstResponder();
  }

  syncControls(record) {
    for (const [name, pick] of Object.entries(MIRROR)) {
      if (!(name in this.drafts)) this.setControl(name, pick(record) ?? null);
    }
    for (const fieldset of this.qa("fieldset[data-question]")) {
      const id = fieldset.dataset.question;
      const group = fieldset.dataset.group === "impact" ? record.impact : record.fix_forward;
      const value = group?.[id] ?? null;
      for (const radio of this.qa("input", fieldset)) radio.checked = radio.value === value;
    }
    this.drawFirstResponder();
  }

  draftStatus() {
    return this.q('[name="status_text"]')?.value || "";
  }

  // ------------------------------------------------------------------ messages and errors

  // Polite announcement, also shown for a few seconds as a toast.
  announce(text) {
    const live = this.live;
    live.textContent = "";
    clearTimeout(live.clearTimer);
    setTimeout(() => {
      live.textContent = text;
      live.clearTimer = setTimeout(() => {
        live.textContent = "";
      }, 5000);
    }, 50);
  }

  note(scope, text) {
    const slot = scope && this.q("[data-error-general]", scope);
    if (!slot) return this.announce(text);
    slot.textContent = text;
    slot.classList.add("rb-pending");
    slot.hidden = false;
  }

  clearErrors(scope) {
    if (!scope) return;
    for (const slot of this.qa("[data-error-for], [data-error-general], [data-widget-error]", scope)) {
      slot.hidden = true;
      slot.textContent = "";
      slot.classList.remove("rb-pending");
    }
    for (const invalid of this.qa("[aria-invalid]", scope)) invalid.removeAttribute("aria-invalid");
  }

  showError(scope, error) {
    const field = error.field || "";
    const full = error.message || "unknown error";
    const short = field && full.startsWith(`${field}: `) ? full.slice(field.length + 2) : full;
    this.root.dataset.lastError = full;
    scope = scope || this.root;
    const esc = (name) => (window.CSS?.escape ? CSS.escape(name) : name);
    let slot = field && this.q(`[data-error-for="${esc(field)}"]`, scope);
    const message = short;
    if (!slot && scope === this.root) slot = this.q("[data-widget-error]");
    if (!slot) slot = this.q("[data-error-general]", scope) || this.q("[data-error-for]", scope);
    if (slot) {
      slot.textContent = message;
      slot.classList.remove("rb-pending");
      slot.hidden = false;
    }
    const names = [field, ...(CONTROL_FOR[field] || [])];
    const control = names.map((n) => n && this.q(`[name="${esc(n)}"]`, scope)).find(Boolean);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus({ preventScroll: false });
    }
    this.announce(message.startsWith("Not ") ? message : `Not recorded: ${message}`);
  }

  // ------------------------------------------------------------------ drawing

  draw(record, view) {
    this.record = record;
    this.view = view;
    this.root.dataset.currentStep = view.current_step;
    this.root.dataset.declared = String(view.declared);
    this.drawOutputs(view);
    this.drawBar(record, view);
    this.drawSteps(view);
    this.syncControls(record);
    this.drawDeclare(record, view);
    this.drawCommand(record, view);
    this.drawDecide(record, view);
    this.drawMitigate(record, view);
    this.drawCommunicate(record, view);
    this.drawTimeline();
    this.drawDue();
  }

  drawOutputs(view) {
    const outputs = view.outputs || {};
    for (const output of this.qa("[data-output]")) {
      const text = outputs[output.dataset.output];
      if (output.textContent !== (text ?? "")) output.textContent = text ?? "";
    }
    const show = {
      "declare-message": view.declared,
      "handover-message": (this.record?.ic_changes?.length || 0) > 1,
      "status-message": view.declared,
      "resolution-message": view.resolved,
    };
    for (const box of this.qa("[data-output-box]")) {
      const name = box.dataset.outputBox;
      box.hidden = !(name in outputs) || show[name] === false;
    }
    const major = this.q("[data-major]");
    major.hidden = !("escalation-message" in outputs);
    major.classList.toggle("rb-major-active", Boolean(view.major_incident));
  }

  drawBar(record, view) {
    const set = (name, text) => {
      for (const node of this.qa(`[data-field="${name}"]`)) node.textContent = text;
    };
    set("incident_id", view.incident_id || "not declared");
    set("status", view.status);
    set("ic", record.ic || "—");
    set("severity", view.severity);
  }

  drawSteps(view) {
    for (const step of view.steps) {
      const section = this.q(`section[data-step="${step.id}"]`);
      const link = this.q(`[data-step-link="${step.id}"]`);
      const isCurrent = step.id === view.current_step && !view.resolved;
      if (section) {
        section.dataset.done = String(step.done);
        section.classList.toggle("rb-current", isCurrent);
        this.q("[data-done-mark]", section).hidden = !step.done;
      }
      if (link) {
        link.classList.toggle("rb-done", step.done);
        if (isCurrent) link.setAttribute("aria-current", "step");
        else link.removeAttribute("aria-current");
      }
    }
  }

  drawDeclare(record, view) {
    const info = this.q("[data-declared-info]");
    info.hidden = !view.declared;
    if (view.declared) {
      const by = record.declared_by ? ` by ${record.declared_by}` : "";
      info.textContent = `Declared at ${hhmm(record.declared_at)} UTC ` +
        `(${localTime(record.declared_at)} your time)${by}: ${view.incident_id}.`;
    }
    const button = this.q('[data-action="declare"]');
    button.dataset.labelFirst ??= button.textContent;
    button.textContent = view.declared ? button.dataset.labelAgain : button.dataset.labelFirst;
  }

  drawFirstResponder() {
    const unavailable = this.q('[name="oncall_unavailable"]')?.checked;
    const box = this.q('[data-show-if="oncall_unavailable"]');
    if (box) box.hidden = !unavailable;
  }

  drawCommand(record) {
    const info = this.q("[data-ic-info]");
    const last = record.ic_changes?.[record.ic_changes.length - 1];
    info.hidden = !record.ic;
    if (record.ic) {
      info.textContent = `Incident Commander: ${record.ic}, since ${hhmm(last?.at)} UTC.`;
    }
    this.q('form[data-form="change_ic"]').hidden = !record.ic;
  }

  linkFor(href) {
    const [path, anchor] = href.split("#");
    const url = this.links[path] ?? path;
    return anchor ? `${url}#${anchor}` : url;
  }

  drawDecide(record, view) {
    const rec = view.recommendation;
    this.q('[data-field="recommendation"]').textContent = rec.label;
    const reasons = this.q("[data-reasons]");
    reasons.replaceChildren(...rec.reasons.map((reason) => el("li", {},
      `${reason.text} `,
      el("span", { className: "rb-cite" }, "(",
        el("a", { href: this.linkFor(reason.href), text: reason.title }), ")"))));
    const ask = new Set(view.ask_fix_forward);
    this.q("[data-ask-fix-forward]").hidden = ask.size === 0;
    for (const fieldset of this.qa('fieldset[data-group="fix_forward"]')) {
      fieldset.hidden = !ask.has(fieldset.dataset.question);
    }
    const hint = this.q("[data-recommended-hint]");
    hint.hidden = false;
    hint.textContent = `The runbook recommends: ${rec.label}.`;
    const stale = this.q("[data-decision-stale]");
    stale.hidden = !(record.decision && record.decision.recommended !== rec.action);
    const info = this.q("[data-decision-info]");
    info.hidden = !view.decision;
    if (view.decision) {
      const why = view.decision.deviation_reason
        ? ` Against the recommendation, because: ${view.decision.deviation_reason}`
        : "";
      info.textContent =
        `Decided at ${hhmm(record.decision?.at)} UTC: ${view.decision.label}.${why}`;
    }
    this.drawDeviation();
  }

  drawDeviation() {
    const chosen = this.control("action").find((c) => c.checked)?.value;
    const recommended = this.view?.recommendation?.action;
    this.q("[data-deviation]").hidden = !(chosen && recommended && chosen !== recommended);
  }

  drawMitigate(record, view) {
    const start = this.q('form[data-form="start_mitigation"]');
    start.hidden = view.mitigation_pending;
    const button = this.q('[data-action="start_mitigation"]');
    const labels = JSON.parse(button.dataset.labels || "{}");
    button.textContent = labels[view.next_mitigation] || button.textContent;
    this.q('form[data-form="mitigation_outcome"]').hidden = !view.mitigation_pending;
    const mitigations = record.mitigations || [];
    const last = mitigations[mitigations.length - 1];
    if (view.mitigation_pending && last) {
      this.q("[data-mitigation-current]").textContent =
        `${this.actionLabels[last.action] || last.action} in progress since ` +
        `${hhmm(last.started_at)} UTC.`;
    }
    const history = this.q("[data-mitigations]");
    const done = mitigations.filter((m) => m.outcome !== "pending");
    history.hidden = done.length === 0;
    history.replaceChildren(...done.map((m) => el("li", {
      text: `${this.actionLabels[m.action] || m.action}: ${m.outcome}, ` +
        `${hhmm(m.started_at)}–${hhmm(m.ended_at)} UTC${m.notes ? `. ${m.notes}` : ""}`,
      className: `rb-outcome-${m.outcome}`,
    })));
    this.q(".rb-major-title").textContent = view.major_incident
      ? "Major incident: escalate now"
      : "Escalated";
  }

  drawCommunicate(record) {
    const updates = record.status_updates || [];
    const info = this.q("[data-updates-info]");
    info.hidden = updates.length === 0;
    if (updates.length) {
      const last = updates[updates.length - 1];
      info.textContent = `${updates.length} update${updates.length > 1 ? "s" : ""} logged; ` +
        `the last at ${hhmm(last.at)} UTC.`;
    }
  }

  drawDue() {
    const due = this.view?.next_update_due;
    for (const node of this.qa("[data-due]")) {
      node.hidden = !due;
      if (!due) continue;
      const left = Date.parse(due) - Date.now();
      const minutes = left > 0 ? Math.ceil(left / 60000) : Math.floor(-left / 60000);
      node.classList.toggle("rb-urgent", left <= 0);
      node.classList.toggle("rb-soon", left > 0 && left <= 5 * 60000);
      node.textContent = left > 0
        ? `Next update due ${hhmm(due)} UTC (in ${minutes} min)`
        : `Next update overdue: it was due at ${hhmm(due)} UTC (${minutes} min ago)`;
    }
  }

  drawTimeline() {
    const list = this.q("[data-timeline]");
    const open = this.q('form[data-form="edit_timeline"]', list);
    const typed = open && Number(open.dataset.index) === this.editing
      ? this.q("input", open).value
      : undefined;
    const entries = this.view?.timeline || [];
    this.q("[data-timeline-empty]").hidden = entries.length > 0;
    const today = nowISO().slice(0, 10);
    list.replaceChildren(...entries.map((entry) => {
      const day = entry.at.slice(0, 10) === today ? "" : `${entry.at.slice(0, 10)} `;
      const removable = entry.kind === "note" && !entry.ref;
      const editing = this.editing === entry.index;
      const fieldId = `rb-edit-at-${entry.index}`;
      const errorId = `rb-err-edit-${entry.index}`;
      return el("li", { className: "rb-entry", dataIndex: entry.index, dataKind: entry.kind },
        el("div", { className: "rb-entry-main" },
          el("time", { dateTime: entry.at, className: "rb-utc", title: entry.at,
            text: `${day}${entry.at.slice(11, 16)} UTC` }),
          el("span", { className: "rb-local", text: ` (${localTime(entry.at)} local) ` }),
          el("span", { className: "rb-event", text: entry.event }),
          entry.who ? el("span", { className: "rb-who", text: ` — ${entry.who}` }) : null),
        el("div", { className: "rb-entry-tools" },
          el("button", { type: "button", className: "rb-link-button", dataCommand: "edit-time",
            dataIndex: entry.index, ariaExpanded: String(editing),
            text: "Correct time" }),
          removable
            ? el("button", { type: "button", className: "rb-link-button",
              dataAction: "remove_timeline", dataIndex: entry.index, text: "Remove" })
            : null),
        editing
          ? el("form", { className: "rb-form rb-edit", dataForm: "edit_timeline",
            dataIndex: entry.index, noValidate: true },
            el("div", { className: "rb-field" },
              el("label", { for: fieldId, text: `Correct time of: ${entry.event}` }),
              el("span", { className: "rb-hint", id: `${fieldId}-hint`,
                text: "HH:MM in UTC today, or a full ISO time like 2026-11-28T21:40:00Z." }),
              el("input", { type: "text", id: fieldId, name: "timeline_edit_at",
                value: entry.at, autocomplete: "off",
                ariaDescribedby: `${fieldId}-hint ${errorId}` }),
              el("p", { className: "rb-error", id: errorId, dataErrorFor: "at", hidden: true })),
            el("p", { className: "rb-error", dataErrorGeneral: "", hidden: true }),
            el("div", { className: "rb-buttons" },
              el("button", { type: "submit", className: "md-button md-button--primary",
                dataAction: "edit_timeline", text: "Save time" }),
              el("button", { type: "button", className: "md-button", dataCommand: "cancel-edit",
                text: "Cancel" })))
          : null);
    }));
    const input = this.q('[name="timeline_edit_at"]', list);
    if (input && typed !== undefined) input.value = typed;
  }
}

function doneMessage(type, view) {
  switch (type) {
    case "declare":
      return `Declared ${view.incident_id}. Copy the message and post it in the channel.`;
    case "take_command":
    case "change_ic":
      return "Incident Commander recorded.";
    case "answer":
      return `Answer recorded. The runbook recommends: ${view.recommendation.label}.`;
    case "decide":
      return `Decision recorded: ${view.decision?.label}.`;
    case "start_mitigation":
      return "Mitigation started; record its outcome when it ends.";
    case "mitigation_outcome":
      return view.major_incident
        ? "The rollback failed: this is a major incident. Escalate now with the message shown."
        : "Outcome recorded.";
    case "status_update":
      return `Status update logged. Next one due ${hhmm(view.next_update_due)} UTC.`;
    case "resolve":
      return "Incident resolved. The ticket is complete: copy or download it.";
    default:
      return "Timeline updated.";
  }
}

// --------------------------------------------------------------------------------- offline

// The service worker at the site root (sw.js, from sitebuild/sw.js and sitebuild/offline.py)
// caches the whole site, so that after one visit it works with the network cut. Registered once
// per page lifetime, once the page has loaded and (on the walkthrough) the engine has started,
// so caching never competes with it. Quiet: without service workers, outside http(s), under
// `mkdocs serve`'s live reload (its pages change on every save), or if anything fails, the site
// just stays online-only. What the worker reports is kept on window.__runbookOffline.
const ENGINE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
  "pyodide-lock.json"];
const offline = { state: "off", version: null, done: 0, total: 0, reason: "" };
window.__runbookOffline = offline;

// The engine's files for this page (worker, Pyodide, wheel) are all in the offline cache.
async function engineCached(engine) {
  if (offline.state !== "ready" || !window.caches) return false;
  const { urls } = engine;
  const files = [urls.worker, urls.wheel,
    ...ENGINE_FILES.map((name) => new URL(name, urls.pyodide).href)];
  try {
    return (await Promise.all(files.map((url) => caches.match(url)))).every(Boolean);
  } catch {
    return false;
  }
}

function settled(engine) {
  if (!engine || engine.state !== "loading") return Promise.resolve();
  return new Promise((resolve) => {
    const stop = engine.subscribe((state) => {
      if (state !== "loading") {
        stop();
        resolve();
      }
    });
  });
}

async function registerServiceWorker() {
  const workers = navigator.serviceWorker;
  workers.addEventListener("message", ({ data }) => {
    if (data?.type !== "runbook-offline") return;
    // While a new version caches itself (or fails to), the cached one still works.
    const keep = offline.state === "ready" && data.state !== "ready";
    Object.assign(offline, {
      state: keep ? "ready" : data.state,
      version: keep ? offline.version : data.version ?? offline.version,
      done: data.done ?? offline.done,
      total: data.total ?? offline.total,
      reason: data.reason ?? "",
    });
    current()?.showOffline();
  });
  workers.startMessages();
  workers.controller?.postMessage({ type: "runbook-offline-state" }); // already cached?
  if (document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  await settled(window.__runbookEngine);
  await new Promise((resolve) =>
    window.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 2000 })
      : setTimeout(resolve, 200));
  if (offline.state === "off") offline.state = "registering";
  const registration = await workers.register(new URL("../../sw.js", import.meta.url).href);
  // A page already cached: look for a new deploy now (installed in the background).
  if (workers.controller && navigator.onLine) registration.update().catch(() => {});
}

if ("serviceWorker" in navigator && /^https?:$/.test(window.location.protocol) &&
    typeof window.livereload !== "function") {
  registerServiceWorker().catch((error) => {
    offline.state = "failed";
    offline.reason = `not registered: ${error?.message || error}`;
  });
}

// ----------------------------------------------------------------------------------- mount

function mount() {
  const root = document.querySelector("[data-runbook-widget]");
  if (!root || root.runbookWidget) return;
  const abs = (url) => new URL(url, window.location.href).href;
  const engine = engineFor({
    worker: abs(root.dataset.worker),
    pyodide: abs(root.dataset.pyodide),
    wheel: abs(root.dataset.wheel),
  });
  mounted?.destroy();
  root.runbookWidget = mounted = new Widget(root, engine);
}

// [csp] The page's own violations that stop the engine: its worker's script refused (the
// worker reports its own from inside, see engine-worker.mjs).
document.addEventListener("securitypolicyviolation", (event) => {
  const engine = window.__runbookEngine;
  if (engine && engine.state !== "ready" && event.blockedURI === engine.urls.worker) {
    engine.blocked({ blocked: event.blockedURI, directive: event.effectiveDirective });
  }
});

// Another tab changed the incident: show it.
window.addEventListener("storage", (event) => {
  if (event.key === KEYS.record && current()) current().refresh();
});

if (window.document$) window.document$.subscribe(mount);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();

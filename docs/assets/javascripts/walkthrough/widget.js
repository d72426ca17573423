// The walkthrough widget: collects the IC's input, sends it to the engine as actions, keeps the
// result safe in the store and draws the view. It holds no rule: what is allowed, what it means
// and every text come back from runbook_core (through engine.js).
//
// The record in memory is the truth on screen. Each action is applied to it by the engine, then
// saved on top of the revision this tab read; when another tab saved first, the tab's unsaved
// actions are applied again to the newer record (or, where the engine refuses, the IC is told
// and the newer record is shown). When storage fails the page says so until a save succeeds.

import * as draw from "./draw.js";
import { copyText, download, hhmm, nowISO } from "./dom.js";

const PREVIEW_DELAY_MS = 150;
const REFRESH_MS = 30000; // previews and "due" times follow the clock
const RETRY_SAVE_MS = 4000;
const STORED_CHECK_MS = 2000; // storage cleared under the page is noticed this fast
const MAX_REBASES = 3;
const COPY_VALID_MS = 30 * 60000; // a message copied this recently is logged at its copy time
const ID_HASH = /^#(INC-[0-9A-Z-]{1,40})$/;
// The forms whose typed fields go into the message shown beside them (runbook_core.messages
// ACTION_MESSAGE): the message is previewed by the engine as the IC types.
const PREVIEWED = ["status_update", "escalate"];

// What a failed save means: a short line in the sticky status bar, and the whole of it just
// below the bar (a long message in a sticky bar would cover a phone's screen).

// Serialises everything that reads or writes the record, across instant navigations.
let queue = Promise.resolve();
function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

const json = (value) => (value == null ? null : JSON.stringify(value));

// Incidents whose latest actions are on screen but not in storage (it is full or blocked), by
// ID: kept for the page's lifetime, so leaving the walkthrough through instant navigation (a
// runbook link) and coming back loses nothing. {record, revision, pending}
const unsaved = new Map();

const isShown = (node) => Boolean(node?.isConnected && !node.closest("[hidden]") &&
  (node.checkVisibility ? node.checkVisibility() : node.offsetParent !== null));

export class Widget {
  constructor(root, engine, store) {
    this.root = root;
    this.engine = engine;
    this.store = store;
    this.id = null; // the open incident, null for a new one
    this.record = null; // the record on screen: the truth, saved or not
    this.revision = null; // the stored revision this.record builds on
    this.pending = []; // actions applied to this.record but not saved yet: [{action, now}]
    this.view = null;
    this.saveProblem = null;
    this.editing = null; // timeline index whose time is being corrected
    this.copied = {}; // output name -> {at, text, when}: what the IC copied, for the time it is for
    this.messageAt = {}; // output name -> the time the message shown is computed for
    this.links = JSON.parse(root.dataset.links || "{}");
    this.labels = {};
    for (const radio of root.querySelectorAll('form[data-form="decide"] input[name="action"]')) {
      this.labels[radio.value] = radio.parentElement.textContent.trim();
    }
    this.live = root.querySelector("[data-live]");
    this.format = store.ticketFormat;
    this.bind();
    this.unsubscribe = engine.subscribe((event, detail) => this.onEngine(event, detail));
    this.showEngineState();
    // What the IC typed or chose while the page script was still on its way is kept: the
    // form is usable from the first paint.
    const early = this.earlyInput();
    this.open(this.idFromHash() ?? [...unsaved.keys()].pop() ?? this.mostRecent(), { focus: true });
    this.keepEarlyInput(early);
    // Storage can vanish under the page ("clear site data", another tab's localStorage.clear()):
    // the incident on screen is then written back, or the IC is told this browser lost it.
    this.storedCheck = setInterval(() => this.checkStored(), STORED_CHECK_MS);
    this.clock = setInterval(() => {
      if (!this.root.isConnected) return this.destroy();
      draw.drawDue(this, this.view);
      if (this.record && this.engine.state === "ready" && !document.hidden) this.refresh();
    }, REFRESH_MS);
    // Only an incident ID in the address opens an incident; any other anchor (a skip link, a
    // heading's permalink) leaves the open one as it is, and its ID is put back in the address.
    this.onHash = () => {
      const id = this.idFromHash();
      if (id) this.open(id);
      else if (this.id) this.setHash(this.id);
    };
    this.onStorage = (event) => this.storageChanged(event);
    // The sticky status bar's height (it grows with a message): what scrolls into view, by a
    // step link or by focus, stops below it (widget.css: scroll-padding-top).
    const bar = this.q("[data-summary-bar]");
    this.barSize = window.ResizeObserver ? new ResizeObserver(() => {
      const height = Math.ceil(bar.getBoundingClientRect().height);
      document.documentElement.style.setProperty("--rb-bar-height", `${height}px`);
    }) : null;
    this.barSize?.observe(bar);
    // Work on screen that storage does not hold yet: the browser asks before the tab closes.
    this.onUnload = (event) => {
      if (!this.pending.length && !this.lost) return;
      event.preventDefault();
      event.returnValue = "";
    };
    // The skip links go where they say without touching the address (the open incident's ID):
    // taken before Material's instant navigation, which would push their "#…" instead. Ours
    // goes to the next thing to do.
    this.onSkip = (event) => {
      const link = event.target.closest?.("a.md-skip");
      if (!link || !this.root.isConnected) return;
      if (link.classList.contains("rb-skip")) {
        event.preventDefault();
        event.stopPropagation();
        this.focusStep();
      } else {
        this.jump(event, link);
      }
    };
    window.addEventListener("hashchange", this.onHash);
    window.addEventListener("storage", this.onStorage);
    window.addEventListener("beforeunload", this.onUnload);
    document.addEventListener("click", this.onSkip, true);
  }

  destroy() {
    this.unsubscribe?.();
    clearInterval(this.clock);
    clearInterval(this.storedCheck);
    clearTimeout(this.retryTimer);
    for (const timer of Object.values(this.previewTimers ?? {})) clearTimeout(timer);
    window.removeEventListener("hashchange", this.onHash);
    window.removeEventListener("storage", this.onStorage);
    window.removeEventListener("beforeunload", this.onUnload);
    this.barSize?.disconnect();
    document.removeEventListener("click", this.onSkip, true);
  }

  q(selector, scope = this.root) {
    return scope.querySelector(selector);
  }

  qa(selector, scope = this.root) {
    return [...scope.querySelectorAll(selector)];
  }

  linkFor(href) {
    const [path, anchor] = href.split("#");
    const url = this.links[path] ?? path;
    return anchor ? `${url}#${anchor}` : url;
  }

  options() {
    return JSON.stringify({ draft_status: this.draftStatus(), ticket_format: this.format,
      drafts: this.messageDrafts() });
  }

  // What is typed into the forms whose fields go into a message: the engine's previews (and the
  // text the IC copies) include it.
  messageDrafts() {
    const drafts = {};
    for (const form of this.qa(PREVIEWED.map((type) => `form[data-form="${type}"]`).join(", "))) {
      drafts[form.dataset.form] = this.formValues(form).action;
    }
    return drafts;
  }

  draftStatus() {
    return this.q('form[data-form="status_update"] [name="text"]')?.value || "";
  }

  // ------------------------------------------------------------------ incidents

  idFromHash() {
    const match = ID_HASH.exec(window.location.hash);
    return match ? match[1] : null;
  }

  mostRecent() {
    return this.store.list().incidents.find((i) => !i.meta.archived)?.id ?? null;
  }

  setHash(id) {
    const hash = id ? `#${id}` : "";
    if (window.location.hash === hash) return;
    // replaceState: no scroll jump, no history entry, no hashchange
    history.replaceState(history.state, "", `${window.location.pathname}${window.location.search}${hash}`);
  }

  // Show an incident (or a new one): its record from the store (or, when storage could not take
  // its latest actions, from this page's memory), this tab's drafts for it. Leaving an incident
  // whose latest actions are not stored asks first. Resolves when it is drawn: true if opened.
  open(id, { focus = false, reload = false } = {}) {
    if (id && id === this.id && this.record && !reload) return Promise.resolve(true);
    if ((this.pending.length || this.lost) && this.id && id !== this.id) {
      if (!window.confirm(`${this.id} has changes this browser could not save. Leave it and lose ` +
        "them? (Cancel, then Export JSON, to keep them.)")) {
        this.setHash(this.id);
        return Promise.resolve(false);
      }
      unsaved.delete(this.id);
      this.pending = [];
      this.lost = false;
    }
    this.clearNotice();
    let entry = null;
    const kept = id ? unsaved.get(id) : null;
    if (id && !kept) {
      try {
        entry = this.store.read(id);
        if (!entry) this.notice(`${id} is not in this browser. Import its exported JSON to continue it here.`);
      } catch (error) {
        this.notice(`${id} is saved in this browser but cannot be read (${error.message}); it is ` +
          "kept as it is. Import an exported copy, or start a new incident.");
      }
    }
    this.id = entry || kept ? id : null;
    this.record = kept ? kept.record : entry?.record ?? null;
    this.revision = kept ? kept.revision : entry?.revision ?? null;
    this.pending = kept ? [...kept.pending] : [];
    this.lost = kept?.problem?.kind === "lost";
    this.editing = null;
    this.setHash(this.id);
    this.resetControls();
    this.drafts = this.store.drafts(this.id);
    this.restoreDrafts();
    this.root.dataset.incidentId = this.id || "";
    this.setSaveProblem(kept ? kept.problem : this.store.health() === "blocked" ? { kind: "blocked" } : null);
    this.drawIncidents();
    const drawn = this.engine.state !== "error" ? this.refresh() : Promise.resolve();
    if (!this.record) this.drawProvisionalBar(null);
    else this.drawProvisionalBar(entry?.meta);
    this.showSavedAnswers();
    // A new incident: its summary field, at once where it is shown, else once drawn (unless the
    // IC has gone on elsewhere meanwhile).
    const summary = this.q('form[data-form="declare"] [name="summary"]');
    const focusSummary = () => {
      const active = document.activeElement;
      if (!focus || this.record || !isShown(summary)) return;
      if (!active || active === document.body || active === summary || active.closest?.("[data-panel='incidents']")) {
        summary.focus({ preventScroll: true });
      }
    };
    focusSummary();
    return drawn.then(() => {
      focusSummary();
      return true;
    }, () => true);
  }

  // Before the engine is ready: the recommendation for the answers on screen, from the table
  // runbook_core computed for every combination at build time (view.decision_table). The engine
  // draws its own view as soon as it is ready, and stays the authority.
  drawProvisional() {
    if (this.engine.state === "ready" && this.view) return;
    const template = this.q("template[data-decisions]");
    if (!template) return;
    this.decisions ??= JSON.parse(template.content.textContent);
    const table = this.decisions;
    const answers = {};
    for (const fieldset of this.qa("fieldset[data-question]")) {
      answers[fieldset.dataset.question] = this.q("input:checked", fieldset)?.value ?? null;
    }
    let index = 0;
    table.questions.forEach((question, n) => {
      const values = table.values[n];
      index = index * values.length + Math.max(0, values.indexOf(answers[question]));
    });
    const rec = table.views[table.index[index]];
    draw.drawRecommendation(this, rec, { provisional: true });
    for (const node of this.qa('[data-field="severity"]')) node.textContent = rec.severity;
    const ask = new Set(rec.ask_fix_forward);
    for (const fieldset of this.qa('fieldset[data-group="fix_forward"]')) {
      fieldset.hidden = !ask.has(fieldset.dataset.question) && answers[fieldset.dataset.question] === null;
    }
    this.q("[data-ask-fix-forward]").hidden =
      !this.qa('fieldset[data-group="fix_forward"]').some((f) => !f.hidden);
  }

  // The saved record's answers on the radios, while the engine starts.
  showSavedAnswers() {
    if (!this.record || this.view) return;
    const saved = { ...this.record.impact, ...this.record.fix_forward };
    for (const fieldset of this.qa("fieldset[data-question]")) {
      for (const radio of this.qa("input", fieldset)) {
        radio.checked = radio.value === saved[fieldset.dataset.question];
      }
    }
    this.drawProvisional();
  }

  drawProvisionalBar(meta) {
    if (this.view) return;
    for (const node of this.qa('[data-summary-bar] [data-field="incident_id"]')) node.textContent = this.id || "new";
    for (const node of this.qa('[data-summary-bar] [data-field="status"]')) node.textContent = meta?.status || "Not declared";
  }

  drawIncidents() {
    draw.drawIncidents(this, this.store.list(), this.q("[data-show-archived]").checked);
  }

  meta(view) {
    return { summary: view.summary, status: view.status, updated_at: nowISO() };
  }

  // ------------------------------------------------------------------ engine

  onEngine(event, detail) {
    if (!this.root.isConnected) return this.destroy();
    if (event === "restarted") {
      this.notice(`The walkthrough engine stopped answering (${detail}) and was restarted; ` +
        "anything you had just sent is sent again.");
      this.announce("The engine was restarted; your last action is being sent again.");
    }
    this.showEngineState();
    if (event === "state" && detail === "ready") {
      this.refresh();
    }
  }

  showEngineState() {
    const state = this.engine.state;
    const ready = state === "ready" && this.view !== null;
    this.root.dataset.state = state === "error" ? "error" : ready ? "ready" : "loading";
    const status = this.q("[data-engine-status]");
    const message = this.q("[data-engine-message]");
    status.classList.toggle("rb-engine-error", state === "error");
    if (state === "error") {
      status.hidden = false;
      message.textContent = `The walkthrough engine could not start: ${this.engine.error}. ` +
        "What you typed is kept in this browser. Reload the page to try again.";
      this.q("[data-engine-fallback]").hidden = false;
      this.root.dataset.lastError = this.engine.error;
    } else if (state === "slow") {
      status.hidden = false;
      message.textContent = "The runbook engine is taking longer than usual to start (a slow " +
        "network?). Keep going: what you submit is applied as soon as it is ready.";
    } else if (ready) {
      status.hidden = true;
      this.root.dataset.engineReadyMs = String(this.engine.readyMs);
    } else {
      status.hidden = false;
    }
  }

  // Draw the record on screen as the engine sees it now.
  refresh() {
    return enqueue(async () => {
      let reply;
      try {
        reply = JSON.parse(await this.engine.call("render", json(this.record), nowISO(), this.options()));
      } catch (error) {
        if (this.engine.state !== "error") this.notice(`The walkthrough could not be drawn: ${error.message}.`);
        return;
      }
      if (!this.root.isConnected) return;
      if (!reply.ok) {
        // A saved record this version cannot read: kept in storage as is; start a new one.
        this.notice(`The incident saved in this browser could not be read (${reply.error.message}). ` +
          "It is kept in this browser's storage unchanged; import an exported JSON file or start a new incident.");
        this.root.dataset.lastError = reply.error.message;
        this.record = null;
        this.id = null;
        reply = JSON.parse(await this.engine.call("render", null, nowISO(), this.options()));
      }
      this.show(reply);
    });
  }

  show(reply) {
    this.record = reply.record?.declared_at ? reply.record : null;
    this.view = reply.view;
    draw.drawAll(this, reply.view);
    this.showEngineState();
  }

  // ------------------------------------------------------------------ actions

  // One action. `now` is taken at the click, even if the engine is still starting.
  act(action, scope, sent = {}) {
    const now = nowISO();
    const stepBefore = this.view?.current_step;
    this.clearErrors(scope);
    scope?.setAttribute("aria-busy", "true");
    if (this.engine.state !== "ready" && this.engine.state !== "error") {
      this.note(scope, "Waiting for the engine: this is applied as soon as it is ready.");
    }
    // Busy until the action is applied, saved (or known unsaved) and drawn.
    return enqueue(() => this.apply(action, scope, sent, now, stepBefore))
      .finally(() => scope?.removeAttribute("aria-busy"));
  }

  async apply(action, scope, sent, now, stepBefore) {
    let reply;
    try {
      reply = JSON.parse(await this.engine.call("dispatch", json(this.record), JSON.stringify(action), now, this.options()));
    } catch (error) {
      reply = { ok: false, error: { field: "", message: `Not recorded: ${error.message}. What you typed is kept.` } };
    }
    if (!this.root.isConnected) return false;
    this.clearErrors(scope);
    if (!reply.ok) {
      // A refusal that asks for a confirmation (a second escalation): its step in the form.
      const confirm = scope?.isConnected && reply.error?.field &&
        this.qa("[data-confirm]", scope).find((box) => box.dataset.confirm === reply.error.field);
      if (confirm) confirm.hidden = false;
      this.showError(scope?.isConnected ? scope : null, reply.error);
      if (reply.view) draw.drawQuestions(this, reply.view); // undo an answer not recorded
      return false;
    }
    if (action.type === "edit_timeline") this.editing = null; // the correction is done: close it
    const applied = await this.persist(reply, [{ action, now }]);
    if (applied) {
      for (const box of scope?.isConnected ? this.qa("[data-confirm]", scope) : []) box.hidden = true;
      this.clearSent(scope, sent);
      this.announce(this.doneMessage(action, this.view));
      this.focusNext(action, scope, stepBefore);
    }
    return applied;
  }

  // Save a reply's record on top of this tab's revision; on a conflict apply this tab's unsaved
  // actions to the newer record. Returns whether the action stands (saved or kept unsaved).
  async persist(reply, steps) {
    const all = [...this.pending, ...steps];
    // The IC sees the result at once; saving follows (the record on screen is the truth, and a
    // save that fails or meets another tab's change redraws what then stands).
    if (steps.length && reply.view !== this.view) this.show(reply);
    for (let attempt = 0; ; attempt += 1) {
      const id = reply.record.incident_id;
      const fresh = id !== this.id;
      const result = await this.store.commit(id, fresh ? null : this.revision, reply.record, this.meta(reply.view));
      if (result.ok) {
        if (fresh) this.adopt(id);
        this.revision = result.revision;
        this.pending = [];
        this.lost = false;
        unsaved.delete(id);
        this.setSaveProblem(null);
        if (result.restored) this.notice(this.words("restored", id));
        if (reply.view !== this.view) this.show(reply);
        this.drawIncidents();
        return true;
      }
      if ("conflict" in result && attempt < MAX_REBASES) {
        const newer = result.conflict;
        let rebased = { ok: true, record: newer?.record ?? null };
        for (const step of all) {
          rebased = JSON.parse(await this.engine.call("dispatch", json(rebased.record), JSON.stringify(step.action), step.now, this.options()));
          if (!rebased.ok) break;
        }
        if (!rebased.ok) {
          this.record = newer?.record ?? null;
          this.revision = newer?.revision ?? null;
          this.pending = [];
          if (!newer) {
            this.open(null);
            this.notice(`${id} was deleted in another tab while you changed it; your change was not kept.`);
            return false;
          }
          await this.refreshNow();
          this.notice(`Another tab changed ${id} at the same time, and your change could not be ` +
            `applied to its newer version: ${rebased.error.message} The newer version is shown.`);
          return false;
        }
        this.revision = newer?.revision ?? null;
        this.id = id;
        reply = rebased;
        continue;
      }
      // Not saved: keep it on screen (and in this page's memory), say so, retry.
      if (fresh) this.adopt(id);
      this.pending = all;
      const problem = result.error ?? { kind: "busy" };
      if (problem.kind === "lost") {
        this.lost = true; // nothing to replay, but the record on screen is all there is
        this.notice(this.words("lost", id));
      }
      unsaved.set(id, { record: reply.record, revision: this.revision, pending: all, problem });
      this.setSaveProblem(problem);
      if (reply.view !== this.view) this.show(reply); // a retry redraws nothing (focus stays)
      return true;
    }
  }

  // A new incident got its ID: it becomes the open one (in the URL too), with this tab's drafts.
  adopt(id) {
    this.store.saveDrafts(id, this.drafts);
    this.store.saveDrafts(null, {});
    this.id = id;
    this.revision = null;
    this.setHash(id);
    this.root.dataset.incidentId = id;
  }

  async refreshNow() {
    const reply = JSON.parse(await this.engine.call("render", json(this.record), nowISO(), this.options()));
    if (reply.ok) this.show(reply);
  }

  setSaveProblem(problem) {
    clearTimeout(this.retryTimer);
    this.saveProblem = problem;
    this.root.dataset.saveState = problem ? "unsaved" : "saved";
    const message = this.q("[data-save-message]");
    const detail = this.q("[data-save-detail]");
    message.hidden = detail.hidden = !problem;
    // The same text is not written again: a screen reader would announce it at every retry.
    const [text, more] = !problem ? ["", ""] : this.saveProblemWords(problem);
    if (message.textContent !== text) message.textContent = text;
    if (detail.textContent !== more) detail.textContent = more;
    if (problem && (this.pending.length || this.lost)) {
      this.retryTimer = setTimeout(() => this.retrySave(), RETRY_SAVE_MS);
    }
  }

  // What the page says about a failed save: its words are in the markup (the partial), by kind.
  saveProblemWords(problem) {
    const words = this.qa("[data-save-problems] [data-kind]").find((p) => p.dataset.kind === problem.kind) ??
      this.q('[data-save-problems] [data-kind="other"]');
    return [words.dataset.short.replace("{reason}", problem.message || ""), words.textContent];
  }

  // Try again to save what is on screen; persist() applies the unsaved actions to another tab's
  // newer version when there is one.
  retrySave() {
    if ((!this.pending.length && !this.lost) || !this.record || !this.id) {
      if (this.store.health() === "ok") this.setSaveProblem(null);
      return;
    }
    enqueue(async () => {
      const saved = await this.persist({ ok: true, record: this.record, view: this.view }, []);
      if (saved && !this.saveProblem) this.announce(`Saved: ${this.id} is stored in this browser again.`);
    });
  }

  // The open incident is no longer in storage although nobody deleted it: write it back (the
  // store tells a clear from a delete).
  checkStored() {
    if (!this.root.isConnected) return this.destroy();
    if (!this.id || !this.record || this.revision === null || this.pending.length || this.lost) return;
    if (this.store.has(this.id)) return;
    enqueue(async () => {
      if (!this.id || !this.record || this.pending.length || this.store.has(this.id)) return;
      await this.persist({ ok: true, record: this.record, view: this.view }, []);
    });
  }

  // Words for what happened to storage, from the markup ([data-storage-words], by kind).
  words(kind, id) {
    const node = this.qa("[data-storage-words] [data-kind]").find((p) => p.dataset.kind === kind);
    return node ? node.textContent.trim().replaceAll("{id}", id) : "";
  }

  storageChanged(event) {
    if (!this.root.isConnected) return this.destroy();
    if (event.key === null) this.checkStored(); // another tab cleared this site's storage
    if (event.key === null || event.key?.startsWith(this.store.incidentPrefix)) this.drawIncidents();
    if (!this.id || event.key !== this.store.key(this.id) || this.pending.length) return;
    // Another tab saved this incident: show its version (after what this tab is doing).
    enqueue(async () => {
      let entry;
      try {
        entry = this.store.read(this.id);
      } catch {
        return;
      }
      if (!entry) {
        const gone = this.id;
        this.open(null); // (it clears notices: the notice comes after)
        this.notice(`${gone} was deleted in another tab. Import its exported JSON to bring it back.`);
        return;
      }
      if (entry.revision === this.revision) return;
      this.record = entry.record;
      this.revision = entry.revision;
      await this.refreshNow();
      this.announce(`${this.id} was updated in another tab.`);
    });
  }

  // ------------------------------------------------------------------ events

  bind() {
    const root = this.root;
    root.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target.closest("form[data-form]");
      const submitter = event.submitter;
      if (submitter?.getAttribute("aria-disabled") === "true") {
        const why = this.q("[data-why-not]", form);
        if (why && !why.hidden) this.announce(why.textContent);
        return;
      }
      this.submit(form, submitter);
    });
    root.addEventListener("click", (event) => {
      const target = event.target.closest("button, a");
      if (!target || !root.contains(target)) return;
      if (target.matches("a[href]") && this.anchorOf(target)) return this.jump(event, target);
      if (target.dataset.command) this.command(target);
      else if (target.dataset.action && target.type === "button") {
        this.act({ type: target.dataset.action, index: Number(target.dataset.index) }, target.closest("li") || target);
      }
    });
    root.addEventListener("input", (event) => {
      if (event.target.matches("[data-draft]")) this.saveDraft(event.target);
      const form = event.target.closest("form[data-form]");
      if (form && PREVIEWED.includes(form.dataset.form)) this.schedulePreview(form);
    });
    root.addEventListener("change", (event) => {
      const target = event.target;
      const fieldset = target.closest("fieldset[data-question]");
      if (fieldset && target.type === "radio") return this.answerChanged(fieldset, target);
      if (target.matches("[data-draft]")) this.saveDraft(target);
      if (target.name === "oncall_available") this.drawFirstResponder();
      if (target.closest('form[data-form="decide"]') && target.name === "action") draw.drawDeviation(this);
      if (target.matches("[data-ticket-format]")) {
        this.format = target.value;
        this.store.ticketFormat = target.value;
        this.refresh();
      }
      if (target.matches("[data-show-archived]")) this.drawIncidents();
      if (target.matches("[data-import-file]") && target.files.length) {
        this.importFile(target.files[0]);
        target.value = "";
      }
    });
    root.addEventListener("keydown", (event) => {
      const fieldset = event.target.closest?.("fieldset[data-question]");
      if (fieldset) this.answerKey(fieldset, event);
      // Ctrl/Cmd+Enter in a text area submits its form.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.matches("textarea")) {
        event.preventDefault();
        event.target.form?.requestSubmit();
      }
    });
    root.addEventListener("focusout", (event) => {
      const fieldset = event.target.closest?.("fieldset[data-question]");
      if (fieldset?.dataset.pending && !fieldset.contains(event.relatedTarget)) this.confirmAnswer(fieldset);
    });
  }

  // The element id a link points to on this page (Material makes every href absolute), or null;
  // never an incident's ID.
  anchorOf(link) {
    const url = new URL(link.href, window.location.href);
    const here = window.location;
    if (url.origin !== here.origin || url.pathname !== here.pathname || url.search !== here.search) return null;
    const id = decodeURIComponent(url.hash.slice(1));
    return id && !ID_HASH.test(url.hash) ? id : null;
  }

  // In-page links move to their step without touching the URL (it names the open incident):
  // Material's instant navigation, which would push "#step-…" instead, never sees the click.
  jump(event, link) {
    const target = document.getElementById(this.anchorOf(link) ?? "");
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    target.scrollIntoView({ block: "start" });
    const heading = target.querySelector("[tabindex='-1']") || target;
    heading.focus({ preventScroll: true });
  }

  // A radio chosen with the mouse, touch or Space is an answer; one reached with the arrow keys
  // is only a choice until Enter (or leaving the question) confirms it.
  answerKey(fieldset, event) {
    if (event.key.startsWith("Arrow")) fieldset.dataset.arrowed = "true";
    else if ((event.key === "Enter" || event.key === " ") && fieldset.dataset.pending &&
      event.target.checked) {
      event.preventDefault(); // Space on the option already chosen: it changes nothing itself
      this.confirmAnswer(fieldset);
    } else if (event.key === " ") delete fieldset.dataset.arrowed;
  }

  answerChanged(fieldset, radio) {
    if (fieldset.dataset.arrowed) {
      delete fieldset.dataset.arrowed;
      fieldset.dataset.pending = radio.value;
      this.note(fieldset, "Press Enter to record this answer.");
      return;
    }
    delete fieldset.dataset.pending;
    this.act({ type: "answer", question: fieldset.dataset.question, value: radio.value }, fieldset);
    this.drawProvisional();
  }

  confirmAnswer(fieldset) {
    const value = fieldset.dataset.pending;
    delete fieldset.dataset.pending;
    if (value) this.act({ type: "answer", question: fieldset.dataset.question, value }, fieldset);
    this.drawProvisional();
  }

  // The action a form sends: its type, and the value of every named control in it.
  formValues(form, submitter = null) {
    const action = { type: form.dataset.form };
    const sent = {};
    for (const control of form.elements) {
      const name = control.name;
      if (!name || control.type === "submit") continue;
      if (control.closest("[hidden]") && control.type !== "hidden") continue; // not asked now
      let value;
      if (control.type === "radio") {
        if (!control.checked) {
          if (!(name in action)) action[name] = null;
          continue;
        }
        value = control.value;
      } else if (control.type === "checkbox") {
        value = control.hasAttribute("data-invert") ? !control.checked : control.checked;
      } else {
        value = control.value;
        if (value === "" && !control.hasAttribute("data-mirror")) continue; // not given
      }
      action[name] = value;
      sent[name] = control.type === "checkbox" ? control.checked : value;
    }
    if (submitter?.name) action[submitter.name] = submitter.value;
    if (form.dataset.index !== undefined) action.index = Number(form.dataset.index);
    return { action, sent };
  }

  submit(form, submitter) {
    if (!form || form.getAttribute("aria-busy") === "true") return; // no double submits
    const { action, sent } = this.formValues(form, submitter);
    // A message copied is logged as posted at the time it was computed for (the time it
    // says), with its text: the engine records it only if it is still exactly that text.
    const copied = this.copied[form.dataset.copiedFrom];
    if (copied && Date.now() - copied.when < COPY_VALID_MS) {
      if (!action.at) action.at = copied.at;
      action.copied = copied.text;
    }
    this.act(action, form, sent);
  }

  command(button) {
    const name = button.dataset.command;
    const id = button.dataset.id;
    if (name === "copy") this.copy(button);
    else if (name === "download-ticket") {
      download(this.view?.ticket_filename || "incident.md", this.q('[data-output="ticket"]').textContent,
        "text/plain;charset=utf-8");
      this.announce("Ticket downloaded.");
    } else if (name === "export") this.exportRecord();
    else if (name === "import") this.q("[data-import-file]").click();
    else if (name === "new-incident") {
      this.open(null, { focus: true }).then((opened) => {
        if (opened) this.announce("New incident: the form is empty. The others stay in the list.");
      });
    } else if (name === "open-incident") {
      this.open(id).then((opened) => {
        if (!opened) return;
        this.focusStep();
        this.announce(`Opened ${id}.`);
      });
    } else if (name === "archive-incident" || name === "unarchive-incident") {
      enqueue(async () => {
        const result = await this.store.setMeta(id, { archived: name === "archive-incident" });
        this.drawIncidents();
        this.announce(result.ok ? `${id} ${name === "archive-incident" ? "archived" : "restored"}.` : `Not changed: ${result.error.message}.`);
      });
    } else if (name === "delete-incident") this.deleteIncident(id);
    else if (name === "edit-time") {
      this.editing = Number(button.dataset.index);
      draw.drawTimeline(this, this.view);
      this.q('form[data-form="edit_timeline"] input')?.focus();
    } else if (name === "cancel-edit") {
      const index = this.editing;
      this.editing = null;
      draw.drawTimeline(this, this.view);
      this.qa("[data-command='edit-time']").find((b) => Number(b.dataset.index) === index)?.focus();
    }
  }

  deleteIncident(id) {
    if (!window.confirm(`Delete ${id} from this browser? Its record is gone for good unless you ` +
      "exported it. Export it first if you still need it.")) return;
    enqueue(async () => {
      if (id === this.id) {
        this.pending = []; // deleting it is what the IC asked for
        this.lost = false;
        unsaved.delete(id);
      }
      await this.store.remove(id);
      if (id === this.id) this.open(null);
      this.drawIncidents();
      this.announce(`${id} deleted from this browser.`);
    });
  }

  async copy(button) {
    const name = button.dataset.target;
    // A new copy starts: the button no longer says "Copied" (the text may still change).
    const label = [...button.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (label && button.dataset.label) label.textContent = button.dataset.label;
    button.classList.remove("rb-copied");
    clearTimeout(button.copyTimer);
    // A message that follows what is typed: copied as it is for the last keystroke.
    const typed = this.qa("form[data-copied-from]").find((f) =>
      f.dataset.copiedFrom === name && PREVIEWED.includes(f.dataset.form));
    if (typed) await this.previewNow(typed).catch(() => {});
    const target = this.q(`[data-output="${name}"]`);
    const text = target.textContent;
    const at = this.messageAt[name] || nowISO();
    const copied = await copyText(text, target, button);
    if (copied) this.copied[name] = { at, text, when: Date.now() };
    // Only the visible words change: the hidden rest keeps the name unique ("… declaration message").
    const words = [...button.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!words) return;
    button.dataset.label ??= words.textContent;
    words.textContent = copied ? "Copied ✓" : "Selected: press Ctrl+C";
    button.classList.toggle("rb-copied", copied);
    this.announce(copied ? "Copied to the clipboard." : "The text is selected: press Ctrl+C to copy.");
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      words.textContent = button.dataset.label;
      button.classList.remove("rb-copied");
    }, 2000);
  }

  // The message beside a form, as the engine computes it for what is typed now (the function
  // the action records it with); only the latest keystroke's preview is drawn.
  schedulePreview(form, delay = PREVIEW_DELAY_MS) {
    const type = form.dataset.form;
    this.previewTimers ??= {};
    clearTimeout(this.previewTimers[type]);
    this.previewTimers[type] = setTimeout(() => this.previewNow(form).catch(() => {}), delay);
  }

  previewNow(form) {
    const type = form.dataset.form;
    this.previewSeq ??= {};
    clearTimeout(this.previewTimers?.[type]);
    if (!this.record || this.engine.state !== "ready") return Promise.resolve();
    const seq = (this.previewSeq[type] = (this.previewSeq[type] ?? 0) + 1);
    return enqueue(async () => {
      if (seq !== this.previewSeq[type]) return; // a newer keystroke's preview follows
      const action = this.formValues(form).action;
      const reply = JSON.parse(await this.engine.call("preview", json(this.record), JSON.stringify(action), nowISO()));
      if (reply.ok && this.root.isConnected) draw.drawMessage(this, reply.kind, reply.text, reply.at);
    });
  }

  exportRecord() {
    if (!this.record) {
      this.showError(this.q("[data-step=ticket]"), { field: "record", message: "Nothing to export yet: declare the incident first." });
      return;
    }
    enqueue(async () => {
      try {
        const text = await this.engine.call("export_record", json(this.record));
        download(`${this.id || "incident"}.json`, text, "application/json");
        this.announce(`Exported ${this.id}.json`);
      } catch (error) {
        this.showError(this.q("[data-step=ticket]"), { field: "record", message: error.message });
      }
    });
  }

  // An import never touches another incident, and asks before it replaces newer local work.
  // Every way it can fail says so, in the markup's words, and changes nothing.
  importFile(file) {
    const scope = this.q("[data-step=ticket]");
    this.clearErrors(scope);
    enqueue(() => this.importNow(file, scope)).catch((error) => {
      this.importProblem(scope, file, "error", error?.message || String(error));
    });
  }

  async importNow(file, scope) {
    let reply;
    try {
      reply = JSON.parse(await this.engine.call("import_record", await file.text(), nowISO(), this.options()));
    } catch (error) {
      reply = { ok: false, error: { field: "record", message: error.message } };
    }
    if (!reply.ok || !reply.record?.incident_id) {
      const why = reply.ok ? "it has no incident ID (it was never declared)" : reply.error.message;
      this.importProblem(scope, file, "invalid", why);
      return;
    }
    const id = reply.record.incident_id;
    let local;
    try {
      local = this.store.read(id);
    } catch {
      local = null;
    }
    // What would be replaced: the version on screen when it is the open incident (it may hold
    // actions storage could not take), else the stored one.
    const shown = id === this.id && this.record ? this.record : local?.record;
    if (shown) {
      const lost = newerEntries(shown, reply.record);
      if (JSON.stringify(shown) === JSON.stringify(reply.record)) {
        this.open(id);
        this.announce(`${id} is already here, identical.`);
        return;
      }
      const gained = newerEntries(reply.record, shown);
      const entries = (n) => `${n} timeline entr${n === 1 ? "y" : "ies"}`;
      const question = lost.length
        ? `${id} in this browser is newer than ${file.name}: it has ${entries(lost.length)} the ` +
          `file does not (the newest: "${lost[lost.length - 1].event}" at ` +
          `${hhmm(lost[lost.length - 1].at)} UTC). Replace it with the file and lose them?`
        : `Replace ${id} in this browser with ${file.name}? The file has ${entries(gained.length)} ` +
          "this browser does not, and nothing in this browser's timeline is missing from it.";
      if (!window.confirm(question)) {
        this.announce("Import cancelled: nothing changed.");
        return;
      }
    }
    const result = await this.store.commit(id, local ? local.revision : null, reply.record, this.meta(reply.view));
    if (!result.ok) {
      if ("conflict" in result) this.importProblem(scope, file, "conflict", "");
      else this.importProblem(scope, file, result.error?.kind, result.error?.message || "");
      return;
    }
    if (id === this.id) {
      this.pending = []; // replaced, as the IC confirmed
      unsaved.delete(id);
    }
    this.open(id, { reload: true });
    this.announce(`Imported ${id}.`);
  }

  // A failed import, in the words of the markup ([data-import-problems], by kind): what
  // happened and what to do; nothing on screen or in storage changed.
  importProblem(scope, file, kind, why) {
    const words = this.qa("[data-import-problems] [data-kind]").find((p) => p.dataset.kind === kind) ??
      this.q('[data-import-problems] [data-kind="error"]');
    const message = words.textContent.trim().replace("{file}", file.name)
      .replace("{why}", why.trim().replace(/\.$/, ""));
    this.showError(scope, { field: "record", message });
    this.announce(message); // (not "Not recorded": nothing was sent to the record)
  }

  // ------------------------------------------------------------------ drafts and controls

  controlKey(control) {
    const form = control.closest("form[data-form]");
    return form ? `${form.dataset.form}.${control.name}` : control.name;
  }

  saveDraft(control) {
    const key = this.controlKey(control);
    if (control.type === "radio") {
      if (control.checked) this.drafts[key] = control.value;
    } else if (control.type === "checkbox") this.drafts[key] = control.checked;
    else this.drafts[key] = control.value;
    this.store.saveDrafts(this.id, this.drafts);
  }

  // Drafts are matched to controls by walking the controls (never by building a selector from a
  // stored key, which could be anything).
  restoreDrafts() {
    for (const control of this.qa("[data-draft]")) {
      const key = this.controlKey(control);
      if (!(key in this.drafts)) continue;
      const value = this.drafts[key];
      if (control.type === "radio") control.checked = control.value === value;
      else if (control.type === "checkbox") control.checked = Boolean(value);
      else if (typeof value === "string") control.value = value;
    }
    this.drawFirstResponder();
  }

  // After success: forget what was sent, unless it was edited again meanwhile.
  clearSent(form, sent) {
    if (!form || form.tagName !== "FORM") return;
    let changed = false;
    for (const control of form.querySelectorAll("[data-clear-after]")) {
      const key = this.controlKey(control);
      const now = control.type === "checkbox" ? control.checked : control.type === "radio"
        ? (control.checked ? control.value : undefined) : control.value;
      if (control.name in sent && control.type !== "radio" && now !== sent[control.name]) continue;
      if (control.type === "radio" || control.type === "checkbox") control.checked = false;
      else control.value = "";
      delete this.drafts[key];
      changed = true;
    }
    if (changed) this.store.saveDrafts(this.id, this.drafts);
    // The message beside it was drawn with what was sent: now it is for the emptied fields.
    if (changed && PREVIEWED.includes(form.dataset.form)) this.schedulePreview(form, 0);
    this.drawFirstResponder();
  }

  // Input given before mounting: drafts by control, and the questions answered.
  earlyInput() {
    const drafts = {};
    for (const control of this.qa("[data-draft]")) {
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) drafts[this.controlKey(control)] = control.type === "radio" ? control.value : true;
      } else if (control.value) {
        drafts[this.controlKey(control)] = control.value;
      }
    }
    const answers = this.qa("fieldset[data-question]").map((fieldset) =>
      [fieldset, this.q("input:checked", fieldset)?.value]).filter(([, value]) => value);
    return { drafts, answers };
  }

  keepEarlyInput({ drafts, answers }) {
    if (Object.keys(drafts).length) {
      Object.assign(this.drafts, drafts);
      this.store.saveDrafts(this.id, this.drafts);
      this.restoreDrafts();
    }
    for (const [fieldset, value] of answers) {
      const saved = this.record && { ...this.record.impact, ...this.record.fix_forward }[fieldset.dataset.question];
      if (saved === value) continue;
      for (const radio of this.qa("input", fieldset)) radio.checked = radio.value === value;
      this.act({ type: "answer", question: fieldset.dataset.question, value }, fieldset);
    }
    if (answers.length) this.drawProvisional();
  }

  resetControls() {
    for (const form of this.qa("form")) form.reset();
    for (const box of this.qa("[data-confirm]")) box.hidden = true;
    for (const fieldset of this.qa("fieldset[data-question]")) {
      delete fieldset.dataset.pending;
      for (const radio of this.qa("input", fieldset)) radio.checked = false;
    }
    this.view = null;
    this.clearErrors(this.root);
  }

  drawFirstResponder() {
    const unavailable = this.q('[name="oncall_available"]')?.checked;
    const box = this.q('[data-show-if="oncall_available"]');
    if (box) box.hidden = !unavailable;
  }

  // ------------------------------------------------------------------ focus and messages

  // After a step: focus the next thing to do. The escalation when one is required; a message to
  // post from the step just done; a form or question in a step that goes on (timeline,
  // follow-ups, details, the impact questions) keeps it; else the current step's next control.
  // Focus the IC has moved elsewhere meanwhile is left alone; focus never falls to the body.
  focusNext(action, scope, stepBefore) {
    const view = this.view;
    if (!view) return;
    const active = document.activeElement;
    const inScope = Boolean(scope?.isConnected && active && scope.contains(active));
    if (active && active !== document.body && active !== this.root && !inScope && isShown(active)) return;
    const section = scope?.closest?.("section[data-step], section[data-panel]") ?? null;
    let target = null;
    if (view.escalation.required) target = this.marked(this.q("[data-major]"));
    const due = view.messages.find((m) => m.due);
    if (!target && due && section) target = this.marked(this.q(`[data-output-box="${due.kind}-message"]`, section));
    const stays = view.current_step === stepBefore; // (an answer that completes a step moves on)
    if (!target && stays && isShown(scope)) {
      if (inScope && isShown(active)) return;
      target = this.controls(scope)[0];
    }
    // A time corrected: the button that opened the correction, on the same entry.
    if (!target && action.type === "edit_timeline") {
      target = this.qa("[data-command='edit-time']").find((b) => Number(b.dataset.index) === action.index);
    }
    // A removed list item: the form that adds to the same list.
    if (!target && stays && section && !scope?.matches?.("form, fieldset")) {
      target = this.controls(this.q('form[data-form^="add_"]', section) ?? section)[0];
    }
    target ??= this.stepTarget(view);
    target?.focus();
  }

  // The skip link, and an incident just opened: the current step's next control.
  focusStep() {
    const target = this.stepTarget(this.view) ?? this.q('form[data-form="declare"] [name="summary"]');
    target?.focus();
  }

  // The first shown [data-focus-first] control in `container`.
  marked(container) {
    return container ? this.qa("[data-focus-first]", container).find(isShown) ?? null : null;
  }

  // The controls a keyboard can use in `container`, in order (not disabled, not hidden).
  controls(container) {
    if (!container) return [];
    return this.qa("input:not([type=hidden]), textarea, select, button", container).filter((c) =>
      isShown(c) && !c.disabled && c.tabIndex >= 0 && c.getAttribute("aria-disabled") !== "true");
  }

  // The next thing to do in the current step: its first empty field (a text box, or a choice
  // with nothing chosen), else its first marked button, else its heading.
  stepTarget(view) {
    const step = view?.current_step;
    const section = step && this.q(`section[data-step="${step}"]`);
    if (!section) return null;
    const major = this.q("[data-major]");
    const usable = this.controls(section).filter((c) =>
      (c.closest("form[data-form]") || c.closest("fieldset[data-question]")) &&
      (view.escalation.required || !major?.contains(c)));
    const empty = (c) => {
      if (c.type === "radio") {
        const group = c.closest("fieldset") || c.form;
        return ![...group.querySelectorAll('input[type="radio"]')].some((r) => r.name === c.name && r.checked);
      }
      return (c.tagName === "TEXTAREA" || c.type === "text") && c.value === "";
    };
    return usable.find(empty) ?? usable.find((c) => c.hasAttribute("data-focus-first")) ?? usable[0] ??
      this.q(`#step-${step}-title`);
  }

  doneMessage(action, view) {
    switch (action.type) {
      case "declare":
        return `Declared ${view.incident_id}. Copy the declaration message and post it in the channel.`;
      case "answer":
        return `Answer recorded. The runbook recommends: ${view.recommendation.label}; fix forward ` +
          `${view.recommendation.fix_forward_permitted ? "is permitted" : "is not permitted"}.`;
      case "decide":
        return `Decision recorded: ${view.decision?.label}.`;
      case "mitigation_outcome":
        return view.escalation.required
          ? "The rollback failed: a major incident. Escalate now with the message shown, then record it."
          : "Outcome recorded.";
      case "status_update":
        return `Status update logged. Next one due ${hhmm(view.next_update_due)} UTC.`;
      case "resolve":
        return "Incident resolved. Post the resolution message; the ticket is complete.";
      case "edit_timeline":
        return "Time corrected.";
      case "add_timeline":
        return "Added to the timeline.";
      default:
        return `Recorded. Status: ${view.status}.`;
    }
  }

  // Announced to screen readers and shown in the status bar (never over the controls).
  announce(text) {
    const live = this.live;
    live.textContent = "";
    clearTimeout(live.clearTimer);
    setTimeout(() => {
      live.textContent = text;
      live.clearTimer = setTimeout(() => {
        live.textContent = "";
      }, 8000);
    }, 50);
  }

  notice(text) {
    const slot = this.q("[data-notice]");
    slot.textContent = text;
    slot.hidden = false;
    this.root.dataset.lastError = text;
  }

  clearNotice() {
    const slot = this.q("[data-notice]");
    slot.hidden = true;
    slot.textContent = "";
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
    const slots = this.qa("[data-error-for]", scope);
    let slot = slots.find((s) => s.dataset.errorFor === field);
    if (!slot && scope === this.root) slot = this.q("[data-widget-error]");
    if (!slot) slot = this.q("[data-error-general]", scope) || slots[0];
    if (slot) {
      slot.textContent = short;
      slot.classList.remove("rb-pending");
      slot.hidden = false;
    }
    const control = [...scope.querySelectorAll("[name]")].find((c) => c.name === field && !c.closest("[hidden]"));
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus({ preventScroll: false });
    }
    this.announce(short.startsWith("Not ") ? short : `Not recorded: ${short}`);
  }
}

// Timeline entries of `local` that `imported` does not have: what replacing would lose.
function newerEntries(local, imported) {
  const seen = new Set((imported.timeline || []).map((e) => `${e.at}\u0000${e.event}`));
  return (local.timeline || []).filter((e) => !seen.has(`${e.at}\u0000${e.event}`))
    .sort((a, b) => a.at.localeCompare(b.at));
}

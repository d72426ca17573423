// The Widget's incidents and saving: opening an incident, applying an action through the engine,
// saving it on top of the revision read (rebasing when another tab saved first), retrying and
// noticing storage changed under the page. Methods of Widget (see widget.js).

import * as draw from "./draw.js";
import { nowISO } from "./dom.js";
import { enqueue, isShown, unsaved } from "./shared.js";

const RETRY_SAVE_MS = 4000;
const MAX_REBASES = 3;

export class Incidents {
  // Show an incident (or a new one): its record from the store (or, when storage could not take
  // its latest actions, from this page's memory), this tab's drafts for it. Leaving an incident
  // whose latest actions are not stored asks first. Resolves when it is drawn: true if opened.
  // (mounting: the incidents list and the first focus are the widget's start(), a turn later.)
  open(id, { focus = false, reload = false, mounting = false } = {}) {
    if (id && id === this.id && this.record && !reload) return Promise.resolve(true);
    if (!this.mayLeave(id)) return Promise.resolve(false);
    this.clearNotice();
    const kept = id ? unsaved.get(id) : null;
    const previous = this.id;
    const entry = id && !kept ? this.readStored(id) : null;
    this.take(id, entry, kept);
    this.setHash(this.id);
    this.resetControls();
    this.drafts = this.store.drafts(this.id);
    this.restoreDrafts();
    this.root.dataset.incidentId = this.id || "";
    this.setSaveProblem(kept ? kept.problem : this.store.health() === "blocked" ? { kind: "blocked" } : null);
    if (!mounting) this.drawIncidents();
    // The bar of the incident left behind (its IC, impact, due update) goes at once, not when
    // the engine has drawn the new one (issue 16.7).
    const changed = previous !== this.id;
    const drawn = this.engine.state !== "error" ? this.refresh() : Promise.resolve();
    if (!this.record) this.drawProvisionalBar(null, changed);
    else this.drawProvisionalBar(entry?.meta, changed);
    this.showSavedAnswers();
    // A new incident: its summary field, at once where it is shown, else once drawn (unless the
    // IC has gone on elsewhere meanwhile).
    if (focus && !mounting) this.focusSummary();
    return drawn.then(() => {
      if (focus) this.focusSummary();
      return true;
    }, () => true);
  }

  // The incident on screen becomes `id`: its record from this page's memory (`kept`, not
  // stored yet) or from storage (`entry`); with neither, a new one.
  take(id, entry, kept) {
    this.id = entry || kept ? id : null;
    this.record = kept ? kept.record : entry?.record ?? null;
    this.revision = kept ? kept.revision : entry?.revision ?? null;
    this.pending = kept ? [...kept.pending] : [];
    this.lost = kept?.problem?.kind === "lost";
    this.editing = null;
  }

  // Leaving the open incident for `id`: when its latest actions are not stored, only once the IC
  // confirms (they are then dropped). Whether to go on.
  mayLeave(id) {
    if (!(this.pending.length || this.lost) || !this.id || id === this.id) return true;
    if (!window.confirm(this.say("leave-unsaved", { id: this.id }))) {
      this.setHash(this.id);
      return false;
    }
    unsaved.delete(this.id);
    this.pending = [];
    this.lost = false;
    return true;
  }

  // The stored entry of `id`, or null (the IC is told why).
  readStored(id) {
    try {
      const entry = this.store.read(id);
      if (!entry) this.notice(this.say("not-here", { id }));
      return entry;
    } catch (error) {
      this.notice(this.say("cannot-read", { id, why: error.message }));
      return null;
    }
  }

  // A new incident's summary field, unless the IC has gone on elsewhere.
  focusSummary() {
    const summary = this.q('form[data-form="declare"] [name="summary"]');
    const active = document.activeElement;
    // Tested first, without reading the layout: focus already there, or the IC elsewhere
    // (isShown after a draw forced a style and layout pass, issue 18).
    if (this.record || !summary || active === summary) return;
    if (active && active !== document.body && !active.closest?.("[data-panel='incidents']")) return;
    if (isShown(summary)) summary.focus({ preventScroll: true });
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
    // The table gives each answer its offset (an unanswered question adds none).
    let index = 0;
    for (const fieldset of this.qa("fieldset[data-question]")) {
      const value = this.q("input:checked", fieldset)?.value;
      index += table.offsets[fieldset.dataset.question]?.[value] ?? 0;
    }
    const rec = table.views[table.index[index]];
    draw.drawRecommendation(this, rec, { provisional: true });
    for (const node of this.qa('[data-field="severity"]')) node.textContent = rec.severity;
    const ask = new Set(rec.asked);
    for (const fieldset of this.qa('fieldset[data-group="fix_forward"]')) {
      fieldset.hidden = !ask.has(fieldset.dataset.question);
    }
    this.q("[data-ask-fix-forward]").hidden =
      !this.qa('fieldset[data-group="fix_forward"]').some((f) => !f.hidden);
    this.provisional = rec; // whether a deviation needs a reason, until the engine answers
    draw.drawDeviation(this);
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

  drawProvisionalBar(meta, changed = false) {
    // The bar's words before any incident is drawn (the markup's), to put back on a change.
    this.barBlank ??= Object.fromEntries(["ic", "severity"].map((name) =>
      [name, this.q(`[data-summary-bar] [data-field="${name}"]`)?.textContent ?? ""]));
    if (this.view && !changed) return;
    for (const node of this.qa('[data-summary-bar] [data-field="incident_id"]')) node.textContent = this.id || node.dataset.empty;
    for (const node of this.qa('[data-summary-bar] [data-field="status"]')) node.textContent = meta?.status || node.dataset.empty;
    if (!changed) return;
    for (const [name, text] of Object.entries(this.barBlank)) {
      for (const node of this.qa(`[data-summary-bar] [data-field="${name}"]`)) node.textContent = text;
    }
    for (const node of this.qa("[data-due]")) node.hidden = true;
  }

  drawIncidents() {
    const list = this.store.list();
    draw.drawIncidents(this, list, this.q("[data-show-archived]").checked);
    // An archived incident (opened by its address) says so: the list shows it only on request.
    const note = this.q("[data-archived-note]");
    if (note) note.hidden = !list.incidents.some((i) => i.id === this.id && i.meta.archived);
  }

  meta(view) {
    return { summary: view.summary, status: view.status, updated_at: nowISO() };
  }

  // ------------------------------------------------------------------ engine

  // One action. `now` is taken at the click, even if the engine is still starting.
  act(action, scope, sent = {}) {
    const now = nowISO();
    const stepBefore = this.view?.current_step;
    this.clearErrors(scope);
    scope?.setAttribute("aria-busy", "true");
    if (this.engine.state !== "ready" && this.engine.state !== "error") {
      this.note(scope, this.say("waiting"));
    }
    // Busy until the action is applied, saved (or known unsaved) and drawn.
    return enqueue(() => this.apply(action, scope, sent, now, stepBefore))
      .finally(() => scope?.removeAttribute("aria-busy"));
  }

  async apply(action, scope, sent, now, stepBefore) {
    let reply;
    try {
      reply = await this.engine.callView("dispatch", this.record, JSON.stringify(action), now, this.options());
    } catch (error) {
      reply = { ok: false, error: { field: "", message: this.say("not-sent", { why: error.message }) } };
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
        reply = await this.rebase(id, result.conflict, all);
        if (!reply) return false;
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

  // Another tab saved `newer` first: this tab's unsaved actions (`all`) applied to it. The reply
  // to save instead, or null when the engine refuses one (the newer version is then shown and
  // the IC told why).
  async rebase(id, newer, all) {
    let rebased = { ok: true, record: newer?.record ?? null };
    for (const step of all) {
      rebased = await this.engine.callView("dispatch", rebased.record, JSON.stringify(step.action), step.now, this.options());
      if (!rebased.ok) break;
    }
    if (rebased.ok) {
      this.revision = newer?.revision ?? null;
      this.id = id;
      return rebased;
    }
    this.record = newer?.record ?? null;
    this.revision = newer?.revision ?? null;
    this.pending = [];
    if (!newer) {
      this.open(null);
      this.notice(this.say("deleted-while-changed", { id }));
      return null;
    }
    await this.refreshNow();
    this.notice(this.say("rebase-refused", { id, why: rebased.error.message }));
    return null;
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
    const reply = await this.engine.callView("render", this.record, nowISO(), this.options());
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
      if (saved && !this.saveProblem) this.announce(this.say("saved-again", { id: this.id }));
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
        this.notice(this.say("deleted-elsewhere", { id: gone }));
        return;
      }
      if (entry.revision === this.revision) return;
      this.record = entry.record;
      this.revision = entry.revision;
      await this.refreshNow();
      this.announce(this.say("updated-elsewhere", { id: this.id }));
    });
  }

  // ------------------------------------------------------------------ events

  deleteIncident(id) {
    if (!window.confirm(this.say("confirm-delete", { id }))) return;
    enqueue(async () => {
      if (id === this.id) {
        this.pending = []; // deleting it is what the IC asked for
        this.lost = false;
        unsaved.delete(id);
      }
      await this.store.remove(id);
      if (id === this.id) this.open(null);
      this.drawIncidents();
      this.announce(this.say("deleted", { id }));
    });
  }
}

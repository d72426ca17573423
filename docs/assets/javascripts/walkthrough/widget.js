// The walkthrough widget: collects the IC's input, sends it to the engine as actions, keeps the
// result safe in the store and draws the view. It holds no rule: what is allowed, what it means
// and every text come back from runbook_core (through engine.js).
//
// The record in memory is the truth on screen. Each action is applied to it by the engine, then
// saved on top of the revision this tab read; when another tab saved first, the tab's unsaved
// actions are applied again to the newer record (or, where the engine refuses, the IC is told
// and the newer record is shown). When storage fails the page says so until a save succeeds.

import * as draw from "./draw.js";
import { Drafts } from "./drafts.js";
import { EarlyDeclaration } from "./early.js";
import { Focus } from "./focus.js";
import { Forms } from "./forms.js";
import { Incidents } from "./incidents.js";
import { LookBack } from "./lookback.js";
import { nowISO } from "./dom.js";
import { ID_HASH, PREVIEWED, enqueue, unsaved, yieldToBrowser } from "./shared.js";
import { Transfer } from "./transfer.js";

const REFRESH_MS = 30000; // previews and "due" times follow the clock
// The view drawn in parts, in the order of the page: draw.js's chunks, then what comes after
// resolution (lookback.js). show() draws them at once, showInChunks() a turn apart.
const VIEW_PARTS = [...draw.DRAW_CHUNKS, (w, view) => w.drawLookBack(view)];
const STORED_CHECK_MS = 2000; // storage cleared under the page is noticed this fast

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
    this.live = root.querySelector("[data-live]");
    this.format = store.ticketFormat;
    this.bind();
    this.unsubscribe = engine.subscribe((event, detail) => this.onEngine(event, detail));
    this.showEngineState();
    // What the IC typed or chose while the page script was still on its way is kept: the
    // form is usable from the first paint.
    const early = this.earlyInput();
    const handover = this.takeHandoverLink(); // before open() puts an ID in the address
    // The first screen (the declare form the IC types into) first; the rest of the mount after
    // a turn for the browser (start): no long task (issue 18).
    this.open(this.idFromHash() ?? [...unsaved.keys()].pop() ?? this.mostRecent(), { focus: true, mounting: true });
    this.keepEarlyInput(early);
    this.started = this.start(handover);
  }

  // The rest of the mount, each part a turn later: the declaration's first line before the
  // engine and the summary's focus; then the incidents list, the clocks, the window's listeners.
  async start(handover) {
    await yieldToBrowser();
    if (this.destroyed) return;
    this.early = new EarlyDeclaration(this);
    this.focusSummary();
    await yieldToBrowser();
    if (this.destroyed) return;
    this.drawIncidents();
    if (handover) this.openHandoverLink(handover);
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
      const pasted = this.takeHandoverLink(); // a handover link pasted into this tab
      if (pasted) return this.openHandoverLink(pasted);
      const id = this.idFromHash();
      if (id) this.open(id);
      else if (this.id) this.setHash(this.id);
    };
    this.onStorage = (event) => this.storageChanged(event);
    // The sticky status bar's height (it grows with a message): what scrolls into view, by a
    // step link or by focus, stops below it (widget.css: scroll-padding-top).
    const bar = this.q("[data-summary-bar]");
    this.barSize = window.ResizeObserver ? new ResizeObserver(([entry]) => {
      const box = entry.borderBoxSize?.[0];
      const height = `${Math.ceil(box ? box.blockSize : bar.getBoundingClientRect().height)}px`;
      // Set only when it changed: a write to <html>'s style restyles the page.
      if (document.documentElement.style.getPropertyValue("--rb-bar-height") !== height) {
        document.documentElement.style.setProperty("--rb-bar-height", height);
      }
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
    this.destroyed = true;
    this.unsubscribe?.();
    this.early?.destroy();
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
      drafts: this.messageDrafts(), copied: this.copiesForEngine() });
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

  onEngine(event, detail) {
    if (!this.root.isConnected) return this.destroy();
    if (event === "restarted") {
      this.notice(this.say("engine-restarted", { why: detail }));
      this.announce(this.say("engine-restarted-announce"));
    }
    this.showEngineState();
    this.early?.draw();
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
      message.textContent = this.say("engine-failed", { why: this.engine.error });
      this.q("[data-engine-fallback]").hidden = false;
      this.root.dataset.lastError = this.engine.error;
    } else if (state === "slow") {
      status.hidden = false;
      message.textContent = this.say("engine-slow");
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
      await yieldToBrowser(); // not in the task that asked (the mount's first chunk, a click)
      let reply;
      try {
        reply = await this.engine.callView("render", this.record, nowISO(), this.options());
      } catch (error) {
        if (this.engine.state !== "error") this.notice(this.say("draw-failed", { why: error.message }));
        return;
      }
      if (!this.root.isConnected) return;
      await yieldToBrowser(); // the reply came in a task of its own: drawing starts a fresh one
      if (!this.root.isConnected) return;
      if (!reply.ok) {
        // A saved record this version cannot read: kept in storage as is; start a new one.
        this.notice(this.say("unreadable-saved", { why: reply.error.message }));
        this.root.dataset.lastError = reply.error.message;
        this.record = null;
        this.id = null;
        reply = JSON.parse(await this.engine.call("render", null, nowISO(), this.options()));
      }
      await this.showInChunks(reply);
    });
  }

  // show(), yielding to the browser between the view's parts (VIEW_PARTS, the first screen
  // first): the first draw when the engine is ready is no long task (issue 18). The page says
  // it is ready (showEngineState) once all is drawn; another view shown meanwhile wins.
  async showInChunks(reply) {
    this.takeView(reply);
    for (const part of VIEW_PARTS) {
      part(this, reply.view);
      await yieldToBrowser();
      if (this.view !== reply.view || !this.root.isConnected) return;
    }
    this.showEngineState();
  }

  show(reply) {
    this.takeView(reply);
    for (const part of VIEW_PARTS) part(this, reply.view);
    this.showEngineState();
  }

  // The reply's record and view become the ones on screen.
  takeView(reply) {
    this.record = reply.record?.declared_at ? reply.record : null;
    this.view = reply.view;
  }

  // ------------------------------------------------------------------ actions

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
      if (target.matches("[data-postmortem-format]")) this.postmortemFormatChanged(target);
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
}

// The Widget's methods by job, each in its own module (incidents and saving, forms and input,
// copy/import/export, drafts, focus and announcements, handing over and looking back): one
// class on the page, as before.
for (const part of [Incidents, Forms, Transfer, Drafts, Focus, LookBack]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name !== "constructor") {
      Object.defineProperty(Widget.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
    }
  }
}

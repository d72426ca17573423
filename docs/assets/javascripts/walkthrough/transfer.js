// The Widget's copy, export and import of the record. Methods of Widget (see widget.js).

import { copyText, download, hhmm, nowISO } from "./dom.js";
import { PREVIEWED, enqueue, json, unsaved } from "./shared.js";

export class Transfer {
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
    if (copied) {
      this.copied[name] = { at, text, when: Date.now() };
      this.markCopied(name).catch(() => {}); // "Ticket copied at …: N changes since"
    }
    // Only the visible words change: the hidden rest keeps the name unique ("… declaration message").
    const words = [...button.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!words) return;
    button.dataset.label ??= words.textContent;
    words.textContent = this.say(copied ? "copied-button" : "selected-button");
    button.classList.toggle("rb-copied", copied);
    this.announce(this.say(copied ? "copied" : "selected"));
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      words.textContent = button.dataset.label;
      button.classList.remove("rb-copied");
    }, 2000);
  }

  exportRecord() {
    if (!this.record) {
      this.showError(this.q("[data-step=ticket]"), { field: "record", message: this.say("nothing-to-export") });
      return;
    }
    enqueue(async () => {
      try {
        const text = await this.engine.call("export_record", json(this.record));
        download(`${this.id || "incident"}.json`, text, "application/json");
        this.announce(this.say("exported", { file: `${this.id}.json` }));
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
    let text = "";
    try {
      text = await file.text();
      reply = JSON.parse(await this.engine.call("import_record", text, nowISO(), this.options()));
    } catch (error) {
      reply = { ok: false, error: { field: "record", message: error.message } };
    }
    if (!reply.ok || !reply.record?.incident_id) {
      const why = reply.ok ? this.say("import-undeclared") : reply.error.message;
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
      // What replacing it would lose and gain: runbook_core's rule (handover.replacement), the
      // one a handover link is opened by.
      const { replace } = JSON.parse(await this.engine.call("import_record", text, nowISO(), this.options(), json(shown)));
      if (replace.identical) {
        this.open(id);
        this.announce(this.say("import-identical", { id }));
        return;
      }
      const entries = (n) => this.say(n === 1 ? "entry" : "entries", { count: n });
      const newest = replace.lost[replace.lost.length - 1];
      const question = newest
        ? this.say("import-loses", { id, file: file.name, entries: entries(replace.lost.length), event: newest.event,
          time: hhmm(newest.at) })
        : this.say("import-replaces", { id, file: file.name, entries: entries(replace.gained) });
      if (!window.confirm(question)) {
        this.announce(this.say("import-cancelled"));
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
    this.announce(this.say("imported", { id }));
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
}


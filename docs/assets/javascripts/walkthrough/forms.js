// The Widget's forms and input: links, answers, the values of a form, submitting it, the
// commands of buttons and the engine's previews as the IC types. Methods of Widget (widget.js).

import * as draw from "./draw.js";
import { download, nowISO } from "./dom.js";
import { ID_HASH, enqueue, json } from "./shared.js";

const PREVIEW_DELAY_MS = 150;

export class Forms {
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
      this.note(fieldset, this.say("press-enter"));
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
    // How recent a copy counts: data/limits.toml minutes.copy_valid, from the markup.
    const valid = Number(this.root.dataset.copyValidMinutes) * 60000;
    const copied = this.copied[form.dataset.copiedFrom];
    if (copied && Date.now() - copied.when < valid) {
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
      this.announce(this.say("ticket-downloaded"));
    } else if (name === "export") this.exportRecord();
    else if (name === "import") this.q("[data-import-file]").click();
    else if (name === "copy-handover") this.copyHandover(button);
    else if (name === "export-instead") this.exportRecord();
    else if (name === "download-postmortem" || name === "download-svg") this.downloadLookBack(name);
    else if (name === "toggle-bar") {
      // The status bar on a phone: one line, the rest on a tap (widget.css).
      button.setAttribute("aria-expanded", String(button.getAttribute("aria-expanded") !== "true"));
    } else if (name === "new-incident") {
      this.open(null, { focus: true }).then((opened) => {
        if (opened) this.announce(this.say("new-incident"));
      });
    } else if (name === "open-incident") {
      this.open(id).then((opened) => {
        if (!opened) return;
        this.focusStep();
        this.announce(this.say("opened", { id }));
      });
    } else if (name === "archive-incident" || name === "unarchive-incident") {
      enqueue(async () => {
        const archived = name === "archive-incident";
        const result = await this.store.setMeta(id, { archived });
        this.drawIncidents();
        this.announce(result.ok ? this.say(archived ? "archived" : "unarchived", { id })
          : this.say("not-changed", { why: result.error.message }));
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
}

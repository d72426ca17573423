// The Widget's drafts: typed input kept per incident, restored, cleared once sent, and input
// typed before the engine was ready. Methods of Widget (see widget.js).

import { PREVIEWED } from "./shared.js";

export class Drafts {
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
}

// The Widget's focus and announcements: where focus goes after an action, what is announced,
// notices and errors by their form. Methods of Widget (see widget.js).

import { fill, isShown, wordOf } from "./shared.js";

export class Focus {
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
    let target = this.urgentTarget(view, section) || this.thenTarget(scope);
    const stays = view.current_step === stepBefore; // (an answer that completes a step moves on)
    if (!target && stays && isShown(scope)) {
      if (inScope && isShown(active)) return;
      target = this.controls(scope)[0];
    }
    target ||= this.nextInList(action, scope, section, stays);
    target ??= this.stepTarget(view);
    target?.focus({ preventScroll: true });
    // Wholly on screen, below the sticky bar (scroll-padding): a control half under the
    // screen's edge is one the IC on a phone does not see.
    target?.scrollIntoView({ block: "nearest" });
  }

  // What must be done now: the escalation when one is required, else a message to post from
  // the step just done (`section`). Null when neither.
  urgentTarget(view, section) {
    const major = view.escalation.required ? this.marked(this.q("[data-major]")) : null;
    if (major) return major;
    const due = view.messages.find((m) => m.due);
    return due && section ? this.marked(this.q(`[data-output-box="${due.kind}-message"]`, section)) : null;
  }

  // A form that names what follows it (data-then: the escalation, then its acknowledgement):
  // that form's first control. Null when none is shown.
  thenTarget(scope) {
    const then = scope?.dataset?.then && this.q(`form[data-form="${scope.dataset.then}"]`);
    return then && isShown(then) ? this.controls(then)[0] ?? null : null;
  }

  // A time corrected: the button that opened the correction, on the same entry. A removed list
  // item: the form that adds to the same list. Else undefined.
  nextInList(action, scope, section, stays) {
    const corrected = action.type === "edit_timeline"
      ? this.qa("[data-command='edit-time']").find((b) => Number(b.dataset.index) === action.index) : undefined;
    if (corrected || !stays || !section || scope?.matches?.("form, fieldset")) return corrected;
    return this.controls(this.q('form[data-form^="add_"]', section) ?? section)[0];
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
    // A decision the answers made stale: the new recommendation, with the warning, first.
    if (step === "decide" && view.decision?.stale) return this.q("[data-recommendation]", section);
    const major = this.q("[data-major]");
    // (a form asked in passing, data-optional, is never the next thing to do)
    const usable = this.controls(section).filter((c) =>
      (c.closest("form[data-form]:not([data-optional])") || c.closest("fieldset[data-question]")) &&
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

  // What is announced once an action succeeded: the markup's words for it ([data-announcements],
  // from data/forms.toml), the case the view says holds, else "done"; {name}s from the view.
  doneMessage(action, view) {
    const words = this.qa("[data-announcements] [data-kind]");
    const mine = words.filter((p) => p.dataset.kind === action.type);
    const cases = view.announce.cases;
    const said = mine.find((p) => cases[p.dataset.case]) ?? mine.find((p) => p.dataset.case === "done") ??
      words.find((p) => p.dataset.kind === "default");
    return fill(said?.textContent ?? "", view.announce.values);
  }

  // The markup's words for `key` (shared.js wordOf).
  say(key, values = {}) {
    return wordOf(this.root, key, values);
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
    const full = error.message || this.say("unknown-error");
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
    // A refusal that already says what was not done ("Not recorded: …") is said as it is.
    const said = this.say("not-recorded", { why: "" });
    this.announce(short.startsWith(said.split(" ")[0] + " ") ? short : this.say("not-recorded", { why: short }));
  }
}

// The Widget's focus and announcements: where focus goes after an action, what is announced,
// notices and errors by their form. Methods of Widget (see widget.js).

import { hhmm } from "./dom.js";
import { isShown } from "./shared.js";

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

// Before the engine starts (issue 16.4): the declaration's first line for the summary as typed,
// and how far the engine's download is. runbook_core wrote the line's two ends and the pattern of
// summaries the engine keeps unchanged into the markup (data-before, data-after, data-pattern):
// this module only tests the pattern and joins the three, decides nothing and has no words.

export class EarlyDeclaration {
  constructor(widget) {
    this.widget = widget;
    this.box = widget.q("[data-early-declaration]");
    this.form = widget.q('form[data-form="declare"]');
    this.field = this.form?.querySelector('[name="summary"]');
    if (!this.box || !this.field) return;
    const { before, after, pattern, flags } = this.box.dataset;
    this.parts = { before, after, pattern: new RegExp(pattern, flags) };
    this.onInput = () => this.draw();
    this.field.addEventListener("input", this.onInput);
    this.draw();
  }

  // Shown while the engine is not ready and the incident is not declared; the engine's own
  // declaration message replaces it.
  draw() {
    if (!this.parts) return;
    const ready = this.widget.engine.state === "ready";
    const declared = Boolean(this.widget.record?.incident_id);
    this.box.hidden = ready || declared || this.widget.engine.state === "error";
    const summary = this.field.value;
    const fits = summary !== "" && this.parts.pattern.test(summary);
    this.widget.q("[data-early-line]").hidden = !fits;
    this.widget.q("[data-early-refused]").hidden = fits || summary === "";
    if (fits) {
      this.widget.q('[data-output="declaration-early"]').textContent =
        this.parts.before + summary + this.parts.after;
    }
    this.progress();
  }

  // The worker's count of the engine's bytes (engine.js progress): a percentage when the size
  // is known.
  progress() {
    const status = this.widget.q("[data-engine-progress]");
    const got = this.widget.engine.progress;
    if (!status || !got) return;
    const mb = (bytes) => (bytes / 1e6).toFixed(1);
    let text;
    if (got.done) text = this.widget.say("engine-progress-done");
    else if (got.total) {
      text = this.widget.say("engine-progress", { percent: Math.floor((100 * got.loaded) / got.total),
        done: mb(got.loaded), total: mb(got.total) });
    } else text = this.widget.say("engine-progress-bytes", { done: mb(got.loaded) });
    if (status.textContent !== text) status.textContent = text;
  }

  destroy() {
    this.field?.removeEventListener("input", this.onInput);
  }
}

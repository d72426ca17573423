// The Widget's handing over and looking back (issue 19): the handover link (copied, and opened
// from the address), the post-mortem draft and the timeline picture after resolution, and when
// the ticket and the draft were last copied. runbook_core makes every text, link and picture
// (widget.handover_link, open_handover, postmortem, timeline_svg, copy_mark; the view's
// `copies`); the words around them are the markup's ([data-handover-words], from
// data/outputs.toml). Methods of Widget (see widget.js).

import { copyText, download, hhmm, nowISO } from "./dom.js";
import { enqueue, json, unsaved } from "./shared.js";

const HANDOVER_HASH = "#handover=";

export class LookBack {
  // The markup's words of one kind, with its {names} filled.
  lookWords(kind, values = {}) {
    const node = this.qa("[data-handover-words] [data-kind]").find((p) => p.dataset.kind === kind);
    const text = node ? node.textContent.trim() : "";
    return text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }

  // ------------------------------------------------------------------ the handover link

  async copyHandover(button) {
    const status = this.q("[data-handover-status]");
    const box = this.q("[data-handover-link-box]");
    const input = this.q("[data-handover-link]");
    const exportButton = this.q("[data-handover-export]");
    const base = `${window.location.origin}${window.location.pathname}${window.location.search}`;
    let reply;
    try {
      reply = JSON.parse(await this.engine.call("handover_link", json(this.record), base));
    } catch (error) {
      reply = { ok: false, error: { message: error.message, kind: "" } };
    }
    if (!this.root.isConnected) return;
    if (!reply.ok) {
      box.hidden = true;
      input.value = "";
      exportButton.hidden = reply.error.kind !== "too_large";
      this.lookStatus(status, this.lookWords("handover_refused", { why: reply.error.message }), true);
      return;
    }
    input.value = reply.link;
    box.hidden = false;
    exportButton.hidden = true;
    const copied = await copyText(reply.link, input, button);
    if (!copied) input.select();
    this.lookStatus(status, this.lookWords("handover_copied", { length: reply.length.toLocaleString("en"),
      limit: reply.limit.toLocaleString("en") }), false);
  }

  lookStatus(node, text, problem) {
    node.textContent = text;
    node.hidden = false;
    node.classList.toggle("rb-error", problem);
    node.classList.toggle("rb-info", !problem);
    this.announce(text);
  }

  // A page opened with #handover=…: the link is read once, then taken out of the address (it
  // is not opened again by a reload, and a copied address does not carry the record on).
  handoverInAddress() {
    return window.location.hash.startsWith(HANDOVER_HASH);
  }

  takeHandoverLink() {
    if (!this.handoverInAddress()) return null;
    const link = window.location.href;
    const rest = this.id ? `#${this.id}` : "";
    history.replaceState(history.state, "", `${window.location.pathname}${window.location.search}${rest}`);
    return link;
  }

  openHandoverLink(link) {
    return enqueue(() => this.openHandover(link)).catch((error) => {
      this.notice(this.lookWords("not_stored", { why: error?.message || String(error) }));
    });
  }

  // The import's rules: another incident opens beside the others; this browser's copy of the
  // same incident is replaced only when the IC agrees, told what would be lost.
  async openHandover(link) {
    const now = nowISO();
    let reply = JSON.parse(await this.engine.call("open_handover", link, now, this.options(), null));
    if (!reply.ok || !reply.record?.incident_id) {
      const why = reply.ok ? "" : reply.error.message;
      this.notice(this.lookWords("link_refused", { why }));
      this.announce(this.lookWords("link_refused", { why }));
      return;
    }
    const id = reply.record.incident_id;
    let local;
    try {
      local = this.store.read(id);
    } catch {
      local = null; // unreadable: the store refuses to overwrite it, and says so below
    }
    const shown = id === this.id && this.record ? this.record : local?.record;
    if (shown) {
      reply = JSON.parse(await this.engine.call("open_handover", link, now, this.options(), json(shown)));
      const replace = reply.replace;
      if (replace.identical) {
        this.open(id); // not awaited: it draws through the queue this task holds
        this.announce(this.lookWords("identical", { id }));
        return;
      }
      const newest = replace.lost[replace.lost.length - 1];
      const question = newest
        ? this.lookWords("newer_local", { id, count: replace.lost.length, event: newest.event, time: hhmm(newest.at) })
        : this.lookWords("replace", { id, gained: replace.gained });
      if (!window.confirm(question)) {
        this.announce(this.lookWords("cancelled"));
        return;
      }
    }
    const result = await this.store.commit(id, local ? local.revision : null, reply.record, this.meta(reply.view));
    if (!result.ok) {
      const why = "conflict" in result ? "conflict" : result.error?.message || result.error?.kind || "";
      this.notice(this.lookWords("not_stored", { why }));
      return;
    }
    if (id === this.id) {
      this.pending = []; // replaced, as the IC confirmed
      unsaved.delete(id);
    }
    this.open(id, { reload: true }); // not awaited: it draws through the queue this task holds
    this.announce(this.lookWords("opened", { id }));
  }

  // ------------------------------------------------------------------ after resolution

  // The draft and the picture, drawn again only when the record or the format changed.
  drawLookBack(view) {
    for (const line of this.qa("[data-copied-since]")) {
      const copy = view.copies?.[line.dataset.copiedSince];
      line.hidden = !copy || !this.record;
      if (copy && line.textContent !== copy.text) line.textContent = copy.text;
    }
    const box = this.q("[data-look-back]");
    box.hidden = !view.resolved || !this.record;
    if (box.hidden) return;
    const select = this.q("[data-postmortem-format]");
    this.postmortemFormat ??= view.ticket_format;
    if (select.value !== this.postmortemFormat) select.value = this.postmortemFormat;
    const record = json(this.record);
    const key = `${this.postmortemFormat}\u0000${record}`;
    if (key === this.lookBackKey) return;
    this.lookBackKey = key;
    this.drawPostmortem(record, this.postmortemFormat).catch(() => {});
  }

  async drawPostmortem(record, format) {
    const [draft, picture] = await Promise.all([
      this.engine.call("postmortem", record, format).then(JSON.parse),
      this.engine.call("timeline_svg", record, nowISO()).then(JSON.parse),
    ]);
    if (!this.root.isConnected || record !== json(this.record)) return;
    this.lookedBack = { draft, picture };
    const text = this.q('[data-output="postmortem"]');
    text.textContent = draft.ok ? draft.text : draft.error.message;
    const image = this.q("[data-timeline-image]");
    const caption = this.q("[data-timeline-caption]");
    if (!picture.ok) {
      image.hidden = true;
      caption.textContent = picture.error.message;
      return;
    }
    // An <img>: the picture's own styles (light and dark) apply inside it under the site's
    // policy (its <style> is not the page's), and nothing in it can run. Its title and
    // description are its words.
    const title = svgText(picture.svg, "title");
    image.alt = svgText(picture.svg, "desc") || title;
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(picture.svg)}`;
    image.hidden = false;
    caption.textContent = title;
  }

  postmortemFormatChanged(select) {
    this.postmortemFormat = select.value;
    if (this.view) this.drawLookBack(this.view);
  }

  downloadLookBack(name) {
    const made = this.lookedBack;
    if (name === "download-postmortem" && made?.draft.ok) {
      download(made.draft.filename, made.draft.text, "text/plain;charset=utf-8");
      this.announce(this.lookWords("postmortem_downloaded"));
    } else if (name === "download-svg" && made?.picture.ok) {
      download(made.picture.filename, made.picture.svg, "image/svg+xml");
      this.announce(this.lookWords("picture_downloaded"));
    }
  }

  // ------------------------------------------------------------------ copies into the tracker

  // Copied: keep the record's mark beside the incident; the view then says how many changes
  // it has had since (runbook_core.copies), until it is copied again.
  async markCopied(name) {
    if (!this.id || !this.record || !this.q(`[data-copied-since="${name}"]`)) return;
    const id = this.id;
    const mark = await this.engine.call("copy_mark", json(this.record));
    this.store.setCopies(id, { ...this.store.copies(id), [name]: { at: nowISO(), mark } });
    if (id === this.id) this.refresh();
  }

  copiesForEngine() {
    return this.id ? this.store.copies(this.id) : {};
  }
}

// The text of the SVG's first <title> or <desc> (runbook_core writes them first, escaped):
// that element alone is parsed, since a parsed <style> would meet the site's style policy.
function svgText(svg, tag) {
  const found = new RegExp(`<${tag}\\b[^>]*>[^<]*</${tag}>`).exec(svg);
  if (!found) return "";
  const doc = new DOMParser().parseFromString(
    found[0].replace(`<${tag}`, `<${tag} xmlns="http://www.w3.org/2000/svg"`), "image/svg+xml");
  return doc.documentElement.textContent ?? "";
}

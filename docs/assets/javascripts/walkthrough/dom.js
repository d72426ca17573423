// Small DOM helpers for the walkthrough: element building, time display, copy and download.

export const nowISO = () => new Date().toISOString().slice(0, 19) + "Z";
export const hhmm = (iso) => (iso ? iso.slice(11, 16) : "--:--");

export function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Whether `text` has more than `count` lines (stops counting there: a ticket can be 400 KB).
export function moreLines(text, count) {
  let at = -1;
  for (let line = 0; line < count; line += 1) {
    at = text.indexOf("\n", at + 1);
    if (at < 0) return false;
  }
  return true;
}

// A boolean attribute on or off, written only when it changes (a write restyles the subtree).
export function setFlag(node, name, on) {
  if (node.hasAttribute(name) !== on) node.toggleAttribute(name, on);
}

// A value from a view by dotted path ("decision.action").
export function pick(object, path) {
  return path.split(".").reduce((value, key) => (value == null ? value : value[key]), object);
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("data") || key.startsWith("aria") || key === "for") {
      node.setAttribute(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value === true ? "" : value);
    } else node[key] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

// A button whose visible text is short and whose accessible name says what it acts on.
export function button(text, hidden, props = {}) {
  return el("button", { type: "button", ...props }, text,
    hidden ? el("span", { className: "rb-visually-hidden", text: ` ${hidden}` }) : null);
}

export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: filename, rel: "noopener" });
  link.click(); // detached: Material's instant navigation never sees this click
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// Copy outside secure contexts: the exact text (selecting a <pre> would drop a final newline).
function copyWithTextarea(text, returnFocus) {
  const area = el("textarea", { value: text, readOnly: true, className: "rb-visually-hidden" });
  area.setAttribute("aria-hidden", "true");
  document.body.append(area);
  area.select();
  let copied;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  returnFocus?.focus();
  return copied;
}

// true when copied; otherwise the text is selected for Ctrl+C and false is returned.
export async function copyText(text, target, returnFocus) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* not allowed here: fall back */
    }
  }
  if (copyWithTextarea(text, returnFocus)) return true;
  const range = document.createRange();
  range.selectNodeContents(target);
  window.getSelection().removeAllRanges();
  window.getSelection().addRange(range);
  return false;
}

// Lists redrawn without losing the IC's place: only when what they show changed, row by row
// where rows are keyed, and keyboard focus kept on the same control (never dropped to the body).

// Redraw a list only when what it shows changed (`signature`), and keep keyboard focus: on the
// same control when it is drawn again, else on `fallback` (never on the page's body).
const signatures = new WeakMap();
const focusKey = (node) => [node.tagName, node.dataset?.command, node.dataset?.action,
  node.dataset?.id, node.dataset?.index, node.name].join("|");

export function redraw(container, signature, build, fallback = null) {
  if (signatures.get(container) === signature) return false;
  signatures.set(container, signature);
  const active = document.activeElement;
  const had = Boolean(active && container.contains(active));
  const key = had ? focusKey(active) : null;
  container.replaceChildren(...build());
  if (had) {
    const again = [...container.querySelectorAll("button, input, a")].find((n) => focusKey(n) === key);
    (again ?? (typeof fallback === "function" ? fallback() : fallback))?.focus({ preventScroll: true });
  }
  return true;
}

// Redraw a list row by row: `rows` are [key, build] in order, the key saying all a row shows;
// a row whose key is drawn at that place already is left alone, so adding a note to a long
// timeline adds one element (work linear in the rows, none of it quadratic). Rows are patched in
// place and added or removed at the end only, never inserted before another or moved: in
// Chromium an element inserted or removed before a sibling restyles its parent's whole subtree (a
// rule of Material's, `.md-typeset table:not([class]) + *`, applies to any next sibling), and
// every timeline row (content-visibility: auto) then rebuilds its layout box: a 250-370 ms
// freeze at 3,000 entries (issue 18, traced). Focus is kept as redraw keeps it.
const rowKeys = new WeakMap();
export function redrawRows(container, rows, fallback = null) {
  const active = document.activeElement;
  const had = Boolean(active && container.contains(active));
  const key = had ? focusKey(active) : null;
  let changed = false;
  let next = container.firstChild;
  for (const [rowKey, build] of rows) {
    if (next && rowKeys.get(next) === rowKey) {
      next = next.nextSibling;
      continue;
    }
    changed = true;
    const row = build();
    rowKeys.set(row, rowKey);
    if (!next) container.append(row);
    else if (next.nodeName !== row.nodeName) next.replaceWith(row);
    else {
      patch(next, row);
      rowKeys.set(next, rowKey);
      next = next.nextSibling;
      continue;
    }
    next = row.nextSibling;
  }
  const last = next ? next.previousSibling : null; // the last row kept; the rest go, last first
  while (next && container.lastChild !== last) {
    container.lastChild.remove();
    changed = true;
  }
  if (had && !container.contains(active)) {
    const again = [...container.querySelectorAll("button, input, a")].find((n) => focusKey(n) === key);
    (again ?? (typeof fallback === "function" ? fallback() : fallback))?.focus({ preventScroll: true });
  }
  return changed;
}

// `row` drawn into `node` (same tag): its attributes, then its children (moved, with what they
// hold: an input's value, listeners).
function patch(node, row) {
  for (const { name } of [...node.attributes]) {
    if (!row.hasAttribute(name)) node.removeAttribute(name);
  }
  for (const { name, value } of row.attributes) {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }
  node.replaceChildren(...row.childNodes);
}

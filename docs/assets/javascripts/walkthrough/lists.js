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
// a row whose key was drawn before keeps its element, so adding a note to a long timeline adds
// one element (work linear in the rows, none of it quadratic). Focus is kept as redraw keeps it.
const keyed = new WeakMap();
export function redrawRows(container, rows, fallback = null) {
  const before = keyed.get(container) ?? new Map();
  const active = document.activeElement;
  const had = Boolean(active && container.contains(active));
  const key = had ? focusKey(active) : null;
  const after = new Map();
  const nodes = rows.map(([rowKey, build]) => {
    const node = (!after.has(rowKey) && before.get(rowKey)) || build();
    after.set(rowKey, node);
    return node;
  });
  keyed.set(container, after);
  let changed = false;
  let next = container.firstChild;
  for (const node of nodes) {
    if (next === node) next = next.nextSibling;
    else {
      container.insertBefore(node, next);
      changed = true;
    }
  }
  while (next) {
    const gone = next;
    next = next.nextSibling;
    gone.remove();
    changed = true;
  }
  if (had && !container.contains(active)) {
    const again = [...container.querySelectorAll("button, input, a")].find((n) => focusKey(n) === key);
    (again ?? (typeof fallback === "function" ? fallback() : fallback))?.focus({ preventScroll: true });
  }
  return changed;
}

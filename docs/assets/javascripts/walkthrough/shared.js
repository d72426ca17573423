// What the widget's parts share: the queue that serialises every read and write of the record,
// the incidents not yet saved, and small helpers. Split out of widget.js by job (issue 15).

export const ID_HASH = /^#(INC-[0-9A-Z-]{1,40})$/;
// The forms whose typed fields go into the message shown beside them (runbook_core.messages
// ACTION_MESSAGE): the message is previewed by the engine as the IC types.
export const PREVIEWED = ["status_update", "escalate"];

// Serialises everything that reads or writes the record, across instant navigations.
let queue = Promise.resolve();
export function enqueue(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

// A text of the markup with its {name}s filled from `values` (a name not given stays as it is).
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));

// The markup's text by its key ([data-words] [data-word]), read once per page, with its {name}s
// filled from `values`. A key the markup lacks shows as itself (tests/test_js_words.py checks).
const wordsOf = new WeakMap();
export function wordOf(root, key, values = {}) {
  let words = wordsOf.get(root);
  if (!words) {
    words = new Map([...root.querySelectorAll("[data-words] [data-word]")].map((p) => [p.dataset.word, p.textContent]));
    wordsOf.set(root, words);
  }
  return fill(words.get(key) ?? key, values);
}

export const json = (value) => (value == null ? null : JSON.stringify(value));

// Incidents whose latest actions are on screen but not in storage (it is full or blocked), by
// ID: kept for the page's lifetime, so leaving the walkthrough through instant navigation (a
// runbook link) and coming back loses nothing. {record, revision, pending}
export const unsaved = new Map();

// A turn for the browser between chunks of work (input, a frame): no task of ours grows long
// (issue 18: a task of 50 ms or more blocks the page). scheduler.yield() lets the rest run
// before other queued tasks; elsewhere a message-channel task (setTimeout is clamped to 4 ms).
export function yieldToBrowser() {
  if (globalThis.scheduler?.yield) return globalThis.scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

export const isShown = (node) => Boolean(node?.isConnected && !node.closest("[hidden]") &&
  (node.checkVisibility ? node.checkVisibility() : node.offsetParent !== null));

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

export const json = (value) => (value == null ? null : JSON.stringify(value));

// Incidents whose latest actions are on screen but not in storage (it is full or blocked), by
// ID: kept for the page's lifetime, so leaving the walkthrough through instant navigation (a
// runbook link) and coming back loses nothing. {record, revision, pending}
export const unsaved = new Map();

export const isShown = (node) => Boolean(node?.isConnected && !node.closest("[hidden]") &&
  (node.checkVisibility ? node.checkVisibility() : node.offsetParent !== null));

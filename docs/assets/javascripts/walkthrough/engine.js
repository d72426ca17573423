// The engine client: one module worker (../engine-worker.mjs) running runbook_core in Pyodide,
// created once per page lifetime and reused across Material's instant navigation.
//
// Calls are JSON in, JSON out (runbook_core.widget). A worker that dies or hangs is restarted
// once; the calls in flight are kept and sent again to the new one, so the IC's pending action
// still lands, and listeners hear "restarted". A second failure is an error the page shows with
// what to do.
//
// Liveness is judged from what the worker says, never from how late the page hears it: an idle
// worker says "alive" every second from its own timer, and says "started" when it begins a call
// (a call runs to its end before the worker can say anything else). It is taken for dead only
// when it has been silent longer than it may be: IDLE_SILENCE_MS when idle, and for a call in
// progress a time that grows with the call's size. The silence is counted by a watchdog on this
// page that counts each tick at most once: when the page's own thread was busy (a long redraw, a
// slow phone) the time it lost is not the worker's fault.

import { wordOf } from "./shared.js";

const START_TIMEOUT_MS = 15000; // then the page says it is slow; the start goes on
const WATCH_MS = 1000; // the watchdog's tick
const IDLE_SILENCE_MS = 8000; // an idle worker says "alive" every second (engine-worker.mjs)
const CALL_BASE_MS = 8000; // a small call on a ready engine answers in well under 100 ms...
const CALL_BYTES_PER_MS = 20; // ...and a large record takes longer: 1 s more per 20 kB
const MAX_RESTARTS = 1;
const VIEWS_KEPT = 8; // views a reply's changes may be merged into (the engine keeps 4)

// How long a call may run before its worker is taken for hung: by the size of what it carries.
export function callAllowance(args) {
  const bytes = args.reduce((sum, arg) => sum + (typeof arg === "string" ? arg.length : 0), 0);
  return CALL_BASE_MS + bytes / CALL_BYTES_PER_MS;
}

export class EngineTimeout extends Error {}

// A reply's changes merged into what this page has: runbook_core/delta.py's `patch`, mirrored.
// {set: {key: value}, splice: {key: [[start, end, items], ...]}, drop: [key]}; a spliced text is
// spliced by lines. Unchanged parts are shared with `base`, which stays as it was.
export function patch(base, delta) {
  const out = { ...base };
  for (const key of delta.drop ?? []) delete out[key];
  for (const [key, hunks] of Object.entries(delta.splice ?? {})) {
    const text = typeof base[key] === "string";
    const items = text ? base[key].split("\n") : base[key];
    const got = [];
    let at = 0;
    for (const [start, end, middle] of hunks) {
      for (let i = at; i < start; i += 1) got.push(items[i]);
      for (const item of middle) got.push(item);
      at = end;
    }
    for (let i = at; i < items.length; i += 1) got.push(items[i]);
    out[key] = text ? got.join("\n") : got;
  }
  return Object.assign(out, delta.set ?? {});
}

// Why the engine stopped: a key of the partial's words ([data-words]) with its values, put into
// words when it is shown (String()), from the walkthrough on screen then: the engine outlives
// the page it started on (instant navigation), and a reason may hold another one.
function say(key, values = {}) {
  return {
    key,
    values,
    toString() {
      const root = document.querySelector("[data-runbook-widget]");
      return root ? wordOf(root, key, values) : key;
    },
  };
}

// What the site's Content-Security-Policy lacks for the engine to run, from a
// securitypolicyviolation ({blocked: blockedURI, directive: effectiveDirective}).
export function cspProblem({ blocked, directive }) {
  let source = blocked || say("engine-why-blocked-source");
  if (blocked === "wasm-eval") source = "'wasm-unsafe-eval'";
  else if (blocked === "eval") source = "'unsafe-eval'";
  else if (blocked === "inline") source = say("engine-why-inline-hash");
  else if (/^https?:/.test(blocked) && new URL(blocked).origin === location.origin) {
    source = `'self' (${new URL(blocked).pathname})`;
  }
  return say("engine-why-csp", { directive, source });
}

export class Engine {
  constructor(urls, key) {
    this.key = key;
    this.urls = urls;
    this.state = "loading"; // loading | ready | slow | error
    this.readyMs = null; // ms from navigation start to ready (performance.now())
    this.reason = null; // why it stopped (say): shown as `error`
    this.info = null;
    this.calls = new Map(); // id -> {method, args, resolve, reject, worker}
    this.nextId = 1;
    this.restarts = 0;
    this.listeners = new Set();
    this.watchdog = null;
    this.running = null; // {id, allowance}: the call the worker said it started
    this.startedAt = Date.now(); // this engine's start (a restart keeps it; see restartedAt)
    this.restartedAt = null;
    this.views = new Map(); // view id -> the view it names (callView)
    this.spawn(takeEarlyWorker(urls));
  }

  // Why it stopped, in the words of the walkthrough on screen ("" while it runs).
  get error() {
    return this.reason ? String(this.reason) : "";
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event, detail) {
    for (const listener of [...this.listeners]) listener(event, detail);
  }

  setState(state) {
    this.state = state;
    this.emit("state", state);
  }

  spawn(early = null) {
    clearTimeout(this.startTimer);
    this.startTimer = setTimeout(() => {
      if (this.state === "loading") this.setState("slow");
    }, START_TIMEOUT_MS);
    try {
      this.worker = early?.worker ??
        new Worker(this.urls.worker, { type: "module", name: "runbook-engine" });
    } catch (error) {
      this.fail(say("engine-why-browser", { message: error.message }));
      return;
    }
    if (early) this.startedAt = early.at;
    const worker = this.worker;
    worker.addEventListener("message", (event) => {
      if (worker === this.worker) this.onMessage(event.data);
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      if (worker !== this.worker) return;
      const why = event.message ? say("engine-why-crashed", { message: event.message }) : say("engine-why-no-script");
      if (this.state === "ready") this.restart(why);
      else this.fail(why);
    });
    if (early) {
      // What it said before this listened (kept by the <head>), then nothing kept any more.
      early.worker.onmessage = early.worker.onerror = null;
      document.removeEventListener("securitypolicyviolation", early.onViolation);
      for (const violation of early.violations) this.blocked(violation);
      for (const why of early.errors) {
        this.fail(why ? say("engine-why-crashed", { message: why }) : say("engine-why-no-script"));
      }
      for (const message of early.messages) if (worker === this.worker) this.onMessage(message);
    }
    worker.postMessage({ type: "init", pyodideURL: this.urls.pyodide, wheelURL: this.urls.wheel,
      orgURL: this.urls.org || null, lockInfo: this.urls.lockInfo });
  }

  onMessage(message) {
    this.silence = 0; // anything from the worker says it is alive
    if (message.type === "started") {
      this.running = { id: message.id, allowance: message.allowance ??
        callAllowance(this.calls.get(message.id)?.args ?? []) };
      return;
    }
    if (message.type === "progress") {
      this.progress = message; // {loaded, total, done}: drawn by early.js
      this.emit("progress", message);
      return;
    }
    if (message.type === "alive") {
      this.running = null;
      return;
    }
    if (message.type === "ready") {
      clearTimeout(this.startTimer);
      this.info = message.info;
      this.readyMs ??= Math.round(performance.now());
      this.reason = null;
      this.setState("ready");
      // Calls made while it started are queued in this worker; calls the previous (restarted)
      // worker never answered are sent again.
      for (const [id, call] of this.calls) if (call.worker !== this.worker) this.send(id, call);
      this.watch();
    } else if (message.type === "fatal") {
      this.fail(message.message);
    } else if (message.type === "csp" && this.state !== "ready") {
      this.blocked(message);
    } else if (message.type === "result") {
      if (this.running?.id === message.id) this.running = null;
      const call = this.calls.get(message.id);
      if (!call) return;
      this.calls.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(message.message));
    }
  }

  // A ready engine that stops answering: replace the worker once, keep the calls.
  restart(why) {
    if (this.state === "error") return;
    if (this.restarts >= MAX_RESTARTS) {
      this.fail(say("engine-why-again", { why }));
      return;
    }
    this.restarts += 1;
    this.restartedAt = Date.now();
    clearInterval(this.watchdog);
    this.running = null;
    this.worker?.terminate();
    this.setState("loading");
    this.emit("restarted", String(why));
    this.spawn();
  }

  // The watchdog: the worker's silence, counted one tick at a time. A tick that fires late (this
  // page's thread was busy, or the tab was in the background) counts as one tick: the worker is
  // judged on time this page was there to hear it.
  watch() {
    clearInterval(this.watchdog);
    this.silence = 0;
    let last = performance.now();
    this.watchdog = setInterval(() => {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      if (this.state !== "ready" || document.hidden) return;
      this.silence += elapsed > 2 * WATCH_MS ? WATCH_MS : elapsed;
      const allowed = this.running ? this.running.allowance : IDLE_SILENCE_MS;
      if (this.silence > allowed) {
        this.restart(this.running ? say("engine-why-no-answer") : say("engine-why-silent"));
      }
    }, WATCH_MS);
  }

  // The policy blocked the engine (reported by the worker, or by the page for the worker's own
  // script): say what it lacks, even over an error already shown, since the violation is often
  // reported after the failure it caused.
  blocked(violation) {
    const reason = cspProblem(violation);
    if (this.state !== "error") return this.fail(reason);
    this.reason = reason;
    this.setState("error");
  }

  fail(reason) {
    if (this.state === "error") return;
    clearTimeout(this.startTimer);
    clearInterval(this.watchdog);
    this.reason = reason;
    for (const call of this.calls.values()) {
      call.reject(new Error(String(say("engine-why-unavailable", { why: reason }))));
    }
    this.calls.clear();
    this.worker?.terminate();
    this.worker = null;
    this.setState("error");
  }

  send(id, call) {
    call.worker = this.worker;
    this.worker?.postMessage({ type: "call", id, method: call.method, args: call.args });
  }

  // "dispatch" or "render" for `record` (an object, or null), the last argument the options:
  // answered with what changed since the last view this page got (options "since"), merged
  // here, so the caller gets {ok, error, record, view} as the call's whole reply reads.
  async callView(method, record, ...args) {
    const options = JSON.parse(args.pop() || "{}");
    const since = [...this.views.keys()].pop() ?? "";
    const text = record == null ? null : JSON.stringify(record);
    const reply = JSON.parse(await this.call(method, text, ...args, JSON.stringify({ ...options, since })));
    if (reply.view_delta && !this.views.has(reply.view_delta.base)) {
      this.views.clear(); // not ours (cannot happen while replies come in order): ask whole
      return this.callView(method, record, ...args, JSON.stringify(options));
    }
    if (reply.record_delta) reply.record = patch(record, reply.record_delta);
    if (reply.view_delta) reply.view = patch(this.views.get(reply.view_delta.base), reply.view_delta);
    delete reply.record_delta;
    delete reply.view_delta;
    if (reply.view_id) this.views.set(reply.view_id, reply.view); // none for an unreadable record
    for (const id of this.views.keys()) if (this.views.size > VIEWS_KEPT) this.views.delete(id);
    return reply;
  }

  call(method, ...args) {
    if (this.state === "error" || !this.worker) {
      return Promise.reject(new Error(String(say("engine-why-unavailable", { why: this.reason }))));
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const call = { method, args, resolve, reject };
      this.calls.set(id, call);
      this.send(id, call); // a starting worker queues it until Python is ready
    });
  }
}

// The engine's addresses, absolute, from data-* attributes (the widget's root, or the <meta>
// boot.js reads): worker, pyodide, wheel, org, lock-info.
export function engineURLs(data) {
  const abs = (url) => new URL(url, window.location.href).href;
  return {
    worker: abs(data.worker),
    pyodide: abs(data.pyodide),
    wheel: abs(data.wheel),
    org: data.org ? abs(data.org) : "",
    lockInfo: JSON.parse(data.lockInfo || "{}"),
  };
}

// The worker the page's <head> created before anything else ran (overrides/main.html keeps it,
// and what it said meanwhile, on window.__runbookEarlyWorker), taken once, if it was started
// for these addresses; else it is dropped and the engine creates its own.
function takeEarlyWorker(urls) {
  const early = window.__runbookEarlyWorker;
  if (!early) return null;
  window.__runbookEarlyWorker = null;
  const url = new URL(early.url);
  const query = url.searchParams;
  const same = url.href.startsWith(`${urls.worker}?`) && query.get("pyodide") === urls.pyodide &&
    query.get("wheel") === urls.wheel && (query.get("org") || "") === (urls.org || "") &&
    JSON.stringify(JSON.parse(query.get("lockInfo") || "{}")) === JSON.stringify(urls.lockInfo);
  if (same) return early;
  early.worker.terminate();
  document.removeEventListener("securitypolicyviolation", early.onViolation);
  return null;
}

// One engine per page lifetime; a new one only when the published files changed (a new
// deploy) or the last one failed.
export function engineFor(urls) {
  const key = [urls.worker, urls.pyodide, urls.wheel, urls.org].join(" ");
  const existing = window.__runbookEngine;
  if (existing && existing.key === key && existing.state !== "error") return existing;
  existing?.fail(say("engine-why-updated"));
  const engine = new Engine(urls, key);
  window.__runbookEngine = engine;
  return engine;
}

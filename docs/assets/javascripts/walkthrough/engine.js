// The engine client: one module worker (../engine-worker.mjs) running runbook_core in Pyodide,
// created once per page lifetime and reused across Material's instant navigation.
//
// Calls are JSON in, JSON out (runbook_core.widget). A call that gets no answer within
// CALL_TIMEOUT_MS of a ready engine, or a worker that dies, restarts the worker once; the calls
// in flight are kept and sent again to the new one, so the IC's pending action still lands, and
// listeners hear "restarted". A second failure is an error the page shows with what to do.

const START_TIMEOUT_MS = 15000; // then the page says it is slow; the start goes on
const CALL_TIMEOUT_MS = 6000; // a ready engine answers in well under 100 ms
const HEARTBEAT_MS = 10000; // while the page is visible, a dead worker is noticed this fast
const MAX_RESTARTS = 1;

export class EngineTimeout extends Error {}

// What the site's Content-Security-Policy lacks for the engine to run, from a
// securitypolicyviolation ({blocked: blockedURI, directive: effectiveDirective}).
export function cspProblem({ blocked, directive }) {
  let source = blocked || "the blocked source";
  if (blocked === "wasm-eval") source = "'wasm-unsafe-eval'";
  else if (blocked === "eval") source = "'unsafe-eval'";
  else if (blocked === "inline") source = "the inline script's hash";
  else if (/^https?:/.test(blocked) && new URL(blocked).origin === location.origin) {
    source = `'self' (${new URL(blocked).pathname})`;
  }
  return `the site's Content-Security-Policy blocks it: ${directive} must allow ${source} ` +
    "(see the Deploy page)";
}

export class Engine {
  constructor(urls, key) {
    this.key = key;
    this.urls = urls;
    this.state = "loading"; // loading | ready | slow | error
    this.readyMs = null; // ms from navigation start to ready (performance.now())
    this.error = "";
    this.info = null;
    this.calls = new Map(); // id -> {method, args, resolve, reject, timer}
    this.nextId = 1;
    this.restarts = 0;
    this.listeners = new Set();
    this.heartbeat = null;
    this.startedAt = Date.now(); // this engine's start (a restart keeps it; see restartedAt)
    this.restartedAt = null;
    this.spawn(takeEarlyWorker(urls));
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
      this.fail(`this browser cannot run it (${error.message})`);
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
      const why = event.message ? `it crashed: ${event.message}` : "its script did not load";
      if (this.state === "ready") this.restart(why);
      else this.fail(why);
    });
    if (early) {
      // What it said before this listened (kept by the <head>), then nothing kept any more.
      early.worker.onmessage = early.worker.onerror = null;
      document.removeEventListener("securitypolicyviolation", early.onViolation);
      for (const violation of early.violations) this.blocked(violation);
      for (const why of early.errors) this.fail(why ? `it crashed: ${why}` : "its script did not load");
      for (const message of early.messages) if (worker === this.worker) this.onMessage(message);
    }
    worker.postMessage({ type: "init", pyodideURL: this.urls.pyodide, wheelURL: this.urls.wheel,
      orgURL: this.urls.org || null, lockInfo: this.urls.lockInfo });
  }

  onMessage(message) {
    if (message.type === "ready") {
      clearTimeout(this.startTimer);
      this.info = message.info;
      this.readyMs ??= Math.round(performance.now());
      this.error = "";
      this.setState("ready");
      // Calls made while it started are queued in this worker: they now get their timers;
      // calls the previous (restarted) worker never answered are sent again.
      for (const [id, call] of this.calls) this.send(id, call, call.worker !== this.worker);
      this.beat();
    } else if (message.type === "fatal") {
      this.fail(message.message);
    } else if (message.type === "csp" && this.state !== "ready") {
      this.blocked(message);
    } else if (message.type === "pong") {
      this.lastPong = Date.now();
    } else if (message.type === "result") {
      const call = this.calls.get(message.id);
      if (!call) return;
      this.calls.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(message.message));
    }
  }

  // A ready engine that stops answering: replace the worker once, keep the calls.
  restart(why) {
    if (this.state === "error") return;
    if (this.restarts >= MAX_RESTARTS) {
      this.fail(`it stopped answering again (${why})`);
      return;
    }
    this.restarts += 1;
    this.restartedAt = Date.now();
    clearInterval(this.heartbeat);
    this.worker?.terminate();
    for (const call of this.calls.values()) clearTimeout(call.timer);
    this.setState("loading");
    this.emit("restarted", why);
    this.spawn();
  }

  // While the page is visible: a ping that goes unanswered means a dead or hung worker.
  beat() {
    clearInterval(this.heartbeat);
    this.lastPong = Date.now();
    this.heartbeat = setInterval(() => {
      if (this.state !== "ready" || document.hidden) return;
      if (Date.now() - this.lastPong > HEARTBEAT_MS + CALL_TIMEOUT_MS) {
        this.restart("it did not answer a heartbeat");
        return;
      }
      this.worker?.postMessage({ type: "ping" });
    }, HEARTBEAT_MS);
  }

  // The policy blocked the engine (reported by the worker, or by the page for the worker's own
  // script): say what it lacks, even over an error already shown, since the violation is often
  // reported after the failure it caused.
  blocked(violation) {
    const reason = cspProblem(violation);
    if (this.state !== "error") return this.fail(reason);
    this.error = reason;
    this.setState("error");
  }

  fail(reason) {
    if (this.state === "error") return;
    clearTimeout(this.startTimer);
    clearInterval(this.heartbeat);
    this.error = reason;
    for (const call of this.calls.values()) {
      clearTimeout(call.timer);
      call.reject(new Error(`the engine is not available: ${reason}`));
    }
    this.calls.clear();
    this.worker?.terminate();
    this.worker = null;
    this.setState("error");
  }

  send(id, call, post = true) {
    clearTimeout(call.timer);
    if (this.state === "ready") {
      call.timer = setTimeout(() => this.restart("a call got no answer"), CALL_TIMEOUT_MS);
    }
    if (!post) return;
    call.worker = this.worker;
    this.worker?.postMessage({ type: "call", id, method: call.method, args: call.args });
  }

  call(method, ...args) {
    if (this.state === "error" || !this.worker) {
      return Promise.reject(new Error(`the engine is not available: ${this.error}`));
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const call = { method, args, resolve, reject, timer: null };
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
  existing?.fail("the site was updated; starting its new version");
  const engine = new Engine(urls, key);
  window.__runbookEngine = engine;
  return engine;
}

// The offline service worker (sw.js at the site root, written by sitebuild/offline.py) caches the whole
// site, so that after one visit it works with the network cut. Registered once per page
// lifetime, after the page has loaded and (on the walkthrough) the engine is ready or has failed,
// so caching never competes with it (and finds the engine's files in the HTTP cache). Quiet: without service workers, outside http(s), under `mkdocs serve`'s
// live reload, or if anything fails, the site just stays online-only. What the worker reports is
// kept on window.__runbookOffline.

// Each a list of the forms it is published in (sitebuild/publish.py PACKED: NAME or NAME.gz,
// whichever the engine used is cached).
const ENGINE_FILES = [["pyodide.mjs"], ["pyodide.asm.mjs", "pyodide.asm.mjs.gz"],
  ["pyodide.asm.wasm", "pyodide.asm.wasm.gz"],
  ["python_stdlib.zip", "python_stdlib.zip.gz"]];
export const offline = { state: "off", version: null, done: 0, total: 0, reason: "" };
window.__runbookOffline = offline;
const listeners = new Set();

export function onOfflineChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// The engine's files for this page (worker, Pyodide, wheel) are all in the offline cache.
export async function engineCached(engine) {
  if (offline.state !== "ready" || !window.caches) return false;
  const { urls } = engine;
  const files = [[urls.worker], [urls.wheel, `${urls.wheel}.gz`],
    ...ENGINE_FILES.map((forms) => forms.map((name) => new URL(name, urls.pyodide).href))];
  const cached = async (forms) => (await Promise.all(forms.map((url) => caches.match(url)))).some(Boolean);
  try {
    return (await Promise.all(files.map(cached))).every(Boolean);
  } catch {
    return false;
  }
}

// Ready or failed: "slow" (a start past 15 s, still downloading) does not count, or the offline
// copy would download the engine's files a second time while the engine still fetches them.
const SETTLED = new Set(["ready", "error"]);

function settled(engine) {
  if (!engine || SETTLED.has(engine.state)) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = engine.subscribe((event, state) => {
      if (event === "state" && SETTLED.has(state)) {
        stop();
        resolve();
      }
    });
  });
}

async function register(siteRoot) {
  const workers = navigator.serviceWorker;
  workers.addEventListener("message", ({ data, ports }) => {
    if (data?.type === "runbook-offline-loaded") { // what this page loaded (sw.js takes it)
      // Its own requests, and the forms of the packed files its engine's worker used.
      ports[0]?.postMessage([...performance.getEntriesByType("resource").map((entry) => entry.name),
        ...(window.__runbookEngine?.info?.loaded || [])]);
      return;
    }
    if (data?.type !== "runbook-offline") return;
    // While a new version caches itself (or fails to), the cached one still works.
    const keep = offline.state === "ready" && data.state !== "ready";
    Object.assign(offline, {
      state: keep ? "ready" : data.state,
      version: keep ? offline.version : data.version ?? offline.version,
      done: data.done ?? offline.done,
      total: data.total ?? offline.total,
      reason: data.reason ?? "",
    });
    for (const listener of [...listeners]) listener(offline);
  });
  workers.startMessages();
  workers.controller?.postMessage({ type: "runbook-offline-state" }); // already cached?
  if (document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  await settled(window.__runbookEngine);
  await new Promise((resolve) =>
    window.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 2000 }) : setTimeout(resolve, 200));
  if (offline.state === "off") offline.state = "registering";
  const registration = await workers.register(new URL("sw.js", siteRoot).href);
  // A page already cached: look for a new deploy now (installed in the background).
  if (workers.controller && navigator.onLine) registration.update().catch(() => {});
}

export function registerOffline(siteRoot) {
  if (!("serviceWorker" in navigator) || !/^https?:$/.test(window.location.protocol) ||
      typeof window.livereload === "function") return;
  if (!window.caches) {
    Object.assign(offline, { state: "failed", reason: "this browser gives the site no Cache Storage" });
    return;
  }
  register(siteRoot).catch((error) => {
    offline.state = "failed";
    offline.reason = `not registered: ${error?.message || error}`;
  });
}

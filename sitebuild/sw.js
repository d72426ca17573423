// The offline service worker: after one visit, every page of the site, the walkthrough and its
// engine work with the network cut. sitebuild/offline.py writes this file to the site root, so it
// controls every page, with this build's manifest: every built file with its SHA-256, a version
// that is the hash of them all, and the immutable paths (sitebuild/headers.py).
//
// Its cache belongs to this deployment: named after the site root's path ("/runbook/"), the
// naming rule of docs/assets/javascripts/deployment.mjs, so that two deployments on one origin
// (GitHub Pages' /runbook/ and /runbook2/) never read or delete each other's caches.
//
// install  - every file of the build into the cache "<root path>runbook-offline-<version>",
//            revalidated past the HTTP cache (immutable paths taken from it: the page has just
//            downloaded the engine; a file the page loaded under another URL, revalidated
//            under that one) and checked against its hash (fetch's `integrity`):
//            the cache holds exactly one build, so a cached page and the wheel it names always
//            come together. Of the engine's files published in two forms (NAME, NAME.gz), only
//            the one the page's engine fetched. Resumable (a file already cached is kept). Progress and failure are
//            posted to the pages as {type: "runbook-offline", state, ...}; nothing is logged.
// activate - this deployment's other builds' caches are deleted; this worker takes over the
//            open pages.
// fetch    - only the files of this build; anything else goes to the network untouched.
//            Immutable paths (pyodide/v<version>/, assets/wheels/<hash>/, Material's
//            *.<hash>.min.*): from the cache when offline or when the network just failed;
//            otherwise left to the browser, whose HTTP cache keeps the compiled code of the wasm
//            and of the scripts beside them (served from here, the wasm is compiled again once:
//            the second visit's engine was ~0.5 s slower in the load benchmark). The content is
//            the same either way: the paths are content-hashed. The rest (pages, the search
//            index, sitemap.xml, our scripts): the network first, the cached copy if the
//            network fails, answers 5xx or is slower than NETWORK_TIMEOUT_MS; nothing fetched
//            at run time is ever cached. HEAD is answered with the cached headers, a Range
//            request with a 206 slice.

const MANIFEST = /* precache manifest, written by sitebuild/offline.py */ null;

const BASE = new URL("./", self.location.href); // the site root
// [deployment] The same rule as deploymentName() in docs/assets/javascripts/deployment.mjs
// (a classic script cannot import it): this deployment's names start with its root path.
const PREFIX = `${BASE.pathname}runbook-offline-`;
const CACHE = PREFIX + MANIFEST.version;
const NETWORK_TIMEOUT_MS = 2000;
const PARALLEL = 4;
const IMMUTABLE = MANIFEST.immutable.map((pattern) => new RegExp(pattern));
const FILES = new Map(MANIFEST.files); // url -> integrity

// A request's entry in the manifest ("walkthrough/" for walkthrough/ and
// walkthrough/index.html), or null if it is not a file of this build.
function entryFor(url) {
  if (url.origin !== BASE.origin || !url.pathname.startsWith(BASE.pathname)) return null;
  let path = url.pathname.slice(BASE.pathname.length);
  if (path === "index.html" || path.endsWith("/index.html")) path = path.slice(0, -10);
  return FILES.has(path) ? path : null;
}

const keyFor = (path) => new URL(path, BASE).href;

// ------------------------------------------------------------------------------ install

async function tell(message) {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) page.postMessage({ type: "runbook-offline", ...message });
}

// [packed] The engine's files published in two forms (NAME and NAME.gz, sitebuild/publish.py):
// the page's engine fetched one of them (engine-worker.mjs), and only that one is cached.
const EITHER = new Map(MANIFEST.either.flatMap(([plain, packed]) => [[plain, packed], [packed, plain]]));
const isImmutable = (path) => IMMUTABLE.some((pattern) => pattern.test(path));

// What the open pages loaded, by path (their Resource Timing and the forms their engine's
// worker used, asked of them): {under: path -> URL, paths: Set}. A file a page loaded under
// another URL (the engine's worker, created with its addresses in its query) is revalidated
// under that URL, which the HTTP cache holds, rather than downloaded again.
async function loadedByPages() {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const answers = await Promise.all(pages.map((page) => new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = ({ data }) => resolve(Array.isArray(data) ? data : []);
    page.postMessage({ type: "runbook-offline-loaded" }, [channel.port2]);
    setTimeout(resolve, 1000, []); // a page without offline.js does not answer
  })));
  const under = new Map();
  const paths = new Set();
  for (const url of answers.flat()) {
    const path = typeof url === "string" ? entryFor(new URL(url, BASE)) : null;
    if (path === null) continue;
    paths.add(path);
    if (url !== keyFor(path)) under.set(path, url);
  }
  return { under, paths };
}

function download(path, url = keyFor(path)) {
  return fetch(url, {
    // An immutable path (content-hashed) is taken from the HTTP cache, where the page has
    // just put the engine's files: never downloaded twice. The rest is revalidated: the
    // HTTP cache may hold another build's file under the same name.
    cache: isImmutable(path) ? "force-cache" : "no-cache",
    credentials: "same-origin",
    integrity: FILES.get(path),
  }).catch((error) => ({ ok: false, why: error.message }));
}

// Which form of a two-form file to cache: one already cached (a resumed install), else the one
// the open page's engine says it used (the one it asks for offline: Pyodide's JavaScript, for
// one, also depends on the host's Content-Security-Policy), else the one in the HTTP cache,
// else the one the engine would choose on this host: NAME if the host compresses it itself (a
// Content-Encoding), else NAME.gz.
async function formOf(plain, cache, used) {
  const packed = EITHER.get(plain);
  for (const path of [plain, packed]) {
    if (await cache.match(keyFor(path))) return { path };
  }
  for (const path of [plain, packed]) {
    if (used.has(path)) return { path };
  }
  for (const path of [plain, packed]) {
    const stored = await fetch(keyFor(path), { cache: "only-if-cached", mode: "same-origin",
      credentials: "same-origin", integrity: FILES.get(path) }).catch(() => null);
    if (stored?.ok) return { path, response: stored };
  }
  const head = await fetch(keyFor(plain), { method: "HEAD", credentials: "same-origin" })
    .catch(() => null);
  const compressed = head?.ok && head.headers.get("content-encoding");
  // Pyodide's JavaScript is imported, not fetched: the engine takes its .gz only where the
  // host's policy allows a blob: script (engine-worker.mjs packedModule).
  const imported = plain.endsWith(`/${IMPORTED}`);
  const blocked = imported && !blobScriptsAllowed(head?.headers.get("content-security-policy"));
  return { path: compressed || blocked ? plain : packed };
}

// [blob-policy] The same function as in engine-worker.mjs (a classic script cannot import it;
// tests/test_sitebuild.py checks the two are the same text).
const IMPORTED = "pyodide.asm.mjs";
function blobScriptsAllowed(policy) {
  if (!policy) return true;
  return policy.split(",").every((one) => {
    const directives = new Map(one.split(";").map((part) => part.trim().toLowerCase().split(/\s+/))
      .map(([name, ...sources]) => [name, sources]));
    const sources = directives.get("script-src-elem") ?? directives.get("script-src")
      ?? directives.get("default-src");
    return !sources || sources.includes("blob:");
  });
}

async function precache() {
  const cache = await caches.open(CACHE);
  const loaded = await loadedByPages();
  // Each two-form file once, as its plain name.
  const todo = [...FILES.keys()].filter((path) => !(EITHER.has(path) && path.endsWith(".gz") &&
    FILES.has(EITHER.get(path))));
  const total = todo.length;
  let done = 0;
  let lastTold = 0;
  const worker = async () => {
    for (let path = todo.shift(); path !== undefined; path = todo.shift()) {
      let response = null;
      if (EITHER.has(path)) ({ path, response } = await formOf(path, cache, loaded.paths));
      const key = keyFor(path);
      if (response || !(await cache.match(key))) {
        response ??= await download(path, loaded.under.get(path));
        if (!response.ok || response.redirected) {
          todo.length = 0; // the other fetches stop too
          throw new Error(`${path}: ${response.why || `HTTP ${response.status}`}`);
        }
        await cache.put(key, response);
      }
      done += 1;
      if (Date.now() - lastTold > 250 || done === total) {
        lastTold = Date.now();
        tell({ state: "caching", done, total, version: MANIFEST.version });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    precache().then(
      () => self.skipWaiting(),
      async (error) => {
        await tell({ state: "failed", reason: String(error.message || error) });
        throw error; // not installed; the current version (if any) stays; retried next visit
      },
    ),
  );
});

// This deployment's cache of another build: its prefix and a version, nothing more (a
// deployment at a deeper path, "/runbook/runbook-offline-x/", has caches of its own).
const isOlderBuild = (name) => name !== CACHE && name.startsWith(PREFIX) &&
  /^[0-9a-f]+$/.test(name.slice(PREFIX.length));

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter(isOlderBuild).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
      await tell({ state: "ready", version: MANIFEST.version });
    })(),
  );
});

// The pages ask which version is ready (a page opened after activation).
self.addEventListener("message", (event) => {
  if (event.data?.type === "runbook-offline-state") {
    event.source?.postMessage({ type: "runbook-offline", state: "ready",
      version: MANIFEST.version });
  }
});

// -------------------------------------------------------------------------------- fetch

async function fromCache(request, path) {
  const cached = await caches.open(CACHE).then((cache) => cache.match(keyFor(path)));
  if (!cached) return null;
  const headers = new Headers(cached.headers);
  if (request.method === "HEAD") {
    return new Response(null, { status: cached.status, statusText: cached.statusText, headers });
  }
  const range = request.headers.get("range");
  if (!range) return cached;
  const body = await cached.blob();
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = match && match[1] !== "" ? Number(match[1]) : null;
  let end = match && match[2] !== "" ? Number(match[2]) : null;
  if (start === null && end !== null) [start, end] = [Math.max(0, body.size - end), body.size - 1];
  if (start === null || start >= body.size || (end !== null && end < start)) {
    headers.set("content-range", `bytes */${body.size}`);
    return new Response(null, { status: 416, headers });
  }
  end = Math.min(end ?? body.size - 1, body.size - 1);
  headers.set("content-range", `bytes ${start}-${end}/${body.size}`);
  headers.set("content-length", String(end - start + 1));
  headers.delete("content-encoding");
  return new Response(body.slice(start, end + 1), { status: 206, statusText: "Partial Content",
    headers });
}

async function cacheFirst(request, path) {
  return (await fromCache(request, path)) || fetch(request);
}

const SLOW = Symbol("slow");
let networkFailing = false; // the last network-first request failed or was too slow

function viaBrowser(request, path) {
  return self.navigator.onLine && !networkFailing && !request.headers.has("range") &&
    IMMUTABLE.some((pattern) => pattern.test(path));
}

async function networkFirst(event, path) {
  const { request } = event;
  const network = (async () => {
    const preloaded = request.mode === "navigate" ? await event.preloadResponse : undefined;
    return preloaded || fetch(request);
  })();
  network.catch(() => {}); // used below, or left to finish when the cached copy was faster
  let timer;
  const slow = new Promise((resolve) => {
    timer = setTimeout(resolve, NETWORK_TIMEOUT_MS, SLOW);
  });
  let first;
  try {
    first = await Promise.race([network, slow]);
  } catch {
    networkFailing = true;
    return (await fromCache(request, path)) || Response.error();
  } finally {
    clearTimeout(timer);
  }
  networkFailing = first === SLOW || first.status >= 500;
  if (first !== SLOW) {
    return first.status >= 500 ? (await fromCache(request, path)) || first : first;
  }
  return (await fromCache(request, path)) || network; // slow and not cached: keep waiting
}

// A page that is not part of the site (or not cached): the network, else the site's 404 page.
async function otherPage(event) {
  try {
    return (await event.preloadResponse) || (await fetch(event.request));
  } catch {
    const notFound = await fromCache(new Request(keyFor("404.html")), "404.html");
    if (!notFound) return Response.error();
    return new Response(notFound.body, { status: 404, statusText: "Not Found",
      headers: notFound.headers });
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" && request.method !== "HEAD") return;
  const path = entryFor(new URL(request.url));
  if (path === null) {
    if (request.mode === "navigate") event.respondWith(otherPage(event));
    return;
  }
  if (viaBrowser(request, path)) return;
  if (request.headers.has("range") || isImmutable(path)) {
    event.respondWith(cacheFirst(request, path));
  } else {
    event.respondWith(networkFirst(event, path));
  }
});

// Navigation preload: a page's request starts while this worker wakes up.
self.addEventListener("activate", (event) => {
  if (self.registration.navigationPreload) {
    event.waitUntil(self.registration.navigationPreload.enable().catch(() => {}));
  }
});

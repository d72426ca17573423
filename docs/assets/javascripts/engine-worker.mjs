// The runbook engine: self-hosted Pyodide and the runbook_core wheel, in one module worker.
//
// Messages in:  {type: "init", pyodideURL, wheelURL, orgURL, lockInfo}  (absolute URLs, once;
//               or the same in the worker's URL query, see the end of this file)
//               {type: "call", id, method, args}            (args: strings or null)
//               {type: "ping"}                              (answered with {type: "pong"})
// Messages out: {type: "ready", info} | {type: "fatal", message}
//               {type: "csp", blocked, directive}  (the site's CSP blocked something here)
//               {type: "result", id, ok: true, value, ms} | {type: "result", id, ok: false, message}
//               (ms: the engine's own time for the call)
//               {type: "alive"}  every ALIVE_MS while idle, from this worker's own timer
//               {type: "started", id, allowance?}  a call (or other long work) begins now
// A call runs synchronously: nothing else is said until it ends. The page judges liveness by
// these messages (engine.js), so a busy page never takes a working engine for a dead one.
//
// Every method is a function of runbook_core.widget (its BRIDGE, called through widget.call)
// taking and returning JSON strings; calls
// that arrive while Python is starting wait for it. (dispatch and render answer with what
// changed when their options say "since": engine.js callView merges it; nothing here changes.)

// The worker's two helpers load beside its first requests: as static imports they held its
// start, every request below, for one more round trip (a module graph loads before any of its
// code runs), 40 ms on fast 4G, 150 on slow 4G.
const helpers = Promise.all([import("./deployment.mjs"), import("./wheel-files.mjs")]);
helpers.catch(() => {}); // reported where they are awaited

// [csp] A Content-Security-Policy that blocks the engine (its WebAssembly, a module it imports,
// a file it fetches) fires securitypolicyviolation in this worker, not in the page: tell the
// page what was blocked, so that it names the missing directive instead of waiting.
self.addEventListener("securitypolicyviolation", (event) => {
  // Only packedModule imports a blob: URL, and it falls back to the plain file when refused.
  if (String(event.blockedURI).startsWith("blob")) return;
  self.postMessage({ type: "csp", blocked: event.blockedURI, directive: event.effectiveDirective });
});

const MAX_MESSAGE = 600;
// A text longer than this (a long incident's record) crosses into Python as UTF-8 bytes, which
// is several times cheaper than a string; widget.call decodes it (a text with a lone surrogate,
// which UTF-8 cannot carry, crosses as it is).
const PACKED_TEXT = 16384;
const utf8 = new TextEncoder();
const packed = (arg) => (typeof arg === "string" && arg.length > PACKED_TEXT && arg.isWellFormed?.()
  ? utf8.encode(arg) : arg);
const ALIVE_MS = 1000;
const SNAPSHOT_ALLOWANCE_MS = 120000; // taking Python's memory snapshot, on a slow phone

let widget = null;
let starting = null;

function describe(error) {
  const text = String((error && error.message) || error || "unknown error").trim();
  // A Python traceback ends with the exception line: that is the useful part.
  const lines = text.split("\n").filter((line) => line.trim());
  const last = lines.length > 1 ? lines[lines.length - 1] : text;
  return last.length > MAX_MESSAGE ? `${last.slice(0, MAX_MESSAGE)}…` : last;
}

// Where start-up time goes (ms since the worker started), sent with "ready".
const timings = {};
const mark = (name) => {
  timings[name] = Math.round(performance.now());
};

// Why the engine did not start, when the host is to blame: a missing file or a wasm served with
// the wrong type leaves Pyodide hanging or failing obscurely. Asked only once the start has
// failed (a HEAD request per file), so a working start never waits for it.
async function diagnose(pyodideURL, wheelURL) {
  const files = ["pyodide.mjs", "pyodide.asm.mjs", ...[...PACKED].map((name) => name + PACKED_SUFFIX)]
    .map((name) => new URL(name, pyodideURL).href)
    .concat([wheelURL]);
  const problems = await Promise.all(files.map(async (url) => {
    let response;
    try {
      response = await fetch(url, { method: "HEAD" });
    } catch {
      return null; // offline, or a service worker: Pyodide's own error says what it can
    }
    if (response.status === 405 || response.status === 501) return null; // no HEAD here
    return hostProblem(url, response);
  }));
  return problems.find(Boolean) || null;
}

// What is wrong with a response for one of the engine's files, or null.
function hostProblem(url, response) {
  const path = new URL(url, self.location.href).pathname;
  if (!response.ok) return `${path} answered HTTP ${response.status}`;
  const type = (response.headers.get("content-type") || "").split(";")[0].trim();
  if (path.endsWith(".wasm") && type && type !== "application/wasm") {
    return `${path} is served as ${type}; the server must send application/wasm`;
  }
  return null;
}

class KnownProblem extends Error {}

// A wasm that does not compile (a corrupt or truncated file): Pyodide logs it and then waits
// forever. Noticed here, where it happens, so the page can say so at once.
let wasmBroken;
const wasmFailed = new Promise((_, reject) => {
  wasmBroken = reject;
});
wasmFailed.catch(() => {});

// [early compile] The wasm compiles from the moment its response starts, beside the import of
// Pyodide's JavaScript (pyodide.asm.mjs: ~170 ms of parsing and running on this thread, which
// the wasm's compilation otherwise waited for). Its fetch, started by this worker as it starts
// (earlyFetch), hands Pyodide a stand-in Response whose module is being compiled; Pyodide's
// instantiateStreaming of that stand-in instantiates the compiled module with Pyodide's own
// imports. Any other response compiles as before.
const compiledFor = new WeakMap(); // stand-in Response -> Promise<WebAssembly.Module>
const instantiateStreaming = WebAssembly.instantiateStreaming;
WebAssembly.instantiateStreaming = async function (source, imports) {
  const response = await source;
  const compiled = compiledFor.get(response);
  if (!compiled) return instantiateStreaming.call(this, response, imports);
  const module = await compiled;
  mark("wasmCompiledEarly");
  return { module, instance: await WebAssembly.instantiate(module, imports) };
};
function compiledEarly(response) {
  const standIn = new Response(null, { headers: { "Content-Type": "application/wasm" } });
  const compiled = WebAssembly.compileStreaming(response);
  compiled.catch(() => {}); // reported by the wrapper below (wasmBroken), when Pyodide awaits it
  compiledFor.set(standIn, compiled);
  return standIn;
}

for (const name of ["instantiate", "instantiateStreaming", "compile", "compileStreaming"]) {
  const original = WebAssembly[name];
  if (typeof original !== "function") continue;
  WebAssembly[name] = function (...args) {
    mark(`wasm_${name}`);
    return original.apply(this, args).then((result) => {
      mark(`wasm_${name}_done`);
      return result;
    }).catch((error) => {
      if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
        wasmBroken(new KnownProblem(`its WebAssembly file is damaged (${describe(error)})`));
      }
      throw error;
    });
  };
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// [packed] The files the site publishes both as they are (NAME) and gzip-compressed (NAME.gz,
// sitebuild/publish.py PACKED). Pyodide asks for NAME: from a host that compresses NAME itself
// (its HEAD answers with a Content-Encoding: brotli beats our gzip) it gets NAME; from any other
// it gets NAME.gz decompressed as it arrives, with NAME's type. Either way the wasm compiles while
// it downloads (compileStreaming on this Response). The HEADs go out as the worker starts,
// beside Pyodide's import, so the answer is there when Pyodide asks.
const PACKED = new Set(["pyodide.asm.wasm", "python_stdlib.zip", "pyodide.asm.mjs"]);
const PACKED_SUFFIX = ".gz";
const PACKED_TYPES = { wasm: "application/wasm", zip: "application/zip", mjs: "text/javascript" };
// The browser's wheel is packed too (publish.py is_packed), fetched through the same rule.
const isPacked = (name) => PACKED.has(name) || name.endsWith(".whl");
const heads = new Map(); // absolute URL of NAME -> Promise<its HEAD's headers, or null>
// The form of each packed file this start used (absolute URLs, NAME or NAME.gz), sent with
// "ready": the offline copy keeps those forms, the ones this engine asks for offline (sw.js).
const usedForms = new Set();
function headOf(url) {
  if (!heads.has(url)) {
    heads.set(url, originalFetch(url, { method: "HEAD" })
      .then((response) => (response.ok ? response.headers : null), () => null));
  }
  return heads.get(url);
}
async function hostCompresses(url) {
  const headers = await headOf(url);
  return Boolean(headers && /\b(br|gzip|zstd|deflate)\b/i.test(headers.get("content-encoding") || ""));
}

// The same for the files Pyodide fetches itself (its wasm, the standard library): their
// responses are looked at as they arrive, so a 404 or a wrong type is reported at once, with
// no request of our own.
let hostBroken;
const hostFailed = new Promise((_, reject) => {
  hostBroken = reject;
});
hostFailed.catch(() => {});
const originalFetch = self.fetch.bind(self);
// [early compile] Files this worker fetched before Pyodide asks for them (absolute URL ->
// Promise<Response>), each handed over once.
const earlyFetches = new Map();
const WASM = "pyodide.asm.wasm";
function earlyFetch(url) {
  const response = self.fetch(url);
  response.catch(() => {}); // reported where Pyodide awaits it
  earlyFetches.set(url, response);
}
self.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const absolute = new URL(url, self.location.href).href;
  const early = earlyFetches.get(absolute);
  if (early) {
    earlyFetches.delete(absolute); // once: a second start fetches
    return early;
  }
  const method = (init?.method || input?.method || "GET").toUpperCase();
  const path = new URL(absolute).pathname;
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (method === "GET" && isPacked(name)) {
    const plain = absolute;
    const [first, other] = (await hostCompresses(plain)) ? [plain, plain + PACKED_SUFFIX]
      : [plain + PACKED_SUFFIX, plain];
    const options = { credentials: init?.credentials };
    let used = first;
    // Offline, the service worker holds only the form the first visit used: if the one chosen
    // cannot be fetched at all, the other is.
    const response = await originalFetch(first, options)
      .catch(() => originalFetch((used = other), options));
    usedForms.add(used);
    const problem = hostProblem(used, response);
    if (problem) hostBroken(new KnownProblem(problem));
    const body = problem || name !== PROGRESS_OF ? response : counted(response);
    const given = problem || used === plain ? body : await unpacked(body, name);
    return name === WASM && !problem ? compiledEarly(given) : given;
  }
  const response = await originalFetch(input, init);
  const watched = method === "GET" && /\/(pyodide\.asm\.wasm|python_stdlib\.zip)$/.test(path);
  const problem = watched ? hostProblem(url, response) : null;
  if (problem) hostBroken(new KnownProblem(problem));
  return response;
};

// The engine's biggest file, counted as it arrives for the page's progress line (issue 16.4):
// its bytes so far and, when the host's Content-Length counts the same bytes, its size.
const PROGRESS_OF = WASM;
const PROGRESS_EVERY_MS = 200;
function counted(response) {
  if (!response.ok || !response.body) return response;
  // A body the browser decompresses has more bytes than its Content-Length: no size then.
  const total = response.headers.get("content-encoding") ? 0
    : Number(response.headers.get("content-length")) || 0;
  const reader = response.body.getReader();
  let loaded = 0;
  let last = 0;
  const body = new ReadableStream({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        self.postMessage({ type: "progress", loaded, total, done: true });
        controller.close();
        return;
      }
      loaded += value.length;
      if (performance.now() - last > PROGRESS_EVERY_MS) {
        last = performance.now();
        self.postMessage({ type: "progress", loaded, total, done: false });
      }
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText,
    headers: response.headers });
}

async function unpacked(response, name) {
  const reader = response.body.getReader();
  const first = await reader.read();
  const head = first.value || new Uint8Array();
  // A host that labels .gz files `Content-Encoding: gzip` has had the browser decompress it
  // already: only a body that starts as gzip does (1f 8b) is decompressed here.
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const body = new ReadableStream({
    start(controller) {
      if (!first.done) controller.enqueue(head);
      else controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const type = PACKED_TYPES[name.slice(name.lastIndexOf(".") + 1)] || "application/octet-stream";
  return new Response(gzipped ? decompressed(body, name) : body,
    { status: 200, headers: { "Content-Type": type } });
}

// A damaged .gz fails while it streams: said at once, as a damaged wasm is (Pyodide would wait).
function decompressed(body, name) {
  const reader = body.pipeThrough(new DecompressionStream("gzip")).getReader();
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        hostBroken(new KnownProblem(`its file ${name}${PACKED_SUFFIX} is damaged (${describe(error)})`));
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

// [packed] Pyodide's own JavaScript (pyodide.asm.mjs: 1.25 MB as it is, 0.26 MB packed) is not
// fetched but imported, which the fetch hook above never sees. The worker imports it itself, as
// it starts (Pyodide would ask only once pyodide.mjs has run), and hands its export to
// loadPyodide (its createPyodideModule option, see boot). From a host that does not compress
// it, the worker fetches NAME.gz, unpacks it and imports it from a blob: URL; where that cannot
// be done (this host's Content-Security-Policy allows no blob: script, the .gz is unreachable
// offline, the import fails), it imports NAME: that can cost bytes, never the start.
const MODULE = "pyodide.asm.mjs";
async function packedModule(pyodideURL) {
  const plain = new URL(MODULE, pyodideURL).href;
  const fromPacked = await unpackedModule(plain);
  usedForms.add(fromPacked ? plain + PACKED_SUFFIX : plain);
  const module = fromPacked ?? (await import(plain)).default;
  mark("asmImported");
  return module;
}

async function unpackedModule(plain) {
  const headers = await headOf(plain);
  if ((await hostCompresses(plain)) || !blobScriptsAllowed(headers?.get("content-security-policy"))) {
    return undefined;
  }
  let url = null;
  try {
    const response = await originalFetch(plain + PACKED_SUFFIX);
    if (!response.ok) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    // As in unpacked(): a host that labels .gz `Content-Encoding: gzip` had the browser unpack it.
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    const source = gzipped ? new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")) : bytes;
    url = URL.createObjectURL(new Blob([await new Response(source).arrayBuffer()],
      { type: PACKED_TYPES.mjs }));
    return (await import(url)).default;
  } catch {
    return undefined;
  } finally {
    if (url) URL.revokeObjectURL(url);
  }
}

// Whether a Content-Security-Policy (as this host sends it: a worker obeys its own response's)
// lets this worker import a blob: URL: in every policy, the first of script-src-elem,
// script-src and default-src it has, if any, lists blob:. [blob-policy] sw.js has the same
// function, to keep the form this engine will ask for offline.
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

// Repeat visits skip Python's start-up: after the first start, Python's memory (runbook_core
// imported and warmed up) is saved in Cache Storage, keyed by the immutable Pyodide folder and
// the content-hashed wheel, so a new deploy never restores an old engine. Any failure to save
// or restore falls back to a normal start.
const snapshotCache = helpers.then(([{ deploymentName }]) =>
  deploymentName("runbook-engine-snapshot")); // [deployment] this site's own
snapshotCache.catch(() => {}); // without it, no snapshot: findSnapshot says why
const SNAPSHOT_DELAY_MS = 1500; // after ready, once the page's first calls are answered
let snapshotPlan = null;

// Stored gzip-compressed (so that a phone keeps the site; never more than this, compressed) and
// without its empty pages: Python's ~30 MB of memory is ~60% pages of zeros, which cost a repeat
// visit as much time to inflate as the rest. What is kept: a header (SNAPSHOT_MAGIC, the
// memory's length, the number of runs, then each run's first page and page count, Uint32
// little-endian), then the runs' bytes one after the other.
const SNAPSHOT_MAX_BYTES = 12 * 1024 * 1024;
const SNAPSHOT_PAGE = 4096;
const SNAPSHOT_MAGIC = 0x31534252; // "RBS1"; a new layout gets a new magic and a new key

const snapshotKey = (pyodideURL, wheelURL, orgURL) => {
  const query = new URLSearchParams({ wheel: new URL(wheelURL).pathname });
  if (orgURL) query.set("org", new URL(orgURL).pathname);
  query.set("layout", SNAPSHOT_MAGIC.toString(16));
  return new URL(`engine-snapshot?${query}`, pyodideURL).href;
};

// The runs of pages that hold something: [first page, page count] pairs.
function usedRuns(bytes) {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const perPage = SNAPSHOT_PAGE >>> 2;
  const runs = [];
  const pages = Math.ceil(bytes.length / SNAPSHOT_PAGE);
  for (let page = 0; page < pages; page++) {
    let used = page === pages - 1; // the last, maybe partial, page is always kept
    for (let i = page * perPage, end = Math.min(i + perPage, words.length); !used && i < end; i++) {
      used = words[i] !== 0;
    }
    if (!used) continue;
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === page) last[1]++;
    else runs.push([page, 1]);
  }
  return runs;
}

function snapshotParts(bytes) {
  const runs = usedRuns(bytes);
  const header = new Uint32Array([SNAPSHOT_MAGIC, bytes.length, runs.length, ...runs.flat()]);
  return [header, ...runs.map(([page, count]) =>
    bytes.subarray(page * SNAPSHOT_PAGE, Math.min((page + count) * SNAPSHOT_PAGE, bytes.length)))];
}

// Python's memory again, or an error (then the engine starts normally).
function snapshotMemory(kept) {
  const fail = (why) => {
    throw new Error(`the engine snapshot is unusable (${why})`);
  };
  if (kept.length < 12 || kept.byteOffset % 4) fail("too short");
  const head = new Uint32Array(kept.buffer, kept.byteOffset, 3);
  if (head[0] !== SNAPSHOT_MAGIC) fail("another layout");
  const [, length, count] = head;
  const runsAt = 12;
  const dataAt = runsAt + count * 8;
  if (kept.length < dataAt) fail("truncated");
  const runs = new Uint32Array(kept.buffer, kept.byteOffset + runsAt, count * 2);
  const memory = new Uint8Array(length); // zeros: the pages not kept
  let from = dataAt;
  for (let i = 0; i < runs.length; i += 2) {
    const at = runs[i] * SNAPSHOT_PAGE;
    const size = Math.min(runs[i + 1] * SNAPSHOT_PAGE, length - at);
    if (size <= 0 || from + size > kept.length) fail("truncated");
    memory.set(kept.subarray(from, from + size), at);
    from += size;
  }
  if (from !== kept.length) fail("trailing bytes");
  return memory;
}

// The saved snapshot for this key: null when there is none (or no Cache Storage: private mode,
// file://), else {bytes}, a promise of Python's memory that fails if it is damaged. Handed to
// Pyodide unresolved, so that Pyodide's own start-up runs while it is read and inflated.
async function findSnapshot(key) {
  try {
    const hit = await (await caches.open(await snapshotCache)).match(key);
    mark("snapshotFound");
    if (!hit) {
      timings.snapshotMissing = key;
      return null;
    }
    const bytes = new Response(hit.body.pipeThrough(new DecompressionStream("gzip")))
      .arrayBuffer().then((buffer) => {
        mark("snapshotInflated");
        const memory = snapshotMemory(new Uint8Array(buffer));
        mark("snapshotRead");
        return memory;
      });
    bytes.catch(() => {}); // reported where Pyodide awaits it
    return { bytes };
  } catch (error) {
    timings.snapshotError = describe(error);
    return null;
  }
}

async function compressed(parts) {
  const stream = new Blob(parts).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function forgetSnapshots(keep) {
  try {
    const cache = await caches.open(await snapshotCache);
    await Promise.all((await cache.keys()).filter((r) => r.url !== keep).map((r) => cache.delete(r)));
  } catch {
    // nothing to forget
  }
}

function saveSnapshotLater(pyodide, key) {
  setTimeout(async () => {
    let bytes;
    self.postMessage({ type: "started", id: null, allowance: SNAPSHOT_ALLOWANCE_MS });
    try {
      widget.later(); // what the first render did not import, so that a repeat visit has it
      // A snapshot may hold no JavaScript references: drop the module proxy, snapshot, re-import.
      widget.destroy();
      try {
        bytes = pyodide.makeMemorySnapshot();
      } finally {
        widget = pyodide.pyimport("runbook_core.widget");
      }
      const zipped = await compressed(snapshotParts(bytes));
      await forgetSnapshots(key);
      if (zipped.length > SNAPSHOT_MAX_BYTES) {
        timings.snapshotSkipped = zipped.length;
        return;
      }
      await (await caches.open(await snapshotCache)).put(key, new Response(zipped));
      timings.snapshotBytes = zipped.length;
      mark("snapshotSaved");
    } catch {
      // Quota or an engine that cannot snapshot: repeat visits simply start normally.
    }
  }, SNAPSHOT_DELAY_MS);
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new KnownProblem(`${new URL(url).pathname} answered HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// A team's org file (and its template), fetched beside the wheel: the engine reads it as the
// CLI does, through $RUNBOOK_ORG. Files do not survive in a memory snapshot: written every time.
const ORG_DIR = "/home/pyodide/org/";

async function fetchOrg(orgURL) {
  const org = new TextDecoder().decode(await fetchBytes(orgURL));
  const files = { "org.toml": org };
  // Its ticket template and its post-mortem template (sitebuild/publish.py org_bundle).
  for (const key of ["template", "postmortem_template"]) {
    const name = new RegExp(`^${key} = "(.+)"$`, "m").exec(org)?.[1];
    if (name) files[name] = await fetchBytes(new URL(name, orgURL).href);
  }
  return files;
}

async function installOrg(pyodide, orgFiles) {
  const files = await orgFiles;
  if (!files) return;
  pyodide.FS.mkdirTree(ORG_DIR);
  for (const [name, content] of Object.entries(files)) pyodide.FS.writeFile(ORG_DIR + name, content);
  pyodide.runPython(`import os; os.environ["RUNBOOK_ORG"] = "${ORG_DIR}org.toml"`);
}

async function boot(loadPyodide, { pyodideURL, lockInfo }, { wheelBytes, orgFiles, module }, snapshot) {
  const options = {
    indexURL: pyodideURL,
    // [packed] Pyodide's JavaScript as packedModule imports it. Not awaited before loadPyodide,
    // which starts the wasm's download first and calls this only once it needs the module.
    createPyodideModule: (settings) => module.then((create) => create(settings)),
    // No package is installed from Pyodide's repository: its build info is all it needs, and
    // the 22 KB lock file is not fetched.
    lockFileContents: { info: lockInfo, packages: {} },
    stdout: () => {},
    stderr: () => {},
  };
  const pyodide = await loadPyodide(snapshot ? { ...options, _loadSnapshot: snapshot.bytes }
    : { ...options, _makeSnapshot: true });
  mark("loaded");
  // The wheel goes into site-packages from JavaScript (wheel-files.mjs; Python's zipfile for a
  // wheel the build did not make), not by loadPackage, whose JavaScript references would make
  // the memory snapshot impossible.
  const [, { installWheel }] = await helpers;
  timings.wheelBy = installWheel(pyodide, await wheelBytes);
  mark("wheelInstalled");
  await installOrg(pyodide, orgFiles);
  return pyodide;
}

async function start(init) {
  const { pyodideURL, wheelURL, orgURL } = init;
  mark("init");
  for (const name of PACKED) headOf(new URL(name, pyodideURL).href); // [packed] asked now
  headOf(wheelURL);
  earlyFetch(new URL(WASM, pyodideURL).href); // [early compile] compiled while Python's JS loads
  const module = packedModule(pyodideURL); // fetched beside pyodide.mjs
  module.catch(() => {}); // reported where Pyodide awaits it
  const key = snapshotKey(pyodideURL, wheelURL, orgURL);
  const snapshot = findSnapshot(key);
  const wheelBytes = fetchBytes(wheelURL); // downloaded while Python boots
  wheelBytes.catch(() => {}); // reported where it is awaited
  const orgFiles = orgURL ? fetchOrg(orgURL) : Promise.resolve(null);
  orgFiles.catch(() => {});
  const failFast = Promise.race([wasmFailed, hostFailed]);
  // The wasm's fetch starts now (earlyFetch): it can fail before anything below awaits this.
  failFast.catch(() => {});
  const files = { wheelBytes, orgFiles, module };
  let pyodide;
  try {
    let loadPyodide;
    try {
      ({ loadPyodide } = await import(new URL("pyodide.mjs", pyodideURL).href));
    } catch (error) {
      throw new Error(`could not load Pyodide from ${pyodideURL} (${describe(error)})`, { cause: error });
    }
    mark("imported");
    const saved = await snapshot;
    if (saved) {
      try {
        pyodide = await Promise.race([boot(loadPyodide, init, files, saved), failFast]);
        timings.fromSnapshot = true;
      } catch (error) {
        if (error instanceof KnownProblem) throw error;
        timings.snapshotError = describe(error); // unusable: start normally, and make a new one
        await forgetSnapshots(null);
      }
    }
    pyodide ??= await Promise.race([boot(loadPyodide, init, files, null), failFast]);
  } catch (error) {
    if (error instanceof KnownProblem) throw error;
    // Now, and only now, ask the host what is wrong (at most 2 s).
    const known = await Promise.race([diagnose(pyodideURL, wheelURL), sleep(2000)]);
    throw known ? new Error(known) : error;
  }
  mark("booted");
  try {
    // The methods of runbook_core's dataclasses, compiled at build time (in the wheel; a Python
    // restored from a snapshot has them): compiling them was most of this import.
    timings.dataclassCode = pyodide.pyimport("runbook_core.dataclass_code").install();
    widget = pyodide.pyimport("runbook_core.widget");
    widget.started(); // its own view ids, also when restored from a snapshot
    mark("widgetImported");
  } catch (error) {
    throw new Error(`the runbook_core package did not load from ${wheelURL} (${describe(error)})`, { cause: error });
  }
  const info = JSON.parse(widget.info());
  mark("info");
  // Warm up: the first call reads and validates the runbook's data files.
  widget.render(null, new Date().toISOString().slice(0, 19) + "Z", "");
  mark("warm");
  // When each of the worker's own files arrived (ms since it started; the load benchmark shows it).
  timings.files = Object.fromEntries(performance.getEntriesByType("resource").map((entry) =>
    [entry.name.slice(entry.name.lastIndexOf("/") + 1), [Math.round(entry.startTime),
      Math.round(entry.responseEnd), entry.transferSize]]));
  if (!timings.fromSnapshot) snapshotPlan = () => saveSnapshotLater(pyodide, key);
  return { ...info, timings, loaded: [...usedForms] };
}

// Starts Python once, from the page's "init" or from this script's URL; says "ready" (or
// "fatal") once.
async function begin(init) {
  if (starting) return;
  starting = start(init);
  try {
    self.postMessage({ type: "ready", info: await starting });
    setInterval(() => self.postMessage({ type: "alive" }), ALIVE_MS);
    snapshotPlan?.();
    snapshotPlan = null;
  } catch (error) {
    // A Content-Security-Policy violation is reported a moment after the failure it caused:
    // let it reach the page first, so that the page names what the policy lacks.
    await sleep(100);
    self.postMessage({ type: "fatal", message: describe(error) });
  }
}

self.onmessage = async ({ data }) => {
  if (data.type === "init") {
    begin(data);
    return;
  }
  if (data.type === "ping") {
    self.postMessage({ type: "pong" }); // the page's heartbeat: this worker is alive
    return;
  }
  if (data.type === "call") {
    const { id, method, args } = data;
    try {
      if (!starting) throw new Error("the engine was not started");
      // A failed start is reported once, as "fatal", and the page then fails every call it
      // waits for: answering the queued calls first would show the same failure twice.
      if (!(await starting.then(() => true, () => false))) return;
      self.postMessage({ type: "started", id });
      const t0 = performance.now();
      const value = widget.call(method, ...args.map(packed));
      // The engine's own time for the call (the load benchmark reads it).
      self.postMessage({ type: "result", id, ok: true, value, ms: performance.now() - t0 });
    } catch (error) {
      self.postMessage({ type: "result", id, ok: false, message: describe(error) });
    }
  }
};

// Created by the page's <head> before anything else runs (overrides/main.html), this worker finds
// the engine's addresses in its own URL (?pyodide=&wheel=&org=&lockInfo=) and starts at once; the
// page's "init", later, finds it started.
const early = new URLSearchParams(self.location.search);
if (early.has("pyodide") && early.has("wheel")) {
  try {
    begin({ pyodideURL: early.get("pyodide"), wheelURL: early.get("wheel"),
      orgURL: early.get("org") || null, lockInfo: JSON.parse(early.get("lockInfo") || "{}") });
  } catch {
    // unreadable: the page's "init" starts it
  }
}

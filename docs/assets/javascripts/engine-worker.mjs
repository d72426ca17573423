// The runbook engine: self-hosted Pyodide and the runbook_core wheel, in one module worker.
//
// Messages in:  {type: "init", pyodideURL, wheelURL}        (absolute URLs, once)
//               {type: "call", id, method, args}            (args: strings or null)
// Messages out: {type: "ready", info} | {type: "fatal", message}
//               {type: "result", id, ok: true, value} | {type: "result", id, ok: false, message}
//
// Every method is a function of runbook_core.widget taking and returning JSON strings; calls
// that arrive while Python is starting wait for it.

const METHODS = new Set(["dispatch", "render", "import_record", "export_record", "info"]);
const MAX_MESSAGE = 600;

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

// A missing file or a wasm served with the wrong type can leave Pyodide hanging or failing with
// an obscure message; a HEAD request per file says exactly what is wrong, fast. Network errors
// are not judged here (offline, a service worker): Pyodide then reports what it can.
async function checkFiles(pyodideURL, wheelURL) {
  const files = ["pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
    .map((name) => new URL(name, pyodideURL).href)
    .concat([wheelURL]);
  const problems = await Promise.all(files.map(async (url) => {
    let response;
    try {
      response = await fetch(url, { method: "HEAD" });
    } catch {
      return null;
    }
    if (response.status === 405 || response.status === 501) return null; // no HEAD here
    const path = new URL(url).pathname;
    if (!response.ok) return `${path} answered HTTP ${response.status}`;
    const type = (response.headers.get("content-type") || "").split(";")[0].trim();
    if (url.endsWith(".wasm") && type && type !== "application/wasm") {
      return `${path} is served as ${type}; the server must send application/wasm`;
    }
    return null;
  }));
  return problems.find(Boolean) || null;
}

class KnownProblem extends Error {}
const never = new Promise(() => {});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function start({ pyodideURL, wheelURL }) {
  mark("init");
  const problem = checkFiles(pyodideURL, wheelURL);
  const failFast = problem.then((text) => (text ? Promise.reject(new KnownProblem(text)) : never));
  let loadPyodide;
  try {
    ({ loadPyodide } = await Promise.race([import(new URL("pyodide.mjs", pyodideURL).href),
      failFast]));
  } catch (error) {
    if (error instanceof KnownProblem) throw error;
    throw new Error(`could not load Pyodide from ${pyodideURL} (${describe(error)})`);
  }
  mark("imported");
  let pyodide;
  try {
    pyodide = await Promise.race([loadPyodide({
      indexURL: pyodideURL,
      packages: [wheelURL], // downloaded while Python boots
      stdout: () => {},
      stderr: () => {},
    }), failFast]);
  } catch (error) {
    const known = await Promise.race([problem, sleep(2000)]);
    throw known ? new Error(known) : error;
  }
  mark("booted");
  try {
    widget = pyodide.pyimport("runbook_core.widget");
  } catch (error) {
    throw new Error(`the runbook_core package did not load from ${wheelURL} (${describe(error)})`);
  }
  const info = JSON.parse(widget.info());
  // Warm up: the first call reads and validates the runbook's data files.
  widget.render(null, new Date().toISOString().slice(0, 19) + "Z", "");
  mark("warm");
  return { ...info, timings };
}

self.onmessage = async ({ data }) => {
  if (data.type === "init") {
    starting ??= start(data);
    try {
      self.postMessage({ type: "ready", info: await starting });
    } catch (error) {
      self.postMessage({ type: "fatal", message: describe(error) });
    }
    return;
  }
  if (data.type === "call") {
    const { id, method, args } = data;
    try {
      if (!METHODS.has(method)) throw new Error(`unknown engine method ${method}`);
      if (!starting) throw new Error("the engine was not started");
      await starting;
      self.postMessage({ type: "result", id, ok: true, value: widget[method](...args) });
    } catch (error) {
      self.postMessage({ type: "result", id, ok: false, message: describe(error) });
    }
  }
};

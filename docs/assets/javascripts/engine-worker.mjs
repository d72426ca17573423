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

async function start({ pyodideURL, wheelURL }) {
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(new URL("pyodide.mjs", pyodideURL).href));
  } catch (error) {
    throw new Error(`could not load Pyodide from ${pyodideURL} (${describe(error)})`);
  }
  const pyodide = await loadPyodide({
    indexURL: pyodideURL,
    packages: [wheelURL], // downloaded while Python boots
    stdout: () => {},
    stderr: () => {},
  });
  try {
    widget = pyodide.pyimport("runbook_core.widget");
  } catch (error) {
    throw new Error(`the runbook_core package did not load from ${wheelURL} (${describe(error)})`);
  }
  const info = JSON.parse(widget.info());
  // Warm up: the first call reads and validates the runbook's data files.
  widget.render(null, new Date().toISOString().slice(0, 19) + "Z", "");
  return info;
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

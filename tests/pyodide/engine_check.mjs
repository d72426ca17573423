// The browser engine, exercised under Node: Pyodide (optionally with the trimmed standard
// library the site publishes), the runbook_core wheel, and every example scenario replayed
// through runbook_core.widget, the browser's only entry point, error paths included. Each
// final ticket must equal its golden file. Three starts, as the site's pages make them:
//
// 1. the engine worker's (docs/assets/javascripts/engine-worker.mjs): no lock file, the wheel
//    written into site-packages from JavaScript (wheel-files.mjs installWheel, the worker's own
//    code), `import runbook_core.widget` and a first render (timed: printed), the scenarios,
//    then a memory snapshot of that Python;
// 2. a repeat visit's: a new Pyodide restored from that snapshot, the scenarios again;
// 3. pyodide.loadPackage(wheel) then `import runbook_core` (the benchmark's floor and peer);
// then the worker's fallback: the same wheel deflated (a wheel the build did not make), which
// installWheel leaves to Python's zipfile, imported and rendered in a fresh Pyodide.
//
//   node tests/pyodide/engine_check.mjs WHEEL [--stdlib ZIP --loadpackage-stdlib ZIP2]
//        [--list-modules | --list-loadpackage-modules] [--keep FILE] [--keep-loadpackage FILE2]
//
// --list-modules prints the standard-library modules the engine imported (starts 1 and 2):
// the content of sitebuild/stdlib-keep.txt (`make stdlib-keep`). --keep FILE fails unless FILE
// lists exactly those modules: nothing the engine needs is missing, nothing is kept for nothing.
// The site publishes only those. loadPackage (3) imports more (tarfile, email, ...):
// --list-loadpackage-modules prints those others, the content of bench/stdlib-loadpackage.txt,
// which --keep-loadpackage FILE2 checks the same way; with --stdlib, start 3 runs with ZIP2, the
// trimmed zip with those added (`python -m sitebuild stdlib ZIP2 --also FILE2`), as the
// benchmark's floor and peer get it.
//
// With RUNBOOK_ORG (a team's org file), the engine reads it and its template as the site's
// engine does, and the tickets are compared with that org's golden files (tests/helpers.py).
import { loadPyodide } from "pyodide";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { installWheel } from "../../docs/assets/javascripts/wheel-files.mjs";

const args = process.argv.slice(2);
const wheel = args[0];
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const stdlib = option("--stdlib");
const loadPackageStdlib = option("--loadpackage-stdlib");
const keepFile = option("--keep");
const keepLoadPackageFile = option("--keep-loadpackage");
const listModules = args.includes("--list-modules");
const listLoadPackageModules = args.includes("--list-loadpackage-modules");
const tests = new URL("..", import.meta.url).pathname;
const lockInfo = JSON.parse(readFileSync(new URL("../../node_modules/pyodide/pyodide-lock.json", import.meta.url), "utf8")).info;

function fail(message) {
  console.error(`engine check: ${message}`);
  process.exit(1);
}

if (stdlib && !loadPackageStdlib) {
  fail("--stdlib needs --loadpackage-stdlib: the trimmed zip lacks what loadPackage imports " +
    "(python -m sitebuild stdlib ZIP2 --also bench/stdlib-loadpackage.txt)");
}

let wheelBytes;
try {
  wheelBytes = readFileSync(wheel);
} catch (err) {
  fail(`no wheel at ${wheel}: ${err.message}`);
}

const quiet = () => {};
async function start(step, options) {
  try {
    return await loadPyodide({
      stdLibURL: stdlib,
      // As the site's pages do: Pyodide's build info, no lock file, no package from its repository.
      lockFileContents: { info: lockInfo, packages: {} },
      stdout: quiet,
      stderr: quiet,
      ...options,
    });
  } catch (err) {
    fail(`${step}: Pyodide did not start${stdlib ? ` with ${stdlib}` : ""}: ${String(err.message).slice(0, 500)}`);
  }
}

function run(step, py, code) {
  try {
    return py.runPython(code);
  } catch (err) {
    fail(`${step}: ${String(err.message).slice(-1500)}`);
  }
}

// A team's org file and its template, where the engine worker puts them (engine-worker.mjs).
const ORG_DIR = "/home/pyodide/org/";
const orgPath = process.env.RUNBOOK_ORG ? resolve(process.env.RUNBOOK_ORG) : null;
const orgFiles = {};
if (orgPath) {
  orgFiles["org.toml"] = readFileSync(orgPath);
  const template = /^template = "(.+)"$/m.exec(orgFiles["org.toml"].toString("utf8"));
  if (template) orgFiles[template[1]] = readFileSync(resolve(dirname(orgPath), template[1]));
}
const goldenDir = !orgPath
  ? join(tests, "golden")
  : resolve(process.env.RUNBOOK_GOLDEN_DIR || join(dirname(orgPath), "golden"));

function installOrg(step, py) {
  if (!orgPath) return;
  for (const [name, bytes] of Object.entries(orgFiles)) {
    py.FS.mkdirTree(dirname(ORG_DIR + name));
    py.FS.writeFile(ORG_DIR + name, bytes);
  }
  run(step, py, `import os; os.environ["RUNBOOK_ORG"] = "${ORG_DIR}org.toml"`);
}

const golden = {};
for (const name of readdirSync(goldenDir)) {
  if (name.endsWith(".ticket.md")) golden[name.replace(".ticket.md", "")] = readFileSync(join(goldenDir, name), "utf8");
}
const SCENARIOS = readFileSync(join(tests, "data", "scenarios.json"), "utf8");

const REPLAY = `
import json
from runbook_core import widget
now = "2026-11-28T21:40:00Z"
golden = json.loads(GOLDEN)
problems = []
for name, steps in json.loads(SCENARIOS).items():
    record = None
    for step in steps:
        reply = json.loads(widget.dispatch(record, json.dumps(step["action"]), step["at"], '{"draft_status": "draft"}'))
        if not reply["ok"]:
            problems.append(f"{name}: {reply['error']}")
        record = json.dumps(reply["record"])
    widget.import_record(widget.export_record(record), now)
    ticket = json.loads(widget.render(record, now))["view"]["ticket"]
    if ticket != golden[name]:
        problems.append(f"{name}: the ticket differs from {GOLDEN_DIR}/{name}.ticket.md")
    for fmt in ("jira", "text"):  # every format's code is in the engine too
        json.loads(widget.render(record, now, json.dumps({"ticket_format": fmt})))["view"]["ticket"]
    # The post-mortem draft, the timeline picture and the handover link, as the page calls them.
    for fmt in ("markdown", "jira", "text"):
        if not json.loads(widget.postmortem(record, fmt))["ok"]:
            problems.append(f"{name}: no post-mortem draft in {fmt}")
    if not json.loads(widget.timeline_svg(record, now))["ok"]:
        problems.append(f"{name}: no timeline picture")
    link = json.loads(widget.handover_link(record, "https://example.org/walkthrough/"))["link"]
    if not json.loads(widget.open_handover(link, now, None, record))["replace"]["identical"]:
        problems.append(f"{name}: its handover link did not open as the same record")
for bad in (lambda: widget.dispatch(None, "{", now),
            lambda: widget.dispatch(None, json.dumps({"type": "nope"}), now),
            lambda: widget.import_record('{"schema_version": 9}', now),
            lambda: widget.render('{"schema_version": 1, "summary": 3}', now)):
    if json.loads(bad())["ok"]:
        problems.append("an invalid input was accepted")
# A team's org file is TOML the build did not parse (runbook_core.datafile): tomllib is read
# here, as the worker reads a team's org.toml.
from runbook_core.config import packaged_org, parse_org
parse_org('channel = "#ops"\\n', "org.toml", packaged_org())
widget.later()  # the rest of the engine, as the worker imports it before its snapshot
del widget  # a snapshot may hold no JavaScript reference
json.dumps({"problems": problems, "scenarios": len(golden)})
`;
const MODULES = `
import sys
stdlib = set(sys.stdlib_module_names) | {"pyodide", "_pyodide"}
"\\n".join(sorted(m for m in sys.modules if m.split(".")[0] in stdlib))`;
const modules = new Set();
const problems = [];

function replay(step, py) {
  py.globals.set("SCENARIOS", SCENARIOS);
  py.globals.set("GOLDEN", JSON.stringify(golden));
  py.globals.set("GOLDEN_DIR", goldenDir);
  const result = JSON.parse(run(step, py, REPLAY));
  py.globals.delete("SCENARIOS");
  py.globals.delete("GOLDEN");
  py.globals.delete("GOLDEN_DIR");
  problems.push(...result.problems.map((p) => `${step}: ${p}`));
  for (const name of run(step, py, MODULES).split("\n")) modules.add(name);
  return result.scenarios;
}

// The compiled wheel keeps a __doc__ for each dataclass (sitebuild/compile_pyc.mjs):
// otherwise dataclasses computes inspect.signature(cls) for every dataclass's __doc__, which the
// engine's first import pays for. Watched from before the import to after the scenarios.
const WATCH_SIGNATURES = `
import inspect, sys
_signature = inspect.signature
_from_dataclasses = []
def _watched(*args, **kwargs):
    if sys._getframe(1).f_globals.get("__name__") == "dataclasses":
        _from_dataclasses.append(getattr(args[0], "__qualname__", repr(args[0])))
    return _signature(*args, **kwargs)
inspect.signature = _watched`;
const SIGNATURES_WATCHED = `
import dataclasses, json, sys
inspect.signature = _signature
undocumented = sorted(f"{c.__module__}.{c.__qualname__}" for m in list(sys.modules.values())
    if getattr(m, "__name__", "").startswith("runbook_core") for c in vars(m).values()
    if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == m.__name__ and not c.__doc__)
documented = sum(1 for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("runbook_core")
    for c in vars(m).values() if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == m.__name__)
result = json.dumps({"calls": sorted(set(_from_dataclasses)), "undocumented": undocumented, "dataclasses": documented})
del _signature, _watched, _from_dataclasses
result`;

// The wheel carries the methods dataclasses writes for runbook_core's classes compiled
// (runbook_core.dataclass_code, sitebuild/compile_pyc.mjs): every text found there, none compiled
// at import; and (COMPARE, in the fallback's start) each found code is the text's, compiled
// here: the same bytecode, constants and names (positions aside: the build keeps no columns).
const DATACLASS_CODE_SERVED = `
import json
from runbook_core import dataclass_code
json.dumps(dataclass_code.served)`;
const COMPARE_DATACLASS_CODE = `
import dataclasses, types
from runbook_core import dataclass_code
_installed = dataclasses.exec
_compared = {"same": 0, "different": []}
_FIELDS = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_argcount",
    "co_posonlyargcount", "co_kwonlyargcount", "co_flags", "co_name", "co_qualname",
    "co_exceptiontable", "co_stacksize", "co_nlocals")
def _same(a, b):
    if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
        return (all(getattr(a, f) == getattr(b, f) for f in _FIELDS) and len(a.co_consts) == len(b.co_consts)
            and all(_same(x, y) for x, y in zip(a.co_consts, b.co_consts)))
    return type(a) is type(b) and a == b
def _comparing(source, globals=None, locals=None, /):
    if isinstance(source, str):
        found = _installed.codes.get(dataclass_code.text_key(source))
        if found is not None:
            if _same(found, compile(source, "<string>", "exec", dont_inherit=True)):
                _compared["same"] += 1
            else:
                _compared["different"].append(source.splitlines()[1].strip())
    _installed(source, globals, locals)
dataclasses.exec = _comparing`;

// The engine worker's start (engine-worker.mjs: boot, installWheel, pyimport, first render).
async function workerStart(step, snapshot, bytes = wheelBytes, by = "js", compareDataclassCode = false) {
  const py = await start(step, snapshot ? { _loadSnapshot: snapshot } : { _makeSnapshot: true });
  let installedBy;
  try {
    installedBy = installWheel(py, new Uint8Array(bytes));
  } catch (err) {
    fail(`${step}: the wheel did not install: ${String(err.message).slice(-1500)}`);
  }
  if (installedBy !== by) fail(`${step}: the wheel was installed by ${installedBy}, not ${by}`);
  installOrg(step, py);
  if (!snapshot) run(step, py, WATCH_SIGNATURES);
  const before = performance.now();
  let ms;
  let dataclassCode;
  try {
    dataclassCode = py.pyimport("runbook_core.dataclass_code").install();
    if (compareDataclassCode) run(step, py, COMPARE_DATACLASS_CODE);
    const widget = py.pyimport("runbook_core.widget");
    JSON.parse(widget.info());
    widget.render(null, "2026-11-28T21:40:00Z", "");
    ms = performance.now() - before;
    widget.destroy();
  } catch (err) {
    fail(`${step}: ${String(err.message).slice(-1500)}`);
  }
  if (!dataclassCode) fail(`${step}: the wheel has no compiled dataclass code (runbook_core.dataclass_code.install found none)`);
  return { py, ms };
}

const cold = await workerStart("worker");
const scenarios = replay("worker", cold.py);
const served = JSON.parse(run("worker", cold.py, DATACLASS_CODE_SERVED));
if (served.compiled || served.found < 10) {
  problems.push(`worker: ${served.compiled} dataclass texts compiled at import, ${served.found} found compiled in the wheel: ` +
    "every one should be found (sitebuild/compile_pyc.mjs --dataclass-code)");
}
const signatures = JSON.parse(run("worker", cold.py, SIGNATURES_WATCHED));
if (signatures.calls.length) {
  problems.push(`worker: dataclasses called inspect.signature for ${signatures.calls.join(", ")}: their __doc__ was empty`);
}
if (signatures.undocumented.length || signatures.dataclasses < 10) {
  problems.push(`worker: dataclasses with no __doc__: ${signatures.undocumented.join(", ")} (of ${signatures.dataclasses})`);
}
let snapshot;
try {
  snapshot = cold.py.makeMemorySnapshot();
} catch (err) {
  fail(`worker: no memory snapshot: ${String(err.message).slice(0, 500)}`);
}
const repeat = await workerStart("from the snapshot", snapshot);
replay("from the snapshot", repeat.py);

const floor = await start("loadPackage", { stdLibURL: loadPackageStdlib });
const errors = [];
try {
  await floor.loadPackage(wheel, { messageCallback: quiet, errorCallback: (e) => errors.push(e) });
} catch (err) {
  errors.push(err.message);
}
if (errors.length) fail(`loadPackage: ${errors.join("\n").slice(-1500)}`);
installOrg("loadPackage", floor);
run("loadPackage", floor, "import runbook_core, runbook_core.widget; runbook_core.widget.info()");
const loadPackageImported = run("loadPackage", floor, MODULES).split("\n");

// A wheel the build did not make (deflated): the worker's fallback, Python's zipfile.
floor.FS.writeFile("/tmp/stored.whl", wheelBytes);
run("deflated wheel", floor, `import zipfile
with zipfile.ZipFile("/tmp/stored.whl") as src, zipfile.ZipFile("/tmp/deflated.whl", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info))`);
const deflated = await workerStart("deflated wheel", null, floor.FS.readFile("/tmp/deflated.whl"), "zipfile", true);
replay("deflated wheel", deflated.py);
const compared = JSON.parse(run("deflated wheel", deflated.py, "import json\njson.dumps(_compared)"));
if (compared.different.length || compared.same !== served.found) {
  problems.push(`deflated wheel: the wheel's compiled dataclass code is not the text's for ${compared.different.join(", ") || "-"} ` +
    `(${compared.same} the same, of ${served.found})`);
}
for (const name of run("deflated wheel", deflated.py, MODULES).split("\n")) modules.add(name);

const imported = [...modules].sort();
// What loadPackage imports that no start of the engine's does (the fallback's included).
const loadPackageOnly = loadPackageImported.filter((name) => !modules.has(name));
if (problems.length) fail(problems.join("\n"));
if (listModules || listLoadPackageModules) {
  console.log((listModules ? imported : loadPackageOnly.sort()).join("\n"));
  process.exit(0);
}
// FILE lists exactly `names` (one module a line, '#' starts a comment).
function checkList(file, names, what) {
  const kept = readFileSync(file, "utf8").split("\n").map((line) => line.split("#")[0].trim()).filter(Boolean);
  const missing = names.filter((name) => !kept.includes(name));
  const unused = kept.filter((name) => !names.includes(name));
  if (missing.length || unused.length) {
    fail(`${file} is not what ${what} imports: run \`make stdlib-keep\`.` +
      (missing.length ? `\n  imported, not kept: ${missing.join(" ")}` : "") +
      (unused.length ? `\n  kept, never imported: ${unused.join(" ")}` : ""));
  }
}
if (keepFile) checkList(keepFile, imported, "the engine");
if (keepLoadPackageFile) checkList(keepLoadPackageFile, loadPackageOnly, "loadPackage (besides the engine)");
console.log(`engine check: ${scenarios} scenarios replayed through runbook_core.widget, cold and from a ` +
  `memory snapshot, tickets equal the golden files${orgPath ? ` (RUNBOOK_ORG=${process.env.RUNBOOK_ORG})` : ""}, ` +
  `its ${signatures.dataclasses} dataclasses have a __doc__ (no inspect.signature) and their ${served.found} methods' texts ` +
  `are found compiled in the wheel, the code each text compiles to; loadPackage imports it too, and a deflated wheel installs through zipfile. ` +
  `import runbook_core.widget + first render: ${Math.round(cold.ms)} ms (from the snapshot: ${Math.round(repeat.ms)} ms)` +
  (stdlib ? `; standard library: ${stdlib}` : "") +
  (keepFile ? `; ${keepFile} lists exactly the ${imported.length} modules imported` : "") +
  (keepLoadPackageFile ? ` (${keepLoadPackageFile}: loadPackage's ${loadPackageOnly.length} others)` : ""));

// The browser engine, exercised under Node: Pyodide (optionally with the trimmed standard
// library the site publishes), the runbook_core wheel, and every example scenario replayed
// through runbook_core.widget, the browser's only entry point, error paths included. Each
// final ticket must equal its golden file.
//
//   node tests/pyodide/engine_check.mjs WHEEL [--stdlib ZIP] [--list-modules]
//
// --list-modules prints the standard-library modules the engine imported: the source of
// sitebuild/stdlib-keep.txt (`make stdlib-keep`).
import { loadPyodide } from "pyodide";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const wheel = args[0];
const stdlib = args.includes("--stdlib") ? args[args.indexOf("--stdlib") + 1] : undefined;
const listModules = args.includes("--list-modules");
const tests = new URL("..", import.meta.url).pathname;

function fail(message) {
  console.error(`engine check: ${message}`);
  process.exit(1);
}

let py;
try {
  const quiet = () => {};
  py = await loadPyodide({ stdLibURL: stdlib, stdout: quiet, stderr: quiet });
  await py.loadPackage(wheel, { messageCallback: quiet, errorCallback: quiet });
} catch (err) {
  fail(`Pyodide did not start${stdlib ? ` with ${stdlib}` : ""}: ${String(err.message).slice(0, 500)}`);
}
const golden = {};
for (const name of readdirSync(join(tests, "golden"))) {
  if (name.endsWith(".ticket.md")) golden[name.replace(".ticket.md", "")] = readFileSync(join(tests, "golden", name), "utf8");
}
py.globals.set("SCENARIOS", readFileSync(join(tests, "data", "scenarios.json"), "utf8"));
py.globals.set("GOLDEN", JSON.stringify(golden));
let result;
try {
  result = py.runPython(`
import json, sys
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
        problems.append(f"{name}: the ticket differs from tests/golden/{name}.ticket.md")
    for fmt in ("jira", "text"):  # every format's code is in the engine too
        json.loads(widget.render(record, now, json.dumps({"ticket_format": fmt})))["view"]["ticket"]
for bad in (lambda: widget.dispatch(None, "{", now),
            lambda: widget.dispatch(None, json.dumps({"type": "nope"}), now),
            lambda: widget.import_record('{"schema_version": 9}', now),
            lambda: widget.render('{"schema_version": 1, "summary": 3}', now)):
    if json.loads(bad())["ok"]:
        problems.append("an invalid input was accepted")
widget.info()
stdlib = set(sys.stdlib_module_names) | {"pyodide", "_pyodide"}
modules = sorted(m for m in sys.modules if m.split(".")[0] in stdlib)
json.dumps({"problems": problems, "modules": modules, "scenarios": len(golden)})
`);
} catch (err) {
  fail(String(err.message).slice(-1500));
}
const { problems, modules, scenarios } = JSON.parse(result);
if (listModules) {
  console.log(modules.join("\n"));
} else if (problems.length) {
  fail(problems.join("\n"));
} else {
  console.log(`engine check: ${scenarios} scenarios replayed through runbook_core.widget, tickets equal the golden files` +
    (stdlib ? ` (standard library: ${stdlib})` : ""));
}

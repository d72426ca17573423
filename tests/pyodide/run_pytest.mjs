#!/usr/bin/env node
// Run the unit test suite inside real Pyodide (CPython compiled to WebAssembly) under Node.
//
//   node tests/pyodide/run_pytest.mjs [extra pytest args, e.g. -k smoke]
//
// 1. Builds the project's wheel into .cache/wheel/ with the venv's Python, so the code under
//    test is the built wheel (package data included), never the source tree.
// 2. Loads Pyodide from node_modules/pyodide and installs, from local files only, the pinned
//    pure-Python wheels in .cache/pyodide-wheels/ (tests/pyodide/requirements.txt) and that wheel.
// 3. Mounts the repository at /repo WITHOUT runbook_core/ (so the source cannot shadow the wheel)
//    and runs pytest.main over /repo/tests with markers "not browser and not cpython_only".
//    Test modules that import playwright or browser_support (browser tests) are not collected.
// Exits with pytest's exit code. Needs `make setup` first.
//
// `--junitxml=HOST_PATH` is understood: the report is written inside Pyodide, then copied out.
// With RUNBOOK_ORG (a team's org file), its folder (its template, and its golden files in
// golden/ beside it) is mounted at /org, and RUNBOOK_GOLDEN_DIR, if set, at /golden.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEP_WHEELS = path.join(ROOT, ".cache", "pyodide-wheels");
const WHEEL_DIR = path.join(ROOT, ".cache", "wheel");
const PYTHON = process.env.PYTHON || path.join(ROOT, ".venv", "bin", "python");
const MOUNT = "/repo";
// Top-level entries of the repository that are not made visible inside Pyodide.
const NOT_MOUNTED = new Set([
  "runbook_core", ".git", ".venv", "node_modules", ".cache", "site", "build", "dist",
  ".pytest_cache", ".hypothesis", ".ruff_cache", "test-artifacts",
]);
const PYTEST_ARGS = [
  `${MOUNT}/tests`,
  `--ignore=${MOUNT}/tests/pyodide`,
  "-m", "not browser and not cpython_only",
  "-p", "no:cacheprovider",
  "-q",
];
const MAX_ERROR_CHARS = 20_000; // never echo pyodide.asm.mjs (megabytes) back to the terminal

class SetupError extends Error {}

function fail(message) {
  throw new SetupError(message);
}

function buildWheel() {
  if (!fs.existsSync(PYTHON)) fail(`no Python at ${PYTHON}: run \`make setup\` (or set PYTHON)`);
  fs.rmSync(WHEEL_DIR, { recursive: true, force: true });
  const result = spawnSync(
    PYTHON,
    ["-m", "build", "--wheel", "--no-isolation", "--quiet", "--outdir", WHEEL_DIR, ROOT],
    { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.status !== 0) fail(`building the wheel failed (exit ${result.status ?? result.signal})`);
  const wheels = fs.readdirSync(WHEEL_DIR).filter((f) => f.endsWith(".whl"));
  if (wheels.length !== 1) fail(`expected one wheel in ${WHEEL_DIR}, found ${wheels.length}`);
  if (!wheels[0].endsWith("-none-any.whl")) fail(`${wheels[0]} is not a pure-Python wheel`);
  return path.join(WHEEL_DIR, wheels[0]);
}

function dependencyWheels() {
  const wheels = fs.existsSync(DEP_WHEELS)
    ? fs.readdirSync(DEP_WHEELS).filter((f) => f.endsWith(".whl")).sort()
    : [];
  if (wheels.length === 0) fail(`no wheels in ${DEP_WHEELS}: run \`make setup\``);
  return wheels.map((f) => path.join(DEP_WHEELS, f));
}

// Pytest args from the command line; a --junitxml host path is swapped for one inside Pyodide.
function userArgs(argv) {
  let junitHost = null;
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--junitxml" || arg === "--junit-xml") {
      junitHost = path.resolve(argv[++i]);
    } else if (arg.startsWith("--junitxml=") || arg.startsWith("--junit-xml=")) {
      junitHost = path.resolve(arg.slice(arg.indexOf("=") + 1));
    } else {
      args.push(arg);
    }
  }
  if (junitHost) args.push("--junitxml=/tmp/pyodide-junit.xml");
  return { args, junitHost };
}

// A team's org file and golden files, as the tests inside Pyodide find them (tests/helpers.py).
function mountTeamOrg(pyodide) {
  const env = {};
  const org = process.env.RUNBOOK_ORG;
  if (!org) return env;
  const host = path.resolve(org);
  if (!fs.existsSync(host)) fail(`RUNBOOK_ORG=${org}: no such file`);
  pyodide.FS.mkdirTree("/org");
  pyodide.mountNodeFS("/org", path.dirname(host));
  env.RUNBOOK_ORG = `/org/${path.basename(host)}`;
  const golden = process.env.RUNBOOK_GOLDEN_DIR;
  if (golden) {
    const goldenHost = path.resolve(golden);
    if (!fs.existsSync(goldenHost)) fail(`RUNBOOK_GOLDEN_DIR=${golden}: no such folder (make golden)`);
    pyodide.FS.mkdirTree("/golden");
    pyodide.mountNodeFS("/golden", goldenHost);
    env.RUNBOOK_GOLDEN_DIR = "/golden";
  }
  return env;
}

function mountRepository(pyodide) {
  pyodide.FS.mkdirTree(MOUNT);
  for (const entry of fs.readdirSync(ROOT, { withFileTypes: true })) {
    if (NOT_MOUNTED.has(entry.name)) continue;
    const host = path.join(ROOT, entry.name);
    if (entry.isDirectory()) {
      pyodide.mountNodeFS(`${MOUNT}/${entry.name}`, host);
    } else if (entry.isFile()) {
      pyodide.FS.writeFile(`${MOUNT}/${entry.name}`, fs.readFileSync(host)); // pyproject.toml etc.
    }
  }
}

const RUN_PYTEST = `
import ast, json, os, sys
sys.dont_write_bytecode = True  # the tests dir is the host's: leave no cpython-314 .pyc there
os.environ.update(json.loads(ORG_ENV_JSON))  # a team's org file, mounted (mountTeamOrg)
os.chdir(${JSON.stringify(MOUNT)})
import runbook_core
from importlib.metadata import version
where = os.path.dirname(runbook_core.__file__)
if "site-packages" not in where:
    raise RuntimeError(f"runbook_core imported from {where}, not from the installed wheel")
print(f"runbook-core {version('runbook-core')} from {where}; Python {sys.version.split()[0]} ({sys.platform})")


class LeaveBrowserModulesUncollected:
    """Browser test modules import Playwright (directly or via browser_support), which Pyodide
    lacks: importing them would be a collection error, so they are not collected at all."""

    BROWSER_ONLY = {"playwright", "browser_support"}

    def __init__(self):
        self.ignored = []

    def pytest_ignore_collect(self, collection_path, config):
        if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
            return None
        try:
            body = ast.parse(collection_path.read_bytes()).body
        except (OSError, SyntaxError, ValueError):
            return None  # let pytest report it
        names = set()
        for node in body:
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "pytest_plugins" for target in node.targets
            ):
                names |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
        if names & self.BROWSER_ONLY:
            self.ignored.append(collection_path.name)
            return True
        return None


browser_modules = LeaveBrowserModulesUncollected()
import pytest
exit_code = int(pytest.main(json.loads(PYTEST_ARGS_JSON), plugins=[browser_modules]))
if browser_modules.ignored:
    print("Pyodide: browser modules not collected:", ", ".join(sorted(browser_modules.ignored)))
exit_code
`;

async function main() {
  const { args, junitHost } = userArgs(process.argv.slice(2));
  let loadPyodide;
  try {
    ({ loadPyodide } = await import("pyodide"));
  } catch {
    fail("cannot import the npm package pyodide: run `make setup` (npm ci)");
  }
  const depWheels = dependencyWheels();
  const projectWheel = buildWheel();
  console.log(`Pyodide: installing ${path.basename(projectWheel)} and ${depWheels.length} pinned wheels`);

  const pyodide = await loadPyodide({
    env: { HOME: "/home/pyodide", HYPOTHESIS_STORAGE_DIRECTORY: "/tmp/hypothesis" },
  });
  const write = (stream) => ({
    isatty: Boolean(stream.isTTY),
    write: (bytes) => {
      stream.write(bytes);
      return bytes.length;
    },
  });
  pyodide.setStdout(write(process.stdout));
  pyodide.setStderr(write(process.stderr));

  const loadErrors = [];
  await pyodide.loadPackage([...depWheels, projectWheel], {
    messageCallback: () => {},
    errorCallback: (message) => loadErrors.push(message),
  });
  if (loadErrors.length) fail(`loading wheels into Pyodide failed:\n${loadErrors.join("\n")}`);

  mountRepository(pyodide);
  const orgEnv = mountTeamOrg(pyodide);
  pyodide.globals.set("ORG_ENV_JSON", JSON.stringify(orgEnv));
  if (orgEnv.RUNBOOK_ORG) console.log(`Pyodide: RUNBOOK_ORG=${process.env.RUNBOOK_ORG} (${orgEnv.RUNBOOK_ORG})`);
  pyodide.globals.set("PYTEST_ARGS_JSON", JSON.stringify([...PYTEST_ARGS, ...args]));
  const exitCode = await pyodide.runPythonAsync(RUN_PYTEST);
  if (junitHost) {
    fs.mkdirSync(path.dirname(junitHost), { recursive: true });
    fs.writeFileSync(junitHost, pyodide.FS.readFile("/tmp/pyodide-junit.xml"));
  }
  return exitCode;
}

function report(error) {
  // A PythonError's message is the Python traceback; never print the stack, which quotes the
  // minified pyodide.asm.mjs line (megabytes).
  const text = error instanceof SetupError ? error.message : String(error?.message ?? error);
  const shown = text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}\n[... cut]` : text;
  process.stderr.write(`run_pytest.mjs: ${error?.name ?? "Error"}: ${shown}\n`);
}

for (const event of ["unhandledRejection", "uncaughtException"]) {
  process.on(event, (error) => {
    report(error);
    process.exit(3);
  });
}
try {
  process.exit(await main());
} catch (error) {
  report(error);
  process.exit(error instanceof SetupError ? 4 : 3);
}

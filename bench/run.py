"""Load benchmark of the walkthrough: our page against a bare floor and the common approach.

    python bench/run.py [--runs 5] [--check] [--site DIR] [--out bench/results.json]

Builds the site (`mkdocs build --strict`, into a temporary directory), adds two bare pages under
/__bench/ (the floor: the same Pyodide in a module worker importing the same wheel; the peer:
main-thread `loadPyodide` then `loadPackage(wheel)`, as Pyodide-MkDocs-Theme and markdown-exec
do; both with the site's standard library plus what loadPackage imports,
bench/stdlib-loadpackage.txt), serves it all as a static host would (bench/server.py) and drives
headless Chromium. Every measurement runs `--runs` times, interleaved, and the medians are
reported side by side; see bench/README.md for what each number means. Writes
bench/results.json. Exits 0 whatever the numbers, unless --check is given: then 1 if a target
is missed.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Error, Page, Playwright, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from server import StaticServer, brotli, load_files  # noqa: E402 - bench/ is not a package

sys.path.insert(0, str(HERE.parent))
from sitebuild.stdlib import published_stdlib  # noqa: E402
from tests.long_records import long_record  # noqa: E402
from tests.serve_site import build_site as build_site_into  # noqa: E402

WALKTHROUGH = "/walkthrough/"
WIDGET = "[data-runbook-widget]"
SUMMARY = 'form[data-form="declare"] [name="summary"]'  # the field the first input goes to
PLAIN = "/runbook/INCIDENT_RESPONSE/"  # a runbook page without the widget
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The pages' Content-Security-Policy forbids eval, which Playwright's waits use in the page: the
# benchmark bypasses it (the policy itself is tested in tests/test_browser_deploy.py).
BYPASS_CSP = True
TIMEOUT = 90_000  # ms: an engine start on a busy 2-core machine
SETTLE_MS = 1000  # blocking time is counted until ready + this
# The first of two visits lasts this long after ready (an IC reads the page for longer): what the
# page caches for next time (HTTP cache, the engine's memory snapshot) gets written meanwhile.
FIRST_VISIT_S = 5
ANSWERS = 50
QUESTIONS = {
    "scope": ["all", "subset", "unknown"],
    "data_loss": ["yes", "no", "unknown"],
    "degradation": ["critical", "minor", "unknown"],
}
# A phone on a degraded network: Chromium's network emulation (it covers the worker's fetches
# too) and a 2x CPU slowdown of the page (Emulation.setCPUThrottlingRate; the engine's worker is
# not slowed by it, the usual approach's main-thread Pyodide is).
PROFILES = {
    "slow4g": {
        "latency": 150,
        "downloadThroughput": 1_600_000 / 8,
        "uploadThroughput": 750_000 / 8,
    },
    "fast4g": {
        "latency": 40,
        "downloadThroughput": 9_000_000 / 8,
        "uploadThroughput": 1_500_000 / 8,
    },
}
CPU_SLOWDOWN = 2
# The answers given as soon as the form accepts input, and a words of the reason they lead to:
# the recommendation is on screen once a reason shows it.
RECOMMENDATION_ANSWERS = {"scope": "all", "data_loss": "no", "degradation": "critical"}
RECOMMENDATION_SHOWS = "critical degradation;"
# Typed as soon as the summary field accepts input: its declaration line is then awaited.
DECLARATION_SUMMARY = "Bench: checkout errors after release 1.2.3"
DEPLOYS = 3
KEYS = [
    "first_input_ms",
    "plain_page_ms",
    "plain_blocking_ms",
    "engine_ready_cold_ms",
    "floor_ready_ms",
    "peer_ready_ms",
    "peer_blocking_ms",
    "blocking_ms",
    "engine_ready_repeat_ms",
    "interaction_p95_ms",
    "bytes_cold",
    "slow4g_plain_page_ms",
    "slow4g_first_input_ms",
    "slow4g_recommendation_ms",
    "slow4g_declaration_ms",
    "slow4g_engine_ready_ms",
    "slow4g_peer_ready_ms",
    "fast4g_plain_page_ms",
    "fast4g_first_input_ms",
    "fast4g_engine_ready_ms",
    "fast4g_peer_ready_ms",
    "storage_one_visit_bytes",
    "storage_three_deploys_bytes",
    "interaction_p95_1000_ms",
    "interaction_p95_3000_ms",
    "longest_task_3000_ms",
    "engine_action_ms_50",
    "engine_action_ms_1000",
    "engine_action_ms_3000",
    "slow4g_bytes_until_offline",
    "slow4g_uncompressed_bytes_until_offline",
    "bytes_cold_uncompressed",
    "slow4g_uncompressed_engine_ready_ms",
]
BYTE_KEYS = (
    "bytes_cold",
    "storage_one_visit_bytes",
    "storage_three_deploys_bytes",
    "slow4g_bytes_until_offline",
    "slow4g_uncompressed_bytes_until_offline",
    "bytes_cold_uncompressed",
)
# The bytes of the files a visit needs, each counted once (the largest response for each path):
# the reference of the *_bytes_until_offline keys, kept beside them (not in results.json).
NEEDED = "needed:"
# Long incidents: a record of this many timeline entries is imported through the page's Import,
# then LONG_ACTIONS answers and as many timeline notes are given.
LONG_SIZES = (50, 1000, 3000)
LONG_ACTIONS = 10

# Runs in every page before its own scripts: long tasks, the first keystroke accepted by the
# summary field, and the moment that field can take typing (attached, enabled, editable, shown).
INIT_SCRIPT = """
(() => {
  const b = window.__bench = { longTasks: [], firstInput: null, eligibleAt: null,
                               stateReadyAt: null };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) { b.longTaskError = String(error); }
  let markEligible;
  b.eligible = new Promise((resolve) => { markEligible = resolve; });
  const field = () => document.getElementById("rb-declare-summary");
  const check = () => {
    const input = field();
    if (b.eligibleAt === null && input && input.isConnected && !input.disabled && !input.readOnly
        && !input.closest("[inert],fieldset[disabled]")
        && (!input.checkVisibility || input.checkVisibility())) {
      b.eligibleAt = performance.now();
      markEligible(b.eligibleAt);
    }
    const root = document.querySelector("[data-runbook-widget]");
    if (b.stateReadyAt === null && root && root.dataset.state === "ready") {
      b.stateReadyAt = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true,
    attributes: true, attributeFilter: ["disabled", "readonly", "hidden", "inert", "data-state",
                                        "class", "style"] });
  document.addEventListener("DOMContentLoaded", check);
  document.addEventListener("keydown", (event) => {
    if (b.keySent === undefined && event.target.id === "rb-declare-summary") {
      b.keySent = event.timeStamp;
    }
  }, true);
  // The recommendation on screen: its reasons show what the answers lead to.
  new MutationObserver(() => {
    const reasons = document.querySelector("[data-runbook-widget] [data-reasons]");
    if (b.recommendationAt === undefined && reasons &&
        reasons.textContent.includes(%(shows)s)) b.recommendationAt = performance.now();
  }).observe(document, { childList: true, subtree: true, characterData: true });
  // The declaration's first line for the summary the bench typed (b.declaring), shown with its
  // Copy button: before the engine (data-early-line) or from it (the declaration message).
  new MutationObserver(() => {
    if (b.declaring === undefined || b.declarationAt !== undefined) return;
    for (const name of ["declaration-early", "declaration-message"]) {
      const text = document.querySelector(`[data-runbook-widget] [data-output="${name}"]`);
      const copy = document.querySelector(`[data-runbook-widget] [data-target="${name}"]`);
      if (text && copy && text.textContent.includes(b.declaring) && copy.checkVisibility()) {
        b.declarationAt = performance.now();
        b.declarationFrom = name;
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true, attributes: true,
                         attributeFilter: ["hidden"] });
  document.addEventListener("input", (event) => {
    if (b.firstInput === null && event.target.id === "rb-declare-summary") {
      b.firstInput = performance.now();
      b.firstInputValue = event.target.value;
    }
  }, true);
})();
""".replace("%(shows)s", json.dumps(RECOMMENDATION_SHOWS))

FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench: floor</title></head>
<body><p>Floor: the same Pyodide in a module worker, importing the same wheel.</p>
<script type="module">
const worker = new Worker("floor-worker.mjs", { type: "module" });
worker.onmessage = ({ data }) => {
  const readyMs = performance.now();
  const rel = (t) => Math.round(t - performance.timeOrigin);
  window.__floor = { ...data, readyMs, phases: data.t ? Object.fromEntries(
    Object.entries(data.t).map(([k, v]) => [k, rel(v)])) : {} };
};
</script></body></html>
"""

FLOOR_WORKER = """// The floor: only Pyodide booting with the wheel, then `import runbook_core`.
import { loadPyodide } from "%(pyodide)spyodide.mjs";
const at = () => performance.timeOrigin + performance.now();
const t = { imported: at() };
try {
  const pyodide = await loadPyodide({ indexURL: new URL("%(pyodide)s", location.href).href,
    stdLibURL: new URL("%(stdlib)s", location.href).href,
    lockFileContents: %(lock)s,
    packages: [new URL("%(wheel)s", location.href).href] });
  t.booted = at();
  pyodide.runPython("import runbook_core");
  t.ready = at();
  self.postMessage({ ok: true, t });
} catch (error) {
  self.postMessage({ ok: false, error: String(error && error.message || error) });
}
"""

PEER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench: peer</title>
<script type="module">
// The common approach (Pyodide-MkDocs-Theme, markdown-exec): Pyodide on the main thread.
import { loadPyodide } from "%(pyodide)spyodide.mjs";
const t = {};
try {
  const pyodide = await loadPyodide({ indexURL: new URL("%(pyodide)s", location.href).href,
    stdLibURL: new URL("%(stdlib)s", location.href).href,
    lockFileContents: %(lock)s });
  t.loaded = performance.now();
  await pyodide.loadPackage(new URL("%(wheel)s", location.href).href,
    { messageCallback: () => {} });
  t.package = performance.now();
  pyodide.runPython("import runbook_core");
  t.ready = performance.now();
  window.__peer = { ok: true, readyMs: t.ready, phases: t };
} catch (error) {
  window.__peer = { ok: false, error: String(error && error.message || error) };
}
</script></head>
<body><p>Peer: main-thread loadPyodide, then loadPackage(wheel), then import runbook_core.</p>
</body></html>
"""


# ---------------------------------------------------------------------------- site and server


# The page's own requests: [path, start, end, bytes over the wire] (ms from navigation start).
PAGE_REQUESTS = """performance.getEntriesByType("resource").map((e) => [new URL(e.name).pathname,
    Math.round(e.startTime), Math.round(e.responseEnd), e.transferSize])"""


def build_site(out: Path, site_url: str) -> None:
    failure = build_site_into(out, site_url)
    if failure:
        sys.exit(failure[:3000])


def published_paths(site: Path) -> tuple[str, str]:
    """(pyodide folder, wheel) as absolute URL paths, read from the widget's data-* attributes."""
    html = (site / WALKTHROUGH.strip("/") / "index.html").read_text("utf-8")
    root = re.search(r"<[^>]*\bdata-runbook-widget\b[^>]*>", html)
    if not root:
        sys.exit(f"no [data-runbook-widget] in {WALKTHROUGH}: nothing to benchmark")
    attrs = dict(re.findall(r'\bdata-([a-z-]+)="([^"]*)"', root.group(0)))
    try:
        return tuple(
            urlsplit(urljoin(f"http://x{WALKTHROUGH}", unescape(attrs[name]))).path
            for name in ("pyodide", "wheel")
        )  # type: ignore[return-value]
    except KeyError as missing:
        sys.exit(f"the widget has no data-{missing.args[0]} attribute")


def lock_contents(site: Path) -> str:
    """What the site's engine passes Pyodide as its lock file (the build's info, no packages):
    the floor and the peer get the same, so no page fetches a lock file."""
    html = (site / WALKTHROUGH.strip("/") / "index.html").read_text("utf-8")
    info = re.search(r'\bdata-lock-info="([^"]*)"', html)
    if not info:
        sys.exit("the widget has no data-lock-info attribute")
    return json.dumps({"info": json.loads(unescape(info.group(1))), "packages": {}})


LOADPACKAGE_KEEP = HERE / "stdlib-loadpackage.txt"
STOCK_PYODIDE = ROOT / "node_modules" / "pyodide"
STOCK_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)


def add_bench_pages(site: Path) -> None:
    pyodide, wheel = published_paths(site)
    bench = site / "__bench"
    bench.mkdir(exist_ok=True)
    # The floor and the peer install the wheel with loadPackage, which imports modules the
    # engine never does (tarfile, email, ...): they get the site's trimmed standard library with
    # those added (bench/stdlib-loadpackage.txt), the zip the site itself published before.
    stdlib = bench / "loadpackage-stdlib" / "python_stdlib.zip"
    stdlib.parent.mkdir(exist_ok=True)
    shutil.copyfile(published_stdlib(ROOT, also=LOADPACKAGE_KEEP), stdlib)
    values = {
        "pyodide": pyodide,
        "wheel": wheel,
        "lock": lock_contents(site),
        "stdlib": "/" + stdlib.relative_to(site).as_posix(),
    }
    # The site publishes its largest files as NAME and NAME.gz (its engine picks one); the floor
    # and the peer load Pyodide as it comes: NAME, served (and compressed) as the site's files
    # are. (A build from before both forms were published has only NAME.gz: NAME is made.)
    folder = site / pyodide.lstrip("/")
    for packed in folder.glob("*.gz"):
        plain = packed.with_suffix("")
        if not plain.exists():
            plain.write_bytes(gzip.decompress(packed.read_bytes()))
    (bench / "floor.html").write_text(FLOOR_HTML, "utf-8")
    (bench / "floor-worker.mjs").write_text(FLOOR_WORKER % values, "utf-8")
    (bench / "peer.html").write_text(PEER_HTML % values, "utf-8")
    # The usual approach as it is usually deployed: Pyodide's own files as the npm package ships
    # them (its whole standard library, its lock file), for a diagnostic on slow 4G.
    stock = bench / "stock-pyodide"
    stock.mkdir(exist_ok=True)
    for name in STOCK_FILES:
        shutil.copyfile(STOCK_PYODIDE / name, stock / name)
    stock_html = PEER_HTML.replace("lockFileContents: %(lock)s", "")
    (bench / "peer-stock.html").write_text(
        stock_html
        % {
            **values,
            "pyodide": "/__bench/stock-pyodide/",
            "stdlib": "/__bench/stock-pyodide/python_stdlib.zip",
        },
        "utf-8",
    )


# ---------------------------------------------------------------------------- browser


def launch_options(playwright: Playwright) -> dict:
    """Chromium: $RUNBOOK_CHROMIUM, else Playwright's own if installed, else `chromium` on PATH."""
    options: dict = {"headless": True, "args": CHROMIUM_ARGS}
    override = os.environ.get("RUNBOOK_CHROMIUM")
    if override:
        return {**options, "executable_path": override}
    if Path(playwright.chromium.executable_path).exists():
        return options
    system = shutil.which("chromium") or shutil.which("chromium-browser")
    if not system:
        sys.exit(
            "no Chromium: run `make setup` (installs Debian's chromium) or set "
            "RUNBOOK_CHROMIUM to a Chromium executable"
        )
    return {**options, "executable_path": system}


def fresh_page(browser: Browser, profile: str | None = None) -> tuple[BrowserContext, Page]:
    """A new context (empty caches) and page; with `profile`, on that emulated network with the
    CPU slowed down, from before the first request."""
    context = browser.new_context(bypass_csp=BYPASS_CSP)
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    if profile:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **PROFILES[profile]})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    return context, page


def wait_engine(page: Page, timeout: float = TIMEOUT) -> float:
    """Waits for the widget to say ready (or error); returns its data-engine-ready-ms."""
    page.wait_for_function(
        """() => { const r = document.querySelector("[data-runbook-widget]");
                   return r && (r.dataset.state === "error" || r.dataset.engineReadyMs); }""",
        timeout=timeout,
    )
    state = page.evaluate("""() => { const r = document.querySelector("[data-runbook-widget]");
        return { state: r.dataset.state, ms: r.dataset.engineReadyMs, error: r.dataset.lastError,
                 at: window.__bench.stateReadyAt }; }""")
    if state["state"] == "error" or not state["ms"]:
        raise RuntimeError(f"the walkthrough engine failed: {state['error']}")
    return float(state["ms"])


def total_blocking(page: Page, until: float) -> tuple[float, float]:
    """(total blocking time, longest task) of long tasks that start before `until` (ms)."""
    remaining = until - page.evaluate("performance.now()")
    if remaining > 0:
        time.sleep(remaining / 1000 + 0.05)
    tasks = page.evaluate("window.__bench.longTasks")
    tasks = [(start, duration) for start, duration in tasks if start < until]
    return (
        sum(max(0.0, duration - 50) for _, duration in tasks),
        max((duration for _, duration in tasks), default=0.0),
    )


class Bench:
    def __init__(
        self, playwright: Playwright, browser: Browser, server: StaticServer, origin: str
    ) -> None:
        self.playwright = playwright
        self.browser = browser
        self.server = server
        self.origin = origin
        self.samples: dict[str, list[float]] = {key: [] for key in KEYS}
        self.notes: dict[str, list] = {}

    def note(self, key: str, value) -> None:
        self.notes.setdefault(key, []).append(value)

    def plain(self, profile: str | None = None) -> None:
        """A runbook page without the widget: its DOMContentLoaded (the reference for the first
        input) and the blocking time Material's own bundle already causes."""
        context, page = fresh_page(self.browser, profile)
        try:
            page.goto(self.origin + PLAIN, wait_until="domcontentloaded")
            dcl = page.evaluate(
                "performance.getEntriesByType('navigation')[0].domContentLoadedEventStart"
            )
            if profile:
                self.samples[f"{profile}_plain_page_ms"].append(dcl)
                return
            self.samples["plain_page_ms"].append(dcl)
            page.wait_for_load_state("load")
            loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            blocking, longest = total_blocking(page, loaded + SETTLE_MS)
            self.samples["plain_blocking_ms"].append(blocking)
            self.note(
                "plain", {"dcl": dcl, "load": loaded, "blocking": blocking, "longest": longest}
            )
        finally:
            context.close()
            self.server.wait_idle()

    def throttled(self, profile: str) -> None:
        """A cold visit on a phone's network: the first input, then (slow 4G) the three impact
        answers as soon as the form takes them, until the recommendation is on screen; and when
        the engine is ready."""
        context, page = fresh_page(self.browser, profile)
        try:
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            page.evaluate("window.__bench.eligible")
            summary = page.locator(f"{WIDGET} {SUMMARY}")
            summary.press_sequentially("x")
            page.wait_for_function("window.__bench.firstInput !== null")
            self.samples[f"{profile}_first_input_ms"].append(
                page.evaluate("window.__bench.firstInput")
            )
            if profile == "slow4g":
                summary.fill("Bench: checkout errors after release 1.2.3")
                page.click(f'{WIDGET} form[data-form="declare"] button[type="submit"]')
                for question, value in RECOMMENDATION_ANSWERS.items():
                    page.click(
                        f'{WIDGET} fieldset[data-question="{question}"] input[value="{value}"]'
                    )
                page.wait_for_function("window.__bench.recommendationAt !== undefined")
                self.samples["slow4g_recommendation_ms"].append(
                    page.evaluate("window.__bench.recommendationAt")
                )
            ready = wait_engine(page)
            self.samples[f"{profile}_engine_ready_ms"].append(ready)
            self.note(
                f"{profile}_cold",
                {
                    "ready": ready,
                    "timings": page.evaluate("window.__runbookEngine?.info?.timings"),
                    # what the page itself downloaded, and when (the worker's are in timings)
                    "requests": page.evaluate(PAGE_REQUESTS),
                },
            )
        finally:
            context.close()
            self.server.wait_idle()

    def declaration(self) -> None:
        """A cold slow-4G visit: the summary typed as soon as the field accepts input, until the
        declaration's first line for it can be copied (before the engine, issue 16.4)."""
        context, page = fresh_page(self.browser, "slow4g")
        try:
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            page.evaluate("window.__bench.eligible")
            page.evaluate(f"window.__bench.declaring = {json.dumps(DECLARATION_SUMMARY)}")
            page.locator(f"{WIDGET} {SUMMARY}").fill(DECLARATION_SUMMARY)
            page.wait_for_function("window.__bench.declarationAt !== undefined")
            got = page.evaluate("""() => ({ at: window.__bench.declarationAt,
                from: window.__bench.declarationFrom, state: document.querySelector(
                  "[data-runbook-widget]").dataset.state })""")
            self.samples["slow4g_declaration_ms"].append(got["at"])
            self.note("slow4g_declaration", got)
        finally:
            context.close()
            self.server.wait_idle()

    def throttled_peer(self, profile: str, stock: bool = False) -> None:
        """The usual approach on a phone's network: with this site's engine files (at its best:
        the key), or with Pyodide's stock files (a note: the usual approach as usually
        deployed)."""
        context, page = fresh_page(self.browser, profile)
        try:
            page.goto(
                self.origin + f"/__bench/peer{'-stock' if stock else ''}.html", wait_until="commit"
            )
            page.wait_for_function("window.__peer", timeout=TIMEOUT * 2)
            result = page.evaluate("window.__peer")
            if not result["ok"]:
                raise RuntimeError(f"the peer page failed: {result['error']}")
            if stock:
                self.note(f"{profile}_peer_stock", result["readyMs"])
            else:
                self.samples[f"{profile}_peer_ready_ms"].append(result["readyMs"])
        finally:
            context.close()
            self.server.wait_idle()

    def first_input(self) -> None:
        """Types into the summary field as soon as it can take typing; the page says when the
        keystroke got through (its `input` event), so main-thread blocking is included. The
        text must still be there once the widget has mounted; if mounting lost it, the first
        keystroke typed after that counts."""
        field = f"{WIDGET} {SUMMARY}"
        context, page = fresh_page(self.browser)
        try:
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            eligible = page.evaluate(f"""() => window.__bench.eligible.then((at) => {{
                document.querySelector('{field}').focus();
                return at; }})""")
            page.keyboard.type("x")
            try:
                page.wait_for_function("window.__bench.firstInput !== null", timeout=5000)
            except Error:  # focus lost before the keystroke: type through Playwright's checks
                page.locator(field).press_sequentially("x")
                page.wait_for_function("window.__bench.firstInput !== null")
            page.wait_for_function(f"document.querySelector('{WIDGET}').runbookWidget")
            lost = "x" not in page.locator(field).input_value()
            if lost:
                print("  note: text typed before the widget mounted was lost", flush=True)
                page.evaluate("window.__bench.firstInput = null; delete window.__bench.keySent")
                page.locator(field).press_sequentially("x")
                page.wait_for_function("window.__bench.firstInput !== null")
            got = page.evaluate("""() => ({ at: window.__bench.firstInput,
                sent: window.__bench.keySent,
                dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventStart })""")
            self.samples["first_input_ms"].append(got["at"])
            self.note(
                "first_input",
                {
                    "eligible": eligible,
                    "sent": got["sent"],
                    "typed": got["at"],
                    "dcl": got["dcl"],
                    "lost": lost,
                },
            )
        finally:
            context.close()
            self.server.wait_idle()

    def cold(self, interactions: bool = False) -> None:
        """A cold visit: engine ready, blocking time until ready + 1 s, bytes sent."""
        context, page = fresh_page(self.browser)
        try:
            self.server.wait_idle()
            self.server.stats.reset()
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            ready = wait_engine(page)
            blocking, longest = total_blocking(page, ready + SETTLE_MS)
            self.server.wait_idle()
            stats = self.server.stats
            self.samples["engine_ready_cold_ms"].append(ready)
            self.samples["blocking_ms"].append(blocking)
            self.samples["bytes_cold"].append(stats.bytes)
            detail = page.evaluate("""() => { const e = window.__runbookEngine || {};
                return { worker: e.startedAt ? e.startedAt - performance.timeOrigin : null,
                         timings: e.info && e.info.timings, stateReady: window.__bench.stateReadyAt,
                         dcl: performance.getEntriesByType('navigation')[0]
                                .domContentLoadedEventStart }; }""")
            tasks = page.evaluate("window.__bench.longTasks")
            self.note(
                "cold",
                {
                    **detail,
                    "ready": ready,
                    "longest": longest,
                    "long_tasks": tasks,
                    "by_path": dict(stats.by_path),
                    "log": list(stats.log),
                },
            )
            if interactions:
                self.interactions(page)
        finally:
            context.close()
            self.server.wait_idle()

    def interactions(self, page: Page) -> None:
        """p95 of answer click -> the ticket's text changed, over ANSWERS answers (after a
        declaration: answers before it are refused)."""
        page.fill(f"{WIDGET} {SUMMARY}", "Bench: checkout errors after release 1.2.3")
        page.click(f'{WIDGET} form[data-form="declare"] button[type="submit"]')
        page.wait_for_function(
            "document.querySelector('[data-runbook-widget]').dataset.declared === 'true'"
        )
        page.evaluate("""() => {
            const root = document.querySelector("[data-runbook-widget]");
            const ticket = () => root.querySelector('[data-output="ticket"]').textContent;
            const ix = window.__ix = { samples: [], pending: null };
            root.addEventListener("click", (event) => {
              if (event.target.matches('fieldset[data-question] input[type="radio"]')) {
                ix.pending = { t0: performance.now(), before: ticket() };
              }
            }, true);
            new MutationObserver(() => {
              const p = ix.pending;
              if (p && ticket() !== p.before) {
                ix.samples.push(performance.now() - p.t0);
                ix.pending = null;
              }
            }).observe(root, { childList: true, characterData: true, subtree: true });
        }""")
        names = list(QUESTIONS)
        for i in range(ANSWERS):
            name = names[i % len(names)]
            value = QUESTIONS[name][(i // len(names) + 1) % len(QUESTIONS[name])]
            page.click(f'{WIDGET} fieldset[data-question="{name}"] input[value="{value}"]')
            page.wait_for_function(
                f"""() => window.__ix.samples.length >= {i + 1} &&
                    !document.querySelector('[data-runbook-widget] [aria-busy="true"]')""",
                timeout=15_000,
            )
        error = page.evaluate("document.querySelector('[data-runbook-widget]').dataset.lastError")
        if error:
            raise RuntimeError(f"an answer was refused: {error}")
        samples = page.evaluate("window.__ix.samples")
        self.samples["interaction_p95_ms"].append(percentile(samples, 95))
        self.note("interactions", samples)

    def cold_uncompressed(self) -> None:
        """A cold visit from a host that sends files as they are (no Content-Encoding): bytes
        until ready + 1 s, as bytes_cold counts them."""
        self.server.wait_idle()
        self.server.compress = False
        context, page = fresh_page(self.browser)
        try:
            self.server.stats.reset()
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            ready = wait_engine(page)
            total_blocking(page, ready + SETTLE_MS)
            self.server.wait_idle()
            self.samples["bytes_cold_uncompressed"].append(self.server.stats.bytes)
            self.note("cold_uncompressed", {"ready": ready, "log": list(self.server.stats.log)})
        finally:
            context.close()
            self.server.wait_idle()
            self.server.compress = True

    def until_offline(self, compress: bool = True) -> None:
        """A cold slow-4G visit until the offline copy is ready: every byte the server sent (a
        file downloaded twice shows here), against the bytes of the files the visit needs, each
        counted once (the largest response for each path). With compress=False the server sends
        files as they are, and the engine's ready time is kept too."""
        key = f"slow4g{'' if compress else '_uncompressed'}_bytes_until_offline"
        self.server.wait_idle()
        self.server.compress = compress
        context, page = fresh_page(self.browser, "slow4g")
        try:
            self.server.stats.reset()
            page.goto(self.origin + WALKTHROUGH, wait_until="commit")
            ready = wait_engine(page, TIMEOUT * 3)
            page.wait_for_function(
                """() => { const o = window.__runbookOffline;
                           return o && (o.state === "ready" || o.state === "failed"); }""",
                timeout=TIMEOUT * 3,
            )
            offline = page.evaluate("window.__runbookOffline")
            if offline["state"] != "ready":
                raise RuntimeError(f"the offline copy failed: {offline['reason']}")
            self.server.wait_idle()
            stats = self.server.stats
            with stats.lock:
                log, total = list(stats.log), stats.bytes
            largest: dict[str, int] = {}
            full: dict[str, int] = {}
            for _, _, method, path, status, sent in log:
                largest[path] = max(largest.get(path, 0), sent)
                # a download: a GET answered in full (the engine's HEADs ask, and send no body)
                full[path] = full.get(path, 0) + (method == "GET" and status == 200)
            self.samples[key].append(total)
            self.samples.setdefault(NEEDED + key, []).append(sum(largest.values()))
            if not compress:
                self.samples["slow4g_uncompressed_engine_ready_ms"].append(ready)
            self.note(
                key,
                {
                    "ready": ready,
                    "bytes": total,
                    "needed": sum(largest.values()),
                    "twice": {path: n for path, n in full.items() if n > 1},
                    "log": log,
                },
            )
        finally:
            context.close()
            self.server.wait_idle()
            self.server.compress = True

    def long_incidents(self) -> None:
        """For each size in LONG_SIZES, in a fresh page: a generated record of that many timeline
        entries imported through the page's Import, then LONG_ACTIONS answers and as many
        timeline notes; click -> the ticket's text changed, the engine's own time for each
        action (the worker's `ms` in its reply), and the longest main-thread task meanwhile."""
        for size in LONG_SIZES:
            context, page = fresh_page(self.browser)
            try:
                page.goto(self.origin + WALKTHROUGH, wait_until="commit")
                wait_engine(page)
                self.long_incident(page, size)
            finally:
                context.close()
                self.server.wait_idle()

    def long_incident(self, page: Page, size: int) -> None:
        summary = f"Bench: a long incident of {size} timeline entries"
        with tempfile.TemporaryDirectory(prefix="runbook-bench-record-") as folder:
            path = Path(folder) / f"long-{size}.json"
            path.write_text(long_record(size, summary), "utf-8")
            page.set_input_files(f"{WIDGET} [data-import-file]", str(path))
            page.wait_for_function(
                """(summary) => { const r = document.querySelector("[data-runbook-widget]");
                    const t = r.querySelector('[data-output="ticket"]');
                    return r.dataset.declared === "true" && t && t.textContent.includes(summary)
                      && !r.querySelector('[aria-busy="true"]'); }""",
                arg=summary,
                timeout=TIMEOUT,
            )
        error = page.evaluate("document.querySelector('[data-runbook-widget]').dataset.lastError")
        if error:
            raise RuntimeError(f"the {size}-entry record was not imported: {error}")
        page.evaluate(WATCH_ACTIONS)
        started = page.evaluate("performance.now()")
        names = list(QUESTIONS)
        for i in range(2 * LONG_ACTIONS):
            if i % 2 == 0:
                name = names[(i // 2) % len(names)]
                value = QUESTIONS[name][((i // 2) // len(names) + 1) % len(QUESTIONS[name])]
                page.click(f'{WIDGET} fieldset[data-question="{name}"] input[value="{value}"]')
            else:
                note = page.locator(f'{WIDGET} form[data-form="add_timeline"]')
                note.locator('[name="event"]').fill(f"Bench note {i}")
                note.locator('button[type="submit"]').first.click()
            page.wait_for_function(
                f"""() => window.__ix.samples.length >= {i + 1} &&
                    !document.querySelector('[data-runbook-widget] [aria-busy="true"]')""",
                timeout=60_000,
            )
        ended = page.evaluate("performance.now()")
        error = page.evaluate("document.querySelector('[data-runbook-widget]').dataset.lastError")
        if error:
            raise RuntimeError(f"an action on the {size}-entry record was refused: {error}")
        got = page.evaluate("""() => ({ samples: window.__ix.samples,
            engine: window.__ix.engine, tasks: window.__bench.longTasks })""")
        longest = max((d for start, d in got["tasks"] if started <= start <= ended), default=0.0)
        if len(got["engine"]) < 2 * LONG_ACTIONS:
            raise RuntimeError(
                f"the worker reported its time for {len(got['engine'])} of "
                f"{2 * LONG_ACTIONS} actions (no `ms` in its replies?)"
            )
        self.samples[f"engine_action_ms_{size}"].append(statistics.median(got["engine"]))
        if size != LONG_SIZES[0]:
            self.samples[f"interaction_p95_{size}_ms"].append(percentile(got["samples"], 95))
        if size == LONG_SIZES[-1]:
            self.samples[f"longest_task_{size}_ms"].append(longest)
        self.note(
            f"long_{size}",
            {"samples": got["samples"], "engine": got["engine"], "longest": longest},
        )

    def floor(self) -> None:
        context, page = fresh_page(self.browser)
        try:
            page.goto(self.origin + "/__bench/floor.html", wait_until="commit")
            page.wait_for_function("window.__floor", timeout=TIMEOUT)
            result = page.evaluate("window.__floor")
            if not result["ok"]:
                raise RuntimeError(f"the floor page failed: {result['error']}")
            self.samples["floor_ready_ms"].append(result["readyMs"])
            self.note("floor", result["phases"])
        finally:
            context.close()
            self.server.wait_idle()

    def peer(self) -> None:
        context, page = fresh_page(self.browser)
        try:
            page.goto(self.origin + "/__bench/peer.html", wait_until="commit")
            page.wait_for_function("window.__peer", timeout=TIMEOUT)
            result = page.evaluate("window.__peer")
            if not result["ok"]:
                raise RuntimeError(f"the peer page failed: {result['error']}")
            blocking, longest = total_blocking(page, result["readyMs"] + SETTLE_MS)
            self.samples["peer_ready_ms"].append(result["readyMs"])
            self.samples["peer_blocking_ms"].append(blocking)
            self.note("peer", {**result["phases"], "longest": longest})
        finally:
            context.close()
            self.server.wait_idle()

    def persistent(self, profile: str) -> BrowserContext:
        """A browser with a profile folder that outlives its pages (caches, storage), watched
        like the others."""
        context = self.playwright.chromium.launch_persistent_context(
            profile, bypass_csp=BYPASS_CSP, **launch_options(self.playwright)
        )
        context.add_init_script(INIT_SCRIPT)
        context.set_default_timeout(TIMEOUT)
        return context

    def repeat(self) -> None:
        """Second visit in a persistent profile (HTTP cache, code caches, localStorage kept)."""
        profile = tempfile.mkdtemp(prefix="runbook-bench-profile-")
        context = self.persistent(profile)
        try:
            first = context.new_page()
            first.goto(self.origin + WALKTHROUGH, wait_until="commit")
            wait_engine(first)
            time.sleep(FIRST_VISIT_S)
            first.close()
            self.server.wait_idle()
            self.server.stats.reset()
            second = context.new_page()
            second.goto(self.origin + WALKTHROUGH, wait_until="commit")
            ready = wait_engine(second)
            self.samples["engine_ready_repeat_ms"].append(ready)
            timings = second.evaluate("window.__runbookEngine?.info?.timings")
            self.note(
                "repeat", {"ready": ready, "timings": timings, "bytes": self.server.stats.bytes}
            )
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
            self.server.wait_idle()

    def storage(self, deploys: list[tuple[dict, str]]) -> None:
        """What the site keeps in the browser (navigator.storage.estimate(): Cache Storage,
        service worker, localStorage): after one visit (the engine ready, the offline copy and
        the engine snapshot written), and after `deploys` successive deploys visited once each."""
        profile = tempfile.mkdtemp(prefix="runbook-bench-storage-")
        context = self.persistent(profile)
        try:
            usage = []
            for files, version in deploys:
                self.server.files = files
                page = context.new_page()
                page.goto(self.origin + WALKTHROUGH, wait_until="commit")
                wait_engine(page)
                usage.append(settled_usage(page, version))
                page.close()
            # Chromium reclaims a deleted cache's space lazily: what an old deploy left behind
            # is counted until the browser restarts. What the phone keeps is measured after one.
            context.close()
            context = self.playwright.chromium.launch_persistent_context(
                profile, bypass_csp=BYPASS_CSP, **launch_options(self.playwright)
            )
            page = context.new_page()
            page.goto(self.origin + PLAIN, wait_until="load")
            kept = int(page.evaluate("navigator.storage.estimate().then((e) => e.usage)"))
            self.samples["storage_one_visit_bytes"].append(usage[0])
            self.samples["storage_three_deploys_bytes"].append(kept)
            self.note("storage", {"after each deploy": usage, "after a restart": kept})
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
            self.server.files = deploys[0][0]
            self.server.wait_idle()


def settled_usage(page: Page, version: str) -> int:
    """Storage in use once the page has cached what it caches: this deploy's offline copy is
    ready (its service worker active, the previous deploy's cache deleted) and the usage has not
    changed for two seconds (the engine snapshot is written after ready)."""
    page.wait_for_function(
        """(version) => { const o = window.__runbookOffline; return o &&
            (o.state === "failed" || (o.state === "ready" && o.version === version)); }""",
        arg=version,
        timeout=TIMEOUT,
    )
    last, stable_since = -1, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = page.evaluate("navigator.storage.estimate().then((e) => e.usage)")
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 2:
            break
        time.sleep(0.5)
    return int(last)


def sw_version(site: Path) -> str:
    """The build's offline version, as its service worker announces it."""
    found = re.search(r'"version":\s*"([0-9a-f]+)"', (site / "sw.js").read_text("utf-8"))
    if not found:
        sys.exit(f"{site}/sw.js has no manifest version")
    return found.group(1)


def next_deploy(site: Path, number: int) -> Path:
    """A copy of the built site as a later deploy: one page changed and the wheel published under
    a new content-hash folder (as a code change does), its service worker written again."""
    deploy = site.with_name(f"{site.name}-deploy{number}")
    shutil.rmtree(deploy, ignore_errors=True)
    # Without the bench's own pages: the new service worker would take them in as site files.
    shutil.copytree(
        site, deploy, ignore=lambda folder, _: ["__bench"] if folder == str(site) else []
    )
    page = deploy / WALKTHROUGH.strip("/") / "index.html"
    html = page.read_text("utf-8")
    wheel = (deploy / published_paths(deploy)[1].lstrip("/")).resolve()
    moved = wheel.parent.with_name(f"{wheel.parent.name[:-2]}{number:02d}")
    shutil.move(wheel.parent, moved)
    page.write_text(
        html.replace(f"/{wheel.parent.name}/", f"/{moved.name}/").replace(
            "</body>", f"<!-- deploy {number} --></body>"
        ),
        "utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "sitebuild", "offline", str(deploy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"writing deploy {number}'s service worker failed: {result.stderr[-2000:]}")
    return deploy


# Installed once a long record is open: click -> the ticket's text changed, for answers and for
# timeline notes; and the engine's own time for each `dispatch` (the worker's reply says it).
WATCH_ACTIONS = """() => {
  const root = document.querySelector("[data-runbook-widget]");
  const ticket = () => root.querySelector('[data-output="ticket"]').textContent;
  const ix = window.__ix = { samples: [], engine: [], pending: null };
  root.addEventListener("click", (event) => {
    const target = event.target;
    if (target.matches('fieldset[data-question] input[type="radio"]') ||
        target.closest('form[data-form="add_timeline"] button[type="submit"]')) {
      ix.pending = { t0: performance.now(), before: ticket() };
    }
  }, true);
  new MutationObserver(() => {
    const p = ix.pending;
    if (p && ticket() !== p.before) {
      ix.samples.push(performance.now() - p.t0);
      ix.pending = null;
    }
  }).observe(root, { childList: true, characterData: true, subtree: true });
  const worker = window.__runbookEngine.worker;
  const methods = new Map();
  const post = worker.postMessage.bind(worker);
  worker.postMessage = (message, ...rest) => {
    if (message && message.type === "call") methods.set(message.id, message.method);
    return post(message, ...rest);
  };
  worker.addEventListener("message", ({ data }) => {
    if (data && data.type === "result" && methods.get(data.id) === "dispatch" &&
        typeof data.ms === "number") ix.engine.push(data.ms);
  });
}"""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------- report


MIB = 1024 * 1024


# A target: (what, the keys it reads, its value in one round from those keys, the limit the
# median of those values must not exceed, how a value prints). Every target is computed within
# each round (ratios of numbers measured minutes apart on a machine whose load drifts), then the
# median of the rounds is compared with the limit and the spread (min-max) printed beside it.
Target = tuple[str, tuple[str, ...], Callable[..., float], float, str]


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


TARGETS: list[Target] = [
    ("slow4g_recommendation <= 3,000 ms", ("slow4g_recommendation_ms",), float, 3000, "{:,.0f}"),
    ("slow4g_declaration <= 3,000 ms", ("slow4g_declaration_ms",), float, 3000, "{:,.0f}"),
    *(
        (
            f"{p}_engine_ready / {p}_peer_ready <= 1.03",
            (f"{p}_engine_ready_ms", f"{p}_peer_ready_ms"),
            _ratio,
            1.03,
            "{:.2f}",
        )
        for p in PROFILES
    ),
    *(
        (
            f"{p}first_input / {p}plain_page <= 1.2",
            (f"{p}first_input_ms", f"{p}plain_page_ms"),
            _ratio,
            1.2,
            "{:.2f}",
        )
        for p in ("", *(f"{p}_" for p in PROFILES))
    ),
    (
        "blocking - plain_blocking <= 20 ms",
        ("blocking_ms", "plain_blocking_ms"),
        lambda a, b: a - b,
        20,
        "{:,.0f}",
    ),
    (
        "engine_ready_repeat / plain_page <= 2.0",
        ("engine_ready_repeat_ms", "plain_page_ms"),
        _ratio,
        2.0,
        "{:.2f}",
    ),
    (
        "storage_one_visit <= 20 MiB",
        ("storage_one_visit_bytes",),
        lambda a: a / MIB,
        20,
        "{:.1f} MiB",
    ),
    (
        "storage_three_deploys / one_visit <= 1.1",
        ("storage_three_deploys_bytes", "storage_one_visit_bytes"),
        _ratio,
        1.1,
        "{:.2f}",
    ),
    (
        "engine_ready_cold / floor_ready <= 1.15",
        ("engine_ready_cold_ms", "floor_ready_ms"),
        _ratio,
        1.15,
        "{:.2f}",
    ),
    # "< peer": the cold/peer ratio stays below 1 (0.999 allows no tie).
    (
        "engine_ready_cold / peer_ready < 1",
        ("engine_ready_cold_ms", "peer_ready_ms"),
        _ratio,
        0.999,
        "{:.2f}",
    ),
    ("interaction_p95 <= 50 ms", ("interaction_p95_ms",), float, 50, "{:,.0f}"),
    ("interaction_p95_1000 <= 100 ms", ("interaction_p95_1000_ms",), float, 100, "{:,.0f}"),
    ("interaction_p95_3000 <= 200 ms", ("interaction_p95_3000_ms",), float, 200, "{:,.0f}"),
    ("longest_task_3000 <= 200 ms", ("longest_task_3000_ms",), float, 200, "{:,.0f}"),
    (
        "engine_action_ms_3000 / engine_action_ms_50 <= 3",
        ("engine_action_ms_3000", "engine_action_ms_50"),
        _ratio,
        3,
        "{:.2f}",
    ),
    *(
        (
            f"{key} / the files it needs <= 1.05",
            (key, NEEDED + key),
            _ratio,
            1.05,
            "{:.2f}",
        )
        for key in ("slow4g_bytes_until_offline", "slow4g_uncompressed_bytes_until_offline")
    ),
    (
        "bytes_cold_uncompressed / bytes_cold <= 1.15",
        ("bytes_cold_uncompressed", "bytes_cold"),
        _ratio,
        1.15,
        "{:.2f}",
    ),
    ("bytes_cold <= 4,500,000", ("bytes_cold",), float, 4_500_000, "{:,.0f}"),
]


def targets(samples: dict[str, list[float]]) -> list[tuple[str, str, str, bool]]:
    """(what, median of the per-round values, their spread, holds) for each target whose keys
    were measured (all of them, unless --only)."""
    rows = []
    for what, keys, value, limit, fmt in TARGETS:
        series = [samples.get(key) or [] for key in keys]
        if not all(series):
            continue
        # Round by round; a key measured once (storage, the last round's answers) pairs with
        # the first round of the others.
        values = [value(*round_values) for round_values in zip(*series, strict=False)]
        median = statistics.median(values)
        spread = f"{fmt.format(min(values))}-{fmt.format(max(values))}"
        rows.append((what, fmt.format(median), spread, median <= limit))
    return rows


def print_report(bench: Bench, results: dict, runs: int, elapsed: float) -> None:
    print(
        f"\nMedians of {runs} run(s); {results['cores']} cores; "
        f"load average {os.getloadavg()[0]:.1f}; {elapsed:.0f} s in all.\n"
    )
    print(f"| {'metric':<40} | {'median':>11} | {'min':>11} | {'max':>11} |")
    print(f"| {'-' * 40} | {'-' * 11}:| {'-' * 11}:| {'-' * 11}:|")
    for key in KEYS:
        values = bench.samples.get(key)
        if not values:
            continue
        print(
            f"| {key:<40} | {results[key]:>11,.0f} | {min(values):>11,.0f} | "
            f"{max(values):>11,.0f} |"
        )
    print(
        "\nTargets: each computed within every round, the median of the rounds against the "
        "limit; spread = min-max over the rounds."
    )
    print(f"| {'target':<52} | {'measured':>11} | {'spread':>21} | result |")
    print(f"| {'-' * 52} | {'-' * 11}:| {'-' * 21}:| ------ |")
    for what, measured, spread, holds in targets(bench.samples):
        print(f"| {what:<52} | {measured:>11} | {spread:>21} | {'PASS' if holds else 'FAIL':<6} |")
    s = bench.samples

    def paired(a: str, b: str) -> str:
        ratios = [x / y for x, y in zip(s.get(a, []), s.get(b, []), strict=False) if y]
        return (
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]"
            if ratios
            else "-"
        )

    print(
        "\nOther ratios within each round (median [min-max]): cold/peer "
        f"{paired('engine_ready_cold_ms', 'peer_ready_ms')}, repeat/cold "
        f"{paired('engine_ready_repeat_ms', 'engine_ready_cold_ms')}, slow4g ready, "
        "uncompressed/compressed host "
        f"{paired('slow4g_uncompressed_engine_ready_ms', 'slow4g_engine_ready_ms')}"
    )


def print_diagnostics(bench: Bench) -> None:
    """Where the time and the bytes go (medians where it makes sense; last cold visit)."""

    def med(items: list[dict], key: str) -> str:
        values = [item[key] for item in items if item and item.get(key) is not None]
        return f"{statistics.median(values):,.0f}" if values else "-"

    cold = bench.notes.get("cold", [])
    print("\nWhere the time goes (ms from navigation start, medians):")
    if cold:
        timings = [c["timings"] or {} for c in cold]
        print(
            f"  ours : DOMContentLoaded {med(cold, 'dcl')}, worker created "
            f"{med(cold, 'worker')}; "
            f"in the worker (ms since it started): HEAD checks+import pyodide.mjs "
            f"{med(timings, 'imported')}, loadPyodide+wheel {med(timings, 'booted')}, "
            f"import runbook_core.widget + first render {med(timings, 'warm')}; ready "
            f"{med(cold, 'ready')}, data-state=ready {med(cold, 'stateReady')}; longest task "
            f"{med(cold, 'longest')}"
        )
    if bench.notes.get("floor"):
        floor = bench.notes["floor"]
        print(
            f"  floor: pyodide.mjs imported {med(floor, 'imported')}, loadPyodide+wheel "
            f"{med(floor, 'booted')}, import runbook_core {med(floor, 'ready')}"
        )
    if bench.notes.get("peer"):
        peer = bench.notes["peer"]
        print(
            f"  peer : loadPyodide {med(peer, 'loaded')}, loadPackage(wheel) "
            f"{med(peer, 'package')}, import runbook_core {med(peer, 'ready')}; longest task "
            f"{med(peer, 'longest')}"
        )
    if bench.notes.get("plain"):
        plain = bench.notes["plain"]
        print(
            f"  plain page (no widget): DOMContentLoaded {med(plain, 'dcl')}, load "
            f"{med(plain, 'load')}, blocking until load + 1 s {med(plain, 'blocking')} "
            f"(longest task {med(plain, 'longest')})"
        )
    if bench.notes.get("first_input"):
        fi = bench.notes["first_input"]
        print(
            f"  first input: field can take typing {med(fi, 'eligible')}, keystroke sent "
            f"{med(fi, 'sent')} (harness latency), handled {med(fi, 'typed')}; "
            f"DOMContentLoaded {med(fi, 'dcl')}"
        )
    if bench.notes.get("repeat"):
        rep = bench.notes["repeat"]
        timings = [r["timings"] or {} for r in rep]
        print(
            f"  repeat: ready {med(rep, 'ready')}; in the worker: imported "
            f"{med(timings, 'imported')}, booted {med(timings, 'booted')}, warm "
            f"{med(timings, 'warm')}; bytes sent {med(rep, 'bytes')}"
        )
    for profile in PROFILES:
        visits = bench.notes.get(f"{profile}_cold", [])
        if visits:
            timings = [v["timings"] or {} for v in visits]
            print(
                f"  {profile}: in the worker (ms since it started): pyodide.mjs imported "
                f"{med(timings, 'imported')}, booted {med(timings, 'booted')}, warm "
                f"{med(timings, 'warm')}; ready {med(visits, 'ready')}"
            )
    if bench.notes.get("slow4g_peer_stock"):
        print(
            "  slow4g, the usual approach with Pyodide's stock files (whole standard library, "
            f"lock file): ready {bench.notes['slow4g_peer_stock'][-1]:,.0f}"
        )
    if bench.notes.get("storage"):
        storage = bench.notes["storage"][-1]
        print(
            "  storage (navigator.storage.estimate): after each deploy's visit "
            + ", ".join(f"{u:,}" for u in storage["after each deploy"])
            + f" B; after a browser restart {storage['after a restart']:,} B"
        )
    if cold:
        last = cold[-1]
        print("\nCold visit, what the server sent (last run; ms since the navigation request):")
        rows = sorted(last["log"], key=lambda row: -row[5])
        for start, end, method, path, status, sent in rows[:9]:
            print(
                f"  {sent:>10,} B  {status} {method:<4} {start * 1000:>6,.0f}-"
                f"{end * 1000:>6,.0f}  {path}"
            )
        rest = rows[9:]
        if rest:
            print(f"  {sum(row[5] for row in rest):>10,} B  {len(rest)} other requests")
        tasks = ", ".join(
            f"{duration:.0f} at {start:,.0f}"
            for start, duration in last["long_tasks"]
            if start < last["ready"] + SETTLE_MS
        )
        print(f"  long tasks on the main thread (ms): {tasks or 'none'}")
    for key in ("slow4g_bytes_until_offline", "slow4g_uncompressed_bytes_until_offline"):
        for visit in bench.notes.get(key, []):
            twice = ", ".join(f"{path} x{n}" for path, n in visit["twice"].items()) or "none"
            print(
                f"  {key}: {visit['bytes']:,} B sent, the files it needs {visit['needed']:,} B; "
                f"ready {visit['ready']:,.0f} ms; downloaded in full more than once: {twice}"
            )
    for size in LONG_SIZES:
        for visit in bench.notes.get(f"long_{size}", []):
            samples = sorted(visit["samples"])
            print(
                f"  {size} timeline entries: click -> ticket median "
                f"{statistics.median(samples):,.0f}, p95 {percentile(samples, 95):,.0f}, max "
                f"{samples[-1]:,.0f} ms; engine per action median "
                f"{statistics.median(visit['engine']):,.1f} ms; longest task "
                f"{visit['longest']:,.0f} ms"
            )
    if bench.notes.get("interactions"):
        samples = sorted(bench.notes["interactions"][-1])
        print(
            f"\nAnswers -> ticket (ms, {len(samples)} answers): median "
            f"{statistics.median(samples):.0f}, p95 {percentile(samples, 95):.0f}, "
            f"max {samples[-1]:.0f}"
        )


# ---------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--site", type=Path, help="an already built site (skips the build)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--details",
        type=Path,
        help="also write every sample and diagnostic (phases, requests) here",
    )
    parser.add_argument(
        "--only",
        type=lambda text: [key.strip() for key in text.split(",") if key.strip()],
        help="measure only what gives these keys (comma-separated; results.json then holds "
        "those keys only)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    unknown = [key for key in args.only or [] if key not in KEYS]
    if unknown:
        parser.error(f"unknown key(s) {', '.join(unknown)}; the keys: {', '.join(KEYS)}")
    started = time.monotonic()
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:
        print(
            f"note: this machine is busy (load average {load:.1f} on {cores} cores): "
            "the timings will be slower and noisier than on an idle machine",
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="runbook-bench-") as tmp:
        site = Path(tmp) / "site"
        # A free port first: the site is built for its origin (site_url), as deployed.
        server = StaticServer(("127.0.0.1", 0), {})
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        if args.site:
            shutil.copytree(args.site, site)
        else:
            print("building the site (mkdocs build --strict)...", flush=True)
            build_site(site, origin + "/")
        add_bench_pages(site)
        server.files = load_files(site)
        # Later deploys, for what the browser keeps after several (storage_three_deploys_bytes).
        deploys = [(server.files, sw_version(site))] + [
            (load_files(deploy), sw_version(deploy))
            for deploy in (next_deploy(site, number) for number in range(2, DEPLOYS + 1))
        ]
        thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
        thread.start()
        print(
            f"serving it on {origin} (gzip{', br' if brotli else ''}); "
            f"{args.runs} run(s) of each measurement, interleaved...",
            flush=True,
        )
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**launch_options(playwright))
                try:
                    bench = Bench(playwright, browser, server, origin)
                    run_all(bench, args.runs, deploys, args.only)
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
    results = {
        key: float(round(statistics.median(bench.samples[key]), 1))
        for key in KEYS
        if bench.samples.get(key)
    }
    for key in BYTE_KEYS:
        if key in results:
            results[key] = int(results[key])
    results["cores"] = os.cpu_count()
    if args.only and args.out.is_file():  # the other keys stay as the last full run left them
        results = {**json.loads(args.out.read_text("utf-8")), **results}
    args.out.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print_report(bench, results, args.runs, time.monotonic() - started)
    print_diagnostics(bench)
    if args.details:
        args.details.write_text(
            json.dumps({"samples": bench.samples, "notes": bench.notes}, indent=1) + "\n", "utf-8"
        )
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    failed = [what for what, _, _, holds in targets(bench.samples) if not holds]
    return 1 if args.check and failed else 0


# What each step measures: --only runs the steps that give the keys asked for.
def steps_of(bench: Bench, last: bool) -> list[tuple[Callable[[], None], tuple[str, ...]]]:
    return [
        (bench.plain, ("plain_page_ms", "plain_blocking_ms")),
        (bench.first_input, ("first_input_ms",)),
        # the last cold visit then times the answers (after its own numbers are taken)
        (
            functools.partial(bench.cold, interactions=last),
            ("engine_ready_cold_ms", "blocking_ms", "bytes_cold", "interaction_p95_ms"),
        ),
        (bench.cold_uncompressed, ("bytes_cold_uncompressed",)),
        (bench.floor, ("floor_ready_ms",)),
        (bench.peer, ("peer_ready_ms", "peer_blocking_ms")),
        (bench.repeat, ("engine_ready_repeat_ms",)),
        *(
            step
            for profile in PROFILES
            for step in (
                (functools.partial(bench.plain, profile), (f"{profile}_plain_page_ms",)),
                (
                    functools.partial(bench.throttled, profile),
                    (
                        f"{profile}_first_input_ms",
                        f"{profile}_engine_ready_ms",
                        *(("slow4g_recommendation_ms",) if profile == "slow4g" else ()),
                    ),
                ),
                (functools.partial(bench.throttled_peer, profile), (f"{profile}_peer_ready_ms",)),
            )
        ),
        (bench.declaration, ("slow4g_declaration_ms",)),
        (bench.until_offline, ("slow4g_bytes_until_offline",)),
        (
            functools.partial(bench.until_offline, compress=False),
            ("slow4g_uncompressed_bytes_until_offline", "slow4g_uncompressed_engine_ready_ms"),
        ),
        (
            bench.long_incidents,
            (
                "interaction_p95_1000_ms",
                "interaction_p95_3000_ms",
                "longest_task_3000_ms",
                *(f"engine_action_ms_{size}" for size in LONG_SIZES),
            ),
        ),
    ]


def run_all(
    bench: Bench, runs: int, deploys: list[tuple[dict, str]], only: list[str] | None = None
) -> None:
    def wanted(keys: tuple[str, ...]) -> bool:
        return not only or any(key in only for key in keys)

    # A discarded cold visit first: the browser's processes and the OS caches warm up.
    bench.cold()
    bench.samples = {key: [] for key in KEYS}
    bench.notes = {}
    for run in range(runs):
        t0 = time.monotonic()
        steps = [step for step, keys in steps_of(bench, run == runs - 1) if wanted(keys)]
        if run == 0:  # these do not vary much from run to run: measured once
            if wanted(("storage_one_visit_bytes", "storage_three_deploys_bytes")):
                steps.append(functools.partial(bench.storage, deploys))
            if not only:
                steps.append(functools.partial(bench.throttled_peer, "slow4g", stock=True))
        for step in steps:
            step()
        print(f"  run {run + 1}/{runs}: {time.monotonic() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())

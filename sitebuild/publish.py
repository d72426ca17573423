"""What the site publishes besides its pages: the runbook_core wheel and the self-hosted Pyodide.

- The wheel is built from the working tree (hatchling, in-process, reproducible), made into the
  browser's wheel (wheel.py: what the engine runs, compiled to bytecode inside Pyodide) and
  published under a content-hashed folder, so a page can never be served a stale wheel.
- Only the Pyodide files the browser needs are published, from node_modules/pyodide, under a
  folder named after the pinned Pyodide version and the hash of the one file we derive (the
  trimmed, precompiled standard library from stdlib.py): immutable, a new one gets a new path.

`plan(root)` says what goes where (site-relative path -> bytes or a source file): the macros
(sitebuild/macros.py) write those addresses into the pages, and `write(plan, site_dir)` writes
the files into the built site (`python -m sitebuild postbuild`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from sitebuild import BuildError
from sitebuild.stdlib import published_stdlib
from sitebuild.wheel import browser_wheel

# What the browser needs from the npm package; nothing else is published.
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)
LOCK_FILE = "pyodide-lock.json"  # read at build time only (its "info")
# [packed] Published twice: as they are (NAME) and gzip-compressed (NAME.gz), both under the
# content-hashed folder. The engine's worker (engine-worker.mjs) asks the host, with a HEAD of
# NAME, whether it compresses NAME itself (a Content-Encoding): then it fetches NAME (the host's
# brotli beats our gzip by 0.5 MB, and the wasm compiles while it streams); otherwise it
# fetches NAME.gz and decompresses it as it arrives (DecompressionStream), so a host that does
# not compress (`python -m http.server`, a bucket) sends ~4.5 MB for them instead of 12.6 MB
# (the standard library's zip stores its entries uncompressed, for speed). The offline copy
# (sw.js) keeps only the form the page used. Its list of packed names (engine-worker.mjs) must
# match. Served as an opaque .gz (no Content-Encoding), a compressing host leaves NAME.gz alone.
# Pyodide's JavaScript (pyodide.asm.mjs) is imported, not fetched: the worker imports its
# unpacked .gz from a blob: URL where the host's Content-Security-Policy allows it (packedModule).
PACKED = ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide.asm.mjs")
PACKED_SUFFIX = ".gz"
# The browser's wheel is packed too (its zip stores its members as they are, wheel.py): 0.5 MB
# from a host that does not compress, 0.13 MB packed. The worker fetches it through the same rule.
WHEEL_SUFFIX = ".whl"


def is_packed(name: str) -> bool:
    """Whether the site publishes the file NAME both as it is and as NAME.gz."""
    return name in PACKED or name.endswith(WHEEL_SUFFIX)


@dataclass(frozen=True)
class Plan:
    """Where the engine's files go in the site (paths relative to the site root)."""

    pyodide: str  # the Pyodide folder, "pyodide/v<version>-<stdlib hash>/"
    wheel: str  # the browser's, "assets/wheels/<hash>/runbook_core-<version>-cp314-none-any.whl"
    files: dict[str, Path | bytes]  # every published file: a source file or its content
    # What Pyodide's lock file says about its build: the engine passes it as lockFileContents,
    # with no packages (it installs none), instead of fetching the 22 KB file.
    lock_info: dict[str, str]
    # A team's org file (RUNBOOK_ORG), published for the browser's engine: "" for the packaged.
    org: str = ""


def pyodide_version(pyodide_dir: Path) -> str:
    needed = ("package.json", LOCK_FILE, *PYODIDE_FILES)
    missing = [n for n in needed if not (pyodide_dir / n).is_file()]
    if missing:
        raise BuildError(
            f"{pyodide_dir} is missing {', '.join(missing)}: the site publishes its own Pyodide "
            "from the npm package. Run `npm ci` (or `make build`, which runs it)."
        )
    return str(json.loads((pyodide_dir / "package.json").read_text("utf-8"))["version"])


def build_wheel(root: Path) -> tuple[str, bytes]:
    """The runbook_core wheel built from the working tree: (file name, bytes)."""
    from hatchling.builders.wheel import WheelBuilder

    with tempfile.TemporaryDirectory(prefix="runbook-wheel-") as tmp:
        try:
            built = list(WheelBuilder(str(root)).build(directory=tmp, versions=["standard"]))
        except Exception as exc:  # a broken pyproject.toml must stop the build, clearly
            raise BuildError(f"building the runbook_core wheel failed: {exc}") from exc
        if len(built) != 1 or not built[0].endswith("-none-any.whl"):
            raise BuildError(f"expected one pure-Python wheel, got {built}")
        path = Path(built[0])
        return path.name, path.read_bytes()


def published_wheel(root: Path) -> tuple[str, bytes]:
    """The wheel the site publishes: the browser's, made from the one built from the tree."""
    return browser_wheel(root, *build_wheel(root))


def plan(root: Path) -> Plan:
    pyodide_dir = root / "node_modules" / "pyodide"
    version = pyodide_version(pyodide_dir)
    sources: dict[str, Path | bytes] = {name: pyodide_dir / name for name in PYODIDE_FILES}
    stdlib = published_stdlib(root)  # trimmed, precompiled
    sources["python_stdlib.zip"] = stdlib
    stdlib_hash = hashlib.sha256(stdlib.read_bytes()).hexdigest()[:8]
    pyodide_base = f"pyodide/v{version}-{stdlib_hash}/"
    files: dict[str, Path | bytes] = {
        pyodide_base + name: source for name, source in sources.items()
    }
    for name in PACKED:
        files[pyodide_base + name + PACKED_SUFFIX] = packed(sources[name], root)

    name, data = published_wheel(root)
    wheel = f"assets/wheels/{hashlib.sha256(data).hexdigest()[:16]}/{name}"
    files[wheel] = data
    files[wheel + PACKED_SUFFIX] = packed(data, root)
    lock = json.loads((pyodide_dir / LOCK_FILE).read_text("utf-8"))
    org = org_bundle()
    if org:
        folder = f"assets/org/{hashlib.sha256(b''.join(org.values())).hexdigest()[:16]}/"
        files.update({folder + name: content for name, content in org.items()})
    return Plan(
        pyodide=pyodide_base,
        wheel=wheel,
        files=files,
        lock_info=lock["info"],
        org=folder + ORG_NAME if org else "",
    )


_plans: dict[tuple[Path, str], Plan] = {}


def cached_plan(root: Path) -> Plan:
    """`plan(root)`, once per process and org file: Zensical runs the macros' define_env for
    every page (a plan builds the wheel)."""

    from runbook_core.config import ORG_ENV

    key = (root, os.environ.get(ORG_ENV, ""))
    if key not in _plans:
        _plans[key] = plan(root)
    return _plans[key]


# Zopfli's gzip: what any gzip reader (DecompressionStream, nginx's gzip_static) takes, 3-6%
# smaller than gzip -9 (about 170 KB less of the engine from a host that does not compress), and
# reproducible (no timestamp, no name). More iterations gain under 0.1% for several times the time.
ZOPFLI_ITERATIONS = 1
# It takes ~25 s for the engine's files, so each result is kept by its input's content.
PACKED_CACHE = Path(".cache") / "packed"
PACKED_CACHE_KEEP = 12  # the engine's three, a few wheels: the most recently used are kept


def packed(source: Path | bytes, root: Path | None = None) -> bytes:
    """NAME.gz's bytes for NAME: zopfli's gzip, from root's cache when it has been made before."""
    from zopfli import gzip as zopfli_gzip  # type: ignore[import-untyped]

    data = source if isinstance(source, bytes) else source.read_bytes()
    cache = None
    if root is not None:
        key = hashlib.sha256(data + f"zopfli {ZOPFLI_ITERATIONS}".encode()).hexdigest()
        cache = root / PACKED_CACHE / f"{key}.gz"
        try:
            made = cache.read_bytes()
            if gzip.decompress(made) == data:  # else damaged: made again
                os.utime(cache)  # recently used: kept by the pruning below
                return made
        except (OSError, EOFError, zlib.error):  # missing, unreadable, or not gzip
            pass
    made = bytes(zopfli_gzip.compress(data, numiterations=ZOPFLI_ITERATIONS))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        temporary.write_bytes(made)
        temporary.replace(cache)  # a concurrent build writes the same bytes
        kept = sorted(cache.parent.glob("*.gz"), key=_mtime, reverse=True)
        for old in kept[PACKED_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    return made


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by another build meanwhile
        return 0.0


ORG_NAME = "org.toml"
# Not ".md": the generator would make a page of it and the engine's fetch would answer 404.
TEMPLATE_NAME = "INCIDENT_TEMPLATE.txt"
POSTMORTEM_NAME = "POSTMORTEM_TEMPLATE.txt"


def _toml_value(value: object) -> str:
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    return json.dumps(value)  # TOML's basic strings and integers read JSON's


def org_bundle() -> dict[str, bytes]:
    """The team's org file (RUNBOOK_ORG) as the browser's engine reads it: every word merged over
    the packaged ones, and its templates (ticket, post-mortem) beside it. Empty when the
    packaged org is used."""

    from runbook_core.config import ORG_ENV, load_org

    if not os.environ.get(ORG_ENV):
        return {}
    org = load_org()  # checked here: a bad org file fails the build, naming the key
    words = {**org.as_dict(), "severity_labels": org.severity_labels}
    bundle = {}
    if org.template:
        words["template"] = TEMPLATE_NAME
        bundle[TEMPLATE_NAME] = Path(org.template).read_bytes()
    if org.postmortem_template:
        words["postmortem_template"] = POSTMORTEM_NAME
        bundle[POSTMORTEM_NAME] = Path(org.postmortem_template).read_bytes()
    text = "".join(f"{key} = {_toml_value(value)}\n" for key, value in words.items())
    bundle[ORG_NAME] = ("# Generated from $RUNBOOK_ORG by the site build.\n" + text).encode()
    return bundle


def write(published: Plan, site_dir: Path) -> None:
    """Writes the planned files into a built site."""
    for path, source in published.files.items():
        target = site_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source if isinstance(source, bytes) else source.read_bytes())


ENGINE_META = re.compile(r'<meta name="runbook-engine"([^>]*)>')
ENGINE_URL = re.compile(r'data-(pyodide|wheel|org|worker)="([^"]+)"')


def check_pages(site_dir: Path) -> None:
    """Every engine address a page names is a file (or folder) of the built site: the pages and
    the published files come from two runs (the generator, then postbuild), which must see the
    same working tree and RUNBOOK_ORG."""
    for page in sorted(site_dir.rglob("*.html")):
        found = ENGINE_META.search(page.read_text("utf-8"))
        if not found:
            continue
        for kind, url in ENGINE_URL.findall(found.group(1)):
            if not (page.parent / url).exists():
                raise BuildError(
                    f"{page.relative_to(site_dir)} names the {kind} {url}, which this build did "
                    "not publish: the generator and `python -m sitebuild postbuild` ran on "
                    "different sources or RUNBOOK_ORG. Build again (make build)."
                )

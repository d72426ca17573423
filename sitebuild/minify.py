"""The site's own JavaScript, minified in the built site, each file with a source map.

The generator copies docs/ as it is, comments and all: the walkthrough's modules, the engine's
worker and deployment.mjs went to the browser at 49 KB brotli; minified, 28 KB. `minify_site`
replaces each built copy of a script under docs/ (never the theme's, already minified) by its
terser output (minify.mjs, run by Node like compile_pyc.mjs) with `//# sourceMappingURL=NAME.map`
and writes NAME.map beside it, the source embedded (`sourcesContent`), so the browser's developer
tools show the file as written. The offline copy does not fetch the maps (offline.NOT_CACHED).
It runs in `postbuild` after the generator and before anything hashes the files (the offline
manifest's integrity). A file that names its map, which is there, was minified by an earlier
run: left as it is.
`make serve` does not minify (serve_hooks.py): the dev server serves the scripts as written.

`minify_code` also minifies sitebuild/sw.js once offline.py has written the manifest into it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sitebuild import ROOT, BuildError

MINIFIER = Path(__file__).with_name("minify.mjs")
# The scripts the site publishes from its docs folder (the generator copies them as they are).
SCRIPT_SUFFIXES = (".js", ".mjs")
MAP_SUFFIX = ".map"
DOCS = ROOT / "docs"


@dataclass(frozen=True)
class Minified:
    name: str  # the file's name ("draw.js"): its map's "file" and "sources"
    code: str  # ends with //# sourceMappingURL=NAME.map
    map: str  # JSON, with the source in sourcesContent
    module: bool  # minified as an ES module (else as a classic script, its globals kept)


def minify_code(
    files: list[tuple[str, str]], module: bool | None = None, *, json_literals: bool = False
) -> list[Minified]:
    """[(name, source), ...] minified by terser, in that order; NAME is the file's own name,
    the map's "file" and "sources". module=None: each file is an ES module if it declares an
    import or export, else a classic script (minify.mjs). json_literals: a JSON literal in the
    code stays JSON (keys quoted, double quotes)."""
    job = [
        {"name": name, "code": code, "module": module, "json": json_literals}
        for name, code in files
    ]
    try:
        done = subprocess.run(
            ["node", str(MINIFIER)],
            input=json.dumps(job),
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
    except FileNotFoundError:
        raise BuildError(
            "node is needed to minify the site's JavaScript: install Node 20.19+, then make build"
        ) from None
    if done.returncode == 3:
        raise BuildError(
            "terser (an npm devDependency) is missing, needed to minify the site's JavaScript: "
            "run `npm ci` (make build runs it), with the devDependencies (not --omit=dev or "
            f"NODE_ENV=production). Node said: {done.stderr.strip()[-400:]}"
        )
    if done.returncode == 2:
        raise BuildError(
            f"terser cannot parse {done.stderr.strip()[-800:]}: fix that script (the browser "
            "would refuse it too)"
        )
    if done.returncode != 0:
        raise BuildError(f"minifying the site's JavaScript failed: {done.stderr.strip()[-800:]}")
    return [Minified(**entry) for entry in json.loads(done.stdout)]


def own_scripts(site_dir: Path, docs_dir: Path = DOCS) -> list[str]:
    """The scripts of docs_dir as published in site_dir (paths relative to both, sorted)."""
    found = sorted(
        path.relative_to(docs_dir).as_posix()
        for path in docs_dir.rglob("*")
        if path.suffix in SCRIPT_SUFFIXES and path.is_file()
    )
    missing = [path for path in found if not (site_dir / path).is_file()]
    if missing:
        raise BuildError(
            f"{site_dir} has no {', '.join(missing)} of {docs_dir}: the generator did not "
            "publish them. Build the site first (make build)."
        )
    return found


def minified(target: Path, code: str) -> bool:
    """Whether the script at `target` is already a minified one: it names its map, which is
    there (a generator that copies only changed files leaves an earlier run's output)."""
    mark = f"\n//# sourceMappingURL={target.name}{MAP_SUFFIX}"
    return code.endswith(mark) and target.with_name(target.name + MAP_SUFFIX).is_file()


def minify_site(site_dir: Path, docs_dir: Path = DOCS) -> dict[str, tuple[int, int]]:
    """Minifies the built copy of every script of docs_dir, NAME.map beside each; returns
    {path: (bytes before, bytes after)} of those it minified."""
    site_dir = Path(site_dir)
    scripts = [site_dir / path for path in own_scripts(site_dir, docs_dir)]
    current = [(target, target.read_text("utf-8")) for target in scripts]
    todo = [(target, code) for target, code in current if not minified(target, code)]
    sources = [(target.name, code) for target, code in todo]
    sizes = {}
    for (target, source), done in zip(todo, minify_code(sources), strict=True):
        target.write_text(done.code, "utf-8")
        target.with_name(target.name + MAP_SUFFIX).write_text(done.map, "utf-8")
        path = target.relative_to(site_dir).as_posix()
        sizes[path] = (len(source.encode("utf-8")), len(done.code.encode("utf-8")))
    return sizes

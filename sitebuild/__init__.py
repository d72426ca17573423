"""The site's build steps: plain functions, runnable without MkDocs.

A build is the generator (MkDocs, ProperDocs; `make build GENERATOR=…`), whose only Python is
the macros module `sitebuild/macros.py`, then `python -m sitebuild postbuild SITE_DIR`: no
generator hook. Each step also runs on its own, `python -m sitebuild <step> ...` (see
`python -m sitebuild --help`):

- `publish`  the runbook_core wheel, the self-hosted Pyodide and the trimmed, precompiled
             standard library, under content-hashed folders (publish.py, stdlib.py);
- `secure`   the Content-Security-Policy: the hash of every inline script and style of every page,
             a `<meta>` policy in each page and the `_headers` file at the site root (csp.py,
             headers.py);
- `offline`  the service worker `sw.js` at the site root, with this build's file list (offline.py);
- `minify`   the site's own JavaScript (docs/'s scripts as published) minified by terser, each
             with its source map NAME.map (minify.py);
- `finish`   `secure` then `offline`: what a build runs after writing its pages;
- `postbuild` `publish`, `minify`, then `finish`: what `make build` runs after the generator.

Not shipped in the runbook_core wheel (`[tool.hatch.build.targets.wheel]` lists only
runbook_core); the build tooling of this repository, not of the package.
"""

from __future__ import annotations

from pathlib import Path

# The repository this build tooling belongs to: pyproject.toml, node_modules/, .cache/.
ROOT = Path(__file__).resolve().parent.parent


class BuildError(RuntimeError):
    """A build step cannot go on; the message says what is wrong and how to fix it."""


def generator_error(message: str) -> Exception:
    """The running generator's own error, which it prints as one line (no traceback): ProperDocs'
    or MkDocs' PluginError, else a BuildError."""
    import sys

    if "properdocs" in sys.modules:
        from properdocs.exceptions import PluginError as ProperDocsError

        return ProperDocsError(message)
    if "mkdocs" in sys.modules:
        from mkdocs.exceptions import PluginError

        return PluginError(message)
    return BuildError(message)


def finish(site_dir: Path, *, meta: bool = True, minify: bool = True) -> str:
    """What a build runs once its pages are written: the Content-Security-Policy into every page
    (unless meta=False) and `_headers`, then the service worker (minified unless minify=False),
    last since it hashes the final files. Returns the service worker's version."""
    from sitebuild import csp, offline

    csp.secure(Path(site_dir), meta=meta)
    return offline.write_service_worker(site_dir, minified=minify)


def postbuild(site_dir: Path, *, meta: bool = True, minify: bool = True) -> str:
    """What a build runs after the generator has written the pages: the engine's files
    (publish), the site's own JavaScript minified (unless minify=False: the dev server), then
    `finish`. Returns the service worker's version."""
    from sitebuild import minify as minifier
    from sitebuild import publish

    site_dir = Path(site_dir)
    plan = publish.plan(ROOT)
    publish.write(plan, site_dir)
    publish.check_pages(site_dir)
    if minify:
        minifier.minify_site(site_dir)  # before `finish` hashes the files
    return finish(site_dir, meta=meta, minify=minify)

"""The site's build steps: plain functions, runnable without MkDocs.

MkDocs calls them from the thin `overrides/hooks.py`; each also runs on its own,
`python -m sitebuild <step> ...` (see `python -m sitebuild --help`):

- `publish`  the runbook_core wheel, the self-hosted Pyodide and the trimmed, precompiled
             standard library, under content-hashed folders (publish.py, stdlib.py);
- `secure`   the Content-Security-Policy: the hash of every inline script and style of every page,
             a `<meta>` policy in each page and the `_headers` file at the site root (csp.py,
             headers.py);
- `offline`  the service worker `sw.js` at the site root, with this build's file list (offline.py);
- `finish`   `secure` then `offline`: what a build runs after writing its pages.

Not shipped in the runbook_core wheel (`[tool.hatch.build.targets.wheel]` lists only
runbook_core); the build tooling of this repository, not of the package.
"""

from __future__ import annotations

from pathlib import Path

# The repository this build tooling belongs to: pyproject.toml, node_modules/, .cache/.
ROOT = Path(__file__).resolve().parent.parent


class BuildError(RuntimeError):
    """A build step cannot go on; the message says what is wrong and how to fix it."""


def finish(site_dir: Path, *, meta: bool = True) -> str:
    """What a build runs once its pages are written: the Content-Security-Policy into every page
    (unless meta=False) and `_headers`, then the service worker, last since it hashes the final
    files. Returns the service worker's version."""
    from sitebuild import csp, offline

    csp.secure(Path(site_dir), meta=meta)
    return offline.write_service_worker(site_dir)

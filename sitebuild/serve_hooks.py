"""`make serve` only (mkdocs.serve.yml): the live-reloading dev server builds into a folder of
its own on every change, so the post-build step runs there from this hook. `make build` needs
no hook: it runs the generator, then `python -m sitebuild postbuild`.
"""

from __future__ import annotations

import mimetypes
import os
import sys
from pathlib import Path
from typing import Any

# sitebuild/ is this checkout's build tooling, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from runbook_core.config import ORG_ENV, load_org  # noqa: E402
from runbook_core.ticket import load_template  # noqa: E402
from sitebuild import ROOT, BuildError, generator_error, headers, postbuild  # noqa: E402


def on_config(config: Any) -> Any:
    load_template.cache_clear()  # a team's edited template is read again on each rebuild
    return config


on_config.mkdocs_priority = 100  # type: ignore[attr-defined]  # before the macros read it


def on_post_build(config: Any) -> None:
    # The running generator's own error class, so that it prints the message, not a traceback.
    try:
        # No <meta> policy: the dev server's live reload injects inline scripts no policy lists.
        # Scripts as written (not minified): quicker rebuilds, readable without a source map.
        postbuild(Path(config.site_dir), meta=False, minify=False)
    except BuildError as exc:
        raise generator_error(str(exc)) from exc


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    # The dev server watches docs/ and overrides/; the package and the build steps rebuild too.
    server.watch(str(ROOT / "runbook_core"))
    server.watch(str(ROOT / "sitebuild"))
    if os.environ.get(ORG_ENV):  # a team's org file and its template
        server.watch(os.environ[ORG_ENV])
        template = load_org().template
        if template:
            server.watch(template)
    # The dev server guesses types with `mimetypes`; module workers and wasm need these.
    for suffix, kind in headers.CONTENT_TYPES.items():
        mimetypes.add_type(kind, suffix)
    return server

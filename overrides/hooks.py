"""MkDocs hooks: thin glue to the build steps in sitebuild/, which run without MkDocs too.

- `on_config` (first): a team's org file and template ($RUNBOOK_ORG) are checked; a mistake ends
  the build with the CLI's one line (a PluginError), not a traceback from the macros.
- `on_files`: the runbook_core wheel and the self-hosted Pyodide join the site's files
  (sitebuild.publish); where they went is left in `config.extra["runbook_widget"]` for the
  `walkthrough()` macro, which writes them into the widget's data-* attributes.
- `on_post_build`: the Content-Security-Policy into every page and `_headers`, then the offline
  service worker (sitebuild.csp, sitebuild.offline): `python -m sitebuild finish SITE_DIR`.
"""

from __future__ import annotations

import mimetypes
import os
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

# sitebuild/ is this checkout's build tooling, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from runbook_core import RunbookError, load_org  # noqa: E402
from runbook_core.config import ORG_ENV  # noqa: E402
from runbook_core.ticket import load_template  # noqa: E402
from sitebuild import ROOT, BuildError, finish, headers, publish  # noqa: E402

WIDGET_KEY = "runbook_widget"
serving = False  # `mkdocs serve`: its live reload injects inline scripts no policy can list


def on_startup(command: str, dirty: bool) -> None:
    global serving
    serving = command == "serve"


@event_priority(100)  # before the macros read the org file: its mistakes end here, in one line
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    load_template.cache_clear()  # `mkdocs serve`: a team's edited template is read again
    try:
        load_org()  # and the team's template, checked
    except RunbookError as exc:
        raise PluginError(f"${ORG_ENV}: {exc}") from None
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    try:
        published = publish.plan(ROOT)
    except BuildError as exc:
        raise PluginError(str(exc)) from exc
    for path, source in published.files.items():
        if isinstance(source, bytes):
            files.append(File.generated(config, path, content=source))
        else:
            files.append(File.generated(config, path, abs_src_path=str(source)))
    config.extra[WIDGET_KEY] = {
        "pyodide": published.pyodide,
        "wheel": published.wheel,
        "lock_info": published.lock_info,
        "org": published.org,
        # Site URL of every page, by docs path, for links drawn by the widget.
        "pages": {f.src_uri: f.url for f in files.documentation_pages()},
    }
    return files


def on_post_build(config: MkDocsConfig) -> None:
    try:
        finish(Path(config.site_dir), meta=not serving)
    except BuildError as exc:
        raise PluginError(str(exc)) from exc


def on_serve(server, config: MkDocsConfig, builder):
    # `mkdocs serve` watches docs/ and overrides/; the package and the build steps rebuild too.
    server.watch(str(ROOT / "runbook_core"))
    server.watch(str(ROOT / "sitebuild"))
    if os.environ.get(ORG_ENV):  # a team's org file and its template
        org = load_org()
        server.watch(os.environ[ORG_ENV])
        if org.template:
            server.watch(org.template)
    # The dev server guesses types with `mimetypes`; module workers and wasm need these.
    for suffix, kind in headers.CONTENT_TYPES.items():
        mimetypes.add_type(kind, suffix)
    return server

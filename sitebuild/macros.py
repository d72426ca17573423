"""mkdocs-macros glue: thin; everything it renders comes from runbook_core and sitebuild.

Standard `define_env(env)` and nothing from MkDocs itself (mkdocs.yml names this file as the
macros `module_name`), so any generator that keeps mkdocs-macros' interface (ProperDocs,
Zensical) can use it as it is; and no MkDocs hook: where the build publishes the engine's files
(sitebuild.publish, content-hashed paths known before any page is written) is worked out here,
and the files themselves are written after the generator by `python -m sitebuild postbuild`.
"""

import json
import posixpath
import sys
from pathlib import Path
from typing import Any

import jinja2

# This checkout's build tooling (sitebuild/) is not an installed package; generators load this
# file by its path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from runbook_core import cli, config, handover, reference, ticket, view  # noqa: E402
from runbook_core.errors import RunbookError  # noqa: E402
from sitebuild import ROOT, generator_error, publish  # noqa: E402

# Published by the build (sitebuild.publish: wheel, Pyodide) or copied from docs/assets.
ENGINE_WORKER = "assets/javascripts/engine-worker.mjs"
TEMPLATE_PAGE = "runbook/INCIDENT_TEMPLATE.md"
WALKTHROUGH_PARTIAL = "partials/walkthrough.html"
THEME_OVERRIDES = ROOT / "overrides"  # the partial is ours: no theme template is needed
# The theme's templates read the engine's addresses here (overrides/main.html).
WIDGET_KEY = "runbook_widget"


def relative_url(target: str, page: str) -> str:
    """`target` as a link from `page`; both relative to the site root, folders ending in "/"
    ("" is the root). relative_url("assets/x.js", "runbook/ROLLBACK/") == "../../assets/x.js";
    a folder keeps its "/", the page's own folder is "./"."""
    folder = page.rsplit("/", 1)[0] if "/" in page else ""  # "a/b/" -> "a/b", "a/x.html" -> "a"
    relative = posixpath.relpath("/" + target, "/" + folder)
    if (target == "" or target.endswith("/")) and not relative.endswith("/"):
        relative += "/"
    return relative


def page_urls(docs_dir: Path) -> dict[str, str]:
    """The site URL of every Markdown page, by docs path, as generators with directory URLs
    write them: "runbook/ROLLBACK.md" -> "runbook/ROLLBACK/", "index.md" -> ""."""
    urls = {}
    for source in sorted(docs_dir.rglob("*.md")):
        path = source.relative_to(docs_dir).as_posix()
        stem = path.removesuffix(".md")
        if stem == "index" or stem.endswith("/index"):
            urls[path] = stem.removesuffix("index")
        else:
            urls[path] = stem + "/"
    return urls


def engine_files(docs_dir: Path) -> dict[str, Any]:
    """Where the engine's files will be (site-relative), for the templates and the macro."""
    published = publish.cached_plan(ROOT)
    return {
        "pyodide": published.pyodide,
        "wheel": published.wheel,
        "lock_info": published.lock_info,
        "org": published.org,
        "pages": page_urls(docs_dir),
        # The address fragment that starts a handover link (overrides/main.html, lookback.js).
        "handover_hash": f"#{handover.KEY}",
    }


def define_env(env: Any) -> None:
    try:  # a team's org file and template ($RUNBOOK_ORG): a mistake ends the build in one line
        env.variables["org"] = config.load_org()
    except RunbookError as exc:
        raise generator_error(f"${config.ORG_ENV}: {exc}") from None
    env.variables["ticket_required"] = ticket.REQUIRED_PLACEHOLDERS  # what a template must keep
    published = engine_files(Path(env.conf["docs_dir"]))
    env.conf["extra"][WIDGET_KEY] = published

    # Reference tables: rendered from the rules and the state machine, never typed by hand.
    for table in (
        reference.impact_table,
        reference.fix_forward_table,
        reference.failure_modes_table,
        reference.questions_list,
        reference.phases_table,
        reference.transitions_table,
        reference.guards_list,
        reference.actions_reference,
        cli.cli_reference,
    ):
        env.macro(table)

    def walkthrough() -> str:
        """The interactive walkthrough; its URLs are relative to the page it is on."""

        def rel(url: str) -> str:
            return relative_url(url, env.page.url)

        pages = {src: rel(url) for src, url in published["pages"].items()}
        # Autoescaped; the markup lives in overrides/partials/.
        jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(THEME_OVERRIDES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        return jinja.get_template(WALKTHROUGH_PARTIAL).render(
            m=view.page_model(),
            pages=pages,
            urls={
                "pyodide": rel(published["pyodide"]),
                "wheel": rel(published["wheel"]),
                "worker": rel(ENGINE_WORKER),
                "template": pages[TEMPLATE_PAGE],
                "org": rel(published["org"]) if published["org"] else "",
            },
            lock_info=json.dumps(published["lock_info"], sort_keys=True),
            # The view's links are relative to the walkthrough's docs file; the page maps them.
            links=json.dumps(pages, sort_keys=True),
        )

    env.macro(walkthrough)


def on_post_page_macros(env: Any) -> None:
    """With a team's own template (its org file's `template`), the template page shows it, so
    the page, its link from the walkthrough and the tickets all show the same template."""
    template = env.variables["org"].template
    if template and env.page.file.src_uri == TEMPLATE_PAGE:
        env.markdown = ticket.template_page(ticket.load_template(template))

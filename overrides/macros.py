"""mkdocs-macros glue: thin; everything it renders comes from runbook_core. Imports nothing from
MkDocs (its successor reads the same `define_env`)."""

import json
import posixpath

import jinja2

from runbook_core import config, reference, view

# Published by the build (wheel, Pyodide) or copied from docs/assets (the worker).
ENGINE_WORKER = "assets/javascripts/engine-worker.mjs"
TEMPLATE_PAGE = "runbook/INCIDENT_TEMPLATE.md"
WALKTHROUGH_PARTIAL = "partials/walkthrough.html"


def relative_url(url: str, from_url: str) -> str:
    """`url` (site-relative, like "assets/x.js" or "runbook/") as seen from the page `from_url`."""
    folder = from_url if from_url.endswith("/") or not from_url else posixpath.dirname(from_url) + "/"
    rel = posixpath.relpath(url or ".", folder.rstrip("/") or ".")
    if (url == "" or url.endswith("/")) and not rel.endswith("/"):
        rel += "/"
    return "./" if rel in (".", "./") else rel


def define_env(env):
    env.variables["org"] = config.load_org()

    # Decision reference tables: rendered from the rules, never typed by hand.
    for table in (reference.impact_table, reference.fix_forward_table,
                  reference.failure_modes_table, reference.questions_list,
                  reference.phases_table, reference.transitions_table, reference.guards_list,
                  reference.actions_reference):
        env.macro(table)

    @env.macro
    def walkthrough():
        """The interactive walkthrough; its URLs are relative to the page it is on."""
        published = env.conf["extra"]["runbook_widget"]  # set by the build hook's on_files
        here = env.page.url

        def rel(url):
            return relative_url(url, here)

        pages = {src: rel(url) for src, url in published["pages"].items()}
        # The view's links are relative to the walkthrough's docs file; the page maps them.
        links = {src: pages[src] for src in pages}
        jinja = jinja2.Environment(
            loader=env.conf["theme"].get_env().loader, autoescape=True, undefined=jinja2.StrictUndefined
        )
        return jinja.get_template(WALKTHROUGH_PARTIAL).render(
            m=view.page_model(),
            pages=pages,
            urls={
                "pyodide": rel(published["pyodide"]),
                "wheel": rel(published["wheel"]),
                "worker": rel(ENGINE_WORKER),
                "template": pages[TEMPLATE_PAGE],
            },
            links=json.dumps(links, sort_keys=True),
        )

"""mkdocs-macros glue: thin; everything it renders comes from runbook_core.

Standard `define_env(env)` and nothing from MkDocs itself, so that another builder that keeps
mkdocs-macros' interface (Zensical) can use it as it is.
"""

import posixpath

from runbook_core import config, form, reference

# Published by the build (sitebuild.publish: wheel, Pyodide) or copied from docs/assets.
ENGINE_WORKER = "assets/javascripts/engine-worker.mjs"
TEMPLATE_PAGE = "runbook/INCIDENT_TEMPLATE.md"


def relative_url(target: str, page: str) -> str:
    """`target` as a link from `page`; both relative to the site root, folders ending in "/"
    ("" is the root). relative_url("assets/x.js", "runbook/ROLLBACK/") == "../../assets/x.js";
    a folder keeps its "/", the page's own folder is "./"."""
    folder = page.rsplit("/", 1)[0] if "/" in page else ""  # "a/b/" -> "a/b", "a/x.html" -> "a"
    relative = posixpath.relpath("/" + target, "/" + folder)
    if (target == "" or target.endswith("/")) and not relative.endswith("/"):
        relative += "/"
    return relative


def define_env(env):
    env.variables["org"] = config.load_org()

    # Decision reference tables: rendered from the rules, never typed by hand.
    for table in (
        reference.impact_table,
        reference.fix_forward_table,
        reference.failure_modes_table,
        reference.questions_list,
    ):
        env.macro(table)

    @env.macro
    def walkthrough():
        """The interactive walkthrough form; its URLs are relative to the page it is on."""
        published = env.conf["extra"]["runbook_widget"]  # set by overrides/hooks.py on_files

        def rel(url):
            return relative_url(url, env.page.url)

        pages = {src: rel(url) for src, url in published["pages"].items()}
        return form.render_walkthrough(
            pyodide_url=rel(published["pyodide"]),
            wheel_url=rel(published["wheel"]),
            worker_url=rel(ENGINE_WORKER),
            template_url=pages[TEMPLATE_PAGE],
            page_urls=pages,
        )

"""mkdocs-macros glue: thin; everything it renders comes from runbook_core.

Standard `define_env(env)` and nothing from MkDocs itself, so that another builder that keeps
mkdocs-macros' interface (Zensical) can use it as it is.
"""

import json
import posixpath

import jinja2

from runbook_core import config, reference, ticket, view

# Published by the build (sitebuild.publish: wheel, Pyodide) or copied from docs/assets.
ENGINE_WORKER = "assets/javascripts/engine-worker.mjs"
TEMPLATE_PAGE = "runbook/INCIDENT_TEMPLATE.md"
WALKTHROUGH_PARTIAL = "partials/walkthrough.html"


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
    env.variables["ticket_required"] = ticket.REQUIRED_PLACEHOLDERS  # what a template must keep

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
    ):
        env.macro(table)

    @env.macro
    def walkthrough():
        """The interactive walkthrough; its URLs are relative to the page it is on."""
        published = env.conf["extra"]["runbook_widget"]  # set by the build hook's on_files

        def rel(url):
            return relative_url(url, env.page.url)

        pages = {src: rel(url) for src, url in published["pages"].items()}
        # Autoescaped, with the theme's templates (overrides/ first): markup lives there.
        jinja = jinja2.Environment(
            loader=env.conf["theme"].get_env().loader,
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


def on_post_page_macros(env):
    """With a team's own template (its org file's `template`), the template page shows it, so
    the page, its link from the walkthrough and the tickets all show the same template."""
    template = env.variables["org"].template
    if template and env.page.file.src_uri == TEMPLATE_PAGE:
        env.markdown = ticket.template_page(ticket.load_template(template))

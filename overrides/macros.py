"""mkdocs-macros glue: thin; everything it renders comes from runbook_core."""

from mkdocs.utils import get_relative_url

from runbook_core import config, form, reference

# Published by overrides/hooks.py (wheel, Pyodide) or copied from docs/assets (the worker).
ENGINE_WORKER = "assets/javascripts/engine-worker.mjs"
TEMPLATE_PAGE = "runbook/INCIDENT_TEMPLATE.md"


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
        """The interactive walkthrough form; its URLs are relative to the page it is on."""
        published = env.conf["extra"]["runbook_widget"]  # set by overrides/hooks.py on_files

        def rel(url):
            return get_relative_url(url, env.page.url)

        pages = {src: rel(url) or "./" for src, url in published["pages"].items()}
        return form.render_walkthrough(
            pyodide_url=rel(published["pyodide"]), wheel_url=rel(published["wheel"]),
            worker_url=rel(ENGINE_WORKER), template_url=pages[TEMPLATE_PAGE], page_urls=pages)

"""mkdocs-macros glue: thin; everything it renders comes from runbook_core."""

from runbook_core import config


def define_env(env):
    env.variables["org"] = config.load_org()

"""Shared test set-up: one Hypothesis profile, loaded for every run (CPython and Pyodide)."""

import sys

from hypothesis import settings

# No example database: nothing is written into the work tree, and Pyodide has no lasting disk.
# No deadline: Pyodide and a busy 2-core CI machine make per-example timings noisy.
settings.register_profile("ci", database=None, deadline=None)
settings.load_profile("ci")

# The browser tests' fixtures (Playwright, Chromium, the served site). Not inside Pyodide,
# where there is no browser to drive: the browser test modules skip themselves there.
if sys.platform != "emscripten":
    pytest_plugins = ["tests.browser_support"]


def pytest_sessionstart(session) -> None:
    """With a team's org file, its golden files must exist: one clear line, not 100 errors."""
    import os

    import pytest

    from tests.helpers import EXAMPLES, ORG_ENV

    org = os.environ.get(ORG_ENV)
    if org and not EXAMPLES.is_dir():
        pytest.exit(
            f"no golden files for ${ORG_ENV} ({org}) in {EXAMPLES.parent}: write them with "
            f"`RUNBOOK_ORG={org} make golden` (or set RUNBOOK_GOLDEN_DIR) and review them",
            returncode=1,
        )

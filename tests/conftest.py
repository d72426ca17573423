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

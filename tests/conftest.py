"""Shared test set-up: one Hypothesis profile, loaded for every run (CPython and Pyodide)."""

from hypothesis import settings

# No example database: nothing is written into the work tree, and Pyodide has no lasting disk.
# No deadline: Pyodide and a busy 2-core CI machine make per-example timings noisy.
settings.register_profile("ci", database=None, deadline=None)
settings.load_profile("ci")

"""MkDocs site-build hooks.

The site-build hooks live here: building the runbook_core wheel and copying
Pyodide into the built site. Placeholder for now; nothing is hooked yet.
"""

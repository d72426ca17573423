"""A team's own org file passes the suite unchanged: the unit tests run again with a second org
file (tests/data/org-prod.toml), whose words differ from the packaged ones in every key.

The tests read the words they check (channel, escalation contact, mention, interval, labels)
from the active org config; golden byte-for-byte comparisons are made for the packaged org only
(a team regenerates them with `make golden`), their independent assertions still run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from runbook_core import load_org
from runbook_core.config import ORG_ENV, WORDS, packaged_org
from tests.helpers import ROOT

SECOND_ORG = ROOT / "tests" / "data" / "org-prod.toml"


def test_the_second_org_file_differs_in_every_word() -> None:
    """Every word differs from the packaged one, so a test that hard-codes one fails with it."""
    ours, theirs = packaged_org(), load_org(SECOND_ORG)
    for word in WORDS:
        assert getattr(ours, word) != getattr(theirs, word), word
    assert (theirs.channel, theirs.escalation_contact) == ("#prod-incidents", "VP Engineering")
    assert theirs.status_update_interval_minutes == 30


@pytest.mark.cpython_only
@pytest.mark.skipif(sys.platform == "emscripten", reason="no subprocesses in Pyodide")
@pytest.mark.skipif(bool(os.environ.get(ORG_ENV)), reason="already running with another org")
def test_the_unit_suite_passes_with_a_second_org_file() -> None:
    """`RUNBOOK_ORG=tests/data/org-prod.toml pytest` passes the unit tests."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "--ignore=tests/pyodide",
            "-m",
            "not browser",
            "--deselect",
            "tests/test_org_words.py::test_the_unit_suite_passes_with_a_second_org_file",
        ],
        cwd=ROOT,
        env={**os.environ, ORG_ENV: str(SECOND_ORG)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

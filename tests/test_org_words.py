"""A team's own org file passes the suite unchanged: CI runs the suite a second time with a
team's org file and template (`make test-team-org`: tests/data/acme/), and this project keeps a
second, template-less org file (tests/data/org-prod.toml) for the deploy tests.

The tests read the words they check (channel, escalation contact, mention, interval, labels,
the template's sections) from the active org config; the golden files are compared with the
active org's own (tests/helpers.golden_dirs), written by `make golden`.
"""

from __future__ import annotations

import pytest

from runbook_core import load_org
from runbook_core.config import WORDS, packaged_org
from tests.helpers import TESTS

TEAM_ORGS = {
    "org-prod": TESTS / "data" / "org-prod.toml",
    "acme": TESTS / "data" / "acme" / "org.toml",
}


@pytest.mark.parametrize("name", TEAM_ORGS)
def test_a_team_org_file_differs_in_every_word(name: str) -> None:
    """Every word differs from the packaged one, so a test that hard-codes one fails with it."""
    ours, theirs = packaged_org(), load_org(TEAM_ORGS[name])
    for word in WORDS:
        assert getattr(ours, word) != getattr(theirs, word), word


def test_the_acme_fixture_is_a_realistic_team() -> None:
    """The team CI runs as: its own template with an added section, a user-group mention."""
    org = load_org(TEAM_ORGS["acme"])
    assert (org.channel, org.escalation_mention) == ("#inc-payments", "<!subteam^S0ACME>")
    assert org.status_update_interval_minutes == 15
    assert org.template.endswith("INCIDENT_TEMPLATE.md")
    from runbook_core.ticket import load_template

    assert "## Customer communication" in load_template(org.template)


@pytest.mark.parametrize("contact", ["the VP Engineering", "VP Engineering", "Jane Doe"])
def test_the_escalation_contact_reads_right_with_or_without_an_article(contact: str) -> None:
    """The texts never add an article: the org file's contact is read as written (the failure
    modes table and the failed rollback's outcome)."""
    from dataclasses import replace

    from runbook_core.rules import load_runbook

    words = replace(packaged_org(), escalation_contact=contact).as_dict()
    runbook = load_runbook()
    texts = [m.action.format(**words) for m in runbook.failure_modes]
    texts.append(runbook.outcomes["roll_back_failed"].text.format(**words))
    assert sum(f"escalate immediately to {contact}." in t for t in texts) == 2
    assert not any("the the " in t.lower() or "the Jane" in t for t in texts)

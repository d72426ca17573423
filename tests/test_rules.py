"""The runbook data file: loads, says what the runbook says, and refuses malformed input."""

from __future__ import annotations

from importlib.resources import files

import pytest

from runbook_core.config import WORDS, packaged_org, parse_org
from runbook_core.errors import DataFileError
from runbook_core.messages import parse_messages
from runbook_core.rules import load_runbook, parse_runbook

SOURCE = files("runbook_core").joinpath("data/runbook.toml").read_text("utf-8")


def test_impact_questions_are_the_runbooks_three_each_with_dont_know() -> None:
    """Scope, data loss and degradation (3.1), each with a "don't know" answer."""
    impact = load_runbook().group("impact")
    assert [q.id for q in impact] == ["scope", "data_loss", "degradation"]
    assert all("unknown" in q.values for q in impact)


def test_steps_follow_the_runbook_order() -> None:
    """Declare, take command, assess, decide, mitigate, communicate, resolve, ticket."""
    assert [s.id for s in load_runbook().steps] == [
        "declare",
        "command",
        "impact",
        "decide",
        "mitigate",
        "communicate",
        "resolve",
        "ticket",
    ]


def test_failure_modes_cover_section_5() -> None:
    """The three failure modes of section 5 are present, with the runbook's names."""
    names = {f.name for f in load_runbook().failure_modes if f.section == "5"}
    assert names == {
        "Cannot determine impact",
        "Rollback fails",
        "Incident Commander is unavailable",
    }


BROKEN = [
    pytest.param(
        SOURCE.replace('default_action = "roll_back"', 'default_action = "fix_forward"'),
        "decision.default_action",
        id="default-not-rollback",
    ),
    pytest.param(
        SOURCE.replace('section = "3.2"\nmet', 'section = "9.9"\nmet', 1),
        "decision.fix_forward_conditions[0].section",
        id="unknown-section",
    ),
    pytest.param(
        SOURCE.replace(
            'requires = { fix_understood = ["yes"] }', 'requires = { fix_understood = ["maybe"] }'
        ),
        "decision.fix_forward_conditions[1].requires.fix_understood",
        id="bad-answer",
    ),
    pytest.param(
        SOURCE.replace('prompt = "Is the fix well understood?"', 'prompt = ""'),
        "questions[3].prompt",
        id="empty-prompt",
    ),
    pytest.param("surprise = 1\n" + SOURCE, "surprise", id="unknown-key"),
    pytest.param(SOURCE.replace("[[steps]]", "[[steps", 1), "(file)", id="not-toml"),
]


@pytest.mark.parametrize(("text", "key"), BROKEN)
def test_malformed_runbook_names_file_key_and_expectation(text: str, key: str) -> None:
    """A malformed data file fails with the file, the key and what was expected."""
    with pytest.raises(DataFileError) as err:
        parse_runbook(text, "runbook.toml")
    assert err.value.file == "runbook.toml"
    assert err.value.key == key
    assert err.value.expected and "expected" in str(err.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('channel = ""', "channel"),
        ("status_update_interval_minutes = 0", "status_update_interval_minutes"),
        ('slack = "#x"', "slack"),
    ],
    ids=["empty-channel", "zero-interval", "unknown-key"],
)
def test_malformed_org_config_is_refused(text: str, key: str) -> None:
    """org.toml: each key checked; the error names it."""
    with pytest.raises(DataFileError) as err:
        parse_org(text, "org.toml")
    assert err.value.key == key


def test_org_words_are_read_from_the_org_file() -> None:
    """The packaged org.toml has every word, and a change there is what the package reads."""
    text = files("runbook_core").joinpath("data/org.toml").read_text("utf-8")
    org = parse_org(text, "org.toml")
    assert org == packaged_org()
    assert all(getattr(org, word) != "" or word == "escalation_mention" for word in WORDS)
    changed = parse_org(text.replace(f'channel = "{org.channel}"', 'channel = "#elsewhere"'), "org")
    assert changed.channel == "#elsewhere"


def test_a_partial_org_file_keeps_the_packaged_words() -> None:
    """A team's file holds only what it changes; the rest comes from the packaged file."""
    org = parse_org('escalation_mention = "<!subteam^S0123ABCD>"', "team.toml", packaged_org())
    assert org.escalation_mention == "<!subteam^S0123ABCD>"
    assert org.channel == packaged_org().channel
    assert org.mention() == f"<!subteam^S0123ABCD> ({packaged_org().escalation_contact})"


@pytest.mark.parametrize(
    "mention", ["@head-of-eng", "<!subteam^S0123ABCD>", "<@U0123ABCD>", ""], ids=repr
)
def test_escalation_mentions_slack_understands_are_accepted(mention: str) -> None:
    """A handle, a user group, a user, or none."""
    assert (
        parse_org(f'escalation_mention = "{mention}"', "t", packaged_org()).escalation_mention
        == mention
    )


@pytest.mark.parametrize(
    "mention", ["Site Reliability Lead", "@Site Reliability Lead", "<script>"], ids=repr
)
def test_an_escalation_mention_slack_would_not_understand_is_refused(mention: str) -> None:
    """A display name with an @ is no Slack mention (issue 7): refused when the file is read."""
    with pytest.raises(DataFileError) as err:
        parse_org(f'escalation_mention = "{mention}"', "org.toml", packaged_org())
    assert err.value.key == "escalation_mention"


def test_message_placeholders_are_checked() -> None:
    """A message using an unknown placeholder is refused when loaded."""
    text = files("runbook_core").joinpath("data/messages.toml").read_text("utf-8")
    with pytest.raises(DataFileError) as err:
        parse_messages(text.replace("{summary} 🚨", "{sumary} 🚨"), "messages.toml")
    assert err.value.key == "declaration"


def test_failure_mode_texts_use_only_org_words() -> None:
    """A placeholder in a failure mode that is not an org word is refused when loaded."""
    with pytest.raises(DataFileError) as err:
        parse_runbook(SOURCE.replace("{escalation_contact}.", "{boss}.", 1), "runbook.toml")
    assert "boss" in err.value.expected

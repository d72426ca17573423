"""Roll back or fix forward: the runbook's rules over the whole answer space."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runbook_core import InvalidInput, recommend, relevant_fix_forward_questions
from runbook_core.decide import answer_space
from runbook_core.rules import load_runbook

RUNBOOK = load_runbook()
IMPACT = ("scope", "data_loss", "degradation")

answers = st.fixed_dictionaries(
    {
        q.id: st.sampled_from((*q.values, None) if q.group == "fix_forward" else q.values)
        for q in RUNBOOK.questions
    }
)


@pytest.mark.parametrize(
    ("given_answers", "action"),
    [
        ({"scope": "all", "data_loss": "no", "degradation": "critical"}, "roll_back"),
        (
            {
                "scope": "subset",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            "fix_forward",
        ),
        (
            {
                "scope": "subset",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "no",
            },
            "roll_back",
        ),
        (
            {
                "scope": "subset",
                "data_loss": "yes",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            "roll_back",
        ),
        (
            {
                "scope": "unknown",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            "roll_back",
        ),
        ({"scope": "all", "data_loss": "no", "degradation": "minor"}, "roll_back"),
    ],
    ids=[
        "critical",
        "fix-forward",
        "hotfix-slower",
        "data-loss",
        "scope-unknown",
        "conditions-unconfirmed",
    ],
)
def test_known_cases(given_answers: dict, action: str) -> None:
    """Hand-checked cases straight from the runbook's text."""
    assert recommend(given_answers).action == action


@given(answers)
def test_exactly_one_action_with_cited_reasons(a: dict) -> None:
    """Every combination gets one of the two actions and at least one reason citing a section."""
    rec = recommend(a)
    assert rec.action in ("roll_back", "fix_forward")
    assert rec.reasons
    assert all(r.section in RUNBOOK.sections and r.text for r in rec.reasons)


@given(answers)
def test_any_dont_know_means_roll_back_citing_section_5(a: dict) -> None:
    """Cannot determine impact → roll back (section 5)."""
    if "unknown" in (a["scope"], a["data_loss"], a["degradation"]):
        rec = recommend(a)
        assert rec.action == "roll_back"
        assert rec.rule == "cannot_determine_impact"
        assert rec.reasons[0].section == "5"


@given(answers)
def test_fix_forward_only_when_all_three_conditions_hold(a: dict) -> None:
    """Fix forward iff minor, no data loss, fix understood, hotfix faster (3.2); else roll back."""
    expected = (
        a["degradation"] == "minor"
        and a["data_loss"] == "no"
        and a["scope"] != "unknown"
        and a["fix_understood"] == "yes"
        and a["hotfix_faster"] == "yes"
    )
    assert (recommend(a).action == "fix_forward") == expected


@given(answers)
def test_roll_back_for_any_other_reason_cites_the_default(a: dict) -> None:
    """Roll back outside section 5 starts from the default (3.2) and names what failed."""
    rec = recommend(a)
    if rec.action == "roll_back" and rec.rule == "default":
        assert rec.reasons[0].text == RUNBOOK.default_reason.text
        assert len(rec.reasons) >= 2


@given(answers)
def test_unconfirmed_conditions_never_fix_forward(a: dict) -> None:
    """Without both fix-forward conditions confirmed "yes", the action is roll back."""
    if a["fix_understood"] != "yes" or a["hotfix_faster"] != "yes":
        assert recommend(a).action == "roll_back"


@given(answers)
def test_fix_forward_questions_are_asked_only_where_they_matter(a: dict) -> None:
    """The conditions are relevant exactly when the impact is minor, known and lossless."""
    impact = {k: a[k] for k in IMPACT}
    relevant = relevant_fix_forward_questions(impact)
    minor = (
        impact == {**impact, "data_loss": "no", "degradation": "minor"}
        and impact["scope"] != "unknown"
    )
    assert bool(relevant) == minor
    if not relevant:
        outcomes = {
            recommend({**impact, "fix_understood": u, "hotfix_faster": h}).action
            for u in ("yes", "no")
            for h in ("yes", "no")
        }
        assert len(outcomes) == 1


def test_whole_answer_space_is_covered() -> None:
    """3×3×3 impact answers × 2×2 conditions: 108 combinations, each decided."""
    space = answer_space()
    assert len(space) == 108
    counts = {"roll_back": 0, "fix_forward": 0}
    for a in space:
        counts[recommend(a).action] += 1
    assert counts == {"roll_back": 106, "fix_forward": 2}


def test_unanswered_impact_counts_as_unknown() -> None:
    """Before the impact is assessed, the runbook's caution applies: roll back."""
    assert recommend({}).rule == "cannot_determine_impact"


@pytest.mark.parametrize(
    "bad", [{"scope": "most"}, {"severity": "high"}], ids=["bad-value", "bad-question"]
)
def test_bad_answers_name_the_field_and_allowed_values(bad: dict) -> None:
    """Invalid input says which field and what is allowed."""
    with pytest.raises(InvalidInput) as err:
        recommend(bad)
    assert err.value.field == next(iter(bad))
    assert "all" in str(err.value) or "scope" in str(err.value)

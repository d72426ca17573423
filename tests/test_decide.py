"""Roll back or fix forward, checked against an oracle written from the runbook's text over the
whole answer space, unanswered questions included (4·4·4·3·3 = 576 combinations).

The oracle (tests/helpers.py) reads INCIDENT_RESPONSE.md, not runbook.toml:
- 3.2: "Roll Back: This is the default and preferred response" -> the recommendation is always
  roll back;
- 3.2: "Fix Forward: Only consider this option if the issue is minor, the fix is well-understood,
  and a hotfix can be deployed *faster* than a rollback" -> fix forward is permitted iff the
  degradation is minor with no data loss, the fix is understood and the hotfix is faster;
- 5: "Cannot determine impact: When in doubt, err on the side of caution. Roll back." -> an
  unknown or unanswered impact question means not permitted, and that reason (section 5) shows.
"""

from __future__ import annotations

import itertools

import pytest

from runbook_core import InvalidInput, recommend, relevant_fix_forward_questions
from runbook_core.decide import answer_space
from runbook_core.rules import load_runbook
from tests import helpers

RUNBOOK = load_runbook()

# The runbook's questions and their answers, as 3.1 and 3.2 put them (checked against the data
# file below, so the oracle cannot silently drift from it).
QUESTIONS = {
    "scope": ("all", "subset", "unknown"),
    "data_loss": ("yes", "no", "unknown"),
    "degradation": ("critical", "minor", "unknown"),
    "fix_understood": ("yes", "no"),
    "hotfix_faster": ("yes", "no"),
}
IMPACT = ("scope", "data_loss", "degradation")
# Sections of INCIDENT_RESPONSE.md the decision may cite.
RUNBOOK_SECTIONS = {"3.1", "3.2", "5"}


def _space() -> list[dict[str, str | None]]:
    return [
        dict(zip(QUESTIONS, combo, strict=True))
        for combo in itertools.product(*((*values, None) for values in QUESTIONS.values()))
    ]


def _id(answers: dict[str, str | None]) -> str:
    return ",".join(f"{q}={v or 'unanswered'}" for q, v in answers.items())


SPACE = _space()


impact_undetermined = helpers.impact_undetermined
oracle_permitted = helpers.fix_forward_permitted_by_runbook


def test_the_oracle_knows_the_runbooks_questions_and_answers() -> None:
    """The data file asks exactly the runbook's five questions with the runbook's answers."""
    assert {q.id: q.values for q in RUNBOOK.questions} == QUESTIONS
    assert [q.id for q in RUNBOOK.group("impact")] == list(IMPACT)
    assert len(SPACE) == 576


@pytest.mark.parametrize("answers", SPACE, ids=_id)
def test_recommendation_matches_the_runbook(answers: dict[str, str | None]) -> None:
    """Always roll back; fix forward permitted exactly when 3.2's conditions hold and the impact
    is determined; every reason cites a runbook section; section 5's reason iff impact unknown."""
    rec = recommend(answers)
    assert rec.action == "roll_back"
    assert rec.fix_forward_permitted == oracle_permitted(answers)
    assert rec.reasons
    for reason in rec.reasons:
        # The decision is covered by the runbook everywhere: no reason may be uncited.
        assert reason.section in RUNBOOK_SECTIONS, reason
        assert reason.section in RUNBOOK.sections
        assert reason.text.strip()
    cautious = [r for r in rec.reasons if r.section == "5"]
    assert bool(cautious) == impact_undetermined(answers)
    for reason in cautious:
        assert "err on the side of caution" in reason.text
        for q in IMPACT:
            named = RUNBOOK.question(q).name
            assert (named in reason.text) == (answers[q] in (None, "unknown")), (q, reason.text)
    texts = " ".join(r.text for r in rec.reasons)
    if not impact_undetermined(answers):
        assert any(r.section == "3.2" and "default and preferred" in r.text for r in rec.reasons)
    if rec.fix_forward_permitted:
        assert "rare and high-risk" in texts


@pytest.mark.parametrize("answers", SPACE, ids=_id)
def test_reasons_never_claim_a_condition_that_holds_fails(answers: dict[str, str | None]) -> None:
    """A reason that says a fix-forward condition fails is true for these answers, and when
    fix forward is not permitted on a determined impact, at least one failing condition is named."""
    rec = recommend(answers)
    minor = answers["degradation"] == "minor" and answers["data_loss"] == "no"
    claims = {
        "not minor": not minor,
        "not confirmed to be well understood": answers["fix_understood"] != "yes",
        "not confirmed to be faster": answers["hotfix_faster"] != "yes",
    }
    named = [claim for claim in claims if any(claim in r.text for r in rec.reasons)]
    for claim in named:
        assert claims[claim], (claim, rec.reasons)
    if not rec.fix_forward_permitted and not impact_undetermined(answers):
        assert named, rec.reasons


@pytest.mark.parametrize("answers", SPACE, ids=_id)
def test_fix_forward_questions_are_relevant_exactly_when_they_can_matter(
    answers: dict[str, str | None],
) -> None:
    """Both conditions are asked iff the impact is determined, minor and lossless; otherwise
    no answer to them could make fix forward permitted, so neither is asked."""
    expected = (
        ("fix_understood", "hotfix_faster")
        if not impact_undetermined(answers)
        and answers["degradation"] == "minor"
        and answers["data_loss"] == "no"
        else ()
    )
    assert relevant_fix_forward_questions(answers) == expected
    if not expected:  # the oracle's claim, checked by brute force
        permitted = {
            oracle_permitted({**answers, "fix_understood": u, "hotfix_faster": h})
            for u in QUESTIONS["fix_understood"]
            for h in QUESTIONS["hotfix_faster"]
        }
        assert permitted == {False}


@pytest.mark.parametrize(
    ("answers", "permitted"),
    [
        ({"scope": "all", "data_loss": "no", "degradation": "critical"}, False),
        (
            {
                "scope": "subset",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            True,
        ),
        (
            {
                "scope": "subset",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "no",
            },
            False,
        ),
        (
            {
                "scope": "subset",
                "data_loss": "yes",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            False,
        ),
        (
            {
                "scope": "unknown",
                "data_loss": "no",
                "degradation": "minor",
                "fix_understood": "yes",
                "hotfix_faster": "yes",
            },
            False,
        ),
        ({"scope": "all", "data_loss": "no", "degradation": "minor"}, False),
        ({}, False),
    ],
    ids=[
        "critical",
        "all-conditions-hold",
        "hotfix-slower",
        "data-loss",
        "scope-unknown",
        "conditions-unanswered",
        "nothing-answered",
    ],
)
def test_known_cases(answers: dict, permitted: bool) -> None:
    """Hand-checked cases: roll back every time; fix forward permitted only in the second."""
    rec = recommend(answers)
    assert rec.action == "roll_back" and rec.fix_forward_permitted is permitted


def test_whole_answered_space_permits_fix_forward_twice() -> None:
    """3×3×3 impact answers × 2×2 conditions: 108 combinations; fix forward is permitted in two
    (all users or a subset; minor; no data loss; fix understood; hotfix faster)."""
    space = answer_space()
    assert len(space) == 108
    assert all(recommend(a).action == "roll_back" for a in space)
    assert sum(recommend(a).fix_forward_permitted for a in space) == 2


def test_unanswered_impact_counts_as_cannot_determine_impact() -> None:
    """Before the impact is assessed, section 5's caution applies."""
    rec = recommend({})
    assert rec.rule == "cannot_determine_impact" and rec.reasons[0].section == "5"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"scope": "most"}, "scope"),
        ({"severity": "high"}, "severity"),
        ({"hotfix_faster": 1}, "hotfix_faster"),
    ],
    ids=["bad-value", "bad-question", "not-text"],
)
def test_bad_answers_name_the_field_and_allowed_values(bad: dict, field: str) -> None:
    """Invalid input says which field and what is allowed."""
    with pytest.raises(InvalidInput) as err:
        recommend(bad)
    assert err.value.field == field
    assert "all" in str(err.value) or "scope" in str(err.value) or "yes" in str(err.value)

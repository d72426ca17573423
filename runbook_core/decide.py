"""Roll back or fix forward: the recommendation and its reasons, each citing its runbook section."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import InvalidInput
from .rules import NOT_IN_RUNBOOK, Runbook, load_runbook

Answers = Mapping[str, "str | None"]


@dataclass(frozen=True)
class Reason:
    section: str | None  # None: the runbook is silent on this
    text: str


@dataclass(frozen=True)
class Recommendation:
    """The runbook's answer for a set of triage answers.

    The recommended action is always roll back, "the default and preferred response" (3.2);
    fix forward is only ever *permitted*, when all its conditions hold.
    """

    action: str  # the runbook's default: "roll_back"
    fix_forward_permitted: bool
    rule: str  # what decided: an override id, "fix_forward_permitted" or "default"
    reasons: tuple[Reason, ...]

    def as_dict(self, runbook: Runbook | None = None) -> dict[str, object]:
        runbook = runbook or load_runbook()
        return {
            "action": self.action,
            "label": runbook.action_labels[self.action],
            "fix_forward_permitted": self.fix_forward_permitted,
            "rule": self.rule,
            "reasons": [
                {"section": r.section, "title": section_title(runbook, r.section), "text": r.text}
                for r in self.reasons
            ],
        }


def section_title(runbook: Runbook, section: str | None) -> str:
    """The cited section's title, or a plain statement that the runbook is silent."""
    return runbook.sections[section].title if section else NOT_IN_RUNBOOK


def check_answers(answers: Answers, runbook: Runbook | None = None) -> None:
    """Refuse an answer the runbook does not allow, naming the question and allowed values."""
    runbook = runbook or load_runbook()
    known = {q.id: q for q in runbook.questions}
    for qid, value in answers.items():
        if qid not in known:
            raise InvalidInput(qid, f"not a question; the questions are {sorted(known)}")
        if value is not None and value not in known[qid].values:
            allowed = ", ".join(known[qid].values)
            raise InvalidInput(qid, f"{value!r} is not an allowed answer; choose one of: {allowed}")


def _holds(requirement: Mapping[str, tuple[str, ...]], answers: Answers) -> bool:
    return all(answers.get(qid) in allowed for qid, allowed in requirement.items())


def _fill(text: str, answers: Answers, runbook: Runbook) -> str:
    values = {q.id: q.label(answers.get(q.id)).lower() for q in runbook.questions}
    return text.format_map(values)


def recommend(answers: Answers, runbook: Runbook | None = None) -> Recommendation:
    """The runbook's recommendation for these answers (unanswered impact counts as unknown)."""
    runbook = runbook or load_runbook()
    check_answers(answers, runbook)
    impact = runbook.group("impact")
    # An unanswered impact question means impact is not determined yet (runbook section 5).
    seen: dict[str, str | None] = {q.id: answers.get(q.id) or "unknown" for q in impact}
    seen.update({k: v for k, v in answers.items() if k not in seen})
    default = runbook.default_reason

    for rule in runbook.overrides:
        if any(seen.get(qid) in values for qid, values in rule.when_any.items()):
            unknown = [q.name for q in impact if seen.get(q.id) in rule.when_any.get(q.id, ())]
            text = rule.text.format(unknown=", ".join(unknown))
            return Recommendation(
                runbook.default_action, False, rule.id, (Reason(rule.section, text),)
            )

    met = [c for c in runbook.conditions if _holds(c.requires, seen)]
    if len(met) == len(runbook.conditions):
        permitted = runbook.fix_forward_permitted
        reasons = [Reason(c.section, _fill(c.met, seen, runbook)) for c in met]
        return Recommendation(
            runbook.default_action,
            True,
            "fix_forward_permitted",
            (
                Reason(default.section, default.text),
                Reason(permitted.section, permitted.text),
                *reasons,
            ),
        )

    unmet = [c for c in runbook.conditions if c not in met]
    # Cite the conditions the answers actually fail; unanswered ones only when nothing else fails.
    answered = [c for c in unmet if all(seen.get(q) is not None for q in c.requires)]
    why = [Reason(c.section, _fill(c.unmet, seen, runbook)) for c in answered or unmet]
    return Recommendation(
        runbook.default_action, False, "default", (Reason(default.section, default.text), *why)
    )


def relevant_fix_forward_questions(
    answers: Answers, runbook: Runbook | None = None
) -> tuple[str, ...]:
    """The fix-forward questions whose answer can change whether fix forward is permitted: the
    walkthrough asks only these, and the ticket says "Not asked" for the others."""
    runbook = runbook or load_runbook()
    group = runbook.group("fix_forward")
    relevant = []
    for q in group:
        others = [o for o in group if o is not q]
        for combo in itertools.product(*(o.values for o in others)):
            base = {**answers, **dict(zip((o.id for o in others), combo, strict=True))}
            permitted = {
                recommend({**base, q.id: v}, runbook).fix_forward_permitted for v in q.values
            }
            if len(permitted) > 1:
                relevant.append(q.id)
                break
    return tuple(relevant)


def answer_space(runbook: Runbook | None = None) -> list[dict[str, str]]:
    """Every combination of answers to every question (the whole space the rules cover)."""
    runbook = runbook or load_runbook()
    ids = [q.id for q in runbook.questions]
    return [
        dict(zip(ids, combo, strict=True))
        for combo in itertools.product(*(q.values for q in runbook.questions))
    ]

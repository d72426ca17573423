"""The runbook's rules, loaded from data/runbook.toml and validated on load.

Nothing here decides anything; it only turns the data file into frozen objects and refuses a
malformed file with an error naming the file, the key and what was expected.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from . import datafile
from .errors import DataFileError

RUNBOOK_FILE = "data/runbook.toml"
ACTIONS = ("roll_back", "fix_forward")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    page: str
    anchor: str

    def href(self, from_page: str = "") -> str:
        """Link to the section relative to a docs page path (e.g. 'walkthrough.md')."""
        depth = from_page.count("/")
        return "../" * depth + f"{self.page}#{self.anchor}"


@dataclass(frozen=True)
class Answer:
    value: str
    label: str
    # The impact answers in the runbook's own words (3.1), for the impact line of the bar, the
    # messages and the ticket; "" for the fix-forward questions.
    impact: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    name: str
    group: str
    prompt: str
    section: str
    answers: tuple[Answer, ...]

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(a.value for a in self.answers)

    def label(self, value: str | None) -> str:
        for answer in self.answers:
            if answer.value == value:
                return answer.label
        return "Not answered"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    section: str
    summary: str


@dataclass(frozen=True)
class Cited:
    """A sentence with the runbook section it comes from (None: the runbook is silent)."""

    section: str | None
    text: str


@dataclass(frozen=True)
class Override:
    id: str
    when_any: dict[str, tuple[str, ...]]
    action: str
    section: str
    text: str
    failure_mode: str


@dataclass(frozen=True)
class Condition:
    id: str
    requires: dict[str, tuple[str, ...]]
    section: str
    met: str
    unmet: str


# The organisation's words (config.OrgConfig has one field for each) that runbook.toml's texts
# may use as {placeholders}. Declared here, where the texts are read: config imports this module.
WORDS = (
    "organisation",
    "channel",
    "escalation_contact",
    "escalation_mention",
    "status_update_interval_minutes",
)

# What a citation says where the runbook is silent (the data files may write it as a section).
NOT_IN_RUNBOOK = "not in the runbook"


@dataclass(frozen=True)
class FailureMode:
    id: str
    name: str
    action: str
    section: str | None  # None: not in the runbook


@dataclass(frozen=True)
class SeverityRule:
    id: str
    label: str
    when_any: dict[str, tuple[str, ...]]
    when_all: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Runbook:
    sections: dict[str, Section]
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    action_labels: dict[str, str]
    action_sections: dict[str, str]
    default_action: str
    default_reason: Cited
    fix_forward_permitted: Cited
    overrides: tuple[Override, ...]
    conditions: tuple[Condition, ...]
    outcomes: dict[str, Cited]
    failure_modes: tuple[FailureMode, ...]
    ic_default_reason: Cited
    ic_unavailable_reason: Cited
    severity: tuple[SeverityRule, ...]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def group(self, group: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.group == group)


class _Reader:
    """Typed access to a parsed TOML table; every failure names file and dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, expected: str) -> DataFileError:
        return DataFileError(self.source, key, expected)

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, "a table")
        return data

    def get(self, table: dict[str, Any], key: str, path: str) -> Any:
        if key not in table:
            raise self.fail(f"{path}.{key}".lstrip("."), "this key to be present")
        return table[key]

    def text(self, table: dict[str, Any], key: str, path: str) -> str:
        value = self.get(table, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}.{key}".lstrip("."), "a non-empty string")
        return value

    def array(self, table: dict[str, Any], key: str, path: str) -> list[Any]:
        value = self.get(table, key, path)
        if not isinstance(value, list) or not value:
            raise self.fail(f"{path}.{key}".lstrip("."), "a non-empty array")
        return value

    def placeholders(self, text: str, allowed: set[str], path: str) -> str:
        """Refuse a {placeholder} the code will not fill (checked now, not when first shown)."""
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise self.fail(path, f"balanced {{placeholders}} ({exc})") from None
        if not used <= allowed:
            raise self.fail(
                path,
                f"placeholders from {sorted(allowed) or 'none'}, not {sorted(used - allowed)}",
            )
        return text

    def only(self, table: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(f"{path}.{key}".lstrip("."), f"one of the keys {sorted(allowed)}")


def parse_runbook(text: str, source: str = RUNBOOK_FILE) -> Runbook:
    """The runbook's rules from runbook.toml's text; every failure names the file and key."""
    return _RunbookParser(source).parse(text)


class _RunbookParser:
    """runbook.toml read part by part, each part checked against those read before it (an
    override names a question, a failure mode, a section...)."""

    TOP_LEVEL = frozenset(
        {
            "sections",
            "steps",
            "questions",
            "actions",
            "decision",
            "outcomes",
            "failure_modes",
            "command",
            "severity",
        }
    )

    def __init__(self, source: str) -> None:
        self.r = _Reader(source)
        self.org_keys = set(WORDS)
        self.sections: dict[str, Section] = {}
        self.qvalues: dict[str, set[str]] = {}
        self.failure_ids: set[str] = set()

    def parse(self, text: str) -> Runbook:
        r = self.r
        try:
            raw = datafile.loads(text)
        except datafile.TOMLError as exc:
            raise r.fail("(file)", f"valid TOML ({exc})") from None
        r.only(raw, set(self.TOP_LEVEL), "")
        self.sections = self._sections(raw)
        steps = self._steps(raw)
        questions = self._questions(raw)
        action_labels, action_sections = self._actions(raw)
        decision = r.table(r.get(raw, "decision", ""), "decision")
        r.only(
            decision,
            {
                "default_action",
                "default_reason",
                "fix_forward_permitted",
                "overrides",
                "fix_forward_conditions",
            },
            "decision",
        )
        default_action = r.text(decision, "default_action", "decision")
        if default_action != "roll_back":
            raise r.fail("decision.default_action", '"roll_back" (runbook 3.2: the default)')
        failure_modes = self._failure_modes(raw)
        overrides = self._overrides(decision)
        conditions = self._conditions(decision)
        outcomes = self._outcomes(raw)
        command = r.table(r.get(raw, "command", ""), "command")
        r.only(command, {"default_reason", "unavailable_reason"}, "command")
        severity = self._severity(raw)
        return Runbook(
            severity=severity,
            sections=self.sections,
            steps=steps,
            questions=questions,
            action_labels=action_labels,
            action_sections=action_sections,
            default_action=default_action,
            default_reason=self._cited(
                r.get(decision, "default_reason", "decision"), "decision.default_reason"
            ),
            fix_forward_permitted=self._cited(
                r.get(decision, "fix_forward_permitted", "decision"),
                "decision.fix_forward_permitted",
            ),
            overrides=overrides,
            conditions=conditions,
            outcomes=outcomes,
            failure_modes=failure_modes,
            ic_default_reason=self._cited(
                r.get(command, "default_reason", "command"), "command.default_reason"
            ),
            ic_unavailable_reason=self._cited(
                r.get(command, "unavailable_reason", "command"), "command.unavailable_reason"
            ),
        )

    # -- references to what was read before

    def _section_ref(self, table: dict[str, Any], path: str) -> str:
        sid = self.r.text(table, "section", path)
        if sid not in self.sections:
            raise self.r.fail(f"{path}.section", f"one of the sections {sorted(self.sections)}")
        return sid

    def _optional_section(self, table: dict[str, Any], path: str) -> str | None:
        """A section id, or None where the runbook is silent (then no section is cited)."""
        return self._section_ref(table, path) if "section" in table else None

    def _cited(self, table: Any, path: str) -> Cited:
        r = self.r
        table = r.table(table, path)
        r.only(table, {"section", "text"}, path)
        text = r.placeholders(r.text(table, "text", path), set(), f"{path}.text")
        return Cited(self._section_ref(table, path), text)

    def _answer_map(self, table: Any, path: str) -> dict[str, tuple[str, ...]]:
        r, qvalues = self.r, self.qvalues
        table = r.table(table, path)
        out = {}
        for qid, vals in table.items():
            if qid not in qvalues:
                raise r.fail(f"{path}.{qid}", f"a question id, one of {sorted(qvalues)}")
            if not isinstance(vals, list) or not vals or not set(vals) <= qvalues[qid]:
                raise r.fail(f"{path}.{qid}", f"a list of answers from {sorted(qvalues[qid])}")
            out[qid] = tuple(vals)
        return out

    def _action_ref(self, table: dict[str, Any], path: str) -> str:
        value = self.r.text(table, "action", path)
        if value not in ACTIONS:
            raise self.r.fail(f"{path}.action", f"one of {list(ACTIONS)}")
        return value

    def _failure_ref(self, table: dict[str, Any], path: str) -> str:
        value = self.r.text(table, "failure_mode", path)
        if value not in self.failure_ids:
            raise self.r.fail(
                f"{path}.failure_mode", f"one of the failure modes {sorted(self.failure_ids)}"
            )
        return value

    # -- the parts, in the order they depend on each other

    def _sections(self, raw: dict[str, Any]) -> dict[str, Section]:
        r = self.r
        sections = {}
        for sid, sec in r.table(r.get(raw, "sections", ""), "sections").items():
            path = f"sections.{sid}"
            sec = r.table(sec, path)
            r.only(sec, {"title", "page", "anchor"}, path)
            sections[sid] = Section(
                sid,
                r.text(sec, "title", path),
                r.text(sec, "page", path),
                r.text(sec, "anchor", path),
            )
        return sections

    def _steps(self, raw: dict[str, Any]) -> tuple[Step, ...]:
        r = self.r
        steps = []
        for i, st in enumerate(r.array(raw, "steps", "")):
            path = f"steps[{i}]"
            st = r.table(st, path)
            r.only(st, {"id", "title", "section", "summary"}, path)
            steps.append(
                Step(
                    r.text(st, "id", path),
                    r.text(st, "title", path),
                    self._section_ref(st, path),
                    r.text(st, "summary", path),
                )
            )
        return tuple(steps)

    def _questions(self, raw: dict[str, Any]) -> tuple[Question, ...]:
        r = self.r
        questions = []
        for i, q in enumerate(r.array(raw, "questions", "")):
            path = f"questions[{i}]"
            q = r.table(q, path)
            r.only(q, {"id", "name", "group", "prompt", "section", "answers"}, path)
            group = r.text(q, "group", path)
            if group not in ("impact", "fix_forward"):
                raise r.fail(f"{path}.group", '"impact" or "fix_forward"')
            questions.append(
                Question(
                    r.text(q, "id", path),
                    r.text(q, "name", path),
                    group,
                    r.text(q, "prompt", path),
                    self._section_ref(q, path),
                    self._answers(q, group, path),
                )
            )
        self.qvalues = {q.id: set(q.values) for q in questions}
        if len(self.qvalues) != len(questions):
            raise r.fail("questions", "distinct question ids")
        if sum(q.group == "impact" for q in questions) != 3:
            raise r.fail("questions", 'exactly three questions with group = "impact" (runbook 3.1)')
        return tuple(questions)

    def _answers(self, q: dict[str, Any], group: str, path: str) -> tuple[Answer, ...]:
        r = self.r
        answers = []
        for j, a in enumerate(r.array(q, "answers", path)):
            apath = f"{path}.answers[{j}]"
            a = r.table(a, apath)
            r.only(a, {"value", "label", "impact"}, apath)
            impact = r.text(a, "impact", apath) if group == "impact" else ""
            if group != "impact" and "impact" in a:
                raise r.fail(f"{apath}.impact", "no impact words: only impact answers have them")
            answers.append(Answer(r.text(a, "value", apath), r.text(a, "label", apath), impact))
        if len({a.value for a in answers}) != len(answers):
            raise r.fail(f"{path}.answers", "distinct values")
        return tuple(answers)

    def _actions(self, raw: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        r = self.r
        actions = r.table(r.get(raw, "actions", ""), "actions")
        if set(actions) != set(ACTIONS):
            raise r.fail("actions", f"exactly the actions {list(ACTIONS)}")
        labels, sections = {}, {}
        for aid, a in actions.items():
            path = f"actions.{aid}"
            a = r.table(a, path)
            r.only(a, {"label", "section"}, path)
            labels[aid] = r.text(a, "label", path)
            sections[aid] = self._section_ref(a, path)
        return labels, sections

    def _failure_modes(self, raw: dict[str, Any]) -> tuple[FailureMode, ...]:
        r = self.r
        failure_modes = []
        for i, fm in enumerate(r.array(raw, "failure_modes", "")):
            path = f"failure_modes[{i}]"
            fm = r.table(fm, path)
            r.only(fm, {"id", "name", "action", "section"}, path)
            mode = FailureMode(
                r.text(fm, "id", path),
                r.text(fm, "name", path),
                r.placeholders(r.text(fm, "action", path), self.org_keys, f"{path}.action"),
                self._optional_section(fm, path),
            )
            self.failure_ids.add(mode.id)
            failure_modes.append(mode)
        return tuple(failure_modes)

    def _overrides(self, decision: dict[str, Any]) -> tuple[Override, ...]:
        r = self.r
        overrides = []
        for i, o in enumerate(decision.get("overrides", [])):
            path = f"decision.overrides[{i}]"
            o = r.table(o, path)
            r.only(o, {"id", "when_any", "action", "section", "text", "failure_mode"}, path)
            overrides.append(
                Override(
                    r.text(o, "id", path),
                    self._answer_map(r.get(o, "when_any", path), f"{path}.when_any"),
                    self._action_ref(o, path),
                    self._section_ref(o, path),
                    r.placeholders(r.text(o, "text", path), {"unknown"}, f"{path}.text"),
                    self._failure_ref(o, path),
                )
            )
        return tuple(overrides)

    def _conditions(self, decision: dict[str, Any]) -> tuple[Condition, ...]:
        r = self.r
        conditions = []
        for i, c in enumerate(r.array(decision, "fix_forward_conditions", "decision")):
            path = f"decision.fix_forward_conditions[{i}]"
            c = r.table(c, path)
            r.only(c, {"id", "requires", "section", "met", "unmet"}, path)
            conditions.append(
                Condition(
                    r.text(c, "id", path),
                    self._answer_map(r.get(c, "requires", path), f"{path}.requires"),
                    self._section_ref(c, path),
                    r.placeholders(r.text(c, "met", path), set(self.qvalues), f"{path}.met"),
                    r.placeholders(r.text(c, "unmet", path), set(self.qvalues), f"{path}.unmet"),
                )
            )
        return tuple(conditions)

    def _outcomes(self, raw: dict[str, Any]) -> dict[str, Cited]:
        r = self.r
        outcomes_raw = r.table(r.get(raw, "outcomes", ""), "outcomes")
        needed = {"roll_back_failed", "fix_forward_failed"}
        if set(outcomes_raw) != needed:
            raise r.fail("outcomes", f"exactly the tables {sorted(needed)}")
        outcomes = {}
        for oid, o in outcomes_raw.items():
            path = f"outcomes.{oid}"
            o = r.table(o, path)
            r.only(o, {"section", "text", "failure_mode"}, path)
            if "failure_mode" in o:
                self._failure_ref(o, path)
            text = r.placeholders(r.text(o, "text", path), self.org_keys, f"{path}.text")
            outcomes[oid] = Cited(self._optional_section(o, path), text)
        return outcomes

    def _severity(self, raw: dict[str, Any]) -> tuple[SeverityRule, ...]:
        r = self.r
        severity = []
        for i, sv in enumerate(r.array(raw, "severity", "")):
            path = f"severity[{i}]"
            sv = r.table(sv, path)
            r.only(sv, {"id", "label", "when_any", "when_all"}, path)
            if ("when_any" in sv) == ("when_all" in sv):
                raise r.fail(path, "exactly one of when_any or when_all")
            severity.append(
                SeverityRule(
                    r.text(sv, "id", path),
                    r.text(sv, "label", path),
                    self._answer_map(sv.get("when_any", {}), f"{path}.when_any"),
                    self._answer_map(sv.get("when_all", {}), f"{path}.when_all"),
                )
            )
        return tuple(severity)


@cache
def load_runbook() -> Runbook:
    """The packaged runbook rules (parsed once per process)."""
    return parse_runbook(files("runbook_core").joinpath(RUNBOOK_FILE).read_text("utf-8"))

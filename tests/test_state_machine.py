"""The incident state machine under Hypothesis' stateful testing: every action type of
data/transitions.toml, in any order, with hostile text and moving clocks, and the invariants the
ticket's readers rely on checked after every step.

Each rule builds one action, applies it with runbook_core.apply and accepts either a new record
or InvalidInput; a refusal must leave the record unchanged and name a field. Any other exception
fails the test.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from runbook_core import (
    InvalidInput,
    Record,
    apply,
    load_org,
    record_from_json,
    render_ticket,
    widget,
)
from runbook_core.derive import escalation_required, status
from runbook_core.formats import FORMATS
from runbook_core.limits import load_limits
from runbook_core.messages import all_messages
from runbook_core.record import limit_problems, parse_time, time_paths, utc_iso
from runbook_core.schema import record_schema
from runbook_core.table import load_table
from runbook_core.transitions import ENTRIES, NO_ENTRY, REPEAT_ESCALATION, RESOLVED, allowed_now
from tests.helpers import SKELETONS, fix_forward_permitted_by_runbook, with_plain_text
from tests.strategies import (
    RUNBOOK,
    boundary,
    boundary_names,
    data_lost,
    maybe,
    message_kinds,
    mitigation_actions,
    name_lists,
    outcomes,
    question_answers,
)

TABLE = load_table()
ORG = load_org()
EMPTY = Record().to_json()
SCHEMA = record_schema()
try:  # an outside validator; Pyodide runs this suite without it (no rpds-py wheel there)
    from jsonschema import Draft202012Validator as VALIDATOR
except ImportError:  # pragma: no cover
    VALIDATOR = None
T0 = datetime.fromisoformat("2026-11-28T21:40:00+00:00")
FUTURE_TOLERANCE = timedelta(minutes=5)  # the runbook_core promise: more ahead is refused
# What a resolved incident refuses (issue 7: answers lock once resolved; no mitigation, decision,
# command change or status update after it) until it is reopened.
LOCKED_WHEN_RESOLVED = {
    "declare",
    "correct_summary",
    "take_command",
    "change_ic",
    "answer",
    "decide",
    "start_mitigation",
    "mitigation_outcome",
    "escalate",
    "status_update",
}
# Actions that need no field at all: allowed_now must say exactly what apply does with them.
FIELDLESS = tuple(
    kind for kind, spec in TABLE.actions.items() if not any(f.required for f in spec.fields)
)
# Of those, the ones whose every input guard passes on an empty action: allowed means applied.
ALLOWED_MEANS_APPLIED = ("start_mitigation", "escalate")

offsets = maybe(
    st.one_of(st.integers(-3 * 3600, 0), st.integers(0, 15 * 60))  # seconds from now
)
# A position in a list of the record: mostly a valid one (taken modulo the list's length when
# the rule runs), sometimes one past the end or negative.
positions = st.one_of(st.integers(0, 10_000), st.sampled_from(["past-end", -1]))


def latest_failed_rollback(record: Record) -> int | None:
    failed = [
        i
        for i, m in enumerate(record.mitigations)
        if m.action == "roll_back" and m.outcome == "failed"
    ]
    return failed[-1] if failed else None


def escalated_since(record: Record, failed: int) -> bool:
    return any(
        e.for_mitigation is not None and e.for_mitigation >= failed for e in record.escalations
    )


def answers_now(record: Record) -> dict[str, str | None]:
    return {
        **{f.name: getattr(record.impact, f.name) for f in fields(record.impact)},
        **{f.name: getattr(record.fix_forward, f.name) for f in fields(record.fix_forward)},
    }


def basis_answers(record: Record) -> dict[str, str | None]:
    basis = record.decision.basis
    return {
        **{f.name: getattr(basis.impact, f.name) for f in fields(basis.impact)},
        **{f.name: getattr(basis.fix_forward, f.name) for f in fields(basis.fix_forward)},
    }


def ref_position(record: Record, ref: str) -> int | None:
    return next((i for i, e in enumerate(record.timeline) if e.ref == ref), None)


class Incident(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.record = Record()
        self.now = T0
        self.incident_id = ""
        self.checked = ""  # the record text last checked by the_record_written_...
        self.bridged: set[str] = set()  # action types whose refusal went through the bridge

    # ------------------------------------------------------------------------- plumbing

    def at(self, offset: int | None) -> str | None:
        return None if offset is None else utc_iso(self.now + timedelta(seconds=offset))

    def act(self, action: dict) -> Record | None:
        """Apply `action` now; the new record, or None when refused (then nothing changed)."""
        self.now += timedelta(seconds=30)
        now = utc_iso(self.now)
        before = self.record
        before_json = before.to_json()
        verdict = allowed_now(before, now)[action["type"]]
        try:
            after = apply(before, action, now, ORG)
        except InvalidInput as exc:
            assert exc.field and exc.problem, exc
            # Texts the record composes are bounded by construction: only a full list may
            # stop an action that its own checks allowed (actions.within_limits).
            assert "would be over its limit" not in exc.problem, exc
            assert self.record is before and before.to_json() == before_json
            if before.resolution and action["type"] in LOCKED_WHEN_RESOLVED:
                assert exc.problem == RESOLVED
            self.refused_through_the_bridge(before_json, action, now, exc)
            return None
        assert verdict["allowed"], (action, verdict)
        most = 0 if action["type"] in NO_ENTRY else ENTRIES.get(action["type"], 1)
        assert len(after.timeline) - len(before.timeline) <= most, action["type"]
        assert not (before.resolution and action["type"] in LOCKED_WHEN_RESOLVED), action
        for value in action.values():  # a time more than 5 minutes ahead is never accepted
            if isinstance(value, str) and value[:4].isdigit() and "T" in value:
                assert parse_time(value) <= self.now + FUTURE_TOLERANCE, action
        self.record = after
        return after

    def refused_through_the_bridge(
        self, before_json: str, action: dict, now: str, exc: InvalidInput
    ) -> None:
        """The page's path: the same refusal, and the record it returns, exported, is the file
        it was given, byte for byte."""
        if before_json == EMPTY or action["type"] in self.bridged:
            return  # nothing saved yet (the page sends no record); once per action type
        self.bridged.add(action["type"])
        reply = json.loads(widget.dispatch(before_json, json.dumps(action), now))
        assert not reply["ok"] and reply["error"]["field"] == exc.field, reply["error"]
        assert widget.export_record(json.dumps(reply["record"])) == before_json

    # ---------------------------------------------------------------------------- rules

    @initialize(declared=st.booleans(), summary=boundary("summary"), by=maybe(boundary_names))
    def start(self, declared: bool, summary: str, by: str | None) -> None:
        if declared:
            self.do_declare(summary, by, False)

    @rule(seconds=st.integers(1, 2 * 3600))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(summary=boundary("summary"), by=maybe(boundary_names), own_id=st.booleans())
    def do_declare(self, summary: str, by: str | None, own_id: bool) -> None:
        action = {"type": "declare", "summary": summary}
        if by is not None:
            action["by"] = by
        if own_id:
            action["incident_id"] = f"INC-{self.now:%Y%m%d-%H%M}-7K3Q"
        was_declared = bool(self.record.declared_at)
        after = self.act(action)
        if after is not None:
            assert not was_declared
            self.incident_id = after.incident_id

    @rule(summary=boundary("summary"))
    def do_correct_summary(self, summary: str) -> None:
        self.act({"type": "correct_summary", "summary": summary})

    @rule(
        release=maybe(boundary("line")),
        rollback=maybe(boundary("line")),
        thread=maybe(
            st.sampled_from(
                [
                    "https://example.slack.com/archives/C1/p1",
                    "ftp://x",
                    "",
                    "https://x.example/" + "p" * 1982,
                    "https://x.example/" + "p" * 1983,
                ]
            )
        ),
        how=maybe(boundary("short")),
        detected=offsets,
        started=offsets,
        services=maybe(name_lists),
        responders=maybe(st.one_of(boundary_names, name_lists)),
    )
    def do_update_details(
        self, release, rollback, thread, how, detected, started, services, responders
    ):
        action = {"type": "update_details"}
        for key, value in {
            "release": release,
            "rollback_target": rollback,
            "slack_thread": thread,
            "detected_how": how,
            "detected_at": self.at(detected),
            "impact_started_at": self.at(started),
            "services": services,
            "responders": responders,
        }.items():
            if value is not None:
                action[key] = value
        self.act(action)

    @rule(oncall=maybe(boundary_names), available=maybe(st.booleans()), first=maybe(boundary_names))
    def do_take_command(self, oncall, available, first) -> None:
        action = {"type": "take_command"}
        for key, value in (
            ("oncall", oncall),
            ("oncall_available", available),
            ("first_responder", first),
        ):
            if value is not None:
                action[key] = value
        had_ic = bool(self.record.ic)
        after = self.act(action)
        if after is not None:
            assert not had_ic and after.ic and len(after.ic_changes) == 1

    @rule(to=boundary_names, reason=boundary("short"))
    def do_change_ic(self, to: str, reason: str) -> None:
        self.act({"type": "change_ic", "to": to, "reason": reason})

    @rule(
        pair=st.one_of(
            question_answers,
            st.tuples(
                st.sampled_from([q.id for q in RUNBOOK.questions]), st.sampled_from(["maybe", 1])
            ),
        )
    )
    def do_answer(self, pair: tuple[str, object]) -> None:
        question, value = pair
        valid = value in RUNBOOK.question(question).values
        after = self.act({"type": "answer", "question": question, "value": value})
        if not valid:
            assert after is None

    @rule(scope=st.sampled_from(["all", "subset"]))
    def do_answer__fix_forward_permitted(self, scope: str) -> None:
        """All five answers that permit fix forward (rare by chance alone)."""
        for question, value in (
            ("scope", scope),
            ("data_loss", "no"),
            ("degradation", "minor"),
            ("fix_understood", "yes"),
            ("hotfix_faster", "yes"),
        ):
            self.act({"type": "answer", "question": question, "value": value})

    @rule(choice=mitigation_actions, reason=maybe(boundary("deviation_reason")))
    def do_decide(self, choice: str, reason: str | None) -> None:
        action = {"type": "decide", "action": choice}
        if reason is not None:
            action["deviation_reason"] = reason
        before = self.record
        allowed = allowed_now(before, utc_iso(self.now + timedelta(seconds=30)))["decide"][
            "allowed"
        ]
        permitted = fix_forward_permitted_by_runbook(answers_now(before))
        after = self.act(action)
        if allowed and reason is None and (choice == "roll_back" or permitted):
            # Roll back never needs a reason; fix forward needs none when the runbook permits it.
            assert after is not None, action
        if after is not None:
            assert after.decision.action == choice
            assert after.decision.fix_forward_permitted == permitted
            if choice == "fix_forward" and not permitted:
                assert after.decision.deviation_reason.strip()

    @rule(
        choice=mitigation_actions,
        reason=maybe(boundary("deviation_reason")),
        start=maybe(mitigation_actions),
        start_reason=maybe(boundary("deviation_reason")),
    )
    def do_decide__then_start(
        self, choice: str, reason: str | None, start: str | None, start_reason: str | None
    ) -> None:
        """Decide, then start: what was decided, or (sometimes) the other mitigation."""
        self.do_decide(choice, reason)
        self.do_start_mitigation(start, start_reason)

    @rule(
        choice=mitigation_actions,
        outcome=outcomes,
        notes=maybe(boundary("notes")),
        then=st.sampled_from(["", "escalate", "resolve", "escalate-resolve"]),
        lost=data_lost,
    )
    def do_decide__start_and_outcome(
        self, choice: str, outcome: str, notes: str | None, then: str, lost: str
    ) -> None:
        """Decide, start, record the outcome, maybe escalate, maybe resolve: the way to failed
        rollbacks, failed hotfixes and resolved incidents."""
        self.do_decide__then_start(choice, None, None, None)
        self.do_mitigation_outcome(outcome, notes)
        if "escalate" in then:
            self.do_escalate(None, None, None)
        if "resolve" in then:
            self.do_resolve("Stable", lost, None)

    @rule(pair=question_answers, choice=maybe(mitigation_actions))
    def do_start_mitigation__after_an_answer(
        self, pair: tuple[str, str], choice: str | None
    ) -> None:
        """An answer, then a start: the start must wait when the answer made the decision stale."""
        self.do_answer(pair)
        self.do_start_mitigation(choice, None)

    @rule(choice=maybe(mitigation_actions), reason=maybe(boundary("deviation_reason")))
    def do_start_mitigation(self, choice: str | None, reason: str | None) -> None:
        action = {"type": "start_mitigation"}
        if choice is not None:
            action["action"] = choice
        if reason is not None:
            action["deviation_reason"] = reason
        before = self.record
        stale = before.decision is not None and basis_answers(before) != answers_now(before)
        after = self.act(action)
        if before.decision is None or stale:
            assert after is None, "mitigation without a current decision"
        if after is None:
            return
        started = after.mitigations[-1]
        assert (
            started.outcome == "pending" and len(after.mitigations) == len(before.mitigations) + 1
        )
        if started.action != before.decision.action and started.action == "fix_forward":
            assert reason and after.decision.deviation_reason.strip(), "hotfix against the decision"
        last = before.mitigations[-1] if before.mitigations else None
        if last and last.action == "fix_forward" and last.outcome == "failed":
            assert started.action == "roll_back" or after.decision.deviation_reason.strip()

    @rule(outcome=outcomes, notes=maybe(boundary("notes")))
    def do_mitigation_outcome(self, outcome: str, notes: str | None) -> None:
        action = {"type": "mitigation_outcome", "outcome": outcome}
        if notes is not None:
            action["notes"] = notes
        before = self.record
        after = self.act(action)
        if after is not None:
            assert len(after.escalations) == len(before.escalations), (
                "escalation is never automatic"
            )

    @rule(
        to=maybe(boundary_names),
        doing=maybe(boundary("short")),
        offset=offsets,
        again=st.booleans(),
    )
    def do_escalate(
        self, to: str | None, doing: str | None, offset: int | None, again: bool = False
    ) -> None:
        action: dict = {"type": "escalate"}
        for key, value in (("to", to), ("doing", doing), ("at", self.at(offset))):
            if value is not None:
                action[key] = value
        if again:
            action["again"] = True
        before = self.record
        after = self.act(action)
        if after is None and before.declared_at and not before.resolution:
            # Refused only as a repeat within minutes, unless the time given was refused or the
            # timeline is full.
            at = parse_time(action["at"]) if "at" in action else self.now
            repeat = any(abs(parse_time(e.at) - at) < REPEAT_ESCALATION for e in before.escalations)
            if not again and repeat:
                with pytest.raises(InvalidInput) as err:
                    apply(before, action, utc_iso(self.now), ORG)
                assert err.value.field in ("again", "at", "to", "doing", "timeline"), err.value
        if after is not None:
            assert again or not any(
                abs(parse_time(e.at) - parse_time(after.escalations[-1].at)) < REPEAT_ESCALATION
                for e in before.escalations
            ), "a second escalation within minutes was recorded without being confirmed"
            escalation = after.escalations[-1]
            assert escalation.to == (
                " ".join(to.split()) if to and to.strip() else ORG.escalation_contact
            )
            assert after.communications[-1].kind == "escalation"
            assert after.incident_id in after.communications[-1].message
            failed = latest_failed_rollback(before)
            if failed is not None and not escalated_since(before, failed) and not before.resolution:
                assert escalation.for_mitigation == failed

    @rule(by=boundary_names, offset=offsets)
    def do_acknowledge_escalation(self, by: str, offset: int | None) -> None:
        action = {"type": "acknowledge_escalation", "by": by}
        if offset is not None:
            action["at"] = self.at(offset)
        waiting = any(e.acknowledged_at is None for e in self.record.escalations)
        after = self.act(action)
        if not waiting:
            assert after is None

    @rule(body=boundary("status_text"), offset=offsets)
    def do_status_update(self, body: str, offset: int | None) -> None:
        action = {"type": "status_update", "text": body}
        if offset is not None:
            action["at"] = self.at(offset)
        after = self.act(action)
        if after is not None:
            logged = after.communications[-1]
            interval = timedelta(minutes=ORG.status_update_interval_minutes)
            next_by = utc_iso(parse_time(logged.at) + interval)[11:16]
            assert logged.kind == "status_update" and after.incident_id in logged.message
            assert f"({logged.at[11:16]} UTC)" in logged.message and next_by in logged.message

    @rule(kind=message_kinds, offset=offsets)
    def do_log_message(self, kind: str, offset: int | None) -> None:
        action = {"type": "log_message", "kind": kind}
        if offset is not None:
            action["at"] = self.at(offset)
        before = self.record
        after = self.act(action)
        if kind == "handover" and len(before.ic_changes) < 2:
            assert after is None, "the first IC taking command is no handover"
        if after is not None:
            assert after.communications[-1].kind == kind
            assert after.incident_id in after.communications[-1].message

    @rule(details=boundary("details"), lost=data_lost, without=maybe(boundary("short")))
    def do_resolve(self, details: str, lost: str, without: str | None) -> None:
        action = {"type": "resolve", "details": details, "data_lost": lost}
        if without is not None:
            action["without_mitigation"] = without
        before = self.record
        after = self.act(action)
        failed = latest_failed_rollback(before)
        if not before.resolution and failed is not None and not escalated_since(before, failed):
            assert after is None, "resolved a failed rollback that was never escalated"
        if after is None:
            return
        if before.resolution:
            assert after.resolution.at == before.resolution.at, "re-resolving moved the time"
        elif not any(m.outcome == "succeeded" for m in before.mitigations):
            assert after.resolution.without_mitigation.strip()

    @rule(reason=boundary("short"))
    def do_reopen(self, reason: str) -> None:
        before = self.record
        after = self.act({"type": "reopen", "reason": reason})
        if not before.resolution:
            assert after is None
        if after is not None:
            assert after.resolution is None

    @rule(body=boundary("short"), owner=maybe(boundary_names))
    def do_add_follow_up(self, body: str, owner: str | None) -> None:
        action = {"type": "add_follow_up", "text": body}
        if owner is not None:
            action["owner"] = owner
        self.act(action)

    def index(self, position: int | str, items: tuple) -> int:
        if position == "past-end":
            return len(items)
        return (
            position % len(items)
            if isinstance(position, int) and position >= 0 and items
            else position
        )

    @rule(position=positions)
    def do_remove_follow_up(self, position: int | str) -> None:
        before = self.record
        index = self.index(position, before.follow_ups)
        after = self.act({"type": "remove_follow_up", "index": index})
        if after is not None:
            assert after.follow_ups == before.follow_ups[:index] + before.follow_ups[index + 1 :]

    @rule(event=boundary("note"), who=maybe(boundary_names), offset=offsets)
    def do_add_timeline(self, event: str, who: str | None, offset: int | None) -> None:
        action = {"type": "add_timeline", "event": event}
        for key, value in (("who", who), ("at", self.at(offset))):
            if value is not None:
                action[key] = value
        self.act(action)

    @rule(
        position=positions, offset=offsets, event=maybe(boundary("note")), who=maybe(boundary_names)
    )
    def do_edit_timeline(
        self, position: int | str, offset: int | None, event: str | None, who: str | None
    ) -> None:
        index = self.index(position, self.record.timeline)
        action = {"type": "edit_timeline", "index": index}
        for key, value in (("at", self.at(offset)), ("event", event), ("who", who)):
            if value is not None:
                action[key] = value
        before = self.record
        after = self.act(action)
        if after is not None:
            entry = before.timeline[index]
            if entry.kind != "note" or entry.ref:
                assert after.timeline[index].event == entry.event, "a derived entry's text changed"

    @rule(position=positions, seconds=st.integers(-3 * 3600, 60))
    def do_edit_timeline__time(self, position: int | str, seconds: int) -> None:
        """Correct an entry's time (moving the key time it mirrors, e.g. the declared time)."""
        self.do_edit_timeline(position, seconds, None, None)

    @rule(position=positions)
    def do_remove_timeline(self, position: int | str) -> None:
        before = self.record
        index = self.index(position, before.timeline)
        after = self.act({"type": "remove_timeline", "index": index})
        if after is not None:
            entry = before.timeline[index]
            assert entry.kind == "note" and not entry.ref, "a derived entry was removed"

    # ----------------------------------------------------------------------- invariants

    @invariant()
    def the_decision_shown_is_followed_or_the_deviation_is_written(self) -> None:
        record = self.record
        decision = record.decision
        if decision is None:
            assert not record.mitigations
            return
        if decision.action == "fix_forward" and not decision.fix_forward_permitted:
            assert decision.deviation_reason.strip(), "fix forward against the runbook, no reason"
        assert decision.fix_forward_permitted == fix_forward_permitted_by_runbook(
            basis_answers(record)
        )
        if record.mitigations:
            # The latest mitigation started under the decision shown follows it (start_mitigation
            # records a new decision first when it diverges), or the deviation is written.
            started = ref_position(record, f"mitigations.{len(record.mitigations) - 1}.started_at")
            decided = ref_position(record, "decision.at")
            if started > decided:
                assert record.mitigations[-1].action == decision.action or decision.deviation_reason

    @invariant()
    def a_failed_rollback_is_escalated_before_resolve(self) -> None:
        record = self.record
        failed = latest_failed_rollback(record)
        required = (
            failed is not None and not record.resolution and not escalated_since(record, failed)
        )
        assert escalation_required(record) == required
        assert ("escalation required" in status(record).lower()) == required
        if record.resolution and failed is not None:
            assert escalated_since(record, failed)

    @invariant()
    def the_incident_id_never_changes(self) -> None:
        assert self.record.incident_id == self.incident_id

    @invariant()
    def the_record_written_is_read_back_valid_and_renders(self) -> None:
        """What is saved loads strictly (the same record, the same text), is valid under the
        JSON Schema for an outside validator, keeps every limit, and renders every ticket
        format and every message."""
        text = self.record.to_json()
        if text == self.checked:
            return  # unchanged since the last check (a refusal, a clock tick)
        self.checked = text
        loaded = record_from_json(text)
        assert loaded == self.record and loaded.to_json() == text
        assert not limit_problems(self.record)
        if VALIDATOR is not None:
            errors = [
                e.message[:200] for e in VALIDATOR(self.schema()).iter_errors(json.loads(text))
            ]
            assert not errors, errors
        # Every ticket format renders: the_ticket_keeps_its_structure_in_every_format.
        for api in (False, True):
            for message in all_messages(self.record, org=ORG, api=api).values():
                assert self.record.incident_id in message

    def schema(self) -> dict:
        return SCHEMA

    @invariant()
    def every_ref_resolves_and_every_key_time_is_in_the_timeline(self) -> None:
        record = self.record
        times = time_paths(record)
        refs = [e.ref for e in record.timeline if e.ref]
        assert len(refs) == len(set(refs)), refs
        for entry in record.timeline:
            if entry.ref:
                assert times.get(entry.ref) == entry.at, (entry.ref, times.get(entry.ref), entry.at)
        mirrored = {e.ref for e in record.timeline if e.ref}
        for path, value in times.items():
            if value is None:
                continue
            if (
                path.startswith("communications.")
                and record.communications[int(path.split(".")[1])].kind == "escalation"
            ):
                continue  # an escalation's message is mirrored by the escalation's entry
            assert path in mirrored, path

    @invariant()
    def the_ticket_keeps_its_structure_in_every_format(self) -> None:
        reference = with_plain_text(self.record)
        for name, skeleton in SKELETONS.items():
            ticket = render_ticket(self.record, ORG, format=name)
            assert skeleton(ticket) == skeleton(render_ticket(reference, ORG, format=name)), name
        assert set(FORMATS) == set(SKELETONS)

    @invariant()
    def the_rules_of_the_issue_hold_in_every_state(self) -> None:
        """What allowed_now says (and apply does, checked below) follows the rules issue 7
        states, written here from the record alone."""
        record = self.record
        allowed = {k: v["allowed"] for k, v in allowed_now(record, utc_iso(self.now)).items()}
        if len(record.timeline) + max(ENTRIES.values()) > load_limits().items("timeline"):
            return  # a timeline this full refuses what would add entries (TestSmallLists)
        if not record.declared_at:
            assert {k for k, v in allowed.items() if v} == {"declare"}
            return
        assert not allowed["declare"]
        pending = bool(record.mitigations) and record.mitigations[-1].outcome == "pending"
        if record.resolution:
            assert not any(allowed[kind] for kind in LOCKED_WHEN_RESOLVED)
            assert allowed["reopen"]
            return
        stale = record.decision is not None and basis_answers(record) != answers_now(record)
        if record.decision is None or stale or pending:
            assert not allowed["start_mitigation"]
        assert allowed["mitigation_outcome"] == pending
        assert not (pending and allowed["resolve"])
        failed = latest_failed_rollback(record)
        if failed is not None and not escalated_since(record, failed):
            assert not allowed["resolve"]
        waiting = any(e.acknowledged_at is None for e in record.escalations)
        assert allowed["acknowledge_escalation"] == waiting
        assert allowed["take_command"] == (not record.ic)
        assert allowed["change_ic"] == bool(record.ic)
        assert not allowed["reopen"]
        assert allowed["decide"] and allowed["escalate"] and allowed["answer"]
        if allowed["start_mitigation"]:
            # Probe: roll back can always start (the default); a hotfix without a reason only
            # when fix forward is the decision and no hotfix has just failed.
            now = utc_iso(self.now)
            apply(record, {"type": "start_mitigation", "action": "roll_back"}, now, ORG)
            last = record.mitigations[-1] if record.mitigations else None
            hotfix_failed = last is not None and (last.action, last.outcome) == (
                "fix_forward",
                "failed",
            )
            hotfix = {"type": "start_mitigation", "action": "fix_forward"}
            if record.decision.action == "fix_forward" and not hotfix_failed:
                apply(record, hotfix, now, ORG)
            else:
                with pytest.raises(InvalidInput) as err:
                    apply(record, hotfix, now, ORG)
                assert err.value.field == "deviation_reason"

    @invariant()
    def allowed_now_agrees_with_apply(self) -> None:
        now = utc_iso(self.now)
        verdicts = allowed_now(self.record, now)
        assert set(verdicts) == set(TABLE.actions)
        for kind in FIELDLESS:
            verdict = verdicts[kind]
            try:
                apply(self.record, {"type": kind}, now, ORG)
            except InvalidInput as exc:
                if not verdict["allowed"]:
                    assert exc.problem == verdict["why_not"], (kind, exc.problem, verdict)
                elif kind == "escalate" and exc.field == "again":
                    # A second escalation within minutes of the last: applied once confirmed.
                    assert any(
                        abs(parse_time(e.at) - parse_time(now)) < REPEAT_ESCALATION
                        for e in self.record.escalations
                    ), exc
                    apply(self.record, {"type": kind, "again": True}, now, ORG)
                else:
                    assert kind not in ALLOWED_MEANS_APPLIED, (kind, exc)
            else:
                assert verdict["allowed"], (kind, verdict)
            if not verdict["allowed"]:
                assert verdict["why_not"]


RULES = {name for name in dir(Incident) if name.startswith("do_")}
COVERED = {name[3:].split("__")[0] for name in RULES}


def test_every_action_of_the_table_has_a_rule() -> None:
    """A new action type in transitions.toml fails here until the machine exercises it."""
    assert set(TABLE.actions) - COVERED == set(), "actions with no rule"
    assert COVERED - set(TABLE.actions) == set(), "rules for actions that no longer exist"


Incident.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestIncident = Incident.TestCase

# Lists that fill up within a run (the real ones hold 10,000 entries): the same machine, with
# the declared counts lowered while it runs, so actions meet full lists. The schema it checks
# against is generated for these counts.
SMALL_COUNTS = {"timeline": 12, "list": 12, "names": 3}


class SmallLists(Incident):
    def __init__(self) -> None:
        counts = load_limits().count
        self.saved_counts = dict(counts)
        counts.update(SMALL_COUNTS)
        super().__init__()
        self.small_schema = record_schema()

    def teardown(self) -> None:
        counts = load_limits().count
        counts.clear()
        counts.update(self.saved_counts)

    def schema(self) -> dict:
        return self.small_schema

    @rule(count=st.integers(0, SMALL_COUNTS["names"] + 1))
    def do_update_details__many_services(self, count: int) -> None:
        """Exactly the most names, and one more."""
        self.act({"type": "update_details", "services": [f"s{i}" for i in range(count)]})

    @invariant()
    def no_list_is_over_its_count(self) -> None:
        assert len(self.record.timeline) <= SMALL_COUNTS["timeline"]
        assert len(self.record.follow_ups) <= SMALL_COUNTS["list"]
        assert len(self.record.services) <= SMALL_COUNTS["names"]


SmallLists.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestSmallLists = SmallLists.TestCase

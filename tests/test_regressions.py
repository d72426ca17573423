"""Regressions: one test per defect found in runbook_core, each failing on the code that had it."""

from __future__ import annotations

import json

import pytest

from runbook_core import Record, RecordError, apply, record_from_json

T0 = "2026-11-28T21:40:00Z"


def at(minute: int) -> str:
    return f"2026-11-28T{21 + (40 + minute) // 60}:{(40 + minute) % 60:02d}:00Z"


def declared() -> Record:
    return apply(Record(), {"type": "declare", "summary": "API down", "by": "Dana"}, T0)


def test_a_ref_may_not_name_a_timeline_time() -> None:
    """A ref naming another entry's time ("timeline.1.at") is refused at load: removing that
    note would otherwise leave a ref to nothing, and the saved incident would not load again."""
    record = apply(declared(), {"type": "add_timeline", "event": "Paged DBA"}, at(1))
    data = json.loads(record.to_json())
    data["timeline"][0]["ref"] = "timeline.1.at"
    with pytest.raises(RecordError) as err:
        record_from_json(json.dumps(data))
    assert err.value.field == "record.timeline[0].ref"


def _permitted(record: Record) -> Record:
    for minute, (question, value) in enumerate(
        (
            ("scope", "subset"),
            ("data_loss", "no"),
            ("degradation", "minor"),
            ("fix_understood", "yes"),
            ("hotfix_faster", "yes"),
        ),
        start=1,
    ):
        record = apply(record, {"type": "answer", "question": question, "value": value}, at(minute))
    return record


def test_a_hotfix_started_against_the_decision_keeps_the_reason_it_asked_for() -> None:
    """Roll back decided (fix forward permitted), then a hotfix started: the guard asks why,
    and the reason is recorded on the decision the hotfix now follows, not thrown away."""
    record = apply(_permitted(declared()), {"type": "decide", "action": "roll_back"}, at(10))
    action = {"type": "start_mitigation", "action": "fix_forward", "deviation_reason": "Sign-off"}
    record = apply(record, action, at(11))
    assert record.decision.action == "fix_forward"
    assert record.decision.deviation_reason == "Sign-off"
    assert "Sign-off" in record.timeline[-2].event


def test_the_status_says_escalation_required_while_resolve_waits_for_it() -> None:
    """A failed rollback, then a second one that succeeds: resolve is still refused until the
    escalation is recorded, so the status must still say it is required."""
    from runbook_core import InvalidInput
    from runbook_core.derive import escalation_required, status

    record = declared()
    for minute, action in enumerate(
        (
            {"type": "decide", "action": "roll_back"},
            {"type": "start_mitigation"},
            {"type": "mitigation_outcome", "outcome": "failed", "notes": "db"},
            {"type": "start_mitigation"},
            {"type": "mitigation_outcome", "outcome": "succeeded"},
        ),
        start=1,
    ):
        record = apply(record, action, at(minute))
    assert escalation_required(record)
    assert "escalation required" in status(record)
    with pytest.raises(InvalidInput):
        apply(record, {"type": "resolve", "details": "ok", "data_lost": "no"}, at(9))
    record = apply(record, {"type": "escalate"}, at(10))
    assert "escalation required" not in status(record)


V2 = '{"schema_version": 2, "summary": "x", "timeline": [], %s}'


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            V2
            % (
                '"escalations": [{"at": "2026-11-28T21:40:00Z", "to": "x", "for_mitigation": %s}]'
                % ("9" * 5000)
            ),
            "record.escalations[0].for_mitigation",
        ),
        (
            '{"schema_version": %s, "summary": "x", "timeline": []}' % ("1" * 5000),
            "record.schema_version",
        ),
        (V2 % '"incident_id": NaN', "record.incident_id"),
        (V2 % '"declared_at": Infinity', "record.declared_at"),
        (V2 % '"services": [-Infinity]', "record.services[0]"),
    ],
    ids=["5000-digits", "5000-digit-version", "nan", "infinity", "minus-infinity-in-list"],
)
def test_a_value_no_field_can_hold_names_its_field(text: str, field: str) -> None:
    """Huge numbers and NaN are refused where they stand, naming the field (not just "record")."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


V1 = '{"schema_version": 1, "summary": "x", "timeline": [%s], %s}'


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            V1 % ('{"at": "2026-11-28T21:40:00Z", "event": "e", "ref": ["x"]}', '"ic": ""'),
            "record.timeline[0].ref",
        ),
        (V1 % ("", '"status_updates": {"at": 1}'), "record.status_updates"),
        (
            V1 % ("", '"status_updates": [{"text": "x", "message": "m"}]'),
            "record.communications[0].at",
        ),
        (
            V1
            % (
                "",
                '"decision": {"at": "2026-11-28T21:40:00Z", "action": "roll_back", '
                '"recommended": ["x"], "deviation_reason": ""}',
            ),
            "record.decision.recommended",
        ),
    ],
    ids=[
        "unhashable-ref",
        "status-updates-not-a-list",
        "status-update-without-time",
        "bad-recommended",
    ],
)
def test_a_malformed_version_1_record_is_refused_naming_the_field(text: str, field: str) -> None:
    """The v1 upgrade never raises TypeError, never drops a malformed part silently."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


def test_removing_from_an_empty_list_says_what_is_empty() -> None:
    """ "there are no follow-ups yet", not "follow-upss"."""
    from runbook_core import InvalidInput

    with pytest.raises(InvalidInput) as err:
        apply(declared(), {"type": "remove_follow_up", "index": 0}, at(1))
    assert err.value.problem == "there are no follow-ups yet"


# ------------------------------------------------------------------------------------------
# Issue 7, "Why": each defect the issue lists, as a test that fails on the code that had it.
# ------------------------------------------------------------------------------------------

from dataclasses import replace  # noqa: E402

from runbook_core import InvalidInput, load_org  # noqa: E402
from runbook_core.derive import decision_stale, escalation_required  # noqa: E402
from runbook_core.messages import parse_messages, previews  # noqa: E402
from runbook_core.rules import parse_runbook  # noqa: E402
from runbook_core.table import load_table  # noqa: E402
from runbook_core.ticket import render_ticket  # noqa: E402
from runbook_core.transitions import RESOLVED, allowed_now  # noqa: E402
from tests.helpers import TESTS  # noqa: E402

ORG = load_org()


def steps(record: Record, *actions: dict, start: int = 1, org=None) -> Record:
    for minute, action in enumerate(actions, start=start):
        record = apply(record, action, at(minute), org or ORG)
    return record


def answers(**values: str) -> list[dict]:
    return [{"type": "answer", "question": q, "value": v} for q, v in values.items()]


ALL_CONDITIONS = answers(
    scope="subset", data_loss="no", degradation="minor", fix_understood="yes", hotfix_faster="yes"
)


def failed_rollback(org=None, **declare: str) -> Record:
    record = apply(Record(), {"type": "declare", "summary": "API down", **declare}, T0, org or ORG)
    return steps(
        record,
        {"type": "take_command", "oncall": "Sam"},
        *answers(scope="all", data_loss="yes", degradation="critical"),
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation"},
        {
            "type": "mitigation_outcome",
            "outcome": "failed",
            "notes": "Migration 0042 dropped a column",
        },
        org=org,
    )


def test_roll_back_with_every_fix_forward_condition_true_needs_no_reason() -> None:
    """The default inverted: choosing roll back when fix forward is permitted was refused
    without a reason. Roll back is the recommendation; fix forward is only permitted."""
    record = steps(declared(), {"type": "take_command", "oncall": "Sam"}, *ALL_CONDITIONS)
    assert allowed_now(record, at(8))["decide"]["allowed"]
    record = steps(record, {"type": "decide", "action": "roll_back"}, start=8)
    assert record.decision.action == "roll_back" and record.decision.deviation_reason == ""
    assert record.decision.fix_forward_permitted is True
    ticket = render_ticket(record, ORG)
    assert "Roll back (the default). Fix forward: permitted." in ticket
    assert "None: the decision follows the runbook." in ticket


def test_a_hotfix_after_a_roll_back_decision_is_refused_without_a_reason() -> None:
    """start_mitigation with fix_forward after deciding roll back started a hotfix silently."""
    record = steps(declared(), *ALL_CONDITIONS, {"type": "decide", "action": "roll_back"})
    with pytest.raises(InvalidInput) as err:
        steps(record, {"type": "start_mitigation", "action": "fix_forward"}, start=7)
    assert err.value.field == "deviation_reason"


ALLOWED_WHEN_RESOLVED = {
    "update_details": {"type": "update_details", "release": "v2"},
    "acknowledge_escalation": {"type": "acknowledge_escalation", "by": "Alex"},
    "log_message": {"type": "log_message", "kind": "resolution"},
    "resolve": {"type": "resolve", "details": "Amended", "data_lost": "no"},
    "reopen": {"type": "reopen", "reason": "Errors are back"},
    "add_follow_up": {"type": "add_follow_up", "text": "Smoke test", "owner": "Platform"},
    "remove_follow_up": {"type": "remove_follow_up", "index": 0},
    "add_timeline": {"type": "add_timeline", "event": "Post-mortem booked"},
    "edit_timeline": {"type": "edit_timeline", "index": 0, "at": "2026-11-28T21:39:00Z"},
    "remove_timeline": {"type": "remove_timeline", "index": 1},
}
REFUSED_WHEN_RESOLVED = {
    "declare": {"type": "declare", "summary": "Again"},
    "correct_summary": {"type": "correct_summary", "summary": "Other"},
    "take_command": {"type": "take_command", "oncall": "Lee"},
    "change_ic": {"type": "change_ic", "to": "Lee", "reason": "Shift"},
    "answer": {"type": "answer", "question": "scope", "value": "subset"},
    "decide": {"type": "decide", "action": "roll_back"},
    "start_mitigation": {"type": "start_mitigation"},
    "mitigation_outcome": {"type": "mitigation_outcome", "outcome": "succeeded"},
    "escalate": {"type": "escalate"},
    "status_update": {"type": "status_update", "text": "All good"},
}


def test_the_resolved_lists_cover_every_action() -> None:
    """Every action of the table is either allowed or refused once resolved (a new action must
    be put in one of the two lists above)."""
    assert set(ALLOWED_WHEN_RESOLVED) | set(REFUSED_WHEN_RESOLVED) == set(load_table().actions)
    assert not set(ALLOWED_WHEN_RESOLVED) & set(REFUSED_WHEN_RESOLVED)


def _resolved() -> Record:
    return steps(
        declared(),
        {"type": "add_timeline", "event": "Paged DBA"},
        {"type": "take_command", "oncall": "Sam"},
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "succeeded"},
        {"type": "escalate", "doing": "Watching"},
        {"type": "add_follow_up", "text": "Alerting"},
        {"type": "resolve", "details": "Stable", "data_lost": "no"},
    )


@pytest.mark.parametrize("kind", sorted(REFUSED_WHEN_RESOLVED))
def test_after_resolve_an_action_that_changes_the_incident_is_refused(kind: str) -> None:
    """start_mitigation worked after resolve; so did answers. Now: reopen first."""
    record = _resolved()
    with pytest.raises(InvalidInput) as err:
        steps(record, REFUSED_WHEN_RESOLVED[kind], start=20)
    assert err.value.problem == RESOLVED
    assert allowed_now(record, at(20))[kind] == {"allowed": False, "why_not": RESOLVED}


@pytest.mark.parametrize("kind", sorted(ALLOWED_WHEN_RESOLVED))
def test_after_resolve_the_record_can_still_be_completed(kind: str) -> None:
    """Details, follow-ups, timeline corrections, messages, amending and reopening stay open."""
    record = steps(_resolved(), start=20)
    after = steps(record, ALLOWED_WHEN_RESOLVED[kind], start=20)
    assert after != record


def test_a_decision_goes_stale_when_an_answer_changes_and_the_hotfix_waits() -> None:
    """After a fix-forward decision, data loss changed to "yes" and the hotfix still started;
    the stale rule lived only in the page's JavaScript."""
    record = steps(declared(), *ALL_CONDITIONS, {"type": "decide", "action": "fix_forward"})
    record = steps(record, *answers(data_loss="yes"), start=7)
    assert decision_stale(record)
    verdict = allowed_now(record, at(8))["start_mitigation"]
    assert not verdict["allowed"] and "decide again" in verdict["why_not"]
    with pytest.raises(InvalidInput):
        steps(record, {"type": "start_mitigation"}, start=8)
    with pytest.raises(InvalidInput) as err:  # not permitted any more: a deviation needs a reason
        steps(record, {"type": "decide", "action": "fix_forward"}, start=8)
    assert err.value.field == "deviation_reason"
    record = steps(
        record, {"type": "decide", "action": "roll_back"}, {"type": "start_mitigation"}, start=8
    )
    assert record.mitigations[-1].action == "roll_back" and not decision_stale(record)


def test_escalation_is_required_not_logged_when_a_rollback_fails() -> None:
    """Escalation was logged as done the moment a rollback failed. Now it is required until
    the IC records it, and resolve waits for it."""
    record = failed_rollback()
    assert record.escalations == () and escalation_required(record)
    assert not [c for c in record.communications if c.kind == "escalation"]
    with pytest.raises(InvalidInput) as err:
        steps(
            record,
            {"type": "resolve", "details": "x", "data_lost": "no", "without_mitigation": "x"},
            start=20,
        )
    assert err.value.field == "escalation"
    record = steps(record, {"type": "escalate", "doing": "Restoring the orders table"}, start=20)
    assert len(record.escalations) == 1 and not escalation_required(record)
    assert [c.kind for c in record.communications] == ["escalation"]


def test_the_escalation_message_says_what_the_contact_needs_and_mentions_them() -> None:
    """It names the incident ID, the IC, what failed (the notes), the impact and what is being
    done, mentions the contact with the org's configured mention, and tells nobody to escalate
    to themselves ("escalate immediately to the <contact>", "@<contact name>")."""
    org = replace(ORG, escalation_mention="<!subteam^S123>")
    record = steps(
        failed_rollback(org),
        {"type": "escalate", "doing": "Restoring the orders table"},
        start=20,
        org=org,
    )
    message = record.communications[-1].message
    for needed in (
        record.incident_id,
        "Sam",
        "Migration 0042 dropped a column",
        "all users; data loss or corruption; critical degradation",
        "Restoring the orders table",
        "<!subteam^S123>",
    ):
        assert needed in message, needed
    assert "escalate" not in message.lower().replace("escalating", "")
    assert f"@{org.escalation_contact}" not in message


def _every_message_kind() -> Record:
    """An incident in which each kind of message was posted and logged."""
    record = failed_rollback()
    return steps(
        record,
        {"type": "log_message", "kind": "declaration"},
        {"type": "change_ic", "to": "Lee", "reason": "Shift change"},
        {"type": "log_message", "kind": "handover"},
        {"type": "escalate"},
        {"type": "status_update", "text": "Restoring from backup"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "succeeded"},
        {"type": "resolve", "details": "Restored", "data_lost": "yes"},
        {"type": "log_message", "kind": "resolution"},
        start=20,
    )


def test_the_tickets_communications_list_every_kind_of_message() -> None:
    """Only status updates were listed; now declaration, handovers, escalation and resolution."""
    record = _every_message_kind()
    table = load_table()
    assert sorted(c.kind for c in record.communications) == sorted(table.values("message_kind"))
    section = render_ticket(record, ORG).split("## Communications")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| 2026")]
    assert len(rows) == len(record.communications)
    for kind in table.values("message_kind"):
        assert f"| {table.label('message_kind', kind)} |" in section, kind


def test_every_message_carries_the_incident_id() -> None:
    """Logged and previewed, every message names the incident."""
    record = _every_message_kind()
    assert all(record.incident_id in c.message for c in record.communications)
    before_resolve = failed_rollback()
    record = steps(before_resolve, {"type": "change_ic", "to": "Lee", "reason": "x"}, start=20)
    shown = previews(record, at(21), "draft", ORG)
    assert set(shown) >= {"declaration", "status_update", "escalation", "handover"}
    assert all(record.incident_id in text for text in shown.values())


def test_a_status_message_is_computed_for_its_own_time() -> None:
    """Copied at 06:30 saying "next by 06:50" and logged at 06:40, the preview was stale. A
    status update logged with an earlier `at` carries that time and the next one from it;
    previews are computed for the moment asked."""
    record = steps(declared(), {"type": "status_update", "text": "Looking", "at": at(2)}, start=10)
    message = record.communications[-1].message
    due = at(2 + ORG.status_update_interval_minutes)[11:16]
    assert record.communications[-1].at == at(2)
    assert f"({at(2)[11:16]} UTC)" in message and f"Next update by {due} UTC." in message
    preview = previews(record, at(15), "x", ORG)["status_update"]
    assert f"({at(15)[11:16]} UTC)" in preview


def test_no_handover_message_for_the_first_ic() -> None:
    """The first IC taking command is not a handover: no preview, and logging one is refused."""
    record = steps(declared(), {"type": "take_command", "oncall": "Sam"})
    assert "handover" not in previews(record, at(2), "", ORG)
    with pytest.raises(InvalidInput) as err:
        steps(record, {"type": "log_message", "kind": "handover"}, start=2)
    assert err.value.field == "kind"
    record = steps(record, {"type": "change_ic", "to": "Lee", "reason": "Shift"}, start=2)
    assert "handover" in previews(record, at(3), "", ORG)


def test_follow_ups_with_their_owners_are_in_the_ticket() -> None:
    """Every ticket ended "None yet": follow-ups can be added, with an owner, and show."""
    record = steps(
        declared(),
        {"type": "add_follow_up", "text": "Add a smoke test", "owner": "Platform team"},
        {"type": "add_follow_up", "text": "Page the DBA earlier"},
    )
    ticket = render_ticket(record, ORG)
    assert "- [ ] Add a smoke test (owner: Platform team)" in ticket
    assert "- [ ] Page the DBA earlier" in ticket and "None yet" not in ticket


def test_incidents_declared_in_the_same_minute_get_different_ids_that_stay() -> None:
    """INC-YYYYMMDD-HHMM collided; the ID also stays when the declared time is corrected."""
    ids = {apply(Record(), {"type": "declare", "summary": "x"}, T0).incident_id for _ in range(20)}
    assert len(ids) == 20 and all(i.startswith("INC-20261128-2140-") for i in ids)
    record = declared()
    corrected = steps(record, {"type": "edit_timeline", "index": 0, "at": "2026-11-28T21:31:00Z"})
    assert corrected.declared_at == "2026-11-28T21:31:00Z"
    assert corrected.incident_id == record.incident_id


def test_the_ticket_says_not_asked_and_no_deviation_before_a_decision() -> None:
    """Questions never asked showed "Not answered"; "Deviation: None" showed before any decision."""
    record = steps(declared(), *answers(scope="all", data_loss="yes", degradation="critical"))
    ticket = render_ticket(record, ORG)
    assert ticket.count("| Not asked") == 2 and "Not answered" not in ticket
    assert "Deviation" not in ticket
    decided = steps(record, {"type": "decide", "action": "roll_back"}, start=5)
    assert "**Deviation from the runbook:** None" in render_ticket(decided, ORG)
    unanswered = steps(declared(), *answers(scope="all", data_loss="no", degradation="minor"))
    assert render_ticket(unanswered, ORG).count("| Not answered |") == 2  # they matter: asked


def test_a_record_missing_a_nested_key_names_it() -> None:
    """{"schema_version":1,"summary":"x","timeline":[{"event":"x"}]} gave a TypeError."""
    with pytest.raises(RecordError) as err:
        record_from_json('{"schema_version":1,"summary":"x","timeline":[{"event":"x"}]}')
    assert err.value.field == "record.timeline[0].at"


def test_a_ref_of_schema_version_is_refused_at_load() -> None:
    """edit_timeline through such a ref overwrote the schema version and bricked the incident."""
    data = json.loads(declared().to_json())
    data["timeline"][0]["ref"] = "schema_version"
    with pytest.raises(RecordError) as err:
        record_from_json(json.dumps(data))
    assert err.value.field == "record.timeline[0].ref"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"schema_version": 2, "summary": "\\ud800", "timeline": []}', "record.summary"),
        (
            '{"schema_version": %s, "summary": "x", "timeline": []}' % ("9" * 5000),
            "record.schema_version",
        ),
        ('{"schema_version": 2, "summary": NaN, "timeline": []}', "record.summary"),
        ("[" * 10_000 + "]" * 10_000, "record"),
    ],
    ids=["lone-surrogate", "5000-digits", "nan", "10000-deep"],
)
def test_hostile_json_is_a_record_error(text: str, field: str) -> None:
    """Never a TypeError, ValueError or RecursionError: a RecordError naming the field."""
    with pytest.raises(RecordError) as err:
        record_from_json(text)
    assert err.value.field == field


def _packaged(name: str) -> str:
    from importlib.resources import files

    return files("runbook_core").joinpath(f"data/{name}").read_text("utf-8")


def test_a_typod_placeholder_in_runbook_toml_is_refused_at_load() -> None:
    """It loaded and failed later with KeyError, mid-incident."""
    from runbook_core import DataFileError

    text = _packaged("runbook.toml")
    assert "{escalation_contact}" in text
    with pytest.raises(DataFileError) as err:
        parse_runbook(
            text.replace("{escalation_contact}", "{escalation_contcat}", 1), "runbook.toml"
        )
    assert err.value.file == "runbook.toml" and "escalation_contcat" in err.value.expected


def test_a_typod_placeholder_in_messages_toml_is_refused_at_load() -> None:
    """The same for the Slack message texts, which must also all name the incident."""
    from runbook_core import DataFileError

    text = _packaged("messages.toml")
    with pytest.raises(DataFileError) as err:
        parse_messages(text.replace("{summary} 🚨", "{sumary} 🚨", 1), "messages.toml")
    assert (err.value.file, err.value.key) == ("messages.toml", "declaration")
    assert "sumary" in err.value.expected
    with pytest.raises(DataFileError) as err:
        parse_messages(
            text.replace("Incident update {incident_id}", "Incident update", 1), "messages.toml"
        )
    assert err.value.key == "status_update" and "incident_id" in err.value.expected


def test_a_version_1_record_upgrades_and_renders() -> None:
    """Records saved before the state machine still open (tests/data, from commit 2531541)."""
    record = record_from_json(
        (TESTS / "data" / "v1-rollback-failed-escalated.json").read_text("utf-8")
    )
    assert record.schema_version == 2 and record.escalations[0].for_mitigation == 0
    assert "Checkout returns HTTP 500" in render_ticket(record, ORG)


BROADCASTS = ("@channel", "@here", "@everyone", "<!channel>", "<http://x|y>")


def test_mentions_typed_by_the_ic_are_neutralised_the_orgs_mention_kept() -> None:
    """@channel, @here, @everyone, <!channel> and Slack links in free text would ping or link
    in every message; the organisation's configured mention must still work."""
    org = replace(ORG, escalation_mention="<!subteam^S123>")
    hostile = " ".join(BROADCASTS)
    record = apply(
        Record(), {"type": "declare", "summary": f"API {hostile}", "by": hostile}, T0, org
    )
    record = steps(
        record,
        {"type": "take_command", "oncall": f"Sam {hostile}"},
        {"type": "update_details", "slack_thread": "https://example.slack.com/archives/C1/p1"},
        {"type": "decide", "action": "roll_back"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "failed", "notes": hostile},
        {"type": "log_message", "kind": "declaration"},
        {"type": "escalate", "doing": hostile},
        {"type": "status_update", "text": hostile},
        {"type": "change_ic", "to": f"Lee {hostile}", "reason": hostile},
        {"type": "log_message", "kind": "handover"},
        {"type": "start_mitigation"},
        {"type": "mitigation_outcome", "outcome": "succeeded"},
        {"type": "resolve", "details": hostile, "data_lost": "no"},
        {"type": "log_message", "kind": "resolution"},
        org=org,
    )
    messages = [c.message for c in record.communications]
    assert len(messages) == 5
    unresolved = steps(
        failed_rollback(org, by=hostile),
        {"type": "change_ic", "to": hostile, "reason": hostile},
        start=20,
        org=org,
    )
    messages += list(previews(unresolved, at(21), hostile, org).values())
    for message in messages:
        for mention in BROADCASTS:
            assert mention not in message, (mention, message)
    escalations = [c.message for c in record.communications if c.kind == "escalation"]
    assert "Escalating immediately to <!subteam^S123> (" in escalations[0]


def test_a_stale_decision_is_not_shown_as_following_the_runbook() -> None:
    """Fix forward decided and started while permitted, then data loss found: the ticket showed
    "Fix forward: not permitted" next to "Deviation: None: the decision follows the runbook"."""
    record = steps(
        declared(),
        *ALL_CONDITIONS,
        {"type": "decide", "action": "fix_forward"},
        {"type": "start_mitigation"},
    )
    assert "None: the decision follows the runbook." in render_ticket(record, ORG)
    record = steps(record, *answers(data_loss="yes"), start=9)
    ticket = render_ticket(record, ORG)
    assert "Fix forward: not permitted." in ticket
    assert "follows the runbook" not in ticket
    assert "the answers changed after the decision" in ticket


def test_deep_nesting_is_refused_before_the_parser_recurses(monkeypatch) -> None:
    """10,000-deep JSON crashed Pyodide with a fatal "Maximum call stack size exceeded" (the
    parser recursed before any RecursionError): the depth is now counted first."""
    import runbook_core.record as record_module

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("json.loads was called on text nested too deeply")

    monkeypatch.setattr(record_module.json, "loads", no_parse)
    for text in ("[" * 10_000 + "]" * 10_000, '{"a":' * 65 + "1" + "}" * 65):
        with pytest.raises(RecordError) as err:
            record_module.load_json(text, "import")
        assert err.value.field == "import" and "nested" in err.value.problem


@pytest.mark.parametrize("mention", ["", "<!subteam^S123>"])
def test_the_escalation_opens_with_the_incident_and_names_the_contact_in_the_runbooks_words(
    mention: str,
) -> None:
    """Issue 16: it began "<Contact> MAJOR INCIDENT ..." (the org's escalation contact glued to
    the text and capitalised). Now the runbook's section 5 words: "This is a major incident ...
    escalate immediately to <contact>", the contact (or its mention) inside the sentence."""
    org = replace(ORG, escalation_mention=mention)
    record = steps(failed_rollback(org), {"type": "escalate"}, start=20, org=org)
    message = record.communications[-1].message
    first, second = message.splitlines()[:2]
    assert first == f"MAJOR INCIDENT {record.incident_id}: API down"
    assert second == (
        f"This is a major incident: the rollback failed. Escalating immediately to {org.mention()}."
    )
    contact = org.escalation_contact
    assert not message.startswith((contact, contact[:1].upper() + contact[1:]))
    assert org.escalation_contact in org.mention() and (not mention or mention in second)


def test_the_impact_is_said_in_the_same_words_in_the_bar_the_messages_and_the_ticket() -> None:
    """Issue 16.8: messages said "scope: all users; data loss or corruption: yes; degradation:
    critical degradation" while the bar said "SEV1: data loss or corruption". Now the runbook's
    words (3.1) everywhere; the class before the colon is ours (the ticket says so)."""
    from runbook_core.view import view

    record = steps(
        failed_rollback(),
        {"type": "escalate"},
        {"type": "status_update", "text": "Restoring"},
        start=20,
    )
    words = "all users; data loss or corruption; critical degradation"
    messages = [c.message for c in record.communications]
    assert len(messages) == 2
    for message in messages:
        impact = [line for line in message.splitlines() if "Impact: " in line]
        assert impact and impact[0].split("Impact: ", 1)[1].split(" |")[0] == words, message
        assert "scope:" not in message and ": yes" not in message
    bar = view(record, T0.replace("21:40", "22:30"), org=ORG)["severity"]
    if "sev1" not in ORG.severity_labels:  # a team may relabel its classes in its own words
        assert bar == "SEV1: data loss or corruption"
        assert bar.split(": ", 1)[1] in words
    ticket = render_ticket(record, ORG)
    assert ticket.count(words) == 2 and "scope:" not in ticket

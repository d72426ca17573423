"""Hypothesis strategies: hostile text, and whole incidents built from random action sequences
that use every action type of the incident table (data/transitions.toml)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from runbook_core import InvalidInput, Record, apply
from runbook_core.limits import load_limits
from runbook_core.record import parse_time, utc_iso
from runbook_core.rules import load_runbook
from runbook_core.table import load_table

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a | b | c",
    "|",
    "||",
    "\n\n# Heading",
    "## Timeline",
    "h1. Jira heading",
    "line1\nline2\r\nline3",
    "`code` ```fence```",
    "{code}x{code} {noformat}",
    "<!-- comment -->",
    "🚨🔥👩‍💻",
    "\u202eRTL override\u202c",
    "مرحبا بالعالم",
    "    indented code",
    "1. list",
    "- item",
    "* bullet",
    "# numbered",
    "> quote",
    "bq. quote",
    "---",
    "----",
    "===",
    "Title\n=====",
    "[link](javascript:alert(1))",
    "[link|http://evil.example]",
    "!image.png!",
    "&amp; &lt;",
    "\\|",
    "\\\\",
    "*_~~+^?-",
    "x" * 10_000,
    "\x00\x07\x1b[31m\x9b2J\x85",
    "\u2028\u2029",
    "{{ summary }}",
    "{summary}",
    "%s %(x)s",
    "@channel @here @everyone",
    "<!channel> <!here> <!subteam^S1> <@U123> <#C123>",
    "<http://evil.example|click>",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=1, max_size=200),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join),
)
names = st.one_of(
    st.sampled_from(["Sam", "Lee Chen", "<b>x</b>", "a|b", "🚨", "@here"]),
    st.text(min_size=1, max_size=30),
)

LIMITS = load_limits()
# Characters the Slack escaping lengthens ("<!" becomes three characters): a text of them at
# its limit makes the longest message and timeline entry a field can cause.
GROWING = "<!@here <#C1> "


def at_length(n: int, unit: str = GROWING) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def boundary(limit: str) -> st.SearchStrategy[str]:
    """Text for a field with the named limit (data/limits.toml): hostile text, or a boundary
    value: empty, blank, exactly the limit (plain, hostile, multi-line, padded) or one over."""
    n = LIMITS.chars(limit)
    return st.one_of(
        hostile_text,
        st.sampled_from(
            [
                "",
                "   ",
                "\n\t",
                "x" * n,
                at_length(n),
                at_length(n, "line\r\n"),
                "  " + "y" * n + "\n",
                "é" * n,
                "z" * (n + 1),
                at_length(n + 1),
            ]
        ),
    )


longest_name = "N" * LIMITS.chars("name")
boundary_names = st.one_of(
    names,
    st.sampled_from(["", longest_name, at_length(LIMITS.chars("name")), longest_name + "N"]),
)
# Lists of names: a few, or exactly the most allowed, or one more (each at the longest).
_most = LIMITS.items("names")
name_lists = st.one_of(
    st.lists(names, max_size=3),
    st.sampled_from(
        [
            [],
            [f"{i:03d}" + longest_name[3:] for i in range(_most)],
            [f"{i:03d}" + longest_name[3:] for i in range(_most + 1)],
            [at_length(LIMITS.chars("name"))] * _most,
            "a, b, , c",
        ]
    ),
)

RUNBOOK = load_runbook()
TABLE = load_table()
ACTION_TYPES = tuple(TABLE.actions)
question_answers = st.sampled_from([(q.id, v) for q in RUNBOOK.questions for v in q.values])
mitigation_actions = st.sampled_from(tuple(RUNBOOK.action_labels))
outcomes = st.sampled_from(TABLE.values("outcome"))
data_lost = st.sampled_from(TABLE.values("data_lost"))
message_kinds = st.sampled_from(TABLE.values("message_kind"))
T0 = "2026-11-28T21:40:00Z"


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The strategy's value, or None (the field is then left out)."""
    return st.one_of(st.none(), strategy)


def build(action_type: str, /, **fields: object) -> dict:
    """An action dict; fields that are None are left out, as the page leaves them out."""
    return {"type": action_type, **{k: v for k, v in fields.items() if v is not None}}


def actions(
    text: st.SearchStrategy[str] = hostile_text, times: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[dict]:
    """Any action of the table, with plausible and hostile fields (many are refused)."""
    times = times if times is not None else st.none()
    index = st.integers(min_value=-1, max_value=40)
    answer = question_answers.map(lambda p: {"type": "answer", "question": p[0], "value": p[1]})
    return st.one_of(
        st.builds(lambda s, b: build("declare", summary=s, by=b), text, maybe(names)),
        st.builds(lambda s: build("correct_summary", summary=s), text),
        st.builds(
            lambda rel, tgt, thread, how, at, svc, who: build(
                "update_details",
                release=rel,
                rollback_target=tgt,
                slack_thread=thread,
                detected_how=how,
                detected_at=at,
                services=svc,
                responders=who,
            ),
            maybe(text),
            maybe(text),
            maybe(st.sampled_from(["https://example.slack.com/archives/C1/p1", "javascript:x"])),
            maybe(text),
            times,
            maybe(st.lists(names, max_size=3)),
            maybe(st.lists(names, max_size=3)),
        ),
        st.builds(
            lambda o, a, f: build("take_command", oncall=o, oncall_available=a, first_responder=f),
            maybe(names),
            maybe(st.booleans()),
            maybe(names),
        ),
        st.builds(lambda t, r: build("change_ic", to=t, reason=r), names, text),
        answer,
        answer,
        st.builds(
            lambda a, r: build("decide", action=a, deviation_reason=r),
            mitigation_actions,
            maybe(text),
        ),
        st.builds(
            lambda a, r: build("start_mitigation", action=a, deviation_reason=r),
            maybe(mitigation_actions),
            maybe(text),
        ),
        st.builds(
            lambda o, n: build("mitigation_outcome", outcome=o, notes=n), outcomes, maybe(text)
        ),
        st.builds(
            lambda t, d, at: build("escalate", to=t, doing=d, at=at),
            maybe(names),
            maybe(text),
            times,
        ),
        st.builds(lambda b, at: build("acknowledge_escalation", by=b, at=at), names, times),
        st.builds(lambda t, at: build("status_update", text=t, at=at), text, times),
        st.builds(lambda k, at: build("log_message", kind=k, at=at), message_kinds, times),
        st.builds(
            lambda d, lost, w: build("resolve", details=d, data_lost=lost, without_mitigation=w),
            text,
            data_lost,
            maybe(text),
        ),
        st.builds(lambda r: build("reopen", reason=r), text),
        st.builds(lambda t, o: build("add_follow_up", text=t, owner=o), text, maybe(names)),
        st.builds(lambda i: build("remove_follow_up", index=i), index),
        st.builds(
            lambda e, w, at: build("add_timeline", event=e, who=w, at=at), text, maybe(names), times
        ),
        st.builds(
            lambda i, at, e, w: build("edit_timeline", index=i, at=at, event=e, who=w),
            index,
            times,
            maybe(text),
            maybe(names),
        ),
        st.builds(lambda i: build("remove_timeline", index=i), index),
    )


def minute(n: int) -> str:
    return utc_iso(parse_time(T0) + timedelta(minutes=n))


@st.composite
def incidents(draw: st.DrawFn, text: st.SearchStrategy[str] = hostile_text) -> Record:
    """A declared incident after a random sequence of actions (refused ones are skipped)."""
    declare = {
        "type": "declare",
        "summary": " ".join(draw(text)[:500].split()) or "x",
        "by": draw(names),
    }
    record = apply(Record(), declare, T0)
    times = maybe(st.integers(min_value=-30, max_value=40).map(minute))
    for n, action in enumerate(draw(st.lists(actions(text, times), max_size=30)), start=1):
        try:
            record = apply(record, action, minute(n))
        except InvalidInput:
            pass
    return record

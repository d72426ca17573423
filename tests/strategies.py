"""Hypothesis strategies: hostile text and whole incidents built from random action sequences."""

from __future__ import annotations

from hypothesis import strategies as st

from runbook_core import InvalidInput, Record, apply
from runbook_core.rules import load_runbook

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a | b | c",
    "|",
    "\n\n# Heading",
    "## Timeline",
    "line1\nline2\r\nline3",
    "`code` ```fence```",
    "<!-- comment -->",
    "🚨🔥👩‍💻",
    "\u202eRTL override\u202c",
    "مرحبا بالعالم",
    "    indented code",
    "1. list",
    "- item",
    "> quote",
    "---",
    "===",
    "[link](javascript:alert(1))",
    "&amp; &lt;",
    "\\|",
    "*_~~",
    "x" * 10_000,
    "\x00\x07\x1b[31m",
    "{{ summary }}",
    "{summary}",
    "%s %(x)s",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=1, max_size=200),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join),
)
names = st.one_of(
    st.sampled_from(["Sam", "Lee Chen", "<b>x</b>", "a|b", "🚨"]), st.text(min_size=1, max_size=30)
)

RUNBOOK = load_runbook()
question_answers = st.sampled_from([(q.id, v) for q in RUNBOOK.questions for v in q.values])


def actions(text: st.SearchStrategy[str] = hostile_text) -> st.SearchStrategy[dict]:
    qa = question_answers.map(lambda p: {"type": "answer", "question": p[0], "value": p[1]})
    return st.one_of(
        st.builds(lambda s, b: {"type": "declare", "summary": s, "by": b}, text, names),
        st.builds(
            lambda o, a, f: {
                "type": "take_command",
                "oncall": o,
                "oncall_available": a,
                "first_responder": f,
            },
            names,
            st.booleans(),
            names,
        ),
        st.builds(lambda t, r: {"type": "change_ic", "to": t, "reason": r}, names, text),
        qa,
        st.builds(
            lambda a, r: {"type": "decide", "action": a, "deviation_reason": r},
            st.sampled_from(["roll_back", "fix_forward"]),
            text,
        ),
        st.just({"type": "start_mitigation"}),
        st.builds(
            lambda o, n: {"type": "mitigation_outcome", "outcome": o, "notes": n},
            st.sampled_from(["succeeded", "failed"]),
            text,
        ),
        st.builds(lambda t: {"type": "status_update", "text": t}, text),
        st.builds(
            lambda d, lost: {"type": "resolve", "details": d, "data_lost": lost},
            text,
            st.sampled_from(["yes", "no", "unknown"]),
        ),
        st.builds(lambda t: {"type": "add_follow_up", "text": t}, text),
        st.builds(lambda e, w: {"type": "add_timeline", "event": e, "who": w}, text, names),
    )


@st.composite
def incidents(draw: st.DrawFn, text: st.SearchStrategy[str] = hostile_text) -> Record:
    """A declared incident after a random sequence of actions (invalid ones are skipped)."""
    declare = {
        "type": "declare",
        "summary": " ".join(draw(text)[:500].split()) or "x",
        "by": draw(names),
    }
    record = apply(Record(), declare, "2026-11-28T21:40:00Z")
    for minute, action in enumerate(draw(st.lists(actions(text), max_size=25))):
        try:
            record = apply(
                record,
                action,
                f"2026-11-28T{21 + (41 + minute) // 60}:{(41 + minute) % 60:02d}:00Z",
            )
        except InvalidInput:
            pass
    return record

"""The declaration's first line the page shows before its engine starts (issue 16.4): for every
summary the declared pattern accepts, `before + summary + after` is exactly the engine's line;
every character it accepts is one the engine keeps as it is."""

from hypothesis import given
from hypothesis import strategies as st

from runbook_core.actions import apply
from runbook_core.errors import InvalidInput
from runbook_core.limits import load_limits
from runbook_core.messages import (
    _plain_ranges,
    declaration_message,
    early_declaration,
    early_pattern,
    one_line,
)
from runbook_core.record import Record

HOSTILE = [
    "Checkout API returns 500 for all EU users",
    "é ü ß 中文 العربية עברית",
    "\u202eevil\u202c RTL \u200f mark",
    "<b>bold</b> *md* _x_ `code` [l](u) &amp; \"q\" 'q'",
    "@here @channel <!everyone> <@U123> <#C1> <http://x|y>",
    "emoji 🚨🔥👩‍💻 🏳️‍🌈",
    "two  spaces",
    " leading",
    "trailing ",
    "line\nbreak",
    "tab\there",
    "",
    "   ",
    "x" * load_limits().chars("summary"),
    "x" * (load_limits().chars("summary") + 1),
    "\ue000 private",
    "nbsp\u00a0here",
    "{summary} {0} %s",
]


def engine_line(summary: str) -> str | None:
    """The engine's first declaration line for `summary` typed into the form, or None if the
    engine refuses it."""
    try:
        record = apply(Record(), {"type": "declare", "summary": summary}, "2026-01-01T00:00:00Z")
    except InvalidInput:
        return None
    return declaration_message(record).split("\n")[0]


def early_line(summary: str) -> str | None:
    e = early_declaration()
    return e["before"] + summary + e["after"] if early_pattern().match(summary) else None


def test_every_accepted_character_is_kept_as_it_is() -> None:
    # Exhaustive over the code points the pattern accepts: one_line() leaves each unchanged.
    for lo, hi in _plain_ranges():
        for code in range(lo, hi + 1):
            assert one_line(chr(code)) == chr(code), hex(code)


def test_hostile_corpus() -> None:
    accepted = 0
    for summary in HOSTILE:
        early = early_line(summary)
        if early is not None:
            accepted += 1
            assert early == engine_line(summary), repr(summary)
    assert accepted >= 5  # the plain ones are offered early, not only refused


@given(st.text(min_size=0, max_size=40))
def test_any_text_is_offered_only_when_identical(summary: str) -> None:
    early = early_line(summary)
    if early is not None:
        assert early == engine_line(summary)


def test_boundaries() -> None:
    most = load_limits().chars("summary")
    assert early_line("x" * most) == engine_line("x" * most)
    assert early_line("x" * (most + 1)) is None and engine_line("x" * (most + 1)) is None
    assert early_line("") is None

"""The record's limits (data/limits.toml): text lengths, list sizes, the years a time may have
and the incident ID's pattern, declared once and read by the action checks, the loader, the JSON
Schema and the org file's check.

The time pattern is built here from the declared years, so that the JSON Schema and the loader
test the same thing: the one stored form YYYY-MM-DDTHH:MM:SSZ, a real calendar date (leap years
included), and a year in the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from . import datafile
from .errors import DataFileError

LIMITS_FILE = "data/limits.toml"
# "Nothing after": a JSON Schema validator written in Python lets `$` match before a final
# newline; this lookahead means the end of the text in Python and JavaScript alike.
END = r"(?![\s\S])"


@dataclass(frozen=True)
class Limits:
    text: dict[str, int]
    count: dict[str, int]
    first_year: int
    last_year: int
    patterns: dict[str, str]
    minutes: dict[str, int]  # the page's times: copy_valid, due_soon

    def chars(self, name: str) -> int:
        return self.text[name]

    def items(self, name: str) -> int:
        return self.count[name]


def _positive(raw: Any, key: str, source: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise DataFileError(source, key, "a positive whole number")
    return raw


def parse_limits(text: str, source: str = LIMITS_FILE) -> Limits:
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise DataFileError(source, "(file)", f"valid TOML ({exc})") from None
    if set(raw) != {"text", "count", "time", "minutes", "pattern"}:
        raise DataFileError(
            source, "(file)", "exactly the tables [text], [count], [time], [minutes], [pattern]"
        )
    texts = {k: _positive(v, f"text.{k}", source) for k, v in raw["text"].items()}
    counts = {k: _positive(v, f"count.{k}", source) for k, v in raw["count"].items()}
    minutes = {k: _positive(v, f"minutes.{k}", source) for k, v in raw["minutes"].items()}
    for table, needed in (
        (texts, {"summary", "name", "quote", "derived", "ref", "incident_id"}),
        (counts, {"names", "timeline", "list"}),
        (minutes, {"copy_valid", "due_soon"}),
    ):
        if not needed <= set(table):
            raise DataFileError(source, "(file)", f"the limits {sorted(needed - set(table))}")
    # Every entry of another list comes with a timeline entry that stays: with room for as
    # many, only the timeline and the follow-ups can fill (transitions.room_refusal).
    if counts["list"] < counts["timeline"]:
        raise DataFileError(source, "count.list", "at least count.timeline")
    if texts["quote"] * 4 > texts["derived"]:
        raise DataFileError(source, "text.quote", "at most a quarter of text.derived")
    time = raw["time"]
    first = _positive(time.get("first_year"), "time.first_year", source)
    last = _positive(time.get("last_year"), "time.last_year", source)
    if not first <= last <= 9998:
        raise DataFileError(source, "time", "first_year <= last_year <= 9998")
    patterns = {}
    for key, pattern in raw["pattern"].items():
        if not isinstance(pattern, str) or not pattern.startswith("^"):
            raise DataFileError(source, f"pattern.{key}", "a regular expression starting with ^")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise DataFileError(
                source, f"pattern.{key}", f"a valid regular expression ({exc})"
            ) from None
        patterns[key] = pattern
    if "incident_id" not in patterns:
        raise DataFileError(source, "pattern.incident_id", "the incident ID's pattern")
    return Limits(texts, counts, first, last, patterns, minutes)


@cache
def load_limits() -> Limits:
    return parse_limits(files("runbook_core").joinpath(LIMITS_FILE).read_text("utf-8"))


# ------------------------------------------------------------------------ the time pattern


def number_range(low: int, high: int, width: int) -> str:
    """A regular expression matching exactly the numbers low..high written with `width` digits
    (a test enumerates every 4-digit number against it)."""

    def span(lo: str, hi: str) -> str:
        if lo == hi:
            return lo
        if lo == "0" * len(lo) and hi == "9" * len(hi):
            return "[0-9]" if len(lo) == 1 else f"[0-9]{{{len(lo)}}}"
        if len(lo) == 1:
            return f"[{lo}-{hi}]"
        if lo[0] == hi[0]:
            return lo[0] + span(lo[1:], hi[1:])
        rest = len(lo) - 1
        parts = [lo[0] + span(lo[1:], "9" * rest)]
        if int(hi[0]) - int(lo[0]) > 1:
            first, last = int(lo[0]) + 1, int(hi[0]) - 1
            middle = str(first) if first == last else f"[{first}-{last}]"
            parts.append(middle + span("0" * rest, "9" * rest))
        parts.append(hi[0] + span("0" * rest, hi[1:]))
        return "(?:" + "|".join(parts) + ")"

    return span(f"{low:0{width}d}", f"{high:0{width}d}")


# Month and day of a non-leap year; 29 February only in a leap year (divisible by 4, and by 400
# when it is a century).
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"


@cache
def time_pattern() -> str:
    """The one stored form of a time, as a regular expression (for the schema and the loader)."""
    limits = load_limits()
    years = number_range(limits.first_year, limits.last_year, 4)
    dates = f"(?:[0-9]{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
    return f"^(?={years}-){dates}T{_CLOCK}{END}"


def clip(text: str, limit: int | None = None) -> str:
    """At most `limit` characters (the declared `quote` limit by default): a long text is cut
    and ends with "…". For quoting a text the record keeps whole elsewhere."""
    limit = limit or load_limits().chars("quote")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"

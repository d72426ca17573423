"""Organisation-specific words (channel, escalation contact, update interval), in one place.

The packaged data/org.toml holds every word; an adopting team's file (RUNBOOK_ORG, `--org`) holds
only what it changes and is merged over it. It may also name the team's own incident template
and relabel the severities. Every key is checked when the file is read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from . import datafile
from .errors import DataFileError
from .limits import load_limits
from .rules import WORDS as WORDS  # the org words, declared beside the texts that use them
from .rules import load_runbook

ORG_FILE = "data/org.toml"
ORG_ENV = "RUNBOOK_ORG"  # path of a team's org file, for the site build and the CLI
# A Slack mention: @handle, or the <!subteam^ID>, <@USER>, <!here>-style escapes.
MENTION = re.compile(r"^(@[\w.\-]+|<[!@#][\w^|.\- ]+>)$")


TEMPLATE_KEYS = ("template", "postmortem_template")  # paths, relative to the org file


@dataclass(frozen=True)
class OrgConfig:
    organisation: str
    channel: str
    escalation_contact: str
    escalation_mention: str
    status_update_interval_minutes: int
    # A team's own incident template (a path; "" for the packaged one): it may reword, reorder
    # and add sections, keeping the placeholders' names.
    template: str = ""
    # A team's own post-mortem draft template (a path; "" for the packaged
    # POSTMORTEM_TEMPLATE.md), like `template`.
    postmortem_template: str = ""
    # The team's names for the severity classes, by id (runbook.toml [[severity]]).
    severity_labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The words, for str.format (what texts may use as placeholders)."""
        return {name: getattr(self, name) for name in WORDS}

    def mention(self) -> str:
        """How a message addresses the escalation contact: the mention, else the name."""
        if self.escalation_mention:
            return f"{self.escalation_mention} ({self.escalation_contact})"
        return self.escalation_contact


def _check(key: str, value: Any, source: str) -> None:
    if key == "severity_labels":
        if not isinstance(value, dict) or not all(
            isinstance(v, str) and v.strip() for v in value.values()
        ):
            raise DataFileError(source, key, 'a table of severity id = "label"')
    elif key in TEMPLATE_KEYS:
        if not isinstance(value, str):
            raise DataFileError(source, key, 'the path of a markdown template, or ""')
    elif key == "status_update_interval_minutes":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 240:
            raise DataFileError(source, key, "a whole number of minutes from 1 to 240")
    elif key == "escalation_mention":
        if not isinstance(value, str) or (value and not MENTION.match(value)):
            raise DataFileError(
                source,
                key,
                'a Slack mention like "@head-of-eng", "<!subteam^S0123ABCD>" or "<@U0123ABCD>", '
                'or "" for none',
            )
    elif not isinstance(value, str) or not value.strip():
        raise DataFileError(source, key, "a non-empty string")
    # The words go into timeline entries and messages: bounded like a name (data/limits.toml).
    most = load_limits().chars("name")
    if key in WORDS and isinstance(value, str) and len(value) > most:
        raise DataFileError(source, key, f"at most {most} characters, not {len(value):,}")


def parse_org(text: str, source: str, base: OrgConfig | None = None) -> OrgConfig:
    """Validate an org.toml text; merged over `base` (every key is required without one)."""
    try:
        raw = datafile.loads(text)
    except datafile.TOMLError as exc:
        raise DataFileError(source, "(file)", f"valid TOML ({exc})") from None
    known = [f.name for f in fields(OrgConfig)]
    for key, value in raw.items():
        if key not in known:
            raise DataFileError(source, key, f"one of the known keys {known}")
        _check(key, value, source)
    for key in TEMPLATE_KEYS:
        if raw.get(key):
            # Relative to the org file, checked now: a typo fails here, not mid-incident.
            path = Path(source).parent / raw[key]
            if not path.is_file():
                raise DataFileError(source, key, f"an existing file ({path} is not one)")
            raw[key] = str(path)
    if base is None:
        missing = [key for key in WORDS if key not in raw]
        if missing:
            raise DataFileError(source, missing[0], "this key to be present")
        return OrgConfig(**raw)
    merged = {f.name: getattr(base, f.name) for f in fields(OrgConfig)}
    labels = {**base.severity_labels, **raw.pop("severity_labels", {})}
    return OrgConfig(**{**merged, **raw, "severity_labels": labels})


@cache  # package data: read once per process (the engine reads the org at every call)
def packaged_org() -> OrgConfig:
    return parse_org(files("runbook_core").joinpath(ORG_FILE).read_text("utf-8"), ORG_FILE)


def load_org(path: str | Path | None = None) -> OrgConfig:
    """The packaged org.toml, merged with a team's file: `path`, else $RUNBOOK_ORG if set."""
    base = packaged_org()
    path = path or os.environ.get(ORG_ENV) or None
    if path is None:
        return base
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise DataFileError(str(path), "(file)", "an existing org file (no such file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), "(file)", f"a readable UTF-8 file ({exc})") from None
    return _team_org(text, str(path))


@lru_cache(maxsize=8)  # by the file's text: an edited file is read again
def _team_org(text: str, source: str) -> OrgConfig:
    org = check_severity_labels(parse_org(text, source, packaged_org()), source)
    if org.template:
        from .ticket import load_template  # the ticket reads the org: imported when used

        load_template(org.template)  # a template that drops or misnames a placeholder stops here
    return org


def check_severity_labels(org: OrgConfig, source: str) -> OrgConfig:
    known = {rule.id for rule in load_runbook().severity}
    for key in org.severity_labels:
        if key not in known:
            raise DataFileError(
                source, f"severity_labels.{key}", f"a severity id, one of {sorted(known)}"
            )
    return org

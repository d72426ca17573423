"""Organisation-specific words (channel, escalation contact, update interval), in one place."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path

from .errors import DataFileError

ORG_FILE = "data/org.toml"


@dataclass(frozen=True)
class OrgConfig:
    channel: str = "#releases"
    escalation_contact: str = "Head of Engineering"
    status_update_interval_minutes: int = 20
    organisation: str = "Our team"

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def parse_org(text: str, source: str) -> OrgConfig:
    """Validate an org.toml text; every key is checked, unknown keys are refused."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, "(file)", f"valid TOML ({exc})") from None
    known = {f.name: f.type for f in fields(OrgConfig)}
    for key, value in raw.items():
        if key not in known:
            raise DataFileError(source, key, f"one of the known keys {sorted(known)}")
        if key == "status_update_interval_minutes":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 240:
                raise DataFileError(source, key, "a whole number of minutes from 1 to 240")
        elif not isinstance(value, str) or not value.strip():
            raise DataFileError(source, key, "a non-empty string")
    return OrgConfig(**raw)


def load_org(path: str | Path | None = None) -> OrgConfig:
    """The packaged org.toml, or another file given by an adopting team (CLI --org)."""
    if path is None:
        return parse_org(files("runbook_core").joinpath(ORG_FILE).read_text("utf-8"), ORG_FILE)
    path = Path(path)
    return parse_org(path.read_text("utf-8"), str(path))

"""The record's JSON Schema (2020-12), generated from the record dataclasses, the declared
vocabularies and the declared limits (data/limits.toml): the shipped data/record.schema.json is
this, written by `make golden`, and a test checks the two are equal, so the schema cannot drift
from the loader. Tests check that the schema and the loader accept the same records, both ways,
with an outside validator (jsonschema)."""

from __future__ import annotations

import json
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from .limits import END, load_limits, time_pattern
from .record import (
    SCHEMA_VERSION,
    Record,
    choices,
    count_limit,
    split_optional,
    text_limit,
    type_hints,
)

# Text is text: no unpaired surrogate (\ud800-\udfff), which no UTF-8 file can hold.
TEXT_PATTERN = r"^[^\ud800-\udfff]*$"
INDEX = "(?:0|[1-9][0-9]{0,3})"  # a position in a list, as the loader writes it
# The one rule of the loader this schema cannot state: JSON Schema cannot compare a value with
# the length of another list.
NOT_EXPRESSIBLE = (
    "A timeline ref with a position (mitigations.0.ended_at) names an entry that exists and "
    "whose time is set: runbook_core's loader checks this; this schema checks the ref's form."
)


def _time() -> dict[str, Any]:
    return {"type": "string", "pattern": time_pattern()}


def _string(meta: Any) -> dict[str, Any]:
    kind = meta.get("kind")
    if kind == "time":
        return _time()
    if kind == "choice":
        return {"enum": list(choices(meta["of"]))}
    if kind == "incident_id":
        pattern = load_limits().patterns["incident_id"]
        return {"type": "string", "anyOf": [{"const": ""}, {"pattern": pattern}]}
    schema: dict[str, Any] = {
        "type": "string",
        "maxLength": text_limit(meta),
        "pattern": TEXT_PATTERN,
    }
    if meta.get("limit") == "ref":
        schema["pattern"] = ref_pattern()
    return schema


def _property(annotation: Any, meta: Any, defs: dict[str, Any]) -> dict[str, Any]:
    kind, optional = split_optional(annotation)
    if typing.get_origin(kind) is tuple:
        schema = {
            "type": "array",
            "maxItems": count_limit(meta),
            "items": _property(typing.get_args(kind)[0], meta, defs),
        }
    elif isinstance(kind, type) and is_dataclass(kind):
        defs.setdefault(kind.__name__, _object(kind, defs))
        schema = {"$ref": f"#/$defs/{kind.__name__}"}
    elif kind is bool:
        schema = {"type": "boolean"}
    elif kind is int:
        schema = {"type": "integer", "minimum": 0, "maximum": load_limits().items("list") - 1}
    else:
        schema = _string(meta)
    if optional:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = type_hints(cls)
    props, required = {}, []
    for f in fields(cls):
        if cls is Record and f.name == "schema_version":
            props[f.name] = {"const": SCHEMA_VERSION}
            required.append(f.name)
            continue
        props[f.name] = _property(hints[f.name], f.metadata, defs)
        if (f.default is MISSING and f.default_factory is MISSING) or f.metadata.get("required"):
            required.append(f.name)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": props,
    }


# ------------------------------------------------------------------ what a ref may name


def time_path_forms(cls: type = Record, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every time a record holds, as path parts ("#" for a position in a list): what a
    timeline ref may name (the timeline's own times excepted, as record.time_paths does)."""
    out: list[tuple[str, ...]] = []
    hints = type_hints(cls)
    for f in fields(cls):
        if cls is Record and f.name == "timeline":
            continue
        kind, _ = split_optional(hints[f.name])
        if f.metadata.get("kind") == "time":
            out.append((*prefix, f.name))
        elif typing.get_origin(kind) is tuple and is_dataclass(typing.get_args(kind)[0]):
            out += time_path_forms(typing.get_args(kind)[0], (*prefix, f.name, "#"))
        elif isinstance(kind, type) and is_dataclass(kind):
            out += time_path_forms(kind, (*prefix, f.name))
    return out


def ref_pattern() -> str:
    forms = sorted(
        r"\.".join(INDEX if part == "#" else part for part in form) for form in time_path_forms()
    )
    return f"^(?:{'|'.join(forms)})?{END}"


def _fixed_refs() -> list[dict[str, Any]]:
    """For each time without a position (declared_at, decision.at...): when a timeline entry
    names it, it is set."""
    rules = []
    for form in time_path_forms():
        if "#" in form:
            continue
        then: dict[str, Any] = {"type": "string"}
        for part in reversed(form):
            then = {"type": "object", "required": [part], "properties": {part: then}}
        ref = ".".join(form)
        names = {"properties": {"ref": {"const": ref}}, "required": ["ref"]}
        rules.append(
            {
                "if": {
                    "properties": {"timeline": {"contains": names}},
                    "required": ["timeline"],
                },
                "then": then,
            }
        )
    return rules


def record_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    body = _object(Record, defs)
    limits = load_limits()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "runbook_core/record.schema.json",
        "title": "Incident record",
        "description": f"The state of one release incident (runbook_core schema_version "
        f"{SCHEMA_VERSION}). Times are UTC, exactly YYYY-MM-DDTHH:MM:SSZ (e.g. "
        f"2026-11-28T21:40:00Z), real dates in the years {limits.first_year} to "
        f"{limits.last_year}. Limits: runbook_core/data/limits.toml. {NOT_EXPRESSIBLE} "
        "Generated from runbook_core.record by runbook_core.schema: do not edit.",
        **body,
        "allOf": _fixed_refs(),
        "$defs": dict(sorted(defs.items())),
    }


def schema_json() -> str:
    return json.dumps(record_schema(), indent=2, ensure_ascii=False) + "\n"

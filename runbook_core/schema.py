"""The record's JSON Schema (2020-12), generated from the record dataclasses and the declared
vocabularies: the shipped data/record.schema.json is this, written by `make golden`, and a test
checks the two are equal, so the schema cannot drift from the loader."""

from __future__ import annotations

import json
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from .record import MAX_TEXT, SCHEMA_VERSION, Record, choices, split_optional, type_hints

TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}


def _property(annotation: Any, meta: Any, defs: dict[str, Any]) -> dict[str, Any]:
    kind, optional = split_optional(annotation)
    if typing.get_origin(kind) is tuple:
        schema = {"type": "array", "items": _property(typing.get_args(kind)[0], meta, defs)}
    elif is_dataclass(kind):
        defs.setdefault(kind.__name__, _object(kind, defs))
        schema = {"$ref": f"#/$defs/{kind.__name__}"}
    elif kind is bool:
        schema = {"type": "boolean"}
    elif kind is int:
        schema = {"type": "integer", "minimum": 0}
    elif meta.get("kind") == "time":
        schema = dict(TIME)
    elif meta.get("kind") == "choice":
        schema = {"enum": list(choices(meta["of"]))}
    else:
        schema = {"type": "string", "maxLength": meta.get("max", MAX_TEXT)}
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


def record_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    body = _object(Record, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "runbook_core/record.schema.json",
        "title": "Incident record",
        "description": f"The state of one release incident (runbook_core schema_version "
        f"{SCHEMA_VERSION}). Times are ISO 8601 UTC, e.g. 2026-11-28T21:40:00Z. Generated from "
        "runbook_core.record by runbook_core.schema: do not edit.",
        **body,
        "$defs": dict(sorted(defs.items())),
    }


def schema_json() -> str:
    return json.dumps(record_schema(), indent=2, ensure_ascii=False) + "\n"

"""runbook_core: the release incident-response runbook as one tested source of truth."""

__version__ = "0.2.0"

from importlib import import_module  # noqa: E402

# The names below are imported when first used (PEP 562), so that `runbook` and `python -m
# runbook_core` can take charge of Ctrl-C before the rest of the package loads.
_EXPORTS = {
    "apply": "actions",
    "OrgConfig": "config",
    "load_org": "config",
    "Reason": "decide",
    "Recommendation": "decide",
    "recommend": "decide",
    "relevant_fix_forward_questions": "decide",
    "DataFileError": "errors",
    "InvalidInput": "errors",
    "NewerSchemaError": "errors",
    "RecordError": "errors",
    "RunbookError": "errors",
    "all_messages": "messages",
    "declaration_message": "messages",
    "SCHEMA_VERSION": "record",
    "Record": "record",
    "record_from_dict": "record",
    "record_from_json": "record",
    "Runbook": "rules",
    "load_runbook": "rules",
    "render_ticket": "ticket",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "SCHEMA_VERSION",
    "DataFileError",
    "InvalidInput",
    "NewerSchemaError",
    "OrgConfig",
    "Reason",
    "Recommendation",
    "Record",
    "RecordError",
    "RunbookError",
    "Runbook",
    "__version__",
    "all_messages",
    "apply",
    "declaration_message",
    "load_org",
    "load_runbook",
    "record_from_dict",
    "record_from_json",
    "recommend",
    "relevant_fix_forward_questions",
    "render_ticket",
]

"""runbook_core: the release incident-response runbook as one tested source of truth."""

__version__ = "0.1.0"

from .actions import apply  # noqa: E402
from .config import OrgConfig, load_org  # noqa: E402
from .decide import Reason, Recommendation, recommend, relevant_fix_forward_questions  # noqa: E402
from .errors import (  # noqa: E402
    DataFileError,
    InvalidInput,
    NewerSchemaError,
    RecordError,
    RunbookError,
)
from .messages import all_messages, declaration_message  # noqa: E402
from .record import SCHEMA_VERSION, Record, record_from_dict, record_from_json  # noqa: E402
from .rules import Runbook, load_runbook  # noqa: E402
from .ticket import render_ticket  # noqa: E402

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

"""One root error, a few specific ones; each message names what is wrong and how to fix it."""

from __future__ import annotations


class RunbookError(Exception):
    """Root of every error runbook_core raises on purpose."""


class DataFileError(RunbookError):
    """A data file shipped with (or configured for) the package is malformed."""

    def __init__(self, file: str, key: str, expected: str) -> None:
        self.file, self.key, self.expected = file, key, expected
        super().__init__(f"{file}: {key}: expected {expected}")


class RecordError(RunbookError):
    """An incident record (JSON) is malformed."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"incident record: {field}: {problem}")


class NewerSchemaError(RecordError):
    """The record was written by a newer version of runbook_core."""


class InvalidInput(RunbookError):
    """An answer or action the runbook does not allow; names the field and what is allowed."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")

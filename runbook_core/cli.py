"""`runbook`: the same rules, ticket and messages as the site, from a terminal or a script.

Bad input exits with code 2 and one line naming the field (or the file) and what to do; Ctrl-C
exits 130 with one line, and a state file is then either as it was or fully written. A traceback
is a bug (it exits 70 with one line; RUNBOOK_DEBUG=1 shows the traceback). Everything printed as
text has terminal control characters removed, so a record cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import signal
import stat
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from . import markdown as md
from .actions import apply
from .config import ORG_ENV, OrgConfig, load_org
from .decide import recommend, relevant_fix_forward_questions, section_title
from .derive import (
    FUTURE_TOLERANCE,
    escalation_required,
    in_future,
    message_due,
    phase,
    status,
)
from .errors import InvalidInput, RecordError, RunbookError
from .formats import FORMAT_NAMES
from .messages import all_messages
from .record import Record, choices, load_json, load_record_json, normalise_time, utc_iso
from .rules import NOT_IN_RUNBOOK, load_runbook
from .table import FieldSpec, load_table
from .ticket import render_ticket
from .transitions import allowed_now

HELP_WIDTH = 79
EXIT_BAD_INPUT = 2
EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): an error nobody raised on purpose
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
DEBUG_ENV = "RUNBOOK_DEBUG"  # set: an unexpected error shows its traceback
# The most the CLI reads from one file or from standard input: far more than a record the loader
# accepts needs in practice, and a bound on what a mistaken path (/dev/zero, a log) costs.
MAX_INPUT_BYTES = 64 * 1024 * 1024
# Controls a terminal acts on (ESC sequences, BEL, NUL, C1 CSI...); newline and tab stay.
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class UsageError(Exception):
    """Bad input from the command line or a file it names; printed, exit code 2."""


class Refused(UsageError):
    """An action the state machine refused: which one, the field and the guard's message."""

    def __init__(self, message: str, number: int, kind: str | None, exc: InvalidInput) -> None:
        super().__init__(message)
        self.number, self.kind, self.field, self.problem = number, kind, exc.field, exc.problem


class Interrupted(Exception):
    """Ctrl-C, with what became of the file being written; printed, exit code 130."""

    def __init__(self, message: str, saved: bool = False) -> None:
        super().__init__(message)
        self.saved = saved


class _Held:
    depth = 0
    pending = False
    previous: Any = None


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C inside the block waits until it ends (then raises KeyboardInterrupt): a file being
    replaced is either the old or the new one, never a stray temporary file. Only the main
    thread can handle signals; elsewhere (and in Pyodide) the block runs as it is."""
    if _Held.depth == 0:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        try:
            _Held.previous = signal.signal(signal.SIGINT, _hold)
        except (ValueError, OSError, AttributeError):
            yield
            return
    _Held.depth += 1
    try:
        yield
    finally:
        _Held.depth -= 1
        if _Held.depth == 0:
            # None: a handler set outside Python; Python's own is the closest to restore.
            previous = _Held.previous
            signal.signal(
                signal.SIGINT, signal.default_int_handler if previous is None else previous
            )
            if _Held.pending:
                _Held.pending = False
                raise KeyboardInterrupt


def _hold(signum: int, frame: Any) -> None:
    _Held.pending = True


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other (it prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        _say(f"error: {message} (see `{self.prog} --help`)")
        sys.exit(EXIT_BAD_INPUT)


def terminal_safe(text: str) -> str:
    return TERMINAL_CONTROL.sub("", text)


def json_safe(data: Any) -> str:
    """JSON for a terminal: DEL and C1 controls escaped too (json escapes only C0)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return re.sub(r"[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _choices(qid: str) -> list[str]:
    return list(load_runbook().question(qid).values)


def build_parser() -> argparse.ArgumentParser:
    # --org is accepted before or after the subcommand.
    org = Parser(add_help=False)
    org.add_argument(
        "--org",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=f"the organisation's words (TOML), merged over the packaged org.toml; default "
        f"${ORG_ENV} if set",
    )
    parser = Parser(
        prog="runbook",
        parents=[org],
        description="The release incident-response runbook: decisions, the filled incident "
        "ticket and the Slack messages.",
    )
    parser.add_argument("--version", action="version", version=f"runbook {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("decide", parents=[org], help="the runbook's recommendation, with reasons")
    for q in load_runbook().questions:
        p.add_argument(
            f"--{q.id.replace('_', '-')}",
            dest=q.id,
            required=q.group == "impact",
            choices=_choices(q.id),
            help=q.prompt,
        )
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: the recommendation and its reasons; json: one object with the action, "
        "whether fix forward is permitted and the reasons with their runbook sections",
    )

    p = sub.add_parser("ticket", parents=[org], help="print the filled incident ticket")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the ticket to FILE")
    p.add_argument(
        "--format",
        choices=list(FORMAT_NAMES),
        default="markdown",
        help="markdown (GitHub/GitLab), jira (Jira/Confluence wiki markup) or text",
    )

    p = sub.add_parser("messages", parents=[org], help="print the Slack messages for a record")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument(
        "--format",
        choices=["text", "json", "slack"],
        default="text",
        help="text and json: as the IC copies them into Slack; slack: JSON payloads for Slack's "
        "API (chat.postMessage), with &, < and > escaped and the organisation's mention kept",
    )
    p.add_argument("--at", metavar="TIME", help="the moment to compute them for (default now)")

    p = sub.add_parser(
        "apply",
        parents=[org],
        help="apply actions to a state file through the state machine the page uses",
        description="Apply one action (JSON, as the page sends it) or, with -, one per line of "
        'standard input (an action, or {"at": TIME, "action": {...}}). A missing state file '
        "starts a new incident. All or nothing: a refused action exits 2 with the reason and "
        "leaves the file untouched. Concurrent runs on one file wait for each other.",
        epilog=actions_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument(
        "--at",
        metavar="TIME",
        help="time of the action(s), ISO 8601 with Z or an offset, at most "
        f"{_tolerance_minutes()} minutes after now (default now)",
    )
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: one line (ID: status); json: one object on standard output, for scripts, "
        "also when refused (see docs/reference/cli.md)",
    )
    p.add_argument("action", metavar="ACTION_JSON", help='e.g. {"type": "answer", ...}, or -')

    p = sub.add_parser("walk", parents=[org], help="interactive walkthrough; saves every answer")
    p.add_argument(
        "--state",
        default="incident.json",
        metavar="FILE",
        help="record to create or resume (default: incident.json)",
    )
    add_output_commands(sub, org)
    return parser


def _tolerance_minutes() -> int:
    return int(FUTURE_TOLERANCE.total_seconds() // 60)


def field_summary(spec: FieldSpec) -> str:
    """A field's kind in words: "line, required, at most 500 characters", "one of: a, b"."""
    if spec.type == "choice":
        values = (
            [q.id for q in load_runbook().questions]
            if spec.of == "questions"
            else list(choices(spec.of))
        )
        kind = "one of: " + ", ".join(values)
    elif spec.type == "answer":
        kind = "an answer to `question` (see `runbook decide --help`)"
    elif spec.type == "index":
        kind = f"index into {spec.of} (0 is the first)"
    elif spec.type == "names":
        kind = "names (a list, or one line separated by commas)"
    elif spec.type == "time":
        kind = "time (ISO 8601, or HH:MM UTC)"
    else:
        kind = spec.type.replace("_", " ")
    if spec.required:
        kind += ", required"
    if spec.max is not None and spec.type in ("line", "text", "name", "url"):
        kind += f", at most {spec.max} characters"
    return kind


def actions_help() -> str:
    """`apply --help`'s list of actions and their fields, from the state table."""
    table = load_table()
    lines = [
        "actions (from the state table, runbook_core/data/transitions.toml):",
        '  ACTION_JSON is {"type": ACTION, FIELD: VALUE, ...}',
    ]
    for spec in table.actions.values():
        lines += [""] + textwrap.wrap(
            f"{spec.type}: {spec.title} ({_cited(spec.section)}; phases: {', '.join(spec.phases)})",
            HELP_WIDTH,
            initial_indent="  ",
            subsequent_indent="      ",
        )
        for f in spec.fields:
            lines += textwrap.wrap(
                f"{f.name}: {field_summary(f)}. {f.doc}",
                HELP_WIDTH,
                initial_indent="    ",
                subsequent_indent="      ",
            )
        if not spec.fields:
            lines.append("    (no fields)")
    lines += [
        "",
        "exit codes: 0 applied; 2 bad input or refused (the file unchanged); 130 interrupted "
        "(Ctrl-C); 70 a bug.",
    ]
    return "\n".join(lines)


def cli_reference(part: str = "options") -> str:
    """Every command and option, as markdown, from the parser itself (reference/cli.md renders
    it at build time, so the page cannot miss an option); part="limits": the input limits."""
    if part == "limits":
        return (
            f"`--at` (and the `at` of a line on standard input) must be an ISO 8601 time with "
            f"`Z` or an offset, and no more than {_tolerance_minutes()} minutes after the real "
            f"clock, the window the walkthrough allows. A field longer than its limit is refused "
            f"with that field's own limit (the actions page lists them). A file or standard "
            f"input is read up to {MAX_INPUT_BYTES:,} bytes; beyond that the error says so."
        )
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {a.dest: a.help or "" for a in commands._choices_actions}
    everywhere = frozenset({"-h", "--org"})  # in every command's table once, above
    out = ["### Every command { #options-everywhere }", "", _options_table(parser), ""]
    for name, command in commands.choices.items():
        summary = summaries[name][:1].upper() + summaries[name][1:]
        out += [f"### `runbook {name}` {{ #{name} }}", "", md.inline(summary) + "."]
        if command.description:
            out += ["", md.inline(command.description)]
        out += ["", "```text", command.format_usage().strip(), "```", ""]
        out += [_options_table(command, skip=everywhere), ""]
    return "\n".join(out)


def _options_table(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> str:
    rows = [
        "| Option | Value | Required | Default | What it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or skip & set(action.option_strings):
            continue
        names = ", ".join(action.option_strings) or action.metavar or action.dest
        if not action.option_strings:  # a positional: its name is its value
            value = ""
        elif action.choices is not None:
            value = " \\| ".join(f"`{c}`" for c in action.choices)
        elif action.nargs == 0:
            value = ""
        else:
            value = f"`{action.metavar or action.dest.upper()}`"
        default = action.default
        shown = (
            f"`{default}`"
            if default not in (None, argparse.SUPPRESS, False) and not action.required
            else ""
        )
        required = "yes" if action.required or not action.option_strings else ""
        help_text = md.cell(action.help or "")
        rows.append(f"| `{names}` | {value} | {required} | {shown} | {help_text} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- state files


def _too_big(what: str) -> UsageError:
    return UsageError(
        f"{what}: larger than {MAX_INPUT_BYTES} bytes, the most the CLI reads from one file or "
        "from standard input; is it the right file?"
    )


def _decode(data: bytes, what: str, fix: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what}: not UTF-8 text (byte {exc.start}); {fix}") from None


def read_input(path: Path) -> str:
    """A file's text, at most MAX_INPUT_BYTES of UTF-8 (OSError for the caller to word)."""
    with open(path, "rb") as file:
        data = file.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(f"--state: {path}")
    return _decode(data, f"--state: {path}", "give the record's JSON file")


def read_record(path: str | Path, missing_ok: bool = False, to_change: bool = False) -> Record:
    """The record in the state file. One an earlier version wrote over a limit of this one is
    read for the ticket and the messages; changing it is refused, saying why (record.Loaded)."""
    path = Path(path)
    try:
        text = read_input(path)
    except FileNotFoundError:
        if missing_ok and path.parent.is_dir():
            return Record()
        if not path.parent.is_dir():
            raise UsageError(f"--state: {path}: the folder {path.parent} does not exist") from None
        raise UsageError(f"--state: {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"--state: {path}: is a folder; give the record's file") from None
    except PermissionError:
        raise UsageError(f"--state: {path}: cannot read it (permission denied)") from None
    except OSError as exc:
        raise UsageError(f"--state: {path}: cannot read it ({exc.strerror or exc})") from None
    if not text.strip():
        start = " (or delete it to start a new incident)" if missing_ok else ""
        raise UsageError(f"--state: {path}: the file is empty; give the record's file{start}")
    try:
        loaded = load_record_json(text)
    except RunbookError as exc:
        raise UsageError(f"--state: {path}: {exc}") from None
    if to_change and loaded.read_only:
        raise UsageError(f"--state: {path}: unchanged. {loaded.read_only}")
    return loaded.record


def _read_only(path: Path) -> bool:
    """No write permission bit at all: read-only by its owner's choice, even for root (whom
    os.access lets write anything, and whose rename would silently replace it)."""
    return not stat.S_IMODE(os.stat(path).st_mode) & 0o222


def write_text(path: str | Path, text: str, option: str) -> None:
    """Write atomically: a unique temporary file beside the target, then a rename over it. A
    symlink is written through (its target is replaced, the link stays); the file's permissions
    are kept; no reader ever sees half a file."""
    given = Path(path)
    target = Path(os.path.realpath(given))
    if target.is_dir():
        raise UsageError(f"{option}: {given}: is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{option}: {given}: the folder {folder} does not exist")
    if target.exists() and (not os.access(target, os.W_OK) or _read_only(target)):
        raise UsageError(f"{option}: {given}: the file is read-only")
    with interrupts_held():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        except PermissionError:
            raise UsageError(
                f"{option}: {given}: cannot write in {folder} (permission denied)"
            ) from None
        except OSError as exc:
            raise UsageError(
                f"{option}: {given}: cannot write in {folder} ({exc.strerror})"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            _keep_owner_and_mode(tmp, target)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise UsageError(
                f"{option}: {given}: could not write it ({exc.strerror or exc})"
            ) from None


def _keep_owner_and_mode(tmp: str, target: Path) -> None:
    """The replacement gets the replaced file's mode and, when root runs us (who may), its
    owner and group; a new file gets the mode the umask gives (mkstemp's is 0600)."""
    if not target.exists():
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    old, new = os.stat(target), os.stat(tmp)
    if (old.st_uid, old.st_gid) != (new.st_uid, new.st_gid) and os.geteuid() == 0:
        os.chown(tmp, old.st_uid, old.st_gid)
    os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which clears setuid/setgid bits


def save_record(record: Record, path: str | Path) -> None:
    write_text(path, record.to_json(), "--state")


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on the state file's folder for a read-apply-write, so concurrent
    runs on one file take turns and none loses another's action. (No lock where the platform
    has no flock; the write itself stays atomic.)"""
    try:
        import fcntl
    except ImportError:  # Windows, Pyodide
        yield
        return
    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir():
        raise UsageError(f"--state: {path}: the folder {folder} does not exist")
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise UsageError(
            f"--state: {path}: cannot use the folder {folder} ({exc.strerror})"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _now() -> str:
    return utc_iso(datetime.now(UTC))


# ------------------------------------------------------------------------------- commands


def cmd_decide(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    runbook = load_runbook()
    answers = {q.id: getattr(args, q.id) for q in runbook.questions}
    rec = recommend(answers, runbook)
    if args.format == "json":
        out(json_safe(rec.as_dict(runbook)))
        return 0
    fix_forward = runbook.action_labels["fix_forward"]
    out(f"{runbook.action_labels[rec.action]} (the runbook's default)")
    out(f"{fix_forward}: {'permitted' if rec.fix_forward_permitted else 'not permitted'}")
    for reason in rec.reasons:
        out(f"  - {reason.text} (runbook: {section_title(runbook, reason.section)})")
    return 0


def cmd_ticket(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    ticket = render_ticket(read_record(args.state), org, format=args.format)
    if args.output:
        write_text(args.output, ticket, "-o")
    else:
        out(terminal_safe(ticket.rstrip("\n")))
    return 0


def cmd_messages(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    record = read_record(args.state)
    at = _action_time(args.at) if args.at is not None else None
    messages = all_messages(record, now=at, org=org, api=args.format == "slack")
    if args.format == "slack":
        out(json_safe({name: {"text": text} for name, text in messages.items()}))
    elif args.format == "json":
        out(json_safe(messages))
    else:
        out(terminal_safe("\n\n".join(f"## {name}\n{text}" for name, text in messages.items())))
    return 0


def _action_time(value: Any, what: str = "--at") -> str:
    """A time given on the command line: ISO 8601, and (as on the page) no more than the
    declared tolerance after the real clock."""
    try:
        at = normalise_time(value, what)
    except RecordError as exc:
        raise UsageError(f"{what}: {exc.problem}") from None
    now = _now()
    if in_future(at, now):
        minutes = int(FUTURE_TOLERANCE.total_seconds() // 60)
        raise UsageError(
            f"{what}: {at} is more than {minutes} minutes after now ({now}); times are UTC: "
            "check the date and hour"
        )
    return at


def read_stdin(stdin: Any, what: str) -> str:
    """Standard input's text, at most MAX_INPUT_BYTES of UTF-8."""
    if stdin is None or stdin.closed:
        raise UsageError(f"{what}: standard input is closed; pipe one action per line into it")
    try:
        binary = getattr(stdin, "buffer", None)
        data: str | bytes = (binary or stdin).read(MAX_INPUT_BYTES + 1)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{what}: cannot read standard input ({exc})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise _too_big(f"{what}: standard input")
    if isinstance(data, bytes):
        return _decode(data, f"{what}: standard input", "send JSON actions in UTF-8")
    return data


def _read_actions(args: argparse.Namespace, stdin: Any) -> list[tuple[str, Any]]:
    """[(time, action)] from the argument or from standard input, one per line."""
    default_at = _action_time(args.at) if args.at is not None else _now()
    if args.action != "-":
        try:
            return [(default_at, load_json(args.action, "ACTION_JSON"))]
        except RunbookError as exc:
            raise UsageError(str(exc)) from None
    lines = read_stdin(stdin, "apply -").splitlines()
    actions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = load_json(line, f"line {number}")
        except RunbookError as exc:
            raise UsageError(f"apply -: {exc}") from None
        if isinstance(item, dict) and "action" in item and "type" not in item:
            at = item.get("at")
            at = default_at if at is None else _action_time(at, f"apply -: line {number}: at")
            actions.append((at, item["action"]))
        else:
            actions.append((default_at, item))
    if not actions:
        raise UsageError("apply -: standard input had no action")
    return actions


def cmd_apply(
    args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None], stdin: Any = None
) -> int:
    saved = False
    try:
        actions = _read_actions(args, stdin if stdin is not None else sys.stdin)
        with locked(args.state):
            record = read_record(args.state, missing_ok=True, to_change=True)
            previous = _sha256(args.state)
            for number, (at, action) in enumerate(actions, start=1):
                try:
                    record = apply(record, action, at, org)
                except InvalidInput as exc:
                    where = f"action {number} " if len(actions) > 1 else ""
                    kind = action.get("type") if isinstance(action, dict) else None
                    kind = kind if isinstance(kind, str) and kind in load_table().actions else None
                    raise Refused(
                        f"{where}{kind or 'action'} refused, {args.state} unchanged: {exc}",
                        number,
                        kind,
                        exc,
                    ) from None
            text = record.to_json()
            with interrupts_held():  # the file and `saved` agree
                save_record(record, args.state)
                saved = True
        if getattr(args, "format", "text") == "json":
            out(json_safe(apply_result(record, args.state, actions, previous, text)))
        else:
            out(terminal_safe(f"{record.incident_id}: {status(record)} ({len(actions)} applied)"))
    except KeyboardInterrupt:
        if saved:
            raise Interrupted(
                f"{args.state} was saved with the action(s) before it", saved=True
            ) from None
        raise Interrupted(f"{args.state} unchanged") from None
    return 0


def _sha256(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def apply_result(
    record: Record, state: str, actions: list[tuple[str, Any]], previous: str | None, text: str
) -> dict[str, Any]:
    """`apply --format json` when the actions were applied (documented in reference/cli.md)."""
    table = load_table()
    now = _now()
    current = phase(record)
    return {
        "ok": True,
        "saved": True,
        "state": state,
        "applied": [a["type"] for _, a in actions],
        "incident_id": record.incident_id,
        "phase": current,
        "phase_label": table.phase(current).label,
        "status": status(record),
        "escalation_required": escalation_required(record),
        "allowed_now": [kind for kind, a in allowed_now(record, now).items() if a["allowed"]],
        "revision": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "previous_revision": previous,
    }


def error_result(kind: str, message: str, state: str, exc: BaseException) -> dict[str, Any]:
    """`apply --format json` when nothing was applied, or when interrupted."""
    error: dict[str, Any] = {"kind": kind, "message": message, "field": None}
    if isinstance(exc, Refused):
        error.update(field=exc.field, problem=exc.problem, action_number=exc.number, type=exc.kind)
    return {
        "ok": False,
        "saved": exc.saved if isinstance(exc, Interrupted) else False,
        "state": state,
        "error": error,
    }


class Walk:
    """The terminal walkthrough: one question at a time, the record saved after each answer."""

    def __init__(
        self,
        path: Path,
        org: OrgConfig,
        ask: Callable[[str], str],
        out: Callable[[str], None],
        clock: Callable[[], str],
    ) -> None:
        self.path, self.org, self.ask, self.clock = path, org, ask, clock
        self.out: Callable[[str], None] = lambda text: out(terminal_safe(text))
        self.record = read_record(path, missing_ok=True, to_change=True)
        self.runbook = load_runbook()

    def do(self, action: dict[str, object]) -> bool:
        try:
            self.record = apply(self.record, action, self.clock(), self.org)
        except InvalidInput as exc:
            self.out(f"  ! {exc}")
            return False
        save_record(self.record, self.path)
        return True

    def prompt(self, text: str, allowed: Sequence[str] = (), default: str = "") -> str:
        hint = f" [{'/'.join(allowed)}]" if allowed else ""
        hint += f" (Enter = {default})" if default else ""
        while True:
            value = self.ask(f"{text}{hint}: ").strip()
            value = value or default
            if not allowed or value in allowed:
                return value
            self.out(f"  ! choose one of: {', '.join(allowed)}")

    def until_done(self, build: Callable[[], dict[str, object]]) -> None:
        while not self.do(build()):
            pass

    def post(self, kind: str, action: dict[str, object]) -> None:
        """Show a message to post; log it once the IC says it is posted."""
        label = load_table().label("message_kind", kind)
        messages = all_messages(self.record, now=self.clock(), org=self.org)
        self.out(f"\n{label}: post this in {self.org.channel}:\n{messages[f'{kind}-message']}\n")
        if self.prompt(f"Posted the {label.lower()}?", ["y", "n"], "y") == "y":
            self.do(action)

    def run(self) -> int:
        r, out = self.runbook, self.out
        out(
            f"Incident record: {self.path} (saved after every answer; Ctrl-C to stop, run "
            "again to resume)"
        )
        if not self.record.declared_at:
            self.until_done(
                lambda: {
                    "type": "declare",
                    "summary": self.prompt("Brief summary of the issue"),
                    "by": self.prompt("Your name"),
                }
            )
        if message_due(self.record, "declaration"):
            self.post("declaration", {"type": "log_message", "kind": "declaration"})
        if not self.record.ic:

            def command() -> dict[str, object]:
                oncall = self.prompt("On-call engineer (the default IC)")
                available = self.prompt("Is the on-call engineer available?", ["y", "n"], "y")
                action: dict[str, object] = {
                    "type": "take_command",
                    "oncall": oncall,
                    "oncall_available": available == "y",
                }
                if available == "n":
                    action["first_responder"] = self.prompt(
                        "First engineer to respond (assumes IC)"
                    )
                return action

            self.until_done(command)
            out(f"  IC: {self.record.ic}")
        for q in r.group("impact"):
            if getattr(self.record.impact, q.id) is None:
                value = self.prompt(q.prompt, q.values)
                self.do({"type": "answer", "question": q.id, "value": value})
        if self.record.decision is None:
            for qid in relevant_fix_forward_questions(self.record.answers()):
                q = r.question(qid)
                if getattr(self.record.fix_forward, qid) is None:
                    value = self.prompt(q.prompt, q.values)
                    self.do({"type": "answer", "question": qid, "value": value})
            rec = recommend(self.record.answers())
            out(f"\nRecommendation: {r.action_labels[rec.action]} (the runbook's default)")
            if rec.fix_forward_permitted:
                out(f"{r.action_labels['fix_forward']} is permitted.")
            for reason in rec.reasons:
                out(f"  - {reason.text} ({section_title(r, reason.section)})")

            def decision() -> dict[str, object]:
                chosen = self.prompt("Decision", list(r.action_labels), rec.action)
                action: dict[str, object] = {"type": "decide", "action": chosen}
                if chosen == "fix_forward" and not rec.fix_forward_permitted:
                    action["deviation_reason"] = self.prompt("Why deviate from the runbook")
                return action

            self.until_done(decision)
        while not any(m.outcome == "succeeded" for m in self.record.mitigations):
            if not self.record.mitigations or self.record.mitigations[-1].outcome != "pending":
                if not self.do({"type": "start_mitigation"}):
                    return EXIT_BAD_INPUT
                m = self.record.mitigations[-1]
                out(
                    f"\n{r.action_labels[m.action]} started"
                    + (" (see the Rollback runbook)" if m.action == "roll_back" else "")
                )
            outcome = self.prompt("Outcome", ["succeeded", "failed"])
            notes = self.ask("Notes (optional): ").strip()
            self.do({"type": "mitigation_outcome", "outcome": outcome, "notes": notes})
            if escalation_required(self.record):
                out("\nMAJOR INCIDENT: the rollback failed. Escalate now (runbook section 5).")
                self.post("escalation", {"type": "escalate"})
        if self.record.resolution is None:
            update = self.ask("Status update to post (Enter to skip): ").strip()
            if update:
                self.do({"type": "status_update", "text": update})
                posted = self.record.communications[-1].message
                out(f"\nPost this in {self.org.channel}:\n{posted}\n")
            self.until_done(
                lambda: {
                    "type": "resolve",
                    "details": self.prompt("Resolution details"),
                    "data_lost": self.prompt(
                        "Was data lost or corrupted?", list(load_table().values("data_lost"))
                    ),
                }
            )
        if message_due(self.record, "resolution"):
            self.post("resolution", {"type": "log_message", "kind": "resolution"})
        out(render_ticket(self.record, self.org).rstrip("\n"))
        return 0


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except (RuntimeError, OSError, UnicodeDecodeError) as exc:  # RuntimeError: lost sys.stdin
        raise UsageError(f"walk: cannot read standard input ({exc})") from None


def cmd_walk(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    path = Path(args.state)
    if sys.stdin is None or sys.stdin.closed:
        raise UsageError("walk: standard input is closed; run it in a terminal to answer")
    walk = Walk(path, org, _ask, out, _now)
    resume = f"everything answered so far is saved in {path}; run `runbook walk --state {path}`"
    try:
        return walk.run()
    except KeyboardInterrupt:
        out("")  # end the line the prompt was on
        raise Interrupted(f"stopped; {resume} to resume") from None
    except EOFError:
        out("")
        raise UsageError(
            f"walk: standard input ended before the walkthrough; {resume} to resume"
        ) from None


# ------------------------------------ handing over, looking back: handover, postmortem, timeline


def add_output_commands(sub: Any, org: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "handover",
        parents=[org],
        help="a handover link from a state file, or a state file from a link",
        description="Print the handover link of a state file (the whole record in the link's "
        "fragment, compressed, with a version and a checksum), or, with --from-link, write the "
        "record a link carries to a state file. A state file that is another incident, or has "
        "timeline entries the link does not, is kept unless --force.",
    )
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    way = p.add_mutually_exclusive_group()
    way.add_argument(
        "--base",
        metavar="URL",
        default="",
        help="the walkthrough's address, put before the fragment (default: the fragment alone)",
    )
    way.add_argument(
        "--from-link", metavar="LINK", help="write --state from this link (- reads it from stdin)"
    )
    p.add_argument(
        "--force", action="store_true", help="with --from-link: replace newer or other work"
    )

    p = sub.add_parser("postmortem", parents=[org], help="print the post-mortem draft")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the draft to FILE")
    p.add_argument(
        "--format",
        choices=list(FORMAT_NAMES),
        default="markdown",
        help="markdown (GitHub/GitLab), jira (Jira/Confluence wiki markup) or text",
    )

    p = sub.add_parser("timeline", parents=[org], help="draw the incident as an SVG timeline")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the SVG file to write")


def cmd_handover(
    args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None], stdin: Any = None
) -> int:
    from .handover import HandoverError, decode, encode, replacement
    from .outputs import words

    if args.from_link is None:
        if args.force:
            raise UsageError("--force: only with --from-link (it lets a link replace a file)")
        if args.base and not re.match(r"^https?://\S+$", args.base):
            raise UsageError(
                "--base: expected the walkthrough's address, like "
                "https://example.org/runbook/walkthrough/"
            )
        try:
            out(encode(read_record(args.state), args.base))
        except HandoverError as exc:
            raise UsageError(f"--state: {args.state}: {exc}") from None
        return 0
    text = args.from_link
    if text == "-":
        stream = stdin if stdin is not None else sys.stdin
        try:
            text = stream.read()
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"--from-link -: cannot read standard input ({exc})") from None
    try:
        record = decode(text)
    except RunbookError as exc:
        raise UsageError(f"--from-link: {exc}") from None
    said = words("handover")
    path = Path(args.state)
    with locked(path):
        local = None
        if path.exists():
            try:
                local = read_record(path)
            except UsageError as exc:
                if not args.force:
                    problem = str(exc).removeprefix(f"--state: {path}: ")
                    raise UsageError(
                        said["unreadable_local"].format(path=path, problem=problem)
                    ) from None
        change = replacement(local, record)
        if change.identical:
            out(terminal_safe(said["identical"].format(path=path, incident_id=record.incident_id)))
            return 0
        if not args.force and local is not None and change.other_incident:
            raise UsageError(
                said["other_incident"].format(
                    path=path, local_id=local.incident_id, incident_id=record.incident_id
                )
            )
        if not args.force and change.lost:
            newest = change.lost[-1]
            raise UsageError(
                said["newer_local"].format(
                    path=path,
                    count=len(change.lost),
                    event=" ".join(newest.event.split())[:120],
                    time=newest.at[11:16],
                )
            )
        save_record(record, path)
    done = said["written"].format(path=path, incident_id=record.incident_id, gained=change.gained)
    out(terminal_safe(done))
    return 0


def cmd_postmortem(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    from .postmortem import render_postmortem

    draft = render_postmortem(read_record(args.state), org, format=args.format)
    if args.output:
        write_text(args.output, draft, "-o")
    else:
        out(terminal_safe(draft.rstrip("\n")))
    return 0


def cmd_timeline(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    from .timeline_svg import render_svg

    write_text(args.output, render_svg(read_record(args.state), now=_now()), "-o")
    return 0


def _org(args: argparse.Namespace) -> OrgConfig:
    given = getattr(args, "org", None)
    source = "--org" if given else f"${ORG_ENV}" if os.environ.get(ORG_ENV) else "org.toml"
    path = given or os.environ.get(ORG_ENV)
    if path:
        with contextlib.suppress(OSError):  # a missing file: the loader says so
            info = os.stat(path)
            if stat.S_ISDIR(info.st_mode):
                raise UsageError(f"{source}: {path}: is a folder; give the org file (TOML)")
            if not stat.S_ISREG(info.st_mode):  # /dev/zero, a pipe: would be read for ever
                raise UsageError(f"{source}: {path}: not a regular file; give the org file")
            if info.st_size > MAX_INPUT_BYTES:
                raise _too_big(f"{source}: {path}")
    try:
        return load_org(given)
    except RunbookError as exc:
        raise UsageError(f"{source}: {exc}") from None


COMMANDS = {
    "decide": cmd_decide,
    "ticket": cmd_ticket,
    "messages": cmd_messages,
    "apply": cmd_apply,
    "walk": cmd_walk,
    "handover": cmd_handover,
    "postmortem": cmd_postmortem,
    "timeline": cmd_timeline,
}


def _say(text: str) -> None:
    """One line on standard error (whatever happens to it)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(terminal_safe(f"runbook: {text}").replace("\n", " "), file=sys.stderr, flush=True)


def interrupted_within(exc: BaseException) -> bool:
    """Ctrl-C that Python wrapped in another error: on 3.11 a KeyboardInterrupt while a class
    is created (a module still loading) becomes "RuntimeError: Error calling __set_name__"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _cited(section: str | None) -> str:
    """An action's runbook section as the help cites it, or that the runbook is silent."""
    return f"runbook {section}" if section else NOT_IN_RUNBOOK


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)  # argparse itself exits 2 on bad choices, naming them
        org = _org(args)
        return COMMANDS[args.command](args, org, print)
    except BrokenPipeError:  # e.g. `runbook ticket ... | head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except (UsageError, RunbookError) as exc:
        kind = "refused" if isinstance(exc, Refused) else "bad_input"
        return _fail(args, exc, kind, f"error: {exc}", EXIT_BAD_INPUT)
    except OverflowError as exc:  # date arithmetic past year 9999, from a time in the record
        message = (
            "a time in the record is too close to the year 9999 to compute with; "
            "correct the record's times"
        )
        return _fail(args, exc, "bad_input", f"error: {message}", EXIT_BAD_INPUT)
    except Interrupted as exc:
        return _fail(args, exc, "interrupted", f"interrupted: {exc}", EXIT_INTERRUPTED)
    except KeyboardInterrupt as exc:
        return _fail(args, exc, "interrupted", "interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if interrupted_within(exc):
            return _fail(args, exc, "interrupted", "interrupted", EXIT_INTERRUPTED)
        if os.environ.get(DEBUG_ENV):
            raise
        message = (
            f"internal error: {type(exc).__name__}: {str(exc)[:200]} (a bug: please report it "
            f"with the command; {DEBUG_ENV}=1 shows the traceback)"
        )
        return _fail(args, exc, "bug", message, EXIT_BUG)


def _fail(args: Any, exc: BaseException, kind: str, line: str, code: int) -> int:
    """One line on standard error; for `apply --format json`, the JSON result on standard
    output too."""
    _say(line)
    if args is not None and args.command == "apply" and getattr(args, "format", "") == "json":
        message = line.split(": ", 1)[1] if ": " in line else line
        with contextlib.suppress(OSError, ValueError):
            print(json_safe(error_result(kind, message, args.state, exc)), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

"""`runbook`: the same rules, ticket and messages as the site, from a terminal or a script.

Bad input exits with code 2 and a message naming the field (or the file) and what to do; a
traceback is a bug. Everything printed as text has terminal control characters removed, so a
record cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from .actions import apply
from .config import ORG_ENV, OrgConfig, load_org
from .decide import recommend, relevant_fix_forward_questions, section_title
from .derive import escalation_required, message_due, status
from .errors import InvalidInput, RunbookError
from .formats import FORMAT_NAMES
from .messages import all_messages
from .record import Record, load_json, normalise_time, record_from_json, utc_iso
from .rules import load_runbook
from .table import load_table
from .ticket import render_ticket

EXIT_BAD_INPUT = 2
# Controls a terminal acts on (ESC sequences, BEL, NUL, C1 CSI...); newline and tab stay.
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class UsageError(Exception):
    """Bad input from the command line or a file it names; printed, exit code 2."""


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
    org = argparse.ArgumentParser(add_help=False)
    org.add_argument(
        "--org",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help=f"the organisation's words (TOML), merged over the packaged org.toml; default "
        f"${ORG_ENV} if set",
    )
    parser = argparse.ArgumentParser(
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
    p.add_argument("--format", choices=["text", "json"], default="text")

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
    )
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("--at", metavar="TIME", help="time of the action(s), ISO 8601 (default now)")
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


# ----------------------------------------------------------------------------- state files


def read_record(path: str | Path, missing_ok: bool = False) -> Record:
    path = Path(path)
    try:
        text = path.read_text("utf-8")
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
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--state: {path}: cannot read it ({exc})") from None
    try:
        return record_from_json(text)
    except RunbookError as exc:
        raise UsageError(f"--state: {path}: {exc}") from None


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
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except PermissionError:
        raise UsageError(
            f"{option}: {given}: cannot write in {folder} (permission denied)"
        ) from None
    except OSError as exc:
        raise UsageError(f"{option}: {given}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UsageError(f"{option}: {given}: could not write it ({exc.strerror or exc})") from None


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
    at = _action_time(args.at) if args.at else None
    messages = all_messages(record, now=at, org=org, api=args.format == "slack")
    if args.format == "slack":
        out(json_safe({name: {"text": text} for name, text in messages.items()}))
    elif args.format == "json":
        out(json_safe(messages))
    else:
        out(terminal_safe("\n\n".join(f"## {name}\n{text}" for name, text in messages.items())))
    return 0


def _action_time(text: str) -> str:
    try:
        return normalise_time(text, "--at")
    except RunbookError as exc:
        raise UsageError(str(exc)) from None


def _read_actions(args: argparse.Namespace, stdin: Any) -> list[tuple[str, Any]]:
    """[(time, action)] from the argument or from standard input, one per line."""
    default_at = _action_time(args.at) if args.at else _now()
    if args.action != "-":
        try:
            return [(default_at, load_json(args.action, "ACTION_JSON"))]
        except RunbookError as exc:
            raise UsageError(str(exc)) from None
    if stdin is None or stdin.closed:
        raise UsageError("apply -: standard input is closed; pipe one action per line into it")
    try:
        lines = stdin.read().splitlines()
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"apply -: cannot read standard input ({exc})") from None
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
            at = _action_time(at) if isinstance(at, str) else default_at
            actions.append((at, item["action"]))
        else:
            actions.append((default_at, item))
    if not actions:
        raise UsageError("apply -: standard input had no action")
    return actions


def cmd_apply(
    args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None], stdin: Any = None
) -> int:
    actions = _read_actions(args, stdin if stdin is not None else sys.stdin)
    with locked(args.state):
        record = read_record(args.state, missing_ok=True)
        for number, (at, action) in enumerate(actions, start=1):
            try:
                record = apply(record, action, at, org)
            except InvalidInput as exc:
                where = f"action {number} " if len(actions) > 1 else ""
                kind = action.get("type") if isinstance(action, dict) else None
                raise UsageError(
                    f"{where}{kind or 'action'} refused, {args.state} unchanged: {exc}"
                ) from None
        save_record(record, args.state)
    out(terminal_safe(f"{record.incident_id}: {status(record)} ({len(actions)} applied)"))
    return 0


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
        self.out = lambda text: out(terminal_safe(text))
        self.record = read_record(path, missing_ok=True)
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


def cmd_walk(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    path = Path(args.state)
    walk = Walk(path, org, input, out, _now)
    try:
        return walk.run()
    except (KeyboardInterrupt, EOFError):
        out(
            f"\nStopped. Everything answered so far is saved in {path}; run "
            f"`runbook walk --state {path}` to resume."
        )
        return 130


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
        if not args.force and change.other_incident:
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
    try:
        return load_org(given)
    except RunbookError as exc:
        source = "--org" if given else f"${ORG_ENV}" if os.environ.get(ORG_ENV) else "org.toml"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 on bad choices, naming them
    try:
        org = _org(args)
        return COMMANDS[args.command](args, org, print)
    except BrokenPipeError:  # e.g. `runbook ticket ... | head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except (UsageError, RunbookError) as exc:
        print(terminal_safe(f"runbook: error: {exc}"), file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())

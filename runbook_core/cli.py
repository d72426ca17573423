"""`runbook`: the same rules, ticket and messages as the site, from a terminal.

Bad input exits with code 2 and a message naming the field and the allowed values; a
traceback is a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from .actions import apply
from .config import OrgConfig, load_org
from .decide import recommend, relevant_fix_forward_questions
from .errors import InvalidInput, RunbookError
from .messages import all_messages
from .record import Record, record_from_json, utc_iso
from .rules import load_runbook
from .ticket import render_ticket

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input from the command line or a file it names; printed, exit code 2."""


def _choices(qid: str) -> list[str]:
    return list(load_runbook().question(qid).values)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runbook",
        description="The release incident-response runbook: decisions, the "
        "filled incident ticket and the Slack messages.",
    )
    parser.add_argument(
        "--org",
        metavar="FILE",
        help="organisation settings (TOML) instead of "
        "the packaged org.toml: channel, escalation_contact, ...",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("decide", help="roll back or fix forward, with the runbook's reasons")
    for qid in ("scope", "data_loss", "degradation"):
        p.add_argument(f"--{qid.replace('_', '-')}", dest=qid, required=True, choices=_choices(qid))
    for qid in ("fix_understood", "hotfix_faster"):
        p.add_argument(f"--{qid.replace('_', '-')}", dest=qid, choices=_choices(qid))
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = sub.add_parser("ticket", help="print the filled incident ticket (markdown)")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the ticket to FILE")

    p = sub.add_parser("messages", help="print the Slack messages for an incident record")
    p.add_argument("--state", required=True, metavar="FILE", help="incident record (JSON)")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = sub.add_parser("walk", help="interactive walkthrough; saves after every answer")
    p.add_argument(
        "--state",
        default="incident.json",
        metavar="FILE",
        help="record to create or resume (default: incident.json)",
    )
    return parser


def read_record(path: str) -> Record:
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"--state: {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--state: {path}: cannot read it ({exc})") from None
    try:
        return record_from_json(text)
    except RunbookError as exc:
        raise UsageError(f"--state: {path}: {exc}") from None


def save_record(record: Record, path: Path) -> None:
    """Write atomically, so an interrupt never leaves half a record."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(record.to_json(), "utf-8")
    os.replace(tmp, path)


def cmd_decide(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    answers = {
        q: getattr(args, q)
        for q in ("scope", "data_loss", "degradation", "fix_understood", "hotfix_faster")
    }
    rec = recommend(answers)
    runbook = load_runbook()
    if args.format == "json":
        out(json.dumps(rec.as_dict(runbook), ensure_ascii=False, indent=2))
        return 0
    out(f"{runbook.action_labels[rec.action]}")
    for reason in rec.reasons:
        out(f"  - {reason.text} (runbook {runbook.sections[reason.section].title})")
    return 0


def cmd_ticket(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    ticket = render_ticket(read_record(args.state), org)
    if args.output:
        Path(args.output).write_text(ticket, "utf-8")
    else:
        out(ticket.rstrip("\n"))
    return 0


def cmd_messages(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    messages = all_messages(read_record(args.state), org=org)
    if args.format == "json":
        out(json.dumps(messages, ensure_ascii=False, indent=2))
    else:
        out("\n\n".join(f"## {name}\n{text}" for name, text in messages.items()))
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
        self.path, self.org, self.ask, self.out, self.clock = path, org, ask, out, clock
        self.record = read_record(str(path)) if path.exists() else Record()
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
            out(
                "\nPost this in "
                + self.org.channel
                + ":\n  "
                + all_messages(self.record, org=self.org)["declare-message"]
                + "\n"
            )
        if not self.record.ic:

            def command() -> dict[str, object]:
                oncall = self.prompt("On-call engineer (the default IC)")
                available = self.prompt("Is the on-call engineer available?", ["y", "n"], "y")
                action = {
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
                    self.do(
                        {
                            "type": "answer",
                            "question": qid,
                            "value": self.prompt(q.prompt, q.values),
                        }
                    )
            rec = recommend(self.record.answers())
            out(f"\nRecommendation: {r.action_labels[rec.action]}")
            for reason in rec.reasons:
                out(f"  - {reason.text} ({r.sections[reason.section].title})")

            def decision() -> dict[str, object]:
                chosen = self.prompt("Decision", list(r.action_labels), rec.action)
                action = {"type": "decide", "action": chosen}
                if chosen != rec.action:
                    action["deviation_reason"] = self.prompt("Why against the recommendation")
                return action

            self.until_done(decision)
        while not any(m.outcome == "succeeded" for m in self.record.mitigations):
            if not self.record.mitigations or self.record.mitigations[-1].outcome != "pending":
                self.do({"type": "start_mitigation"})
                m = self.record.mitigations[-1]
                out(
                    f"\n{r.action_labels[m.action]} started"
                    + (" (see the Rollback runbook)" if m.action == "roll_back" else "")
                )
            outcome = self.prompt("Outcome", ["succeeded", "failed"])
            notes = self.ask("Notes (optional): ").strip()
            self.do({"type": "mitigation_outcome", "outcome": outcome, "notes": notes})
            messages = all_messages(self.record, org=self.org)
            if "escalation-message" in messages and outcome == "failed":
                out(
                    "\nMAJOR INCIDENT. Escalate now, post this:\n"
                    + messages["escalation-message"]
                    + "\n"
                )
        if self.record.resolution is None:
            update = self.ask("Status update to post (Enter to skip): ").strip()
            if update:
                self.do({"type": "status_update", "text": update})
                out(
                    "\nPost this in "
                    + self.org.channel
                    + ":\n"
                    + self.record.status_updates[-1].message
                    + "\n"
                )
            self.until_done(
                lambda: {
                    "type": "resolve",
                    "details": self.prompt("Resolution details"),
                    "data_lost": self.prompt(
                        "Was data lost or corrupted?", ["yes", "no", "unknown"]
                    ),
                }
            )
        out("\n" + all_messages(self.record, org=self.org)["resolution-message"] + "\n")
        out(render_ticket(self.record, self.org).rstrip("\n"))
        return 0


def cmd_walk(args: argparse.Namespace, org: OrgConfig, out: Callable[[str], None]) -> int:
    path = Path(args.state)
    walk = Walk(path, org, input, out, lambda: utc_iso(datetime.now(UTC)))
    try:
        return walk.run()
    except (KeyboardInterrupt, EOFError):
        out(
            f"\nStopped. Everything answered so far is saved in {path}; run "
            f"`runbook walk --state {path}` to resume."
        )
        return 130


COMMANDS = {"decide": cmd_decide, "ticket": cmd_ticket, "messages": cmd_messages, "walk": cmd_walk}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 on bad choices, naming them
    try:
        org = load_org(args.org) if args.org else load_org()
        return COMMANDS[args.command](args, org, print)
    except BrokenPipeError:  # e.g. `runbook ticket ... | head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except FileNotFoundError as exc:
        print(f"runbook: error: --org: {exc.filename}: no such file", file=sys.stderr)
    except (UsageError, RunbookError) as exc:
        print(f"runbook: error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())

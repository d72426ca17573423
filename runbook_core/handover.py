"""The handover link: the whole record in a URL fragment, compressed, versioned and checksummed.

    <walkthrough address>#handover=v1.<payload>.<checksum>

- payload: the record's canonical JSON (Record.to_json, what Export writes), compressed with
  zlib (deflate, level 9) and written in base64url without padding;
- checksum: the first 9 bytes (12 base64url characters) of SHA-256 over "v1.<payload>". It is
  last on purpose: a link cut short always loses part of it, so "cut short" and "changed" are
  told apart exactly. It detects damage (a character changed by a chat tool or a hand), not a
  forgery: anyone can recompute it. Whatever the link holds still goes through the record's
  loader (the import rules), as an imported file does.

The fragment (after "#") is never sent to a server by a browser; chat tools, browser history
and synced browsers keep it (docs/deploy.md says so). The limit on a link's length, and why, is
in data/outputs.toml (`max_link`). Pure functions: the page (through widget.py) and the CLI use
the same ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from dataclasses import dataclass

from .errors import NewerSchemaError, RecordError, RunbookError
from .outputs import load_outputs, words
from .record import Record, TimelineEntry, record_from_json

KEY = "handover="
VERSION = "v1"
CHECK_BYTES = 9  # 72 bits: a damaged link passes by chance once in 4.7e21
CHECK_CHARS = 12  # CHECK_BYTES in base64url
# The most a payload may inflate to: a link under max_link holds far less; more is not a record.
MAX_JSON_BYTES = 16 * 1024 * 1024
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
# What a chat tool or prose may stick to a link's end ("see <link>.", "(<link>)").
_TRAILING = ".,;:!?)]>'\"\u201d\u2019"


class HandoverError(RunbookError):
    """A handover link refused: `kind` says why (not_a_link, bad_version, truncated, damaged,
    not_a_record, too_large, not_declared); the message says what to do."""

    def __init__(self, kind: str, **values: object) -> None:
        self.kind = kind
        self.field = "handover"
        self.problem = words("handover")[kind].format(**values)
        super().__init__(self.problem)


def max_link() -> int:
    return int(load_outputs()["handover"]["max_link"])


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _checksum(version: str, payload: str) -> str:
    digest = hashlib.sha256(f"{version}.{payload}".encode("ascii")).digest()
    return _b64encode(digest[:CHECK_BYTES])


def encode(record: Record, base: str = "") -> str:
    """The handover link for `record` (`base`: the walkthrough's address, without a fragment;
    "" for the fragment alone). Raises HandoverError too_large past the limit."""
    if not record.incident_id:
        raise HandoverError("not_declared")
    payload = _b64encode(zlib.compress(record.to_json().encode("utf-8"), 9))
    base = base.strip().split("#", 1)[0]
    link = f"{base}#{KEY}{VERSION}.{payload}.{_checksum(VERSION, payload)}"
    if len(link) > max_link():
        raise HandoverError("too_large", length=f"{len(link):,}", limit=f"{max_link():,}")
    return link


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_JSON_BYTES)
    except zlib.error as exc:
        raise HandoverError("not_a_record", problem=f"not compressed data: {exc}") from None
    if inflater.unconsumed_tail:
        raise HandoverError("not_a_record", problem="it inflates past 16 MB")
    if not inflater.eof:
        raise HandoverError("not_a_record", problem="its compressed data is incomplete")
    return out


def decode(link: str) -> Record:
    """The record a handover link carries, through the record's loader; HandoverError names
    what is wrong with the link (RecordError, NewerSchemaError: with the record in it)."""
    if not isinstance(link, str):
        raise HandoverError("not_a_link")
    text = "".join(link.split())  # chat tools wrap long links; base64url has no spaces
    at = text.rfind(KEY)  # the last: an address may hold the word; the payload cannot ("=")
    if at < 0:
        raise HandoverError("not_a_link")
    parts = text[at + len(KEY) :].rstrip(_TRAILING).split(".")
    version = parts[0]
    if version != VERSION:
        if len(parts) == 1 and VERSION.startswith(version):
            raise HandoverError("truncated")  # cut inside the version
        if re.fullmatch(r"v\d{1,6}", version):
            raise HandoverError("bad_version", found=version, expected=VERSION)
        raise HandoverError("damaged")
    if len(parts) < 3 or (len(parts) == 3 and len(parts[2]) < CHECK_CHARS):
        raise HandoverError("truncated")
    if len(parts) > 3 or not all(_B64URL.match(p) for p in parts[1:]):
        raise HandoverError("damaged")
    payload, check = parts[1], parts[2]
    if len(check) != CHECK_CHARS or check != _checksum(version, payload):
        raise HandoverError("damaged")
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise HandoverError("not_a_record", problem="its payload is not base64url") from None
    try:
        json_text = _inflate(data).decode("utf-8")
    except UnicodeDecodeError:
        raise HandoverError("not_a_record", problem="its content is not UTF-8 text") from None
    try:
        return record_from_json(json_text)
    except NewerSchemaError:
        raise  # says to update the site: asking for the link again would not help
    except RecordError as exc:
        raise HandoverError("not_a_record", problem=str(exc)) from None


# ------------------------------------------------------------------ replacing a local copy


@dataclass(frozen=True)
class Replacement:
    """What opening a record over a local copy of it would do (the import rules)."""

    identical: bool
    other_incident: bool  # the local copy is another incident: replacing it is not a handover
    lost: tuple[TimelineEntry, ...]  # timeline entries only the local copy has, oldest first
    gained: int  # timeline entries only the incoming record has

    def as_dict(self) -> dict[str, object]:
        return {
            "identical": self.identical,
            "other_incident": self.other_incident,
            "lost": [{"at": e.at, "event": e.event} for e in self.lost],
            "gained": self.gained,
        }


def _only_in(a: Record, b: Record) -> list[TimelineEntry]:
    seen = {(e.at, e.event) for e in b.timeline}
    return sorted((e for e in a.timeline if (e.at, e.event) not in seen), key=lambda e: e.at)


def replacement(local: Record | None, incoming: Record) -> Replacement:
    """Compare the local copy (None: there is none) with the record a link or file brings."""
    if local is None:
        return Replacement(False, False, (), len(incoming.timeline))
    return Replacement(
        identical=local == incoming,
        other_incident=bool(local.incident_id) and local.incident_id != incoming.incident_id,
        lost=tuple(_only_in(local, incoming)),
        gained=len(_only_in(incoming, local)),
    )

"""The site's Content-Security-Policy: strict, with the hash of every inline script it emits.

Nothing runs unless it comes from the site itself or is an inline script this build wrote
(Material's three: its storage helpers `__md_scope`…, the palette restore and the content-tab
restore, whose text varies with the page's depth, so each variant has its own hash).
`'wasm-unsafe-eval'` is the one exception: Pyodide compiles WebAssembly. No inline style
attribute, event handler or `javascript:` URL is allowed: the build fails on one, naming the page.

`secure(site_dir)` writes the policy into a `<meta http-equiv>` of every page (hosts without
headers, such as GitHub Pages; `frame-ancestors` is ignored there and left out) and into the
`_headers` file (headers.py). Under `mkdocs serve` the pages get no `<meta>` policy: its live
reload injects an inline script whose text changes on every reload.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from sitebuild import BuildError, headers

# Directive -> sources; the hashes of the inline scripts and styles are added to script-src and
# style-src. Everything else falls back to default-src: the site's own origin, nothing else.
DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'", "'wasm-unsafe-eval'"),  # Pyodide compiles its WebAssembly
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),  # Material's icons are data: SVGs in its stylesheets
    "worker-src": ("'self'",),  # the engine worker, Material's search worker, sw.js
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
# Ignored (with a console error) when the policy comes from a <meta> element.
HEADER_ONLY = ("frame-ancestors",)
# Script types a browser runs (the others, like application/json, are data).
SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "importmap"}
META_NAME = "Content-Security-Policy"
META = re.compile(r'\n?<meta http-equiv="Content-Security-Policy" content="[^"]*">')
CHARSET = re.compile(r"<meta charset=\"?utf-8\"?\s*/?>", re.IGNORECASE)
# Cloudflare Pages reads `_headers` lines of up to 2,000 characters.
MAX_HEADER_LINE = 2000


def sha256_source(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


class _InlineCode(HTMLParser):
    """Collects a page's inline scripts and styles, and what a strict CSP would block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.blocked: list[str] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=…>: an inline event handler")
            elif name == "style":
                self.blocked.append(f'<{tag} style="{value}">: an inline style attribute')
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.blocked.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        kind = (values.get("type") or "").strip().lower()
        if tag == "script" and "src" not in values and kind in SCRIPT_TYPES:
            self._open = ("script", [])
        elif tag == "style":
            self._open = ("style", [])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and self._open[0] == tag:
            (self.scripts if tag == "script" else self.styles).append("".join(self._open[1]))
            self._open = None


@dataclass(frozen=True)
class Policy:
    script_hashes: tuple[str, ...] = ()
    style_hashes: tuple[str, ...] = ()

    def directives(self, *, meta: bool = False) -> dict[str, tuple[str, ...]]:
        found = {"script-src": self.script_hashes, "style-src": self.style_hashes}
        return {
            name: sources + found.get(name, ())
            for name, sources in DIRECTIVES.items()
            if not (meta and name in HEADER_ONLY)
        }

    def header(self) -> str:
        return "; ".join(" ".join((n, *s)) for n, s in self.directives().items())

    def meta(self) -> str:
        return "; ".join(" ".join((n, *s)) for n, s in self.directives(meta=True).items())


def pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def policy_for(site_dir: Path) -> Policy:
    """The policy for every page of the built site; BuildError if a page needs an exception."""
    scripts: set[str] = set()
    styles: set[str] = set()
    problems: list[str] = []
    for page in pages(site_dir):
        parser = _InlineCode()
        parser.feed(page.read_text("utf-8"))
        parser.close()
        scripts.update(sha256_source(code) for code in parser.scripts)
        styles.update(sha256_source(code) for code in parser.styles)
        where = page.relative_to(site_dir).as_posix()
        problems += [f"{where}: {problem}" for problem in parser.blocked]
    if problems:
        raise BuildError(
            "the Content-Security-Policy would block these (it allows no inline style "
            "attribute, event handler or javascript: URL): "
            + "; ".join(problems[:10])
            + ". Move the style into a class of a stylesheet (docs/assets/stylesheets/), "
            "the code into a script file."
        )
    return Policy(tuple(sorted(scripts)), tuple(sorted(styles)))


def add_meta(site_dir: Path, content: str) -> int:
    """Puts the policy right after `<meta charset>` in every page (replacing an older one)."""
    tag = f'<meta http-equiv="{META_NAME}" content="{content}">'
    for page in pages(site_dir):
        html = META.sub("", page.read_text("utf-8"))
        html, found = CHARSET.subn(lambda m: f"{m.group(0)}\n{tag}", html, count=1)
        if not found:
            where = page.relative_to(site_dir)
            raise BuildError(
                f"{where} has no <meta charset=utf-8>: the policy must come before any script "
                "and is placed right after it; give the page's template one"
            )
        page.write_text(html, "utf-8")
    return len(pages(site_dir))


def remove_meta(site_dir: Path) -> None:
    for page in pages(site_dir):
        html = page.read_text("utf-8")
        if META.search(html):
            page.write_text(META.sub("", html), "utf-8")


def secure(site_dir: Path, *, meta: bool = True) -> Policy:
    """Writes the policy into every page (unless meta=False) and into `_headers`."""
    site_dir = Path(site_dir)
    policy = policy_for(site_dir)
    if len(f"  {META_NAME}: {policy.header()}") > MAX_HEADER_LINE:
        raise BuildError(
            f"the Content-Security-Policy is longer than {MAX_HEADER_LINE} characters (too many "
            "distinct inline scripts): Cloudflare Pages would refuse the _headers line"
        )
    if meta:
        add_meta(site_dir, policy.meta())
    else:
        remove_meta(site_dir)
    text = headers.render_headers_file(site_dir, policy.header())
    (site_dir / headers.HEADERS_FILE).write_text(text, "utf-8")
    return policy

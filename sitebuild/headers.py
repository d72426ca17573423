"""The HTTP headers the site needs, declared once, and the host files written from them.

The policy (data, below): the MIME types browsers insist on, immutable caching for the
content-hashed paths and revalidation for everything else, and the Content-Security-Policy
(csp.py). Written at every build into the site's `_headers` (Netlify, Cloudflare Pages), and on
demand as an nginx server block (`python -m sitebuild nginx`, checked in as deploy/nginx.conf).
The benchmark's server asks `cache_control()`; the test server reads the built `_headers` with
`HeadersFile`, so both serve what a host given these files would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sitebuild import BuildError

# Paths (relative to the site root) whose content never changes under the same name: a new
# content gets a new path, so browsers may keep them for a year without asking again. A pattern
# ending in "/" is a folder. The service worker reads the same list (offline.py writes it in).
IMMUTABLE_PATHS = (
    r"^pyodide/v[^/]+/",  # the Pyodide version and the trimmed stdlib's hash (publish.py)
    r"^assets/wheels/[0-9a-f]{8,}/",  # the wheel's hash (publish.py)
    r"\.[0-9a-f]{8,}\.min\.(js|css)$",  # Material's bundle.<hash>.min.js and the like
)
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_REVALIDATE = "no-cache"  # stored, but checked with the server before every use
# Types hosts get wrong: module workers refuse a script of another type, and WebAssembly's
# streaming compile (Pyodide's fast path) refuses a wasm of another type.
CONTENT_TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript"}
# Sent with every response, besides the Content-Security-Policy.
EVERY_RESPONSE = {"X-Content-Type-Options": "nosniff"}
# What Netlify and Cloudflare Pages send when `_headers` sets no Cache-Control: revalidated.
HOST_DEFAULT_CACHE = "public, max-age=0, must-revalidate"
HEADERS_FILE = "_headers"


def is_immutable(path: str) -> bool:
    """`path` relative to the site root, e.g. "pyodide/v314.0.7-0a1b2c3d/pyodide.mjs"."""
    return any(re.search(pattern, path) for pattern in IMMUTABLE_PATHS)


def cache_control(path: str) -> str:
    return CACHE_IMMUTABLE if is_immutable(path) else CACHE_REVALIDATE


def content_type(path: str) -> str | None:
    """The type to insist on for `path`, or None to leave it to the host."""
    return CONTENT_TYPES.get(Path(path).suffix)


# ---------------------------------------------------------------------------------- _headers

HEADERS_PREAMBLE = """\
# Response headers for hosts that read a `_headers` file from the published folder (Netlify,
# Cloudflare Pages); its paths are relative to that folder. Written at every build by
# `python -m sitebuild secure` from sitebuild/headers.py and sitebuild/csp.py: change those.
# Cache-Control is set only where it differs from these hosts' default, which revalidates
# (`public, max-age=0, must-revalidate`): two rules setting it for one path would be joined
# into one invalid value, not override each other.
"""


def _site_files(site_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(site_dir).as_posix()
        for p in site_dir.rglob("*")
        if p.is_file() and p.name != HEADERS_FILE
    )


def _immutable_rules(files: list[str]) -> list[str]:
    """Each immutable folder once ("/pyodide/v314.0.7-0a1b2c3d/*"), else the file itself."""
    rules = set()
    for path in files:
        for pattern in IMMUTABLE_PATHS:
            match = re.search(pattern, path)
            if match:
                folder = pattern.endswith("/")
                rules.add(f"/{match.group(0)}*" if folder else f"/{path}")
                break
    return sorted(rules)


def render_headers_file(site_dir: Path, policy: str) -> str:
    """The `_headers` file for the built site in `site_dir`, with the CSP `policy`."""
    files = _site_files(site_dir)
    blocks = [("/*", {"Content-Security-Policy": policy, **EVERY_RESPONSE})]
    blocks.append(("/sw.js", {"Cache-Control": CACHE_REVALIDATE}))  # a new deploy, at once
    blocks += [(rule, {"Cache-Control": CACHE_IMMUTABLE}) for rule in _immutable_rules(files)]
    blocks += [
        (f"/{path}", {"Content-Type": kind})
        for path in files
        if (kind := content_type(path)) is not None
    ]
    lines = [HEADERS_PREAMBLE]
    for rule, headers in blocks:
        lines.append(rule)
        lines += [f"  {name}: {value}" for name, value in headers.items()]
        lines.append("")
    return "\n".join(lines)


@dataclass
class HeadersFile:
    """A `_headers` file read the way Netlify and Cloudflare Pages read it: each rule is a path
    pattern (`*` matches anything, `:name` one path segment) and its headers; a response gets
    the headers of every rule that matches its path, joined if two set the same header."""

    rules: list[tuple[re.Pattern[str], dict[str, str]]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, source: str = HEADERS_FILE) -> HeadersFile:
        parsed = cls()
        headers: dict[str, str] | None = None
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if not raw[0].isspace():  # a path
                if not line.startswith("/"):
                    raise BuildError(f"{source}:{number}: a rule starts with a path, got {line!r}")
                headers = {}
                parsed.rules.append((_path_pattern(line), headers))
            elif headers is None or ":" not in line:
                raise BuildError(f"{source}:{number}: expected `  Name: value` under a path")
            else:
                name, value = (part.strip() for part in line.split(":", 1))
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return parsed

    @classmethod
    def read(cls, site_dir: Path) -> HeadersFile:
        path = site_dir / HEADERS_FILE
        if not path.is_file():
            raise BuildError(
                f"{path} is missing: build the site (make build) or run "
                f"`python -m sitebuild secure {site_dir}`"
            )
        return cls.parse(path.read_text("utf-8"), str(path))

    def for_path(self, path: str) -> dict[str, str]:
        """The headers for a request path relative to the folder's root ("/walkthrough/")."""
        found: dict[str, str] = {}
        for pattern, headers in self.rules:
            if pattern.fullmatch(path):
                for name, value in headers.items():
                    found[name] = f"{found[name]}, {value}" if name in found else value
        return found


def _path_pattern(rule: str) -> re.Pattern[str]:
    parts = re.split(r"(\*|:[A-Za-z_]\w*)", rule)
    regex = "".join(
        ".*" if part == "*" else "[^/]+" if part.startswith(":") else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


# ------------------------------------------------------------------------------------ nginx

NGINX_TEMPLATE = """\
# nginx: the runbook site for {server_name} at {path} ({root}{path} holds the built site/
# folder). Written by `python -m sitebuild nginx SITE_DIR` (`make nginx-conf` for this example)
# from sitebuild/headers.py and the built site's Content-Security-Policy (sitebuild/csp.py),
# which changes with the inline scripts the build emits: write it again from your own build.
# Put it in nginx's http block (Debian: /etc/nginx/conf.d/runbook.conf). It is a server of its
# own for {server_name}, so Debian's default site (the default_server) keeps every other name;
# its variables are named after this site, so two sites' files can sit in one http block. For
# HTTPS, add `listen 443 ssl;` and the certificate lines, or copy the maps and the location into
# your own server block for {server_name}.

map $uri ${cache_var} {{
    default "{revalidate}";
{immutable}
}}

# One value for every response (a map with only a default: a constant for add_header).
map $uri ${csp_var} {{
    default "{policy}";
}}

server {{
    listen {listen};
    server_name {server_name};
    root {root};

    gzip on;
    gzip_types text/css text/javascript application/javascript application/json
               application/wasm application/zip image/svg+xml application/xml;
    # The engine's packed files (wasm, standard library, Pyodide's JavaScript, the wheel) are
    # published beside their NAME.gz: sent from it, compressed once at build time (zopfli), not
    # per request. The engine fetches NAME when a HEAD of it says Content-Encoding, else NAME.gz.
    gzip_static on;

    location {path} {{
        error_page 404 {path}404.html;
{headers}
{types}
    }}
}}
"""

# What nginx accepts in a server_name: a host name, a wildcard or a regex would need more care.
NGINX_SERVER_NAME = re.compile(r"[A-Za-z0-9.-]+")


def nginx_variable(server_name: str, path: str, what: str) -> str:
    """The site's own variable for `what` ("csp"): runbook_csp_example_org_runbook for the site
    at example.org/runbook/. nginx variables are global to the http block, so each site's are
    named after it (the same name in two files would silently give both the last one's value)."""
    site = re.sub(r"[^A-Za-z0-9]+", "_", f"{server_name}{path}").strip("_")
    return f"runbook_{what}_{site}"


def render_nginx(
    policy: str,
    path: str = "/runbook/",
    root: str = "/srv/www",
    server_name: str = "example.org",
    listen: str = "80",
) -> str:
    """An nginx server block for `server_name` serving the site at `path` with the CSP
    `policy`."""
    if not (path.startswith("/") and path.endswith("/")):
        raise BuildError(f"the site's path must start and end with '/', got {path!r}")
    if not NGINX_SERVER_NAME.fullmatch(server_name):
        raise BuildError(
            f"the nginx server_name must be a host name such as docs.example.org, got "
            f"{server_name!r}: pass --server-name"
        )
    cache_var = nginx_variable(server_name, path, "cache_control")
    csp_var = nginx_variable(server_name, path, "csp")
    immutable = "\n".join(
        f'    "~{"^" + re.escape(path) + pattern[1:] if pattern.startswith("^") else pattern}" '
        f'"{CACHE_IMMUTABLE}";'
        for pattern in IMMUTABLE_PATHS
    )
    # add_header in a nested location replaces the outer ones: every location lists them all.
    every = {
        "Cache-Control": f"${cache_var}",
        "Content-Security-Policy": f"${csp_var}",
        **EVERY_RESPONSE,
    }

    def header_lines(indent: str) -> str:
        return "\n".join(
            f'{indent}add_header {name} "{value}" always;' for name, value in every.items()
        )

    types = "\n".join(
        f"        location ~ {re.escape(suffix)}$ {{\n"
        f"            types {{ }}\n            default_type {kind};\n"
        f"{header_lines(' ' * 12)}\n        }}"
        for suffix, kind in CONTENT_TYPES.items()
    )
    return NGINX_TEMPLATE.format(
        path=path,
        root=root,
        server_name=server_name,
        listen=listen,
        cache_var=cache_var,
        csp_var=csp_var,
        revalidate=CACHE_REVALIDATE,
        immutable=immutable,
        policy=policy,
        headers=header_lines(" " * 8),
        types=types,
    )

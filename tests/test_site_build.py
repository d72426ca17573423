"""The site built for https://example.org/runbook/, as `SITE_URL=… make build` builds it: its
addresses, 404 page, Content-Security-Policy and header files are right for that path, and the
recipes build it the way the Makefile does."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import io
import json
import os
import re
import tomllib
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from sitebuild import csp, headers, offline, publish, pyc, stdlib, wheel
from tests.helpers import ORG_ENV, ROOT

pytestmark = pytest.mark.cpython_only  # builds with MkDocs and Node in a subprocess

SITE_URL = "https://example.org/runbook/"
BASE = urlsplit(SITE_URL).path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.serve_site import build_site

    out = tmp_path_factory.mktemp("site-example")
    failure = build_site(out, SITE_URL)
    if failure:
        pytest.fail(failure, pytrace=False)
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def page_url(site: Path, page: Path) -> str:
    path = page.relative_to(site).as_posix()
    return SITE_URL + path.removesuffix("index.html")


def test_sitemap_and_canonical_links_use_the_site_url(site: Path) -> None:
    """Every page is in the sitemap at its address under /runbook/, and names it as canonical;
    no page links to a local address."""
    sitemap = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text("utf-8"))
    documented = [p for p in pages(site) if p.name == "index.html"]
    assert sorted(sitemap) == sorted(page_url(site, p) for p in documented)
    for page in documented:
        html = page.read_text("utf-8")
        assert f'<link rel="canonical" href="{page_url(site, page)}">' in html, page
    local = re.compile(r'="https?://(127\.0\.0\.1|localhost)[:/]')  # in an attribute
    for page in pages(site):
        assert not local.search(page.read_text("utf-8")), page


def test_404_page_works_from_any_missing_path(site: Path) -> None:
    """The 404 page is served for any address: its links and assets are absolute under
    /runbook/ and each is a file of the build."""
    html = (site / "404.html").read_text("utf-8")
    links = re.findall(r'(?:href|src)="([^"#]+)"', html)
    internal = [link for link in links if not link.startswith("https://")]
    assert len(internal) > 10
    for link in internal:
        assert link.startswith(BASE), link
        path = urljoin(BASE, link)[len(BASE) :]
        target = site / path
        assert target.is_file() or (target / "index.html").is_file(), link
    scope = re.search(r'__md_scope=new URL\("([^"]+)",location\)', html)
    assert scope and scope.group(1) == BASE  # Material's storage and search base


def test_every_inline_script_is_allowed_by_hash(site: Path) -> None:
    """Each page carries the policy as <meta> before its first script, and the policy lists
    the hash of each inline script of each page (found here independently of the build)."""
    policy = csp.policy_for(site)
    meta = policy.meta()
    assert "'wasm-unsafe-eval'" in meta and "'unsafe-inline'" not in meta
    found = set()
    for page in pages(site):
        html = page.read_text("utf-8")
        tag = f'<meta http-equiv="Content-Security-Policy" content="{meta}">'
        assert html.count(tag) == 1 and html.index(tag) < html.index("<script"), page
        for code in re.findall(r"<script>(.*?)</script>", html, re.S):
            digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
            found.add(f"'sha256-{digest}'")
    assert found == set(policy.script_hashes)
    assert len(found) >= 3  # Material's three, some in several variants


def test_a_pasted_handover_link_is_guarded_before_material_s_bundle(site: Path) -> None:
    """The walkthrough's first inline script, before Material's bundle, adds the popstate
    listener that keeps a pasted handover link from Material's instant navigation (Chromium
    calls a window's popstate listeners in the order added): it tests the fragment that starts
    runbook_core's links, the same the widget opens (lookback.js)."""
    from runbook_core.handover import KEY

    start = f"#{KEY}"
    lookback = (ROOT / "docs/assets/javascripts/walkthrough/lookback.js").read_text("utf-8")
    assert f"const HANDOVER_HASH = {json.dumps(start)};" in lookback
    page = (site / "walkthrough" / "index.html").read_text("utf-8")
    guard = page.index('window.addEventListener("popstate"')
    assert page.index(f"location.hash.indexOf({json.dumps(start)}) === 0", guard) < page.index(
        "event.stopImmediatePropagation()", guard
    )
    bundle = re.search(r'<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js"', page)
    assert bundle and guard < bundle.start()
    assert guard < page.index('type="module"')  # before any module of ours, too
    for other in pages(site):  # only the walkthrough holds the widget it guards
        if other.parent.name != "walkthrough":
            assert "stopImmediatePropagation" not in other.read_text("utf-8"), other


def test_headers_file_and_service_worker(site: Path) -> None:
    """`_headers` at the site root carries the header policy; the service worker neither
    precaches it (hosts do not serve it) nor leaves out a page."""
    read = headers.HeadersFile.read(site)
    assert (
        read.for_path("/walkthrough/")["Content-Security-Policy"] == csp.policy_for(site).header()
    )
    code = (site / "sw.js").read_text("utf-8")
    manifest = offline.read_manifest(code)
    urls = [url for url, _ in manifest["files"]]
    assert "_headers" not in urls and "walkthrough/" in urls and "404.html" in urls
    assert manifest["immutable"] == list(headers.IMMUTABLE_PATHS)
    assert offline.PLACEHOLDER not in code


def test_nginx_recipe_is_this_builds(site: Path) -> None:
    """deploy/nginx.conf is what `make nginx-conf` writes from today's build (its policy); with a
    team's org file the committed example is not theirs: the recipe is written for their build."""
    policy = csp.policy_for(site).header()
    expected = headers.render_nginx(policy, path=BASE)
    if os.environ.get(ORG_ENV):
        assert policy in expected
        return
    shipped = (ROOT / "deploy" / "nginx.conf").read_text("utf-8")
    assert shipped == expected, "deploy/nginx.conf is stale: run `make nginx-conf`"


def test_recipes_build_as_the_makefile_does() -> None:
    """Each recipe runs `make build` for its host's address and publishes the folder it wrote."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))
    build = workflow["jobs"]["build"]["steps"]
    runs = [step["run"] for step in build if "run" in step]
    assert runs == ['make build SITE_URL="${{ steps.pages.outputs.base_url }}/"']
    uses = [step.get("uses", "").split("@")[0] for step in build]
    for action in ("actions/checkout", "actions/setup-python", "actions/setup-node"):
        assert action in uses
    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "site"
    deploy = workflow["jobs"]["deploy"]["steps"]
    assert deploy[0]["uses"].startswith("actions/deploy-pages@")
    # Only the deploy job may write Pages: the tests and the build read the repository.
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}

    gitlab = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text("utf-8"))["pages"]
    assert gitlab["script"] == ['make build SITE_URL="${CI_PAGES_URL}/" SITE_DIR=public']
    assert gitlab["artifacts"]["paths"] == ["public"]

    netlify = tomllib.loads((ROOT / "netlify.toml").read_text("utf-8"))
    assert netlify["build"]["command"] == "make build SITE_URL=$URL/"
    assert netlify["build"]["publish"] == "site"

    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "SITE_DIR ?= site\n" in makefile
    assert "build: site-tools\n" in makefile  # Python and Node only: no browser, no apt


def test_published_engine_files_are_bytecode(site: Path) -> None:
    """The engine's Python comes as bytecode: the browser's wheel (a .pyc for each module the
    engine runs, no source, named after its hash, tagged for Pyodide's Python) and the standard
    library (exactly the kept modules), both stored for the server to compress whole."""
    (published,) = site.glob("assets/wheels/*/*.whl")
    data = published.read_bytes()
    assert published.parent.name == hashlib.sha256(data).hexdigest()[:16]
    assert published.name.endswith("-cp314-none-any.whl")
    with zipfile.ZipFile(published) as built:
        names = built.namelist()
        modules = [n for n in names if n.startswith(wheel.PACKAGE) and n.endswith(".pyc")]
        assert "runbook_core/widget.pyc" in modules and len(modules) >= 10
        assert not [n for n in names if n.endswith(".py")]
        for name in modules:
            header = built.read(name)[:8]
            assert header[2:4] == b"\r\n" and header[4:8] == b"\x01\0\0\0", name  # unchecked
        assert {i.compress_type for i in built.infolist()} == {zipfile.ZIP_STORED}
    # The wheel is published packed too (sitebuild/publish.py is_packed): the same zip.
    assert gzip.decompress((site / f"{published.relative_to(site)}.gz").read_bytes()) == data

    # Published in two forms (sitebuild/publish.py PACKED): the same zip in both.
    (plain,) = site.glob("pyodide/v*/python_stdlib.zip")
    (packed,) = site.glob("pyodide/v*/python_stdlib.zip.gz")
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    with zipfile.ZipFile(io.BytesIO(gzip.decompress(packed.read_bytes()))) as built:
        assert {i.compress_type for i in built.infolist()} == {zipfile.ZIP_STORED}
        names = built.namelist()
    assert all(n.endswith(".pyc") for n in names)
    assert {stdlib.module_name(n) for n in names} <= stdlib.read_keep_list()


def test_browser_wheel_is_reproducible(site: Path) -> None:
    """Compiled again from the same sources inside the same Pyodide (no cache), the browser's
    wheel is the very file the site publishes."""
    (published,) = site.glob("assets/wheels/*/*.whl")
    name, data = publish.build_wheel(ROOT)
    compiled = pyc.compile_zip(
        ROOT, wheel.kept_files(data), "the wheel", dataclass_code=wheel.PACKAGE.rstrip("/")
    )
    assert wheel.repack(name, compiled, "cp314") == (published.name, published.read_bytes())


# ------------------------------------------------------------------ the automation contract

CONTRACT = ROOT / "docs" / "reference" / "automation.md"
HOOK = re.compile(r'`(data-[a-z0-9_-]+)(?:="([^"]*)")?`')
LISTED_VALUES = ("data-output", "data-command")  # hooks whose every value the page lists


class _Hooks(HTMLParser):
    """The data-* attributes (and values) inside the widget's root and on the engine's <meta>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside the widget: the open elements' count
        self.found: dict[str, set[str]] = {}
        self.aliases: list[tuple[str, str]] = []  # (alias, the output it holds)
        self._alias: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        widget = "data-runbook-widget" in names or names.get("name") == "runbook-engine"
        if self.depth or widget:
            for name, value in attrs:
                if name.startswith("data-"):
                    self.found.setdefault(name, set()).add(value or "")
            if self._alias and "data-output" in names:
                self.aliases.append((self._alias, names["data-output"]))
                self._alias = None
            elif tag == "div" and "data-output" in names:
                self._alias = names["data-output"]
        if tag in {"meta", "input", "br", "img", "link", "hr"}:
            return
        if self.depth or "data-runbook-widget" in names:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1


def _script_hooks() -> dict[str, set[str]]:
    """The data-* attributes the page script sets (dataset.x =, el(..., {dataX: ...})), with
    the literal values of data-command it gives."""
    kebab = lambda name: "data-" + re.sub(r"[A-Z]", lambda c: "-" + c.group().lower(), name)  # noqa: E731
    found: dict[str, set[str]] = {}
    for script in (ROOT / "docs" / "assets" / "javascripts" / "walkthrough").glob("*.js"):
        code = script.read_text("utf-8")
        for name in re.findall(r"dataset\.([a-zA-Z]+) = ", code):
            found.setdefault(kebab(name), set())
        for name in re.findall(r"\bdata([A-Z][a-zA-Z]*): ", code):
            found.setdefault(kebab(name[0].lower() + name[1:]), set())
        for value in re.findall(r'dataCommand: (?:[^,]*\? )?"([a-z-]+)"(?: : "([a-z-]+)")?', code):
            found.setdefault("data-command", set()).update(v for v in value if v)
    return found


def test_automation_contract_lists_every_hook(site: Path) -> None:
    """docs/reference/automation.md lists every data-* hook of the built walkthrough and of its
    script, each hook it lists exists, every output and command by value, and issue 3's names
    are aliases holding exactly today's outputs."""
    listed: dict[str, set[str]] = {}
    for name, value in HOOK.findall(CONTRACT.read_text("utf-8")):
        listed.setdefault(name, set()).update({value} if value else set())
    parser = _Hooks()
    parser.feed((site / "walkthrough" / "index.html").read_text("utf-8"))
    built, script = parser.found, _script_hooks()
    assert len(built) > 60
    unlisted = sorted((set(built) | set(script)) - set(listed))
    assert not unlisted, f"hooks missing from {CONTRACT.name}: {unlisted}"
    missing = sorted(set(listed) - set(built) - set(script))
    assert not missing, f"{CONTRACT.name} lists hooks the walkthrough does not have: {missing}"
    for name in LISTED_VALUES:
        present = built.get(name, set()) | script.get(name, set())
        assert present == listed[name], (name, present ^ listed[name])
    aliases = dict(parser.aliases)
    assert aliases == {
        "declare-message": "declaration-message",
        "status-message": "status_update-message",
    }
    table = re.findall(
        r'\| `data-output="([^"]+)"` \| `data-output="([^"]+)"` \|', CONTRACT.read_text()
    )
    assert dict(table) == aliases


def test_the_built_walkthrough_s_forms_are_the_table_s(site: Path) -> None:
    """Every action, field and choice of data/transitions.toml is in the built page (or declared
    not in it, in data/forms.toml), with its declared label and limit, and nothing else is."""
    from tests.test_forms import form_mismatches

    html = (site / "walkthrough" / "index.html").read_text("utf-8")
    assert form_mismatches(html) == []


def test_the_template_page_and_the_engine_s_template_are_the_active_org_s(site: Path) -> None:
    """The "Incident template" page (the walkthrough's fallback link) shows the active org's
    template; a team's template is published for the engine as a static file, not as a page."""
    from runbook_core import load_org
    from runbook_core.ticket import load_template

    org = load_org()
    text = load_template(org.template)
    page = (site / "runbook" / "INCIDENT_TEMPLATE" / "index.html").read_text("utf-8")
    for heading in re.findall(r"^#+ ([^{\n]+)", text, re.M):
        assert html.escape(heading.strip(), quote=False) in page, heading
    assert "{{ incident_id }}" in page and "render_macros" not in page
    published = list(site.glob(f"assets/org/*/{publish.TEMPLATE_NAME}"))
    if org.template:
        assert [p.read_bytes() for p in published] == [Path(org.template).read_bytes()]
        assert not list(site.glob("assets/org/**/index.html"))
    else:
        assert published == []


@pytest.mark.parametrize(
    ("org", "template", "expected"),
    [
        ("channel = 5\n", None, "channel: expected a non-empty string"),
        (
            'template = "T.md"\n',
            "# {{ summary }}\n",
            "{{ incident_id }}: expected this placeholder",
        ),
    ],
    ids=["bad-key", "template-drops-incident-id"],
)
def test_an_org_mistake_stops_the_build_in_one_line(
    tmp_path: Path, org: str, template: str | None, expected: str
) -> None:
    """The build says what the CLI says ($RUNBOOK_ORG: FILE: KEY: expected ...), no traceback."""
    import subprocess
    import sys

    from runbook_core.config import ORG_ENV
    from tests.helpers import GOLDEN_ENV

    (tmp_path / "org.toml").write_text(org, "utf-8")
    if template:
        (tmp_path / "T.md").write_text(template, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != GOLDEN_ENV}
    env[ORG_ENV] = str(tmp_path / "org.toml")
    build = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")]
    result = subprocess.run(build, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    cli = subprocess.run(
        [sys.executable, "-m", "runbook_core", "decide", "--scope=all", "--data-loss=no"]
        + ["--degradation=minor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    (line,) = [x for x in result.stderr.splitlines() if expected in x]
    message = line.split("ERROR", 1)[1].strip(" -")
    assert message.startswith(f"${ORG_ENV}: ")
    assert cli.returncode != 0 and cli.stderr.strip() == f"runbook: error: {message}"


def test_every_page_module_is_preloaded() -> None:
    """The <head> preloads the walkthrough's modules (overrides/main.html), so a module added
    by a split is fetched in parallel, not discovered one import at a time: the list names
    every module in the folder, and only those."""
    import re

    head = (ROOT / "overrides" / "main.html").read_text("utf-8")
    preloaded = set(re.findall(r'"(walkthrough/[a-z0-9_-]+\.js)"', head)) - {"walkthrough/boot.js"}
    folder = ROOT / "docs" / "assets" / "javascripts" / "walkthrough"
    modules = {f"walkthrough/{p.name}" for p in folder.glob("*.js")} - {"walkthrough/boot.js"}
    assert preloaded == modules, f"preload in overrides/main.html: {sorted(modules ^ preloaded)}"


def test_properties_set_on_the_root_are_registered_not_inherited(site: Path) -> None:
    """A custom property the page script sets on <html> (the status bar's height, whenever it
    changes) is registered `inherits: false` in the built stylesheet: inherited, each change
    restyled every element of the page (a 330-370 ms freeze with a 3,000-entry timeline, issue
    18). Found by reading the scripts, so a new one is held to the same rule."""
    folder = ROOT / "docs" / "assets" / "javascripts" / "walkthrough"
    scripts = "\n".join(p.read_text("utf-8") for p in sorted(folder.glob("*.js")))
    names = set(re.findall(r'documentElement\.style\.setProperty\(\s*"(--[\w-]+)"', scripts))
    assert "--rb-bar-height" in names, "widget.js no longer sets --rb-bar-height: update this test"
    css = "\n".join(p.read_text("utf-8") for p in (site / "assets" / "stylesheets").glob("*.css"))
    for name in sorted(names):
        rule = re.search(r"@property\s+" + re.escape(name) + r"\s*\{([^}]*)\}", css)
        assert rule, f"{name} is set on <html> but not registered (@property) in the stylesheets"
        assert re.search(r"\binherits\s*:\s*false\b", rule.group(1)), (
            f"{name} is registered as inherited: every change would restyle the whole page"
        )


# ------------------------------------------------------------- the site's own JavaScript

VLQ = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


def source_positions(mappings: str) -> dict[tuple[int, int], tuple[int, int]]:
    """A version 3 source map's mappings, one source: {(line, column) in the minified file:
    (line, column) in the source}, all 0-based (the spec's Base64 VLQ, decoded here)."""
    found = {}
    source_line = source_column = 0
    for line, segments in enumerate(mappings.split(";")):
        column = 0
        for segment in filter(None, segments.split(",")):
            fields, value, shift = [], 0, 0
            for char in segment:
                digit = VLQ[char]
                value += (digit & 31) << shift
                shift += 5
                if not digit & 32:
                    fields.append(-(value >> 1) if value & 1 else value >> 1)
                    value = shift = 0
            column += fields[0]
            if len(fields) >= 4:
                source_line += fields[2]
                source_column += fields[3]
                found[(line, column)] = (source_line, source_column)
    return found


def published_scripts(site: Path) -> dict[str, tuple[str, str]]:
    """Every script the site publishes from docs/, and sw.js: {path: (source, as published)},
    the source being sw.js's template with this build's manifest written in."""
    from sitebuild import minify

    scripts = {
        path: ((ROOT / "docs" / path).read_text("utf-8"), (site / path).read_text("utf-8"))
        for path in minify.own_scripts(site)
    }
    written = (site / offline.SERVICE_WORKER).read_text("utf-8")
    manifest = json.dumps(offline.read_manifest(written), separators=(",", ":"))
    template = offline.TEMPLATE.read_text("utf-8").replace(offline.PLACEHOLDER, manifest)
    scripts[offline.SERVICE_WORKER] = (template, written)
    return scripts


def test_own_scripts_are_minified_each_with_a_map_back_to_its_source(site: Path) -> None:
    """The site's own scripts (docs/'s, and sw.js) are published minified, each naming NAME.map
    beside it, whose embedded source is the file as written; its mappings take each string the
    minified code keeps back to that string in the source. The offline copy skips the maps."""
    scripts = published_scripts(site)
    assert len(scripts) >= 21 and "assets/javascripts/engine-worker.mjs" in scripts
    cached = {url for url, _ in offline.manifest(site)["files"]}
    for path, (source, built) in scripts.items():
        name = path.rsplit("/", 1)[-1]
        assert len(built) < len(source) * 0.8, path
        assert built.endswith(f"\n//# sourceMappingURL={name}.map"), path
        source_map = json.loads((site / (path + ".map")).read_text("utf-8"))
        assert source_map["version"] == 3 and source_map["file"] == name
        assert source_map["sources"] == [name]
        assert source_map["sourcesContent"] == [source], path
        assert path + ".map" not in cached and (path in cached) == (path != "sw.js")
        lines, source_lines = built.split("\n"), source.split("\n")
        strings = 0
        for (line, column), (at_line, at_column) in source_positions(
            source_map["mappings"]
        ).items():
            # a string, not a key (sw.js quotes its keys, {"response":e} too)
            literal = re.match(r'"([^"\\]{6,})"(?!:)', lines[line][column:])
            if literal and "\\" not in literal.group(1):
                strings += 1
                there = source_lines[at_line][at_column:]
                assert there[:1] in "\"'`", (path, line, column, there[:40])
                assert there[1:].startswith(literal.group(1)), (path, line, column, there[:40])
        assert strings >= 1 or path.endswith("boot.js"), path


# Each file parsed by acorn (terser's parser's own dependency) as the browser loads it: its
# exported names and the modules it imports, in the source and as published.
PARSE_SCRIPT = """
import { parse } from "acorn";
import { readFileSync } from "node:fs";
const out = {};
for (const [path, module] of JSON.parse(process.argv[1])) {
  const tree = parse(readFileSync(path, "utf-8"), { ecmaVersion: "latest",
    sourceType: module ? "module" : "script" });
  const exported = [], imported = [];
  for (const node of tree.body) {
    if (node.type === "ImportDeclaration") imported.push(node.source.value);
    if (node.type === "ExportNamedDeclaration") {
      for (const s of node.specifiers) exported.push(s.exported.name);
      const d = node.declaration;
      const names = d?.declarations ? d.declarations.map((v) => v.id.name) : d ? [d.id.name] : [];
      exported.push(...names);
    }
    if (node.type === "ExportDefaultDeclaration") exported.push("default");
  }
  out[path] = { exported: exported.sort(), imported: imported.sort() };
}
console.log(JSON.stringify(out));
"""


def test_minified_scripts_parse_as_they_load_and_keep_their_interface(site: Path) -> None:
    """Each published script parses as the browser loads it (the page's files and the engine as
    ES modules, sw.js as a classic script), exports the same names and imports the same files
    as its source; deployment.mjs, imported in Node, still names storage after its URL."""
    import subprocess

    scripts = published_scripts(site)
    jobs, expected = [], {}
    for path, (source, _) in scripts.items():
        module = path != "sw.js"
        jobs += [(str(site / path), module)]
        copy = site.parent / f"{site.name}-source" / path
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(source, "utf-8")
        jobs += [(str(copy), module)]
        expected[str(site / path)] = str(copy)
    done = subprocess.run(
        ["node", "--input-type=module", "-e", PARSE_SCRIPT, json.dumps(jobs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    for built, source in expected.items():
        assert parsed[built] == parsed[source], built
    assert parsed[str(site / "assets/javascripts/deployment.mjs")]["exported"] == [
        "SITE_ROOT",
        "deploymentName",
    ]
    for path in scripts:  # V8's own parse of each, as a module or a classic script
        if path == "sw.js" or path.endswith(".mjs"):
            check = subprocess.run(
                ["node", "--check", str(site / path)], capture_output=True, text=True, check=False
            )
            assert check.returncode == 0, (path, check.stderr)
    imported = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            "const m = await import(process.argv[1]); console.log(m.deploymentName('x'));",
            (site / "assets/javascripts/deployment.mjs").as_uri(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.stdout.strip() == f"{site.as_posix()}/x", imported.stderr

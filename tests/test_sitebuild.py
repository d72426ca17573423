"""The build steps' pure parts: links between pages, the header policy and the host files
written from it, the Content-Security-Policy computed from a site's pages."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

if sys.platform == "emscripten":
    pytest.skip(
        "the site's build steps run in CPython, with MkDocs' Jinja", allow_module_level=True
    )

from runbook_core import datafile  # noqa: E402
from sitebuild import BuildError, csp, headers, stdlib, wheel  # noqa: E402
from sitebuild.macros import page_urls, relative_url  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

# ------------------------------------------------------------------------------ relative_url


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        (
            "assets/javascripts/engine-worker.mjs",
            "walkthrough/",
            "../assets/javascripts/engine-worker.mjs",
        ),
        ("assets/x.js", "runbook/ROLLBACK/", "../../assets/x.js"),
        ("assets/x.js", "", "assets/x.js"),
        ("walkthrough/", "walkthrough/", "./"),
        ("", "walkthrough/", "../"),
        ("", "", "./"),
        ("runbook/INCIDENT_TEMPLATE/", "walkthrough/", "../runbook/INCIDENT_TEMPLATE/"),
        ("walkthrough/", "runbook/INCIDENT_TEMPLATE/", "../../walkthrough/"),
        ("pyodide/v1-abc/", "404.html", "pyodide/v1-abc/"),
        ("assets/x.js", "a/b.html", "../assets/x.js"),
    ],
    ids=lambda value: value or "root",
)
def test_relative_url(target: str, page: str, expected: str) -> None:
    """A link from a page to a site path: relative, folders keep their slash."""
    assert relative_url(target, page) == expected


@pytest.mark.cpython_only
def test_relative_url_resolves_like_mkdocs() -> None:
    """Every link resolves to the same address as MkDocs' own helper's (which it replaces)."""
    from urllib.parse import urljoin

    mkdocs_utils = pytest.importorskip("mkdocs.utils")
    pages = ["", "walkthrough/", "runbook/INCIDENT_TEMPLATE/", "reference/cli/", "404.html"]
    targets = [*pages[:-1], "assets/javascripts/engine-worker.mjs", "pyodide/v1-abc/"]
    for page in pages:
        base = urljoin("https://example.org/runbook/", page)
        for target in targets:
            ours = urljoin(base, relative_url(target, page))
            theirs = urljoin(base, mkdocs_utils.get_relative_url(target, page) or "./")
            assert ours == theirs, (target, page)


def test_page_urls_are_directory_urls(tmp_path: Path) -> None:
    """The macros' page addresses, worked out without the generator: a page is its folder, an
    index is its parent folder."""
    for path in ("index.md", "walkthrough.md", "runbook/INCIDENT_TEMPLATE.md", "ref/index.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("# x\n", "utf-8")
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "a.json").write_text("{}", "utf-8")
    assert page_urls(tmp_path) == {
        "index.md": "",
        "ref/index.md": "ref/",
        "runbook/INCIDENT_TEMPLATE.md": "runbook/INCIDENT_TEMPLATE/",
        "walkthrough.md": "walkthrough/",
    }


def test_site_has_no_generator_hook_or_theme_python() -> None:
    """Generator-portable: mkdocs.yml declares no hook, the theme folder holds no Python (a
    generator without hooks would copy it into the site), and the macros module is outside it."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, tag, node: None)  # !ENV and the like
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=Loader)
    assert "hooks" not in config
    assert not list((ROOT / "overrides").rglob("*.py"))
    macros = next(p["macros"] for p in config["plugins"] if isinstance(p, dict) and "macros" in p)
    assert (ROOT / (macros["module_name"] + ".py")).is_file()
    assert not macros["module_name"].startswith(config["theme"]["custom_dir"])


def test_postbuild_refuses_pages_naming_files_it_did_not_publish(tmp_path: Path) -> None:
    """The pages (the generator's run) and the published files (postbuild's) must agree: a page
    naming a wheel the build did not publish stops the build, naming both."""
    from sitebuild import publish

    (tmp_path / "walkthrough").mkdir()
    (tmp_path / "assets" / "wheels" / "aa").mkdir(parents=True)
    (tmp_path / "assets" / "wheels" / "aa" / "w.whl").write_bytes(b"")
    meta = '<meta name="runbook-engine" data-wheel="../assets/wheels/{}/w.whl" data-org="">'
    page = tmp_path / "walkthrough" / "index.html"
    page.write_text(meta.format("aa"), "utf-8")
    publish.check_pages(tmp_path)
    page.write_text(meta.format("bb"), "utf-8")
    with pytest.raises(BuildError, match=r"walkthrough/index.html names the wheel .*/bb/w.whl"):
        publish.check_pages(tmp_path)


# ------------------------------------------------------------------------------ the policy


@pytest.mark.parametrize(
    ("path", "immutable"),
    [
        ("pyodide/v314.0.7-0a1b2c3d/pyodide.asm.wasm", True),
        ("assets/wheels/0123456789abcdef/runbook_core-0.1.0-py3-none-any.whl", True),
        ("assets/javascripts/bundle.a5f9d56c.min.js", True),
        ("assets/stylesheets/main.57a0d79d.min.css", True),
        ("assets/javascripts/walkthrough.js", False),
        ("assets/javascripts/engine-worker.mjs", False),
        ("walkthrough/index.html", False),
        ("sw.js", False),
        ("assets/wheels/notahash/x.whl", False),
        ("docs/pyodide/v1/x.js", False),  # only the site's own pyodide/ folder
    ],
)
def test_only_content_hashed_paths_are_immutable(path: str, immutable: bool) -> None:
    """Kept a year without asking: only paths whose name changes with their content."""
    expected = headers.CACHE_IMMUTABLE if immutable else headers.CACHE_REVALIDATE
    assert headers.cache_control(path) == expected


def _site(tmp_path: Path, pages: dict[str, str], files: tuple[str, ...] = ()) -> Path:
    for name, html in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(html, "utf-8")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


PAGE = (
    '<!doctype html><html><head>\n<meta charset="utf-8">\n{head}</head><body>{body}</body></html>'
)
BUILT_FILES = (
    "pyodide/v314.0.7-0a1b2c3d/pyodide.mjs",
    "pyodide/v314.0.7-0a1b2c3d/pyodide.asm.wasm",
    "assets/wheels/0123456789abcdef/runbook_core-0.1.0-py3-none-any.whl",
    "assets/javascripts/bundle.a5f9d56c.min.js",
    "assets/javascripts/engine-worker.mjs",
    "assets/javascripts/walkthrough.js",
    "sw.js",
)


def test_headers_file_round_trip(tmp_path: Path) -> None:
    """The `_headers` written for a build, read as Netlify and Cloudflare Pages read it, gives
    each file exactly the policy's headers, and never sets one header twice for one path."""
    site = _site(tmp_path, {"index.html": PAGE, "walkthrough/index.html": PAGE}, BUILT_FILES)
    text = headers.render_headers_file(site, "default-src 'self'")
    read = headers.HeadersFile.parse(text)
    for path in ["index.html", "walkthrough/", *BUILT_FILES]:
        got = read.for_path("/" + path)
        assert got["Content-Security-Policy"] == "default-src 'self'", path
        assert got["X-Content-Type-Options"] == "nosniff", path
        assert got.get("Content-Type") == headers.content_type(path), path
        if headers.is_immutable(path):
            assert got["Cache-Control"] == headers.CACHE_IMMUTABLE, path
        elif path == "sw.js":
            assert got["Cache-Control"] == headers.CACHE_REVALIDATE
        else:  # left to the host's default, which revalidates
            assert "Cache-Control" not in got, path
        assert all(", " not in value for name, value in got.items() if name != "Cache-Control")
    assert "/pyodide/v314.0.7-0a1b2c3d/*" in text  # one rule per immutable folder


def test_headers_file_matching_and_errors() -> None:
    """Splats match across folders, placeholders one segment; two values for one header are
    joined (as the hosts do); a malformed line names its line number."""
    read = headers.HeadersFile.parse(
        "# comment\n/*\n  A: 1\n/docs/:page/x\n  B: 2\n/docs/*\n  A: 3\n"
    )
    assert read.for_path("/docs/intro/x") == {"A": "1, 3", "B": "2"}
    assert read.for_path("/docs/a/b/x") == {"A": "1, 3"}
    assert read.for_path("/other") == {"A": "1"}
    with pytest.raises(BuildError, match="_headers:2"):
        headers.HeadersFile.parse("/*\nnot indented\n")
    with pytest.raises(BuildError, match="_headers:1: expected"):
        headers.HeadersFile.parse("  A: 1\n")


def test_nginx_server_block() -> None:
    """The nginx recipe: the immutable paths anchored under the site's path, the types forced
    where hosts get them wrong, every header in every location (nginx replaces, not merges)."""
    conf = headers.render_nginx("default-src 'self'", path="/docs.v2/", root="/srv/www")
    assert '"~^/docs\\.v2/pyodide/v[^/]+/" "public, max-age=31536000, immutable";' in conf
    assert "default_type application/wasm;" in conf and "default_type text/javascript;" in conf
    locations = len(re.findall(r"^ *location ", conf, re.M))
    csp_header = 'add_header Content-Security-Policy "$runbook_csp_example_org_docs_v2" always;'
    assert conf.count(csp_header) == locations
    assert "server_name example.org;" in conf and "server_name _" not in conf
    assert "default \"default-src 'self'\";" in conf
    assert "error_page 404 /docs.v2/404.html;" in conf
    with pytest.raises(BuildError, match="must start and end with '/'"):
        headers.render_nginx("default-src 'self'", path="/docs")
    with pytest.raises(BuildError, match="--server-name"):
        headers.render_nginx("default-src 'self'", server_name="example.org; evil")


# --------------------------------------------------------------------------------------- CSP

# The example of the CSP specification: this script's hash.
SPEC_SCRIPT = "alert('Hello, world.');"
SPEC_HASH = "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_inline_script_hash_is_the_browsers() -> None:
    """The hash of an inline script's exact text, as browsers compute it."""
    assert csp.sha256_source(SPEC_SCRIPT) == SPEC_HASH


def test_policy_lists_every_inline_script_once(tmp_path: Path) -> None:
    """Every executable inline script of every page, once; not data scripts or files."""
    body = f"<script>{SPEC_SCRIPT}</script><script>var a = 1 < 2;</script>"
    site = _site(
        tmp_path,
        {
            "index.html": PAGE.format(head="", body=body),
            "a/index.html": PAGE.format(
                head='<script type="application/json">{"x": 1}</script>',
                body=f'<script>{SPEC_SCRIPT}</script><script src="x.js"></script>'
                '<script type="module">import "./y.js";</script>',
            ),
        },
    )
    policy = csp.policy_for(site)
    digest = base64.b64encode(hashlib.sha256(b"var a = 1 < 2;").digest()).decode()
    module = csp.sha256_source('import "./y.js";')
    assert sorted(policy.script_hashes) == sorted([SPEC_HASH, f"'sha256-{digest}'", module])
    header = policy.header()
    assert header.startswith("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-")
    assert header.endswith("frame-ancestors 'none'")
    assert "frame-ancestors" not in policy.meta()
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


@pytest.mark.parametrize(
    "body",
    [
        '<div style="color: red">x</div>',
        '<button onclick="go()">x</button>',
        '<a href="javascript:go()">x</a>',
    ],
    ids=["style attribute", "event handler", "javascript URL"],
)
def test_what_the_policy_would_block_fails_the_build(tmp_path: Path, body: str) -> None:
    """An inline style, handler or javascript: link fails the build, naming page and fix."""
    site = _site(tmp_path, {"deep/page/index.html": PAGE.format(head="", body=body)})
    with pytest.raises(BuildError, match=r"deep/page/index.html: <.*Move the style"):
        csp.policy_for(site)


def test_secure_writes_meta_once_and_headers(tmp_path: Path) -> None:
    """The <meta> policy right after <meta charset>, before any script, once however often
    the step runs; `_headers` carries the header policy."""
    page = PAGE.format(head=f"<script>{SPEC_SCRIPT}</script>", body="")
    site = _site(tmp_path, {"index.html": page, "404.html": page})
    csp.secure(site)
    policy = csp.secure(site)
    for name in ("index.html", "404.html"):
        html = (site / name).read_text("utf-8")
        assert html.count("Content-Security-Policy") == 1
        assert re.search(
            r'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="'
            + re.escape(policy.meta())
            + r'">\n<script>',
            html,
        )
    read = headers.HeadersFile.read(site)
    assert read.for_path("/")["Content-Security-Policy"] == policy.header()
    csp.secure(site, meta=False)  # `mkdocs serve`: no <meta> policy
    assert "Content-Security-Policy" not in (site / "index.html").read_text("utf-8")


def test_page_without_charset_names_the_fix(tmp_path: Path) -> None:
    site = _site(tmp_path, {"x.html": "<html><head></head><body></body></html>"})
    with pytest.raises(BuildError, match="x.html has no <meta charset"):
        csp.secure(site)


def test_deploy_page_shows_the_declared_policy() -> None:
    """The Deploy page shows every directive, type and cache rule as sitebuild declares them."""
    page = (ROOT / "docs" / "deploy.md").read_text("utf-8")
    for name, sources in csp.DIRECTIVES.items():
        assert f"{name} {' '.join(sources)}" in page, name
    for suffix, kind in headers.CONTENT_TYPES.items():
        assert f"`*{suffix}` | `Content-Type: {kind}`" in page
    assert f"`Cache-Control: {headers.CACHE_IMMUTABLE}`" in page
    assert f"`Cache-Control: {headers.CACHE_REVALIDATE}`" in page


# ------------------------------------------------------------------------ the browser's wheel


@pytest.fixture(scope="module")
def source_wheel() -> tuple[str, bytes]:
    """The wheel built from the working tree, as the site build builds it."""
    from sitebuild.publish import build_wheel

    return build_wheel(ROOT)


def _compiled(kept: bytes) -> bytes:
    """What compile_pyc.mjs makes of a zip (its bytecode faked: this test needs no Node)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(kept)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            name = info.filename + "c" if info.filename.endswith(".py") else info.filename
            target.writestr(zipfile.ZipInfo(name, info.date_time), b"pyc:" + data)
    return out.getvalue()


def test_browser_wheel_has_bytecode_for_every_module_it_keeps(
    source_wheel: tuple[str, bytes],
) -> None:
    """The browser's wheel: a .pyc for every module but the CLI's and the docs', no source,
    WHEEL tagged for Pyodide's Python, RECORD naming each file's hash and size, stored."""
    name, data = source_wheel
    kept = wheel.kept_files(data)
    browser_name, browser = wheel.repack(name, _compiled(kept), "cp314")
    assert browser_name == name.replace("-py3-none-any", "-cp314-none-any")
    assert wheel.repack(name, _compiled(kept), "cp314") == (browser_name, browser)  # reproducible

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        modules = [n for n in source.namelist() if n.endswith(".py")]
    with zipfile.ZipFile(io.BytesIO(browser)) as built:
        names = built.namelist()
        assert all(info.compress_type == zipfile.ZIP_STORED for info in built.infolist())
        dist_info = next(n for n in names if n.endswith(".dist-info/RECORD")).rsplit("/", 1)[0]
        assert "Tag: cp314-none-any\n" in built.read(f"{dist_info}/WHEEL").decode()
        # METADATA keeps the source's headers, without the README as its description.
        with zipfile.ZipFile(io.BytesIO(_compiled(kept))) as source:
            full = source.read(f"{dist_info}/METADATA").decode()
        metadata = built.read(f"{dist_info}/METADATA").decode()
        assert metadata == full[: full.index("\n\n") + 1]
        assert "\nVersion: " in metadata and "\nName: runbook" in metadata
        readme = (ROOT / "README.md").read_text("utf-8").splitlines()[0]
        assert readme in full and readme not in metadata
        record = built.read(f"{dist_info}/RECORD").decode().splitlines()
        for line in record[:-1]:
            path, digest, size = line.split(",")
            content = built.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}" and int(size) == len(content), path
        assert record[-1] == f"{dist_info}/RECORD,,"
        assert sorted(line.split(",")[0] for line in record) == sorted(names)
    assert not [n for n in names if n.endswith(".py")]
    for module in modules:
        left_out = module.removeprefix(wheel.PACKAGE) in wheel.LEFT_OUT
        assert (module + "c" in names) != left_out, module
    for left_out in wheel.LEFT_OUT:
        assert wheel.PACKAGE + left_out + "c" not in names
        assert wheel.PACKAGE + left_out not in names
    assert not [n for n in names if n.endswith("entry_points.txt")]
    assert "runbook_core/data/runbook.toml" in names


def test_browser_wheel_carries_each_data_file_parsed_as_tomllib_parses_it(
    source_wheel: tuple[str, bytes],
) -> None:
    """runbook_core/data/parsed.jsonl (runbook_core.datafile): one line per packaged TOML file
    of the source wheel, keyed by its text's hash, equal to what tomllib makes of it."""
    _, data = source_wheel
    with zipfile.ZipFile(io.BytesIO(wheel.kept_files(data))) as kept:
        texts = {
            n: kept.read(n).decode("utf-8")
            for n in kept.namelist()
            if n.startswith("runbook_core/data/") and n.endswith(".toml")
        }
        lines = kept.read(wheel.PACKAGE + datafile.PARSED_FILE).decode("utf-8").splitlines()
    assert len(texts) >= 6 and len(lines) == len(texts)
    index = dict(line.split("\t", 1) for line in lines)
    for name, text in texts.items():
        assert json.loads(index[datafile.text_key(text)]) == tomllib.loads(text), name


@pytest.mark.cpython_only
def test_the_widget_needs_nothing_the_browser_wheel_leaves_out() -> None:
    """runbook_core.widget, used as the engine uses it, imports no module the browser's wheel
    leaves out, and no module it keeps names a data file it leaves out."""
    code = (
        "import json, sys; from runbook_core import widget; widget.info(); "
        "widget.render(None, '2026-11-28T21:40:00Z', ''); widget.later(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('runbook_core'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    imported = set(json.loads(result.stdout))
    left_out = {
        "runbook_core." + name.removesuffix(".py").replace("/", ".")
        for name in wheel.LEFT_OUT
        if name.endswith(".py")
    }
    assert "runbook_core.view" in imported
    assert not imported & left_out
    data_left_out = [Path(name).name for name in wheel.LEFT_OUT if not name.endswith(".py")]
    for module in imported:
        source = Path(importlib.util.find_spec(module).origin).read_text("utf-8")
        assert not [name for name in data_left_out if name in source], module


def test_python_tag_and_wheel_names() -> None:
    """Bytecode is for one Python: the tag says which; only a py3-none-any wheel is taken."""
    assert wheel.python_tag("3.14.2") == "cp314"
    with pytest.raises(BuildError, match="py3-none-any"):
        wheel.repack("runbook_core-0.1.0-cp311-cp311-linux_x86_64.whl", b"", "cp314")


# ------------------------------------------------------------------ the trimmed standard library


def test_stdlib_keep_list_keeps_modules_only(tmp_path: Path) -> None:
    """The keep list names modules; the trimmed zip holds their source, nothing else."""
    keep = tmp_path / "keep.txt"
    keep.write_text("# comment\njson  # why\njson.decoder\nos\n", "utf-8")
    modules = stdlib.read_keep_list(keep)
    assert modules == {"json", "json.decoder", "os"}
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as z:
        for name in (
            "json/",
            "json/__init__.py",
            "json/decoder.py",
            "json/tool.py",
            "os.py",
            "osx.py",
            "tomllib/mypy.ini",
            "pyodide/py.typed",
        ):
            z.writestr(name, "" if name.endswith("/") else "x = 1\n")
    with zipfile.ZipFile(io.BytesIO(stdlib.trim(source.getvalue(), modules))) as trimmed:
        assert sorted(trimmed.namelist()) == ["json/__init__.py", "json/decoder.py", "os.py"]


def test_stdlib_keep_list_is_sorted_module_names() -> None:
    """sitebuild/stdlib-keep.txt: one module a line, sorted, written by `make stdlib-keep`
    (`make test-pyodide` checks it is exactly what the engine imports)."""
    lines = [
        line
        for line in stdlib.KEEP_FILE.read_text("utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert lines == sorted(set(lines))
    assert all(re.fullmatch(r"[A-Za-z_][\w.]*", name) for name in lines)
    assert {"asyncio", "json", "pyodide", "tomllib", "zipfile"} <= set(lines)


LOADPACKAGE_KEEP = ROOT / "bench" / "stdlib-loadpackage.txt"


def test_loadpackage_modules_are_left_out_of_the_site_and_given_to_the_benchmark() -> None:
    """What only Pyodide's loadPackage imports (bench/stdlib-loadpackage.txt, written by `make
    stdlib-keep`, checked exact by `make test-pyodide`) is not in the site's standard library;
    the benchmark's floor and peer get the site's with those added, and nothing else."""
    lines = [
        line
        for line in LOADPACKAGE_KEEP.read_text("utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert lines == sorted(set(lines))
    extra = set(lines)
    assert "tarfile" in extra  # loadPackage unpacks archives; the engine extracts its wheel
    assert not extra & stdlib.read_keep_list()

    def modules(path: Path) -> set[str]:
        with zipfile.ZipFile(path) as built:
            return {stdlib.module_name(name) for name in built.namelist()}

    site = modules(stdlib.published_stdlib(ROOT))
    assert not site & extra
    assert modules(stdlib.published_stdlib(ROOT, also=LOADPACKAGE_KEEP)) == site | extra


def test_packed_files_are_published_in_both_forms_that_unpack_to_the_same() -> None:
    """The engine's largest files are published as NAME (for a host that compresses them itself)
    and as NAME.gz (for one that does not), reproducibly, NAME.gz unpacking to NAME, the npm
    package's file; the worker knows exactly those names, and the offline copy's manifest pairs
    the two forms (it caches the one the page used)."""
    import fnmatch
    import gzip

    from sitebuild import offline, publish

    plan = publish.plan(ROOT)
    worker = (ROOT / "docs/assets/javascripts/engine-worker.mjs").read_text("utf-8")
    listed = re.search(r"const PACKED = new Set\(\[([^\]]*)\]\)", worker)
    assert listed, "engine-worker.mjs declares no PACKED set"
    assert sorted(re.findall(r'"([^"]+)"', listed.group(1))) == sorted(publish.PACKED)
    for name in publish.PACKED:
        source = (
            stdlib.published_stdlib(ROOT)
            if name == "python_stdlib.zip"
            else ROOT / "node_modules" / "pyodide" / name
        )
        assert plan.files[plan.pyodide + name] == source
        data = plan.files[plan.pyodide + name + publish.PACKED_SUFFIX]
        assert isinstance(data, bytes)
        assert gzip.decompress(data) == source.read_bytes()
        assert len(data) < source.stat().st_size / 2
        assert data == publish.packed(source, ROOT)  # reproducible: same bytes, same integrity
        for path in (plan.pyodide + name, plan.pyodide + name + publish.PACKED_SUFFIX):
            assert not any(fnmatch.fnmatch(path, p) for p in offline.NOT_CACHED)


def test_packed_files_are_zopfli_gzip_made_once_and_checked(tmp_path: Path) -> None:
    """NAME.gz is a gzip any reader takes, smaller than gzip -9, the same bytes every time; a
    root's cache gives them back without compressing again, makes a damaged entry again, and
    keeps only the most recently used entries."""
    from sitebuild import publish

    data = (ROOT / "node_modules" / "pyodide" / "pyodide.mjs").read_bytes()
    fresh = publish.packed(data)
    assert gzip.decompress(fresh) == data and fresh == publish.packed(data)
    assert len(fresh) < len(gzip.compress(data, compresslevel=9, mtime=0))
    assert fresh[4:8] == bytes(4)  # no timestamp
    assert publish.packed(data, tmp_path) == fresh
    cache = tmp_path / publish.PACKED_CACHE
    [entry] = cache.iterdir()
    assert entry.read_bytes() == fresh
    for damage in (b"", b"not gzip", fresh[:-9], gzip.compress(b"other", mtime=0)):
        entry.write_bytes(damage)
        assert publish.packed(data, tmp_path) == fresh
        assert entry.read_bytes() == fresh
    for number in range(publish.PACKED_CACHE_KEEP + 3):
        publish.packed(data + bytes([number]), tmp_path)
    assert len(list(cache.glob("*.gz"))) == publish.PACKED_CACHE_KEEP
    assert not list(cache.glob("*.tmp"))


BLOB_POLICY = re.compile(r"^function blobScriptsAllowed\(policy\) \{\n.*?^\}\n", re.M | re.S)
# policy -> whether a worker may import a blob: URL under it
BLOB_CASES = {
    "": True,
    "img-src *": True,
    "script-src 'self'": False,
    "script-src 'self' blob:": True,
    "SCRIPT-SRC 'self' BLOB:": True,
    "default-src 'self'": False,
    "default-src 'self'; script-src 'self' blob:": True,
    "script-src 'self' blob:; script-src-elem 'self'": False,
    "script-src 'self' blob:, script-src 'self'": False,
    "script-src 'self' blob:,img-src *": True,
}


@pytest.mark.cpython_only
def test_engine_and_offline_copy_read_a_policy_s_blob_rule_alike() -> None:
    """Pyodide's JavaScript comes packed only where the host's policy allows a blob: script:
    the engine (engine-worker.mjs) and the offline copy (sw.js, which must keep the form the
    engine asks for) hold the same function, and it reads policies as CSP does; the site's own
    policy allows none."""
    worker = (ROOT / "docs/assets/javascripts/engine-worker.mjs").read_text("utf-8")
    service_worker = (ROOT / "sitebuild/sw.js").read_text("utf-8")
    (in_worker,) = BLOB_POLICY.findall(worker)
    (in_sw,) = BLOB_POLICY.findall(service_worker)
    assert in_worker == in_sw
    site_policy = "; ".join(f"{name} {' '.join(v)}" for name, v in csp.DIRECTIVES.items())
    cases = {**BLOB_CASES, site_policy: False}
    script = in_worker + f"console.log(JSON.stringify({json.dumps(list(cases))}"
    script += ".map((p) => blobScriptsAllowed(p || null))));"
    found = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert dict(zip(cases, json.loads(found.stdout), strict=True)) == cases


def test_manifest_pairs_each_packed_file_with_its_gz(tmp_path: Path) -> None:
    """sw.js caches one form of each packed file: the manifest names the pairs, and only the
    pairs whose two forms are both in the build (the sitemap's .gz is no engine file)."""
    from sitebuild import offline, publish

    folder = tmp_path / "pyodide" / "v1-0a1b2c3d"
    folder.mkdir(parents=True)
    for name in publish.PACKED:
        (folder / name).write_bytes(b"plain")
        (folder / (name + publish.PACKED_SUFFIX)).write_bytes(b"packed")
    (folder / "pyodide.mjs.gz").write_bytes(b"not a pair: no pyodide.mjs")
    wheel = "assets/wheels/0123456789abcdef/runbook_core-1.0-cp314-none-any.whl"
    (tmp_path / wheel).parent.mkdir(parents=True)
    (tmp_path / wheel).write_bytes(b"plain")
    (tmp_path / (wheel + publish.PACKED_SUFFIX)).write_bytes(b"packed")
    (tmp_path / "sitemap.xml").write_text("<urlset/>")
    (tmp_path / "sitemap.xml.gz").write_bytes(b"skipped")
    built = offline.manifest(tmp_path)
    urls = {url for url, _ in built["files"]}
    assert built["either"] == sorted(
        [
            *(
                [f"pyodide/v1-0a1b2c3d/{n}", f"pyodide/v1-0a1b2c3d/{n}{publish.PACKED_SUFFIX}"]
                for n in publish.PACKED
            ),
            [wheel, wheel + publish.PACKED_SUFFIX],
        ]
    )
    assert all(plain in urls and packed in urls for plain, packed in built["either"])


# ------------------------------------------------------------------------------ a team's org


def test_a_team_s_post_mortem_template_is_published_beside_its_org_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like its ticket template, a team's post-mortem template is published for the browser's
    engine (a .txt beside the generated org.toml, which names it), and the engine, reading that
    folder as its $RUNBOOK_ORG, drafts with it."""
    from runbook_core.config import ORG_ENV, load_org
    from runbook_core.postmortem import render_postmortem
    from runbook_core.record import record_from_json
    from sitebuild import publish

    packaged = (ROOT / "docs" / "runbook" / "POSTMORTEM_TEMPLATE.md").read_text("utf-8")
    team = packaged.replace("# Post-mortem: ", "# Acme post-mortem: ", 1)
    assert team != packaged
    (tmp_path / "PM.md").write_text(team, "utf-8")
    (tmp_path / "org.toml").write_text('channel = "#inc-acme"\npostmortem_template = "PM.md"\n')
    monkeypatch.setenv(ORG_ENV, str(tmp_path / "org.toml"))
    bundle = publish.org_bundle()
    assert bundle[publish.POSTMORTEM_NAME] == team.encode()
    assert publish.TEMPLATE_NAME not in bundle  # no ticket template: none published
    org_text = bundle[publish.ORG_NAME].decode()
    assert f'postmortem_template = "{publish.POSTMORTEM_NAME}"' in org_text.splitlines()

    # What the browser's engine does with the published folder (engine-worker.mjs fetchOrg).
    served = tmp_path / "served"
    served.mkdir()
    for name, content in bundle.items():
        (served / name).write_bytes(content)
    monkeypatch.setenv(ORG_ENV, str(served / publish.ORG_NAME))
    org = load_org()
    assert Path(org.postmortem_template).name == publish.POSTMORTEM_NAME
    example = (ROOT / "docs" / "examples" / "rollback-succeeded.json").read_text("utf-8")
    assert render_postmortem(record_from_json(example), org).startswith("# Acme post-mortem: ")


# -------------------------------------------------------------------- minifying (minify.py)

MODULE = 'import { x } from "./x.js";\nconst internalCounter = x + 1;\n'
MODULE += "export function visibleName() {\n  return internalCounter;\n}\n"
CLASSIC = "// a classic script: its top-level names are globals\nfunction sharedHelper(value) {\n"
CLASSIC += '  return value + 1;\n}\nvar sharedCount = sharedHelper(1);\nthrow new Error("kept");\n'


def test_minify_mangles_a_module_but_keeps_a_classic_script_s_globals() -> None:
    """A file that declares imports or exports is minified as an ES module (its own top-level
    names mangled, its exports and imports kept); any other keeps its top-level names, which
    other scripts may read as globals; strings (error messages) stay."""
    from sitebuild import minify

    module, classic = minify.minify_code([("m.js", MODULE), ("c.js", CLASSIC)])
    assert module.module and not classic.module
    assert "visibleName" in module.code and '"./x.js"' in module.code
    assert "internalCounter" not in module.code
    assert "function sharedHelper(" in classic.code and "sharedCount" in classic.code
    assert '"kept"' in classic.code and "a classic script" not in classic.code
    for done, source in ((module, MODULE), (classic, CLASSIC)):
        assert done.code.endswith(f"\n//# sourceMappingURL={done.name}.map")
        source_map = json.loads(done.map)
        assert source_map["sources"] == [done.name] and source_map["sourcesContent"] == [source]
    # Declared a module, a file without imports is mangled like one.
    (forced,) = minify.minify_code([("c.js", CLASSIC.replace("throw", "export"))], module=True)
    assert "sharedHelper" not in forced.code


def test_minify_is_deterministic() -> None:
    """The same sources give the same bytes, run after run (the offline manifest's integrity
    and the service worker's version depend on them)."""
    from sitebuild import minify

    files = [
        (path.name, path.read_text("utf-8"))
        for path in (ROOT / "docs" / "assets" / "javascripts").glob("*.mjs")
    ]
    assert minify.minify_code(files) == minify.minify_code(files)


def test_minify_names_what_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script that does not parse stops the build naming its file and line; without terser
    (not installed: the script is run where node_modules/ has none) or without Node, the
    error says what to install."""
    from sitebuild import minify

    with pytest.raises(BuildError, match=r"terser cannot parse bad\.js:2:\d+: .*fix that script"):
        minify.minify_code([("good.js", MODULE), ("bad.js", "const a = 1;\nexport const = 2;\n")])
    alone = tmp_path / "minify.mjs"
    alone.write_text(minify.MINIFIER.read_text("utf-8"), "utf-8")
    monkeypatch.setattr(minify, "MINIFIER", alone)
    with pytest.raises(BuildError, match=r"terser \(an npm devDependency\) is missing.*npm ci"):
        minify.minify_code([("m.js", MODULE)])
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BuildError, match=r"node is needed to minify .*install Node"):
        minify.minify_code([("m.js", MODULE)])


def test_minify_site_minifies_each_published_script_once(tmp_path: Path) -> None:
    """Every script of the docs folder is minified where the generator published it, its map
    beside it; a second run leaves them (already minified), not a file copied again beside an
    earlier run's map; a script the site lacks stops it."""
    from sitebuild import minify

    docs, site = tmp_path / "docs", tmp_path / "site"
    for folder in (docs, site):
        (folder / "js" / "deep").mkdir(parents=True)
        (folder / "js" / "a.mjs").write_text(MODULE, "utf-8")
        (folder / "js" / "deep" / "a.mjs").write_text(CLASSIC, "utf-8")  # the same name
        (folder / "js" / "theme.min.css").write_text("a{}", "utf-8")
    sizes = minify.minify_site(site, docs)
    assert sorted(sizes) == ["js/a.mjs", "js/deep/a.mjs"]
    assert all(after < before for before, after in sizes.values())

    def files() -> dict[str, bytes]:
        return {
            p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()
        }

    first = files()
    assert sorted(first) == [
        "js/a.mjs", "js/a.mjs.map", "js/deep/a.mjs", "js/deep/a.mjs.map", "js/theme.min.css"
    ]  # fmt: skip
    deep_map = json.loads(first["js/deep/a.mjs.map"])
    assert deep_map["sourcesContent"] == [CLASSIC]
    assert minify.minify_site(site, docs) == {}
    assert files() == first
    (site / "js" / "a.mjs").write_text(MODULE, "utf-8")  # copied again, the old map left
    assert list(minify.minify_site(site, docs)) == ["js/a.mjs"]
    assert files() == first
    (docs / "js" / "new.js").write_text(MODULE, "utf-8")
    with pytest.raises(BuildError, match=r"has no js/new\.js of .*make build"):
        minify.minify_site(site, docs)

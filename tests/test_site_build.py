"""The site built for https://example.org/runbook/, as `SITE_URL=… make build` builds it: its
addresses, 404 page, Content-Security-Policy and header files are right for that path, and the
recipes build it the way the Makefile does."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from sitebuild import csp, headers, offline, publish, pyc, stdlib, wheel
from tests.helpers import ROOT

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


def test_headers_file_and_service_worker(site: Path) -> None:
    """`_headers` at the site root carries the header policy; the service worker neither
    precaches it (hosts do not serve it) nor leaves out a page."""
    read = headers.HeadersFile.read(site)
    assert (
        read.for_path("/walkthrough/")["Content-Security-Policy"] == csp.policy_for(site).header()
    )
    code = (site / "sw.js").read_text("utf-8")
    manifest = json.loads(re.search(r"const MANIFEST = (\{.*?\});\n", code).group(1))
    urls = [url for url, _ in manifest["files"]]
    assert "_headers" not in urls and "walkthrough/" in urls and "404.html" in urls
    assert manifest["immutable"] == list(headers.IMMUTABLE_PATHS)
    assert offline.PLACEHOLDER not in code


def test_nginx_recipe_is_this_builds(site: Path) -> None:
    """deploy/nginx.conf is what `make nginx-conf` writes from today's build (its policy)."""
    expected = headers.render_nginx(csp.policy_for(site).header(), path=BASE)
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
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}

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

    # Published packed (python_stdlib.zip.gz, sitebuild/publish.py PACKED): the zip inside.
    assert not list(site.glob("pyodide/v*/python_stdlib.zip"))
    (packed,) = site.glob("pyodide/v*/python_stdlib.zip.gz")
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
    compiled = pyc.compile_zip(ROOT, wheel.kept_files(data), "the wheel")
    assert wheel.repack(name, compiled, "cp314") == (published.name, published.read_bytes())

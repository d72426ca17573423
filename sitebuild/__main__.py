"""python -m sitebuild STEP ...: the site's build steps, without MkDocs (see __init__.py)."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from sitebuild import ROOT, BuildError, csp, finish, headers, minify, offline, postbuild, publish
from sitebuild.stdlib import published_stdlib


def _site(value: str) -> Path:
    site = Path(value)
    if not (site / "index.html").is_file():
        raise argparse.ArgumentTypeError(f"{site} is not a built site (no index.html): make build")
    return site


def step_publish(args: argparse.Namespace) -> None:
    plan = publish.plan(ROOT)
    publish.write(plan, args.site)
    print(f"published {len(plan.files)} files: Pyodide in {plan.pyodide}, the wheel {plan.wheel}")


def step_stdlib(args: argparse.Namespace) -> None:
    built = published_stdlib(ROOT, args.also)
    shutil.copyfile(built, args.out)
    print(f"published standard library: {built.stat().st_size:,} bytes, a zip of .pyc ({args.out})")


def step_wheel(args: argparse.Namespace) -> None:
    name, data = publish.published_wheel(ROOT)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.whl"):
        old.unlink()
    (args.out / name).write_bytes(data)
    print(f"the browser's wheel: {len(data):,} bytes, bytecode ({args.out / name})")


def step_minify(args: argparse.Namespace) -> None:
    sizes = minify.minify_site(args.site)
    before, after = (sum(size[i] for size in sizes.values()) for i in (0, 1))
    print(f"minified {len(sizes)} scripts: {before:,} -> {after:,} bytes, each with NAME.map")
    if sizes and (args.site / offline.SERVICE_WORKER).is_file():
        print(
            "scripts changed: write the service worker again (python -m sitebuild offline)",
            file=sys.stderr,
        )


def step_secure(args: argparse.Namespace) -> None:
    policy = csp.secure(args.site, meta=not args.no_meta)
    print(policy.header())
    if (args.site / offline.SERVICE_WORKER).is_file():
        print(
            "pages changed: write the service worker again (python -m sitebuild offline)",
            file=sys.stderr,
        )


def step_offline(args: argparse.Namespace) -> None:
    version = offline.write_service_worker(args.site)
    print(f"{args.site / offline.SERVICE_WORKER}: version {version}")


def step_finish(args: argparse.Namespace) -> None:
    print(f"{args.site}: policy in every page and _headers, sw.js version {finish(args.site)}")


def step_postbuild(args: argparse.Namespace) -> None:
    version = postbuild(args.site, meta=not args.no_meta)
    print(f"{args.site}: the engine's files, policy in every page and _headers, sw.js {version}")


def step_policy(args: argparse.Namespace) -> None:
    print(csp.policy_for(args.site).header())


def site_address(site: Path) -> tuple[str, str]:
    """The host and path the site was built for: its site_url's, from the sitemap's first
    address ("example.org", "/runbook/")."""
    sitemap = (site / "sitemap.xml").read_text("utf-8") if (site / "sitemap.xml").is_file() else ""
    found = re.search(r"<loc>([^<]+)</loc>", sitemap)
    if not found:
        raise BuildError(
            f"{site}/sitemap.xml names no page: pass --server-name your.host --path /where/it/is/"
        )
    address = urlsplit(found.group(1))
    return address.hostname or "", address.path or "/"


def step_nginx(args: argparse.Namespace) -> None:
    policy = csp.policy_for(args.site).header()
    host, path = (
        (args.server_name, args.path) if args.server_name and args.path else site_address(args.site)
    )
    sys.stdout.write(
        headers.render_nginx(
            policy,
            path=args.path or path,
            root=args.root,
            server_name=args.server_name or host,
            listen=args.listen,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitebuild", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    def add(
        name: str,
        run: Callable[[argparse.Namespace], None],
        help: str,  # noqa: A002
        site: bool = True,
    ) -> argparse.ArgumentParser:
        sub = steps.add_parser(name, help=help, description=help)
        if site:
            sub.add_argument("site", type=_site, metavar="SITE_DIR", help="a built site")
        sub.set_defaults(run=run)
        return sub

    add("publish", step_publish, "write the wheel, Pyodide and the trimmed stdlib into SITE_DIR")
    stdlib = add("stdlib", step_stdlib, "write the trimmed, precompiled stdlib to OUT", site=False)
    stdlib.add_argument("out", type=Path, metavar="OUT")
    stdlib.add_argument(
        "--also",
        type=Path,
        metavar="KEEP_FILE",
        help="keep this list's modules too (bench/stdlib-loadpackage.txt: what Pyodide's "
        "loadPackage imports besides the engine's, for the benchmark's floor and peer)",
    )
    wheel = add(
        "wheel", step_wheel, "write the browser's runbook_core wheel into OUT_DIR", site=False
    )
    wheel.add_argument("out", type=Path, metavar="OUT_DIR")
    add("minify", step_minify, "minify the site's own scripts (docs/'s), each with NAME.map")
    secure = add("secure", step_secure, "the CSP into every page (<meta>) and _headers; prints it")
    secure.add_argument("--no-meta", action="store_true", help="leave the pages without <meta>")
    add("offline", step_offline, "write sw.js with this build's files (after every other step)")
    add("finish", step_finish, "secure, then offline: what the build runs after its pages")
    after = add(
        "postbuild", step_postbuild, "publish, then finish: what the build runs after the generator"
    )
    after.add_argument("--no-meta", action="store_true", help="leave the pages without <meta>")
    add("policy", step_policy, "print the site's Content-Security-Policy (changes nothing)")
    nginx = add("nginx", step_nginx, "print an nginx server block for the site")
    nginx.add_argument("--path", help="the site's path (default: its site_url's, /runbook/)")
    nginx.add_argument("--server-name", help="the host name (default: its site_url's)")
    nginx.add_argument("--listen", default="80", help="nginx's listen: port or address:port")
    nginx.add_argument("--root", default="/srv/www", help="nginx's root: the site is ROOT/PATH")

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except BuildError as exc:
        print(f"sitebuild {args.step}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

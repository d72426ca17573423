"""A real nginx for the tests, where nginx is installed (`make setup` installs Debian's).

Started by the test as its own process (foreground, no daemon) with its own prefix, pid file,
error log and temporary folders in a tmp dir, on a free port of 127.0.0.1; its http block holds
a stand-in for Debian's default site (the default_server for the port, 404 for every name, as
Debian ships it) and the generated server blocks, included as an adopter includes them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
)
MIME_TYPES = Path("/etc/nginx/mime.types")  # Debian's; nginx's own default otherwise
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make setup)")

MAIN_CONF = """\
daemon off;
worker_processes 1;
{user}pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    # Debian's default site, as it ships (sites-enabled/default): every name it does not know.
    server {{
        listen {listen} default_server;
        server_name _;
        root {tmp}/default;
        location / {{ try_files $uri $uri/ =404; }}
    }}

{includes}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main_conf(tmp: Path, confs: list[Path], listen: str) -> Path:
    """nginx.conf in `tmp` including each generated conf in its http block."""
    for folder in ("default", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir(parents=True, exist_ok=True)
    path = tmp / "nginx.conf"
    path.write_text(
        MAIN_CONF.format(
            tmp=tmp,
            listen=listen,
            # As root, nginx's workers would run as nobody, who cannot read the tmp dirs.
            user="user root;\n" if os.geteuid() == 0 else "",
            mime=f"include {MIME_TYPES};" if MIME_TYPES.is_file() else "",
            includes="\n".join(f"    include {conf};" for conf in confs),
        ),
        "utf-8",
    )
    return path


def check(conf: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the main conf `conf`: its output says what is wrong (and warns)."""
    return subprocess.run(
        [NGINX, "-t", "-p", f"{conf.parent}/", "-e", str(conf.parent / "error.log"), "-c", conf],
        capture_output=True,
        text=True,
        check=False,
    )


@contextmanager
def running(conf: Path, port: int) -> Iterator[subprocess.Popen]:
    """nginx with the main conf `conf`, until it answers on `port`; stopped on leaving."""
    log = conf.parent / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", f"{conf.parent}/", "-e", str(log), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # nginx writes its errors to the log
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited: {log.read_text()}", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not answer on port {port}", pytrace=False)
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

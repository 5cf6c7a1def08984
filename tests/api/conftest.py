"""The local API under test: a real `fastclip serve` in a subprocess on a free loopback port, over a
library of its own (real SQLite, real files, real worker processes), and a client that speaks
HTTP with nothing but the standard library, as a user's script may.

One server (`api`) is shared by the tests of this folder that need no server of their own; the
crash and shutdown tests start their own (`ApiProcess`).
"""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from engine.library import Library

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def cli_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "FASTCLIP_HOME"}
    env.update(FASTCLIP_HOME=str(home), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def fastclip(home: Path, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """`fastclip ARGS` on the library in ``home``."""
    done = subprocess.run([sys.executable, "-m", "fastclip_desktop.cli", *args], env=cli_env(home), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"fastclip {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def new_key(home: Path, name: str = "tests") -> str:
    return json.loads(fastclip(home, "keys", "create", name, "--json").stdout)["key"]


def allow_local(home: Path, *folders: Path) -> None:
    with Library(home / "library.db") as lib:
        lib.set_setting("api_local_folders", os.pathsep.join(str(f) for f in folders))


class ApiProcess:
    """`fastclip serve --port 0` on the library in ``home``; ``url`` once it answers."""

    def __init__(self, home: Path, *args: str):
        self.home = home
        self.log = open(home / f"serve-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "fastclip_desktop.cli", "serve", "--port", "0", *args],
                                     env=cli_env(home), cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT_S)
        line = self.proc.stdout.readline() if ready else ""
        if "listening on" not in line:
            self.stop()
            raise AssertionError(f"the server did not start: {line!r}\n{self.stderr()}")
        self.url = line.split("listening on ")[1].split()[0]

    def stderr(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def error(self) -> dict:
        return self.json()["error"]


class Client:
    """HTTP with the standard library; ``key`` goes in Authorization unless ``auth=False``."""

    def __init__(self, base: str, key: str | None):
        self.base, self.key = base, key

    def request(self, method: str, url: str, body=None, *, headers: dict | None = None, auth: bool = True,
                timeout: float = 60) -> Reply:
        target = urlsplit(url if url.startswith("http") else self.base + url)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if auth and self.key:
            hdrs.setdefault("Authorization", f"Bearer {self.key}")
        try:
            conn.request(method, target.path + (f"?{target.query}" if target.query else ""), body=body, headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, body=None, **kw):
        return self.request("POST", url, body if body is not None else {}, **kw)

    def ok(self, method: str, url: str, body=None, status: int = 200, **kw):
        reply = self.request(method, url, body, **kw)
        assert reply.status == status, f"{method} {url}: {reply.status} {reply.body[:500]!r}"
        return reply.json()

    def wait(self, url: str, until=("ready", "failed", "complete"), timeout: float = 90) -> dict:
        """Poll ``url`` (at most 10 times a second) until its status is one of ``until``."""
        deadline = time.monotonic() + timeout
        while True:
            d = self.ok("GET", url)
            if d["status"] in until:
                return d
            assert time.monotonic() < deadline, f"{url} still {d['status']} after {timeout} s: {d}"
            time.sleep(0.1)

    def upload(self, path: Path, **fields) -> str:
        """The seed's simple flow: request, PUT, poll until ready; the file_id."""
        data = Path(path).read_bytes()
        req = self.ok("POST", "/v1/upload/request", {"filename": Path(path).name, "content_type": "video/mp4",
                                                     "file_size": len(data), **fields})
        put = self.request("PUT", req["upload_url"], data, headers={"Content-Type": "video/mp4"}, auth=False)
        assert put.status == 200, put.body
        return req["file_id"]


@pytest.fixture(scope="session")
def api_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("api-home")


@pytest.fixture(scope="session")
def api_server(api_home, media_dir):
    allow_local(api_home, media_dir, api_home / "local")
    (api_home / "local").mkdir(exist_ok=True)
    key = new_key(api_home)
    server = ApiProcess(api_home, "--workers", "2")
    server.key = key
    yield server
    assert server.stop() == 0, server.stderr()


@pytest.fixture
def api(api_server) -> Client:
    return Client(api_server.url, api_server.key)


@pytest.fixture(scope="session")
def ready_file(api_server, source):
    """A 4-second h264 source uploaded once through the shared server: its file_id."""
    client = Client(api_server.url, api_server.key)
    file_id = client.upload(source("h264"))
    assert client.wait(f"/v1/upload/{file_id}")["status"] == "ready"
    return file_id

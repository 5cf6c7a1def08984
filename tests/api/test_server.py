"""The server as the app starts it (from Python, on a thread, sharing the app's JobThread) and the
commands around it: `fastclip keys`, `fastclip serve`'s checks."""

from __future__ import annotations

import json

import pytest

from engine import JobThread, Library
from fastclip_desktop.api import ApiServer, is_loopback
from tests.api.conftest import Client, fastclip


def test_started_from_python_on_a_thread_sharing_the_apps_job_thread(tmp_path, source):
    db = tmp_path / "library.db"
    with Library(db) as lib:
        _, key = lib.create_api_key("app")
        lib.set_setting("api_local_folders", str(source("h264").parent))
    jobs = JobThread(library_path=db, workers=1)
    server = ApiServer(db, port=0, jobs=jobs)
    try:
        url = server.start()
        assert url == server.url and url.startswith("http://127.0.0.1:")
        api = Client(url, key)
        file_id = api.ok("POST", "/v1/upload/local", {"path": str(source("h264"))})["file_id"]
        assert api.wait(f"/v1/upload/{file_id}")["status"] == "ready"
        job = api.ok("POST", "/v1/clip", {"file_id": file_id, "start": 0, "end": 1, "mode": "keyframe"})
        assert api.wait(f"/v1/clip/{job['job_id']}")["status"] == "complete"
        # the app's own calls on the same runner see the API's job
        assert jobs.call(lambda r: r.library.get_job(job["job_id"]).status).result(10) == "complete"
    finally:
        server.stop()
    assert not server._thread.is_alive()
    assert jobs.alive, "the app's job thread is the app's to stop"
    jobs.stop()
    with pytest.raises(OSError):
        Client(url, key).get("/health", timeout=2)


def test_a_taken_port_is_an_error_before_anything_starts(tmp_path):
    first = ApiServer(tmp_path / "library.db", port=0)
    sock = first.bind()
    try:
        second = ApiServer(tmp_path / "library.db", port=first.port)
        with pytest.raises(OSError):
            second.bind()
        done = fastclip(tmp_path, "serve", "--port", str(first.port), check=False)
        assert done.returncode == 2 and "cannot listen" in done.stderr
    finally:
        sock.close()


def test_loopback_or_a_warning(tmp_path):
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.10", "::", "example.com"))
    assert fastclip(tmp_path, "serve", "--port", "70000", check=False).returncode == 2


def test_keys_command(tmp_path):
    made = json.loads(fastclip(tmp_path, "keys", "create", "ci", "--json").stdout)
    assert set(made) == {"key_id", "name", "key"} and made["key"].startswith("sk_local_")
    plain = fastclip(tmp_path, "keys", "create", "laptop")
    assert plain.stdout.strip().startswith("sk_local_") and "shown only now" in plain.stderr
    listed = fastclip(tmp_path, "keys", "list").stdout
    assert made["key_id"] in listed and made["key"] not in listed and made["key"][:15] in listed
    assert json.loads(fastclip(tmp_path, "keys", "delete", made["key_id"], "--json").stdout)["deleted"] is True
    again = fastclip(tmp_path, "keys", "delete", made["key_id"], check=False)
    assert again.returncode == 2 and "not_found" in again.stderr
    assert fastclip(tmp_path, "keys", "create", "x" * 101, check=False).returncode == 2
    with Library(tmp_path / "library.db") as lib:
        assert lib.check_api_key(made["key"]) is None and len(lib.list_api_keys()) == 1

"""Stopping the server: SIGTERM lets the running export finish and exits 0; SIGKILL in the middle of
an export leaves the job to the next start, which queues it again and completes it, with no partial
file left behind."""

from __future__ import annotations

import time

from tests import media
from tests.api.conftest import ApiProcess, Client, allow_local, fastclip, new_key

RUNNING = ("downloading", "processing", "uploading")


def _server(home, media_dir):
    allow_local(home, media_dir)
    return new_key(home)


def _start_long_export(api: Client, path) -> str:
    file_id = api.ok("POST", "/v1/upload/local", {"path": str(path)})["file_id"]
    assert api.wait(f"/v1/upload/{file_id}")["status"] == "ready"
    job_id = api.ok("POST", "/v1/clip", {"file_id": file_id, "start": 0.1, "end": 7.9, "mode": "precise"})["job_id"]
    deadline = time.monotonic() + 30
    while (status := api.ok("GET", f"/v1/clip/{job_id}")["status"]) not in RUNNING:
        assert status == "pending" and time.monotonic() < deadline, status
        time.sleep(0.01)
    return job_id


def _temps(home) -> list[str]:
    return sorted(p.name for p in (home / "clips").iterdir() if ".fastclip-part" in p.name)


def test_sigkill_during_an_export_then_a_restart_completes_it(tmp_path, source):
    src = source("one_long_gop")
    home = tmp_path / "home"
    home.mkdir()
    key = _server(home, src.parent)
    server = ApiProcess(home)
    try:
        api = Client(server.url, key)
        job_id = _start_long_export(api, src)
        server.kill()  # no shutdown at all; its worker gets SIGTERM as its parent dies
    finally:
        server.stop()
    left = fastclip(home, "jobs", "show", job_id, "--json").stdout
    assert '"status": "complete"' not in left
    again = ApiProcess(home)
    try:
        api = Client(again.url, key)
        done = api.wait(f"/v1/clip/{job_id}", timeout=120)
        assert done["status"] == "complete" and done["attempts"] == 2, done
        out = tmp_path / "after_restart.mp4"
        out.write_bytes(api.request("GET", done["download_url"], auth=False).body)
        assert [n for _, n in media.frame_numbers(out)] == list(range(3, 237))  # 0.1 s to 7.9 s at 30 fps
        assert _temps(home) == []
        assert sorted(p.name for p in (home / "clips").iterdir()) == [done["file_name"]]
    finally:
        assert again.stop() == 0


def test_sigterm_lets_the_running_export_finish_and_exits_0(tmp_path, source):
    src = source("one_long_gop")
    home = tmp_path / "home"
    home.mkdir()
    key = _server(home, src.parent)
    server = ApiProcess(home)
    api = Client(server.url, key)
    job_id = _start_long_export(api, src)
    assert server.stop() == 0, server.stderr()
    assert "has stopped" in server.stderr()
    shown = fastclip(home, "jobs", "show", job_id, "--json").stdout
    assert '"status": "complete"' in shown
    assert _temps(home) == []

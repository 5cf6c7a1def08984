"""The server under load and beside the other front ends: 100 concurrent status polls while exports
run, and the API and the CLI working on one library at once (one job system: each sees the other's
jobs and clips)."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.api.conftest import Client, fastclip

POLLERS = 100
POLLS_EACH = 10


def test_100_concurrent_status_polls_while_exports_run(api: Client, source):
    file_id = api.upload(source("one_long_gop"))
    assert api.wait(f"/v1/upload/{file_id}")["status"] == "ready"
    jobs = api.ok("POST", "/v1/clip", {"file_id": file_id, "mode": "precise", "segments": [
        {"start": 0.2, "end": 7.8}, {"start": 0.3, "end": 7.7}, {"start": 0.4, "end": 7.6}]})["job_ids"]
    latencies: list[float] = []
    statuses: list[int] = []
    seen_running = threading.Event()
    lock = threading.Lock()

    def poll(i: int) -> None:
        job_id = jobs[i % len(jobs)]
        for _ in range(POLLS_EACH):
            t0 = time.perf_counter()
            reply = api.get(f"/v1/clip/{job_id}")
            with lock:
                latencies.append(time.perf_counter() - t0)
                statuses.append(reply.status)
            if reply.status == 200 and reply.json()["status"] in ("downloading", "processing", "uploading"):
                seen_running.set()

    with ThreadPoolExecutor(POLLERS) as pool:
        list(pool.map(poll, range(POLLERS)))
    assert statuses == [200] * (POLLERS * POLLS_EACH)
    assert seen_running.is_set(), "the polls were meant to run while exports ran"
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(f"\n{POLLERS} pollers x {POLLS_EACH}: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    assert p99 < 2.0
    for job_id in jobs:
        assert api.wait(f"/v1/clip/{job_id}", timeout=180)["status"] == "complete"


def test_the_api_and_the_cli_on_one_library_at_once(api: Client, api_server, ready_file):
    home = api_server.home
    src = api.ok("GET", f"/v1/upload/{ready_file}")
    results = {}

    def cli_clip():
        results["cli"] = fastclip(home, "clip", ready_file, "--start", "2", "--end", "3", "--mode",
                                  "keyframe", "--json", check=False)

    cli = threading.Thread(target=cli_clip)
    cli.start()
    api_jobs = [api.ok("POST", "/v1/clip", {"file_id": ready_file, "start": s, "end": s + 1})["job_id"]
                for s in (0, 1, 2)]
    cli.join(120)
    assert results["cli"].returncode == 0, results["cli"].stderr
    cli_job = json.loads(results["cli"].stdout)
    assert cli_job["status"] == "complete" and cli_job["file_id"] == src["file_id"]  # the API's upload
    done = [api.wait(f"/v1/clip/{j}") for j in api_jobs]
    assert all(d["status"] == "complete" for d in done)
    # the CLI sees the API's jobs (as the app's Jobs panel does), the API the CLI's clip
    listed = json.loads(fastclip(home, "jobs", "list", "--kind", "clip", "--limit", "100", "--json").stdout)
    assert set(api_jobs) <= {j["job_id"] for j in listed["data"]}
    shown = json.loads(fastclip(home, "jobs", "show", api_jobs[0], "--json").stdout)
    assert shown["status"] == "complete" and shown["clip_id"] == done[0]["clip_id"]
    clips = api.ok("GET", f"/v1/clips?file_id={ready_file}&limit=100")["data"]
    assert cli_job["clip_id"] in {c["clip_id"] for c in clips}
    cli_clip_json = api.ok("GET", f"/v1/clips/{cli_job['clip_id']}")
    assert api.request("GET", cli_clip_json["download_url"], auth=False).status == 200

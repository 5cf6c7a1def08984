"""The local API (`fastclip serve`) against the ffmpeg CLI, side by side in one run.

    python bench/bench_api.py                 # 20-minute 1080p source, 9 rounds
    python bench/bench_api.py --quick         # 2-minute source: a smoke run

One warm server (started once, its worker up, the source imported in place with
POST /v1/upload/local and clipped once before timing), on a fresh library. Three measurements:

1. **keyframe**: one keyframe clip (601-631 s, stream copy) as a script makes it: POST /v1/clip,
   then GET /v1/clip/{job_id} every 5 ms until it says complete; against the ffmpeg CLI doing the
   same cut (bench/run.py's command). Alternating, median of ``--rounds`` each; target < 1.0x,
   limit 1.5x.
2. **50 clips**: 50 keyframe clip requests through the API (50 POSTs, then polls until all are
   complete) against 50 ffmpeg calls, one after another (bench/run.py's segments).
3. **polls under load**: p50 and p99 of GET /v1/clip/{job_id} while 100 clients poll at once
   (each on its own kept-alive connection, as a script's session) and clips are being made.

The clips the API makes are deleted after each round (not timed). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package
from run import FFMPEG_QUIET, FULL_TIMES, QUICK_TIMES, _copy_cut  # the same ffmpeg commands

TARGET, LIMIT = 1.0, 1.5
POLL_S = 0.005
POLLERS, POLLS_EACH = 100, 20


class Api:
    """A client on one kept-alive connection (one per thread)."""

    def __init__(self, url: str, key: str):
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)
        self.key = key

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.conn.close()  # an idle connection the server closed (after 5 s): open it again, as a session does
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")

    def ok(self, method: str, path: str, body=None) -> dict:
        status, d = self.call(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {d}")
        return d

    def wait(self, path: str, until=("complete", "failed", "ready")) -> dict:
        while True:
            d = self.ok("GET", path)
            if d["status"] in until:
                if d["status"] == "failed":
                    raise RuntimeError(f"{path} failed: {d.get('error')}")
                return d
            time.sleep(POLL_S)


class Server:
    def __init__(self, home: Path, source: Path):
        env = {**os.environ, "FASTCLIP_HOME": str(home), "PYTHONPATH": str(REPO_DIR)}
        cli = [sys.executable, "-m", "fastclip_desktop.cli"]
        self.key = json.loads(subprocess.run([*cli, "keys", "create", "bench", "--json"], env=env, check=True,
                                             capture_output=True, text=True).stdout)["key"]
        subprocess.run([*cli, "config", "set", "api_local_folders", str(source.resolve().parent)], env=env,
                       check=True, capture_output=True)
        self.proc = subprocess.Popen([*cli, "serve", "--port", "0", "--workers", "2"], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = line.split("listening on ")[1].split()[0]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def median_pair(samples: dict) -> tuple[float, float]:
    return statistics.median(samples["api"]), statistics.median(samples["ffmpeg"])


def api_clip(api: Api, file_id: str, start: float, end: float) -> str:
    job = api.ok("POST", "/v1/clip", {"file_id": file_id, "start": start, "end": end, "mode": "keyframe"})
    return api.wait(f"/v1/clip/{job['job_id']}")["clip_id"]


def forget(api: Api, clip_ids: list[str]) -> None:
    for i in range(0, len(clip_ids), 50):
        api.ok("POST", "/v1/clips/bulk-delete", {"clip_ids": clip_ids[i:i + 50]})


def run_ffmpeg(commands: list[list[str]]) -> float:
    t0 = time.perf_counter()
    for c in commands:
        subprocess.run(c, check=True)
    return time.perf_counter() - t0


def bench_keyframe(api: Api, file_id: str, src: Path, ffmpeg: str, cut, rounds: int, out: Path) -> dict:
    samples = {"api": [], "ffmpeg": []}
    for _ in range(rounds):
        samples["ffmpeg"].append(run_ffmpeg([_copy_cut(ffmpeg, src, cut[0], cut[1], out / "clip.mp4")]))
        t0 = time.perf_counter()
        clip_id = api_clip(api, file_id, *cut)
        samples["api"].append(time.perf_counter() - t0)
        forget(api, [clip_id])
    return samples


def bench_fifty(api: Api, file_id: str, src: Path, ffmpeg: str, segments, rounds: int, out: Path) -> dict:
    samples = {"api": [], "ffmpeg": []}
    for _ in range(rounds):
        samples["ffmpeg"].append(run_ffmpeg([_copy_cut(ffmpeg, src, s, e, out / f"segment_{i:02d}.mp4")
                                             for i, (s, e) in enumerate(segments)]))
        t0 = time.perf_counter()
        jobs = [api.ok("POST", "/v1/clip", {"file_id": file_id, "start": s, "end": e, "mode": "keyframe"})["job_id"]
                for s, e in segments]
        clip_ids = [api.wait(f"/v1/clip/{j}")["clip_id"] for j in jobs]
        samples["api"].append(time.perf_counter() - t0)
        forget(api, clip_ids)
    return samples


def bench_polls(server: Server, file_id: str, segments) -> dict:
    """100 clients polling at once while the 50 clips are being made."""
    boss = Api(server.url, server.key)
    jobs = [boss.ok("POST", "/v1/clip", {"file_id": file_id, "start": s, "end": e, "mode": "keyframe"})["job_id"]
            for s, e in segments]
    latencies: list[float] = []
    lock = threading.Lock()

    def poll(i: int) -> None:
        client = Api(server.url, server.key)
        mine = []
        for k in range(POLLS_EACH):
            t0 = time.perf_counter()
            status, _ = client.call("GET", f"/v1/clip/{jobs[(i + k) % len(jobs)]}")
            mine.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"poll answered {status}")
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(POLLERS) as pool:
        list(pool.map(poll, range(POLLERS)))
    clip_ids = [boss.wait(f"/v1/clip/{j}")["clip_id"] for j in jobs]
    forget(boss, clip_ids)
    latencies.sort()
    return {"polls": len(latencies), "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "max_ms": latencies[-1] * 1000}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the 2-minute source")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--json", metavar="FILE", help="write the results here too")
    args = p.parse_args(argv)
    ffmpeg = media.find_ffmpeg()
    if not ffmpeg:
        print("error: ffmpeg not found", file=sys.stderr)
        return 2
    src, _ = media.ensure_source(quick=args.quick, log=lambda m: print(m, file=sys.stderr))
    times = QUICK_TIMES if args.quick else FULL_TIMES
    home = Path(tempfile.mkdtemp(prefix="bench-api-"))
    out = Path(tempfile.mkdtemp(prefix="bench-api-ffmpeg-"))
    subprocess.run(["cat", str(src)], stdout=subprocess.DEVNULL, check=True)  # both read it from the page cache
    server = Server(home, src)
    try:
        api = Api(server.url, server.key)
        file_id = api.ok("POST", "/v1/upload/local", {"path": str(src)})["file_id"]
        api.wait(f"/v1/upload/{file_id}")
        forget(api, [api_clip(api, file_id, *times.cut)])  # warm: the worker has cut this file once
        run_ffmpeg([_copy_cut(ffmpeg, src, *times.cut, out / "clip.mp4")])
        keyframe = bench_keyframe(api, file_id, src, ffmpeg, times.cut, args.rounds, out)
        fifty = bench_fifty(api, file_id, src, ffmpeg, times.segments, max(3, args.rounds // 3), out)
        polls = bench_polls(server, file_id, times.segments)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    k_api, k_ff = median_pair(keyframe)
    f_api, f_ff = median_pair(fifty)
    ratio = k_api / k_ff
    verdict = "PASS" if ratio < TARGET else ("within limit" if ratio <= LIMIT else "MISS")
    print(f"source: {src.name}; ffmpeg: {' '.join(FFMPEG_QUIET)} -ss/-to -c copy")
    print(f"keyframe clip {times.cut[0]}-{times.cut[1]} s   API (POST + polls) {k_api * 1000:7.1f} ms   "
          f"ffmpeg CLI {k_ff * 1000:7.1f} ms   ratio {ratio:.2f}x  (target < {TARGET}x, limit {LIMIT}x: {verdict})")
    print(f"50 keyframe clips          API (50 POSTs + polls) {f_api:6.2f} s   50 ffmpeg calls {f_ff:6.2f} s   "
          f"ratio {f_api / f_ff:.2f}x")
    print(f"GET /v1/clip/{{job_id}} under {POLLERS} concurrent pollers ({polls['polls']} polls, 50 clips being made): "
          f"p50 {polls['p50_ms']:.1f} ms, p99 {polls['p99_ms']:.1f} ms, max {polls['max_ms']:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"keyframe": keyframe, "fifty": fifty, "polls": polls}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

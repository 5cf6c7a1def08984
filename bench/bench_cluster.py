"""A 40-clip precise batch on a Dask cluster of 1 worker process against 2, on this machine.

    python bench/bench_cluster.py                 # 40 clips, 2 rounds per side
    python bench/bench_cluster.py --clips 12 --rounds 1 --quick   # a smoke run (2-minute source)
    python bench/bench_cluster.py --local         # also the local runner (no --scheduler, --workers 2)

The issue (#15): "a 40-clip precise batch with 1 worker against 2 workers on this 2-core
machine, as a ratio". Each side is a whole ``fastclip batch FILE --scheduler local:N`` process,
as a user runs it: it starts a LocalCluster of N worker processes (one thread each), imports the
source, plans 40 precise clips (each 4 s, starting and ending 1 s into a 2 s GOP, so the smart
cut re-encodes two partial GOPs and copies the rest), runs them as Dask tasks and records them.
Every run gets an empty FASTCLIP_HOME and a fresh output folder, so nothing is skipped or reused.
The sides alternate (1, 2, 1, 2, ...) so load from elsewhere falls on both.

Two times per run: **total** (the process, start to exit, including the cluster's start and
stop) and **run** (from the line saying the cluster is up to the exit: import, plan, the 40 tasks,
the records). Ratio = 1-worker median / 2-worker median (higher is better; 2.0 would be perfect
scaling). The outputs are checked: 40 files, each about 4 s.

Needs the cluster extra (``pip install 'fastclip-desktop[cluster]'``) and the bench source
(bench/media.py makes it with the ffmpeg CLI). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package

REPO_DIR = BENCH_DIR.parent
OUT_ROOT = BENCH_DIR / ".out"
CLIP_S = 4
GOP_S = 2  # the bench source's closed GOPs (bench/media.py)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def batch_rows(n: int, duration: float) -> list[dict]:
    """``n`` precise clips spread over the source, each starting 1 s into a GOP."""
    step = max(GOP_S * 2, int((duration - CLIP_S - GOP_S) // n // GOP_S * GOP_S))
    starts = [1 + i * step for i in range(n)]
    if starts[-1] + CLIP_S > duration:
        raise SystemExit(f"the source ({duration:.0f} s) is too short for {n} clips")
    return [{"start": s, "end": s + CLIP_S, "mode": "precise", "out": f"out/clip{i:02d}.mp4"}
            for i, s in enumerate(starts)]


def fastclip_command() -> list[str]:
    script = Path(sys.executable).with_name("fastclip")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fastclip_desktop.cli"]


def run_side(side: str, src: Path, rows: list[dict], timeout: float) -> dict:
    """One whole `fastclip batch` process; its times and what it made."""
    folder = Path(tempfile.mkdtemp(prefix=f"cluster-{side.replace(':', '')}-", dir=OUT_ROOT))
    try:
        batch = folder / "batch.json"
        batch.write_text(json.dumps([{"source": str(src), **r} for r in rows]))
        env = {**os.environ, "FASTCLIP_HOME": str(folder / "home")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_DIR), os.environ.get("PYTHONPATH")) if p)
        where = ["--scheduler", side] if side.startswith("local:") else ["--workers", side.split("=")[1]]
        began = time.monotonic()
        proc = subprocess.Popen([*fastclip_command(), "batch", str(batch), *where], cwd=folder, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        up = None
        err_lines = []
        for line in proc.stderr:  # (stdout, the summary table, is read once this ends: it is short)
            err_lines.append(line)
            if up is None and line.startswith("cluster "):
                up = time.monotonic()
        out = proc.stdout.read()
        proc.wait(timeout)
        ended = time.monotonic()
        made = sorted((folder / "out").glob("clip*.mp4")) if (folder / "out").exists() else []
        durations = [media_duration(p) for p in made]
        ok = proc.returncode == 0 and len(made) == len(rows) and all(abs(d - CLIP_S) < 0.2 for d in durations)
        return {"side": side, "total_s": ended - began, "run_s": ended - (up or began), "ok": ok,
                "outputs": len(made), "error": None if ok else (out + "".join(err_lines))[-800:]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def media_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        return float(c.duration or 0) / 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=40, help="clips in the batch (default 40)")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per side (default 2)")
    parser.add_argument("--quick", action="store_true", help="the 2-minute source (a smoke run)")
    parser.add_argument("--local", action="store_true", help="also time the local runner with 2 workers")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", metavar="FILE", type=Path)
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        log("error: the cluster extra is not installed: pip install 'fastclip-desktop[cluster]'")
        return 2
    src, info = media.ensure_source(quick=args.quick, log=log)
    rows = batch_rows(args.clips, float(info["duration_s"]))
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    sides = ["local:1", "local:2", *(["workers=2"] if args.local else [])]
    log(f"source: {src.name} ({info['duration_s']} s); {len(rows)} precise clips of {CLIP_S} s; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()}")
    results: dict[str, list[dict]] = {s: [] for s in sides}
    for r in range(args.rounds):
        for side in sides:
            res = run_side(side, src, rows, args.timeout)
            results[side].append(res)
            log(f"round {r + 1} {side:<9} total {res['total_s']:6.1f} s  run {res['run_s']:6.1f} s  "
                f"{'ok' if res['ok'] else 'FAILED: ' + str(res['error'])}")
    med = {s: {k: statistics.median(x[k] for x in results[s]) for k in ("total_s", "run_s")} for s in sides}
    print(f"\n{'side':<26} {'total (median)':>15} {'run (median)':>13}")
    names = {"local:1": "--scheduler local:1", "local:2": "--scheduler local:2", "workers=2": "local runner, 2 workers"}
    for s in sides:
        print(f"{names[s]:<26} {med[s]['total_s']:>13.1f} s {med[s]['run_s']:>11.1f} s")
    ratio_total = med["local:1"]["total_s"] / med["local:2"]["total_s"]
    ratio_run = med["local:1"]["run_s"] / med["local:2"]["run_s"]
    print(f"\n1 worker / 2 workers: {ratio_total:.2f}x (total), {ratio_run:.2f}x (run); 2.0 = perfect scaling")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"clips": len(rows), "rounds": args.rounds, "source": src.name,
                                         "results": results, "medians": med,
                                         "ratio_total": ratio_total, "ratio_run": ratio_run}, indent=2))
    return 0 if all(x["ok"] for v in results.values() for x in v) else 1


if __name__ == "__main__":
    sys.exit(main())

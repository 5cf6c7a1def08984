"""What the job runner adds to a single keyframe cut, against the engine called directly.

    python bench/bench_runner.py                 # 20-minute source, 9 rounds per side
    python bench/bench_runner.py --rounds 15 --warm
    python bench/bench_runner.py --quick         # 2-minute source: a smoke run

The cut is the keyframe case of bench/run.py: 601-631 s of the 20-minute 1080p source, stream
copy. Two ways of making it, timed alternately, median of ``--rounds`` each:

- **runner**: the library job path as ``fastclip clip SRC --start 601 --end 631 --mode keyframe
  -o OUT`` runs it (fastclip_desktop/cli/clip.py), less its argument parsing and printing: the
  early worker (a fork of the still clean process), the library, a Runner that imports the file
  (a thorough probe in the worker, a media row), plans the request into a clip job, has the
  worker export it and records the job and its clip.
- **direct**: a Python process that calls the engine itself: ``probe`` (thorough, as an import
  does), ``validate`` and ``export_clip`` (the same temp file, fsync and rename), as
  tests/conftest.py's ``export`` does, and sharing one set of open containers between the probe
  and the export as the runner's worker does (conftest's way opens the source once more, ~15 ms,
  which would count against the direct side). No worker, no library.

Both are whole processes, started the same way (the venv's Python, an empty FASTCLIP_HOME, the
source in the page cache, bytecode compiled as an install has it). That is the state in which a
single cut is made, and what the runner adds there is all it adds: its imports (the library,
SQLite), the worker process, the messages, the rows it writes. Timing both sides in one warm
process instead would drop the start-up the runner spends on its worker and its library, which
is most of what it costs a single cut.

``--warm`` also times the steady state of a long-lived front end (the GUI): in this process, with
PyAV imported and a runner whose worker has run a job already, the same cut through the runner
(with a fresh library each round, so the file is imported again) against probe + validate +
export called here. That is what the runner adds per cut once its start-up is paid; it is printed
for information and has no target.

Prints the medians, ratio = runner / direct, and PASS or MISS against 1.10 (the issue: "the
runner adds under 10% to the time of a single keyframe cut compared with the engine called
directly"). Not part of the test suite: exit status is 1 only with --strict and a miss.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package

OUT_ROOT = BENCH_DIR / ".out"
TARGET = 1.10
FULL_CUT, QUICK_CUT = (601, 631), (61, 91)

# The engine called directly (argv: source, start, end, out): what the runner's worker does, in
# one process and with nothing around it.
DIRECT = """\
import sys
from engine.cut.export import export_clip
from engine.media.probe import Inputs, probe
from engine.progress import drain
from engine.cut.request import ClipRequest, validate

src, start, end, out = sys.argv[1:]
with Inputs(src) as inputs:
    inputs.prefetch("audio")
    info = probe(src, opener=lambda: inputs.get("video"))
    clip = validate(ClipRequest(src, start=start, end=end, mode="keyframe"), info)
    drain(export_clip(info, clip, clip.outputs[0], out, inputs))
"""


# The library job path, as fastclip_desktop/cli/clip.py's cmd_clip runs it, without the command
# line's parsing and printing (argv: source, start, end, out).
RUNNER = """\
import sys
from engine.jobs.pool import StartedWorker

src, start, end, out = sys.argv[1:]
early = StartedWorker.early(source=src)  # first: a fork of this process while it is clean
import engine.cut.outputs
from engine.library import Library
from engine.cut.request import ClipRequest
from engine.jobs.runner import Runner

lib = Library()
runner = Runner(lib, workers=1, adopt=[early])
try:
    media = runner.resolve_source(src)
    jobs = runner.submit(ClipRequest(media.file_id, start=start, end=end, mode="keyframe"), out)
    final = runner.run_until_idle(job_ids=[j.job_id for j in jobs])
finally:
    runner.close(wait=False)
    lib.close()
sys.exit(0 if all(j.status == "complete" for j in final.values()) else 1)
"""


def process_env(run_dir: Path) -> dict:
    env = dict(os.environ, FASTCLIP_HOME=str(run_dir / "home"))
    # As installed: pip compiles the bytecode. Without it each run would compile again every
    # module edited since its .pyc was last written, on both sides but not alike.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_process(argv: list[str], out: Path, run_dir: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, check=False, cwd=REPO_DIR, env=process_env(run_dir), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace", timeout=300)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"exit {proc.returncode}, output {'missing' if not out.is_file() else 'empty'}: "
                           f"{' '.join(argv)[:200]}\n{tail}")
    return elapsed


def run_processes(src: Path, cut: tuple[int, int], rounds: int, warmup: int) -> dict[str, list[float]]:
    start, end = map(str, cut)
    sides = {
        "direct": lambda out: [sys.executable, "-c", DIRECT, str(src), start, end, str(out)],
        "runner": lambda out: [sys.executable, "-c", RUNNER, str(src), start, end, str(out)],
    }
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(-warmup, rounds):
        line = []
        for name, argv in sides.items():
            run_dir = Path(tempfile.mkdtemp(prefix=f"runner-{name}-", dir=OUT_ROOT))
            try:
                out = run_dir / "clip.mp4"
                seconds = timed_process(argv(out), out, run_dir)
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
            if n >= 0:
                samples[name].append(seconds)
            line.append(f"{name} {seconds * 1000:.0f} ms")
        log(f"  {'warm-up' if n < 0 else f'round {n + 1}/{rounds}'}: " + ", ".join(line))
    return samples


def run_warm(src: Path, cut: tuple[int, int], rounds: int) -> dict[str, list[float]]:
    """Both sides in this process, after a first untimed cut each (imports done, worker ready)."""
    sys.path.insert(0, str(REPO_DIR))
    from engine.cut.export import export_clip
    from engine.cut.request import ClipRequest, validate
    from engine.jobs.runner import Runner
    from engine.library import Library
    from engine.media.probe import Inputs, probe
    from engine.progress import drain

    start, end = cut

    def direct(run_dir: Path) -> float:
        t = time.perf_counter()
        with Inputs(str(src)) as inputs:
            inputs.prefetch("audio")
            info = probe(src, opener=lambda: inputs.get("video"))
            clip = validate(ClipRequest(str(src), start=start, end=end, mode="keyframe"), info)
            drain(export_clip(info, clip, clip.outputs[0], run_dir / "clip.mp4", inputs))
        return time.perf_counter() - t

    def runner(run_dir: Path) -> float:
        lib = Library(run_dir / "home" / "library.db")
        try:
            with Runner(lib, workers=1) as r:
                warm_up = r.resolve_source(str(src))  # the worker's start-up, paid before the timing
                lib.delete_media(warm_up.file_id)
                t = time.perf_counter()
                media_row = r.resolve_source(str(src))
                jobs = r.submit(ClipRequest(media_row.file_id, start=start, end=end, mode="keyframe"),
                                run_dir / "clip.mp4")
                final = r.run_until_idle(job_ids=[j.job_id for j in jobs])
                elapsed = time.perf_counter() - t
            if any(j.status != "complete" for j in final.values()):
                raise RuntimeError(f"the runner's job did not complete: {list(final.values())}")
            return elapsed
        finally:
            lib.close()

    samples: dict[str, list[float]] = {"direct": [], "runner": []}
    sides = {"direct": direct, "runner": runner}
    for n in range(-1, rounds):
        line = []
        for name, side in sides.items():
            run_dir = Path(tempfile.mkdtemp(prefix=f"warm-{name}-", dir=OUT_ROOT))
            try:
                seconds = side(run_dir)
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
            if n >= 0:
                samples[name].append(seconds)
            line.append(f"{name} {seconds * 1000:.0f} ms")
        log(f"  {'warm-up' if n < 0 else f'round {n + 1}/{rounds}'}: " + ", ".join(line))
    return samples


def report(title: str, samples: dict[str, list[float]], target: float | None) -> bool:
    direct, runner = (statistics.median(samples[k]) for k in ("direct", "runner"))
    ratio = runner / direct
    verdict = "" if target is None else (" PASS" if ratio <= target else " MISS") + f" (target <= {target:.2f})"
    print(f"{title}: runner {runner * 1000:.1f} ms, direct {direct * 1000:.1f} ms (medians of "
          f"{len(samples['runner'])}): ratio {ratio:.3f}, the runner adds {(ratio - 1) * 100:+.1f}%{verdict}")
    return target is None or ratio <= target


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the 2-minute source (smoke run)")
    p.add_argument("--rounds", type=int, default=9, help="timed rounds per side (default 9)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds per side first (default 1)")
    p.add_argument("--warm", action="store_true", help="also time the steady state in this process (no target)")
    p.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        p.error("--rounds must be >= 1 and --warmup >= 0")
    try:
        src, _ = media.ensure_source(quick=args.quick, log=log)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"error: could not make the benchmark source: {exc}")
        return 2
    with src.open("rb") as f:  # into the page cache, so that neither side pays for the disk
        while f.read(8 << 20):
            pass
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    cut = QUICK_CUT if args.quick else FULL_CUT
    log(f"source: {src}; keyframe cut {cut[0]}-{cut[1]} s; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg() if hasattr(os, 'getloadavg') else '?'}")
    log("[process] the library job path as `fastclip clip` runs it, against the engine called directly")
    ok = report("whole process (the issue's measure)", run_processes(src, cut, args.rounds, args.warmup), TARGET)
    if args.warm:
        log("[warm] in this process, imports done and the runner's worker ready")
        report("warm, per cut (information)", run_warm(src, cut, args.rounds), None)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

"""The desktop app as a user meets it: launch to first frame, and how fast a scrub shows its frame.

    python bench/bench_gui.py                  # the 20-minute 1080p source of bench/media.py, 5 launches
    python bench/bench_gui.py --rounds 9 --source some.mp4
    python bench/bench_gui.py --long           # issue #10: the 2-hour 1080p source, 3 launches

One Xvfb server is started for the whole run (so its own start-up is not counted), then the
real `fastclip-desktop SOURCE` is launched ``--rounds`` times, each with an empty FASTCLIP_HOME
(no cached keyframes, thumbnails or waveform: a first open) and ``FASTCLIP_TIMING=1``
(fastclip_desktop/startup_timing.py). Measured:

- **first frame**: from this script starting the process to the app's "first-frame" line, which
  it prints on mpv's playback-restart event of the file, i.e. once the frame is on screen
  (median of the rounds; target under 2 s);
- **scrub seek**: the keyframe seek a drag of the playhead makes, from the request to mpv's
  event that its frame is shown, at several places of the file (median over all; target
  under 150 ms); **exact seek**: the frame-exact seek made on release, for information (it
  decodes from the keyframe before the target, so it grows with the distance to it).

Every frame is drawn by mpv's render API into the QOpenGLWidget, on whatever OpenGL the X
server offers (Xvfb: Mesa's llvmpipe, in software), and the timeline's analysis (keyframes,
thumbnails, waveform) runs in worker processes meanwhile, as it does for a user. Not a test:
nothing here runs under pytest.

``--long`` (issue #10, "long files") opens a 2-hour 1080p file (bench/media.py's LONG source) and
keeps seeking (``FASTCLIP_TIMING_LOOP=1``): round after round of scrub and exact seeks while the
analysis runs, then one round after it is complete; then, as a control, launches it again at once
with the caches the first launch left (nothing computed in the background) for the same seeks.
Each seek is labelled by the app with what the analysis was computing meanwhile (keyframe index,
thumbnails, waveform, or nothing), and this script checks that the workers really were working
then: it samples the CPU time of the app's child processes (the analysis workers; mpv decodes in
the app's own process) every 50 ms and reports the cores they used during the seeks of each phase.
Measured: launch to first frame (aim < 1 s, limit 2 s; beside the 20-minute file's, launched just
before); median and worst scrub and exact seeks during the thumbnails, during the waveform, after
and in the control (scrub median aim < 80 ms, limit 150 ms; the ratios say whether background
work slows seeks); the time from launch until the keyframe index, the thumbnail strip and the
waveform arrived; and, first, the three analyses alone against ffmpeg decoding the same audio.
See bench/README.md, "Long files".
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

FIRST_FRAME_TARGET_S = 2.0
SCRUB_TARGET_MS = 150.0
SEEK_FRACTIONS = (0.5, 0.0625, 0.9167, 0.2778, 0.7361)  # spread over the file, mid-GOP and on keyframes
# --long: issue #10's aims and limits
LONG_FIRST_FRAME_AIM_S, LONG_FIRST_FRAME_LIMIT_S = 1.0, 2.0
LONG_SEEK_AIM_MS, LONG_SEEK_LIMIT_MS = 80.0, 150.0
LONG_SEEK_FRACTIONS = SEEK_FRACTIONS + (0.1302, 0.6094, 0.3871, 0.8433, 0.2113)  # more places: many rounds
PHASES = (("keyframes", "while the keyframe index is made"), ("pictures", "while the thumbnails are made"),
          ("sound", "while the waveform is made"), ("idle", "after all of it (for comparison)"))
WARM_ROUNDS = 4  # seek rounds of the control launch (analysis cached): about as many seeks as while computing
ANALYSIS = (("keyframes", "keyframe index"), ("pictures", "thumbnail strip"), ("sound", "waveform"))


def app_command() -> list[str]:
    exe = Path(sys.executable).with_name("fastclip-desktop")
    if exe.is_file():
        return [str(exe)]
    return [sys.executable, "-m", "fastclip_desktop.app"]


def start_xvfb() -> tuple[subprocess.Popen, str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("Xvfb is not installed (scripts/setup_system.sh installs it)")
    for n in range(99, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen([xvfb, f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while not Path(f"/tmp/.X11-unix/X{n}").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"Xvfb :{n} did not start")
                time.sleep(0.05)
            return proc, f":{n}"
    sys.exit("no free X display number")


class ChildCpu:
    """Samples the CPU time of a process's descendants (not the process itself) on a thread.

    ``cores(t0, t1)`` is how many cores they used on average between two ``perf_counter`` times.
    A child's time is kept after it exits (its last sample), so the total only grows. ``own`` is
    the process's own CPU time at each sample. A sample reads every /proc/PID/stat: ~0.5 ms of CPU
    here, 1% of a core at the default 50 ms.
    """

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.tick = os.sysconf("SC_CLK_TCK")
        self.times: list[float] = []
        self.totals: list[float] = []
        self.own: list[float] = []
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        parent: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(entry.name)
            parent[pid] = int(fields[1])
            cpu[pid] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        for pid, seconds in cpu.items():
            up, depth = parent.get(pid), 0
            while up and up != self.pid and depth < 16:
                up, depth = parent.get(up), depth + 1
            if up == self.pid:
                self._last[pid] = max(seconds, self._last.get(pid, 0.0))
        self.times.append(time.perf_counter())
        self.totals.append(sum(self._last.values()))
        self.own.append(cpu.get(self.pid, self.own[-1] if self.own else 0.0))

    def _at(self, t: float, series: list[float]) -> float:
        i = bisect.bisect_left(self.times, t)
        if i <= 0:
            return series[0] if series else 0.0
        if i >= len(self.times):
            return series[-1]
        t0, t1, c0, c1 = self.times[i - 1], self.times[i], series[i - 1], series[i]
        return c0 + (c1 - c0) * (t - t0) / (t1 - t0)

    def cores(self, t0: float, t1: float) -> float:
        return (self._at(t1, self.totals) - self._at(t0, self.totals)) / (t1 - t0) if t1 > t0 else 0.0

    def seconds(self, t0: float, t1: float) -> tuple[float, float]:
        """CPU seconds between two times: (the process's own, its descendants')."""
        return (self._at(t1, self.own) - self._at(t0, self.own),
                self._at(t1, self.totals) - self._at(t0, self.totals))


def launch(source: Path, display: str, seeks: list[float], timeout: float, loop: bool = False,
           rounds: int = 1, home: Path | None = None) -> dict:
    """One launch: seconds to the first frame and to each analysis result; every seek as a dict
    (kind, t, ms, phase, and the cores the app's workers used meanwhile). A ``home`` given is the
    app's FASTCLIP_HOME and is kept (its caches serve the next launch); else a fresh one is used
    and removed."""
    keep = home is not None
    home = home or Path(tempfile.mkdtemp(prefix="fastclip-gui-bench-"))
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "FASTCLIP_HOME": str(home),
           "FASTCLIP_TIMING": "1", "FASTCLIP_TIMING_SEEKS": ",".join(f"{t:g}" for t in seeks),
           "FASTCLIP_TIMING_ROUNDS": str(rounds)}
    if loop:
        env["FASTCLIP_TIMING_LOOP"] = "1"
    result: dict = {"first_frame": None, "scrub": [], "exact": [], "seeks": [], "analysed": {}, "done": False}
    started = time.perf_counter()
    proc = subprocess.Popen([*app_command(), str(source)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    children = ChildCpu(proc.pid)
    watchdog = threading.Timer(timeout, proc.kill)  # an app that hangs silently prints no more lines
    watchdog.start()
    try:
        deadline = started + timeout
        for line in proc.stderr:
            now = time.perf_counter()
            words = line.split()
            if words[:1] == ["first-frame"] and result["first_frame"] is None:
                result["first_frame"] = now - started
            elif words[:1] == ["analysed"] and len(words) == 2:
                result["analysed"][words[1]] = now - started
            elif words[:1] == ["seek"] and words[3:4] == ["lost"]:
                result.setdefault("lost", []).append(line.strip())
            elif words[:1] == ["seek"] and len(words) >= 4:
                ms = float(words[3])
                result[words[1]].append(ms)
                result["seeks"].append({"kind": words[1], "t": float(words[2]), "ms": ms, "end": now,
                                        "phase": words[4] if len(words) > 4 else "?"})
            elif words[:1] == ["done"]:
                result["done"] = True
                break
            if now > deadline:
                break
        proc.wait(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        children.stop()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    for seek in result["seeks"]:  # the window of each seek; the line arrives a moment after its frame
        seek["workers"] = children.cores(seek["end"] - seek["ms"] / 1000, seek["end"])
    if result["first_frame"] is not None:
        result["cpu_to_first_frame"] = children.seconds(started, started + result["first_frame"])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="a video file (default: the 20-minute bench source)")
    parser.add_argument("--long", action="store_true",
                        help="issue #10: the 2-hour source, seeking while thumbnails and waveform are made and after")
    parser.add_argument("--no-engine", action="store_true",
                        help="with --long: skip timing the analysis alone (engine calls in this process)")
    parser.add_argument("--rounds", type=int, help="launches (default 5; 3 with --long)")
    parser.add_argument("--timeout", type=float, help="seconds per launch (default 120; 900 with --long)")
    args = parser.parse_args()
    if args.long:
        return main_long(args)
    args.rounds = args.rounds or 5
    args.timeout = args.timeout or 120.0
    source = args.source
    if source is None:
        import media

        source, _info = media.ensure_source()
    duration = _duration(source)
    seeks = [round(duration * f, 1) for f in SEEK_FRACTIONS]
    xvfb, display = start_xvfb()
    try:
        subprocess.run(["cat", str(source)], stdout=subprocess.DEVNULL, check=False)  # the disk, paid once
        runs = []
        for i in range(args.rounds):
            r = launch(source, display, seeks, args.timeout)
            runs.append(r)
            shown = "no frame" if r["first_frame"] is None else f"{r['first_frame']:.2f} s"
            print(f"  launch {i + 1}/{args.rounds}: first frame {shown}; scrub "
                  f"{', '.join(f'{m:.0f}' for m in r['scrub'])} ms; exact {', '.join(f'{m:.0f}' for m in r['exact'])} ms;"
                  f" {_analysed_text(r)}", flush=True)
    finally:
        xvfb.terminate()
        xvfb.wait()
    firsts = [r["first_frame"] for r in runs if r["first_frame"] is not None]
    scrubs = [m for r in runs for m in r["scrub"]]
    exacts = [m for r in runs for m in r["exact"]]
    if not firsts or not scrubs:
        print("the app showed no frame: see the lines above")
        return 1
    first = statistics.median(firsts)
    scrub = statistics.median(scrubs)
    print()
    print(f"source: {source.name} ({duration:.0f} s)")
    print("| measure | median | worst | target | ok? |")
    print("|---|---|---|---|---|")
    print(f"| launch to first frame | {first:.2f} s | {max(firsts):.2f} s | < {FIRST_FRAME_TARGET_S:g} s | "
          f"{'yes' if first < FIRST_FRAME_TARGET_S else 'NO'} |")
    print(f"| scrub (keyframe) seek to its frame | {scrub:.0f} ms | {max(scrubs):.0f} ms | < {SCRUB_TARGET_MS:g} ms | "
          f"{'yes' if scrub < SCRUB_TARGET_MS else 'NO'} |")
    if exacts:
        print(f"| exact seek on release | {statistics.median(exacts):.0f} ms | {max(exacts):.0f} ms | - | - |")
    return 0


def main_long(args) -> int:
    """Issue #10: a 2-hour file; seeks while its analysis runs and without it; when each part arrives."""
    import media

    rounds, timeout = args.rounds or 3, args.timeout or 900.0
    source = args.source
    if source is None:
        source, _info = media.ensure_source(spec=media.LONG)
    duration = _duration(source)
    seeks = [round(duration * f, 1) for f in LONG_SEEK_FRACTIONS]
    # the 20-minute source, if it is made already: its first frame, launched just before each long
    # one, says what the file's length costs at launch, apart from the load of the moment
    short = media.FULL.path if media.cached_info(media.FULL, media.find_ffmpeg() or "ffmpeg") else None
    for f in (source, short):
        if f:
            subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL, check=False)  # the disk, paid once
    if not args.no_engine:
        engine_costs(source, duration)
    load_before = os.getloadavg()
    xvfb, display = start_xvfb()
    runs, warms, shorts = [], [], []
    try:
        for i in range(rounds):
            if short:
                shorts.append(launch(short, display, [], timeout))
            home = Path(tempfile.mkdtemp(prefix="fastclip-gui-bench-"))
            warm_home = Path(tempfile.mkdtemp(prefix="fastclip-gui-bench-"))
            try:
                r = launch(source, display, seeks, timeout, loop=True, home=home)
                # the control: the same file at once again, its analysis read from the caches the first
                # launch left (nothing computed in the background), the same seeks a few rounds over.
                # Only the caches: with the library too, the app would put the playhead back where the
                # first launch left it (a seek of its own, racing the first frame and ours).
                if (home / "cache").is_dir():
                    shutil.copytree(home / "cache", warm_home / "cache", dirs_exist_ok=True)
                warm = launch(source, display, seeks, timeout, rounds=WARM_ROUNDS, home=warm_home)
            finally:
                shutil.rmtree(home, ignore_errors=True)
                shutil.rmtree(warm_home, ignore_errors=True)
            runs.append(r)
            warms.append(warm)
            shown = "no frame" if r["first_frame"] is None else f"{r['first_frame']:.2f} s"
            if shorts and shorts[-1]["first_frame"] is not None:
                shown += f" (20-minute file just before: {shorts[-1]['first_frame']:.2f} s)"
            if "cpu_to_first_frame" in r:
                shown += " [CPU until then: app {:.2f} s, its workers {:.2f} s]".format(*r["cpu_to_first_frame"])
            by_phase: dict[tuple[str, str], list[float]] = {}
            for seek in r["seeks"]:
                by_phase.setdefault((seek["phase"], seek["kind"]), []).append(seek["ms"])
            for seek in warm["seeks"]:
                by_phase.setdefault(("warm", seek["kind"]), []).append(seek["ms"])
            parts = [f"{ph} {kind} n={len(ms)} median {statistics.median(ms):.0f} ms"
                     for (ph, kind), ms in sorted(by_phase.items())]
            lost = len(r.get("lost", [])) + len(warm.get("lost", []))
            print(f"  launch {i + 1}/{rounds}: first frame {shown}; {_analysed_text(r)}; "
                  f"{'; '.join(parts)}{'' if r['done'] and warm['done'] else ' (did not finish: timeout?)'}"
                  f"{f'; {lost} seeks lost (no frame in 10 s)' if lost else ''}; "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        xvfb.terminate()
        xvfb.wait()
    load_after = os.getloadavg()
    firsts = [r["first_frame"] for r in runs if r["first_frame"] is not None]
    if not firsts:
        print("the app showed no frame: see the lines above")
        return 1
    print()
    print(f"source: {source.name} ({duration:.0f} s); {rounds} launches; load average (1/5/15 min) "
          f"before {'/'.join(f'{x:.2f}' for x in load_before)}, after {'/'.join(f'{x:.2f}' for x in load_after)} "
          f"on {os.cpu_count()} cores")
    print("| measure | median | worst | n | workers' CPU meanwhile | aim | limit | |")
    print("|---|---|---|---|---|---|---|---|")
    first = statistics.median(firsts)
    print(f"| launch to first frame | {first:.2f} s | {max(firsts):.2f} s | {len(firsts)} | | "
          f"< {LONG_FIRST_FRAME_AIM_S:g} s | < {LONG_FIRST_FRAME_LIMIT_S:g} s | "
          f"{_verdict(first, LONG_FIRST_FRAME_AIM_S, LONG_FIRST_FRAME_LIMIT_S)} |")
    short_firsts = [r["first_frame"] for r in shorts if r["first_frame"] is not None]
    if short_firsts:
        sf = statistics.median(short_firsts)
        print(f"| launch to first frame, 20-minute file (launched just before each) | {sf:.2f} s | "
              f"{max(short_firsts):.2f} s | {len(short_firsts)} | | | | 2-hour / 20-minute: {first / sf:.2f}x |")
    groups = [(ph, words, [s for r in runs for s in r["seeks"] if s["phase"] == ph]) for ph, words in PHASES]
    groups.append(("warm", "with nothing computed (the launch after, analysis cached)",
                   [s for r in warms for s in r["seeks"]]))
    medians: dict[tuple[str, str], float] = {}
    for ph, words, seeks_of_phase in groups:
        for kind in ("scrub", "exact"):
            chosen = [s for s in seeks_of_phase if s["kind"] == kind]
            if not chosen:
                print(f"| {kind} seek {words} | - | - | 0 | | | | no seek fell in this phase |")
                continue
            ms = [s["ms"] for s in chosen]
            med = medians[ph, kind] = statistics.median(ms)
            cores = sum(s["workers"] * s["ms"] for s in chosen) / sum(ms)
            aim, limit = (LONG_SEEK_AIM_MS, LONG_SEEK_LIMIT_MS) if kind == "scrub" else (None, None)
            print(f"| {kind} seek {words} | {med:.0f} ms | {max(ms):.0f} ms | {len(ms)} | {cores:.2f} cores | "
                  f"{f'< {aim:g} ms' if aim else '-'} | {f'< {limit:g} ms' if limit else '-'} | "
                  f"{_verdict(med, aim, limit) if aim else ''} |")
    for what, name in ANALYSIS:
        done = [r["analysed"][what] for r in runs if what in r["analysed"]]
        if done:
            print(f"| {name} complete, from launch | {statistics.median(done):.1f} s | {max(done):.1f} s | "
                  f"{len(done)} | | | | |")
        else:
            print(f"| {name} complete, from launch | never | | 0 | | | | |")
    print()
    for kind in ("scrub", "exact"):
        for control, control_words in (("warm", "with nothing computed"), ("idle", "after it")):
            base = medians.get((control, kind))
            for ph, words in PHASES[:3]:
                during = medians.get((ph, kind))
                if base and during:
                    print(f"{kind} seeks {words} / {control_words}: {during / base:.2f}x "
                          f"({during:.0f} / {base:.0f} ms)")
    return 0


def engine_costs(source: Path, duration: float) -> None:
    """The three analyses alone, as the editor asks for them (its slot and bucket counts), called in
    this process at normal priority and without a cache, beside ffmpeg decoding the same audio: what
    each costs in wall time and CPU, whatever the app's scheduling makes of it."""
    import resource

    if str(BENCH.parent) not in sys.path:
        sys.path.append(str(BENCH.parent))  # after PYTHONPATH: the engine the app runs with
    from engine.media.keyframe_index import keyframe_index
    from engine.media.thumbnails import thumbnails
    from engine.media.waveform import waveform

    slots, buckets = int(min(240, max(16, duration * 2))), int(min(200_000, max(2000, duration * 50)))

    def drive(gen) -> None:
        for _ in gen:
            pass

    def timed(run) -> tuple[float, float]:
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        run()
        after = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter() - started, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    def ffmpeg_audio() -> tuple[float, float]:
        import media

        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run([media.find_ffmpeg() or "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-threads", "1", "-i", str(source), "-map", "0:a:0", "-f", "null", "-"], check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter() - started, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    load = os.getloadavg()[0]
    rows = [("keyframe index (packet scan)", timed(lambda: drive(keyframe_index(source)))),
            (f"thumbnail strip ({slots} pictures)", timed(lambda: drive(thumbnails(source, slots, cache=False)))),
            (f"waveform ({buckets} buckets)", timed(lambda: drive(waveform(source, buckets, cache=False)))),
            ("ffmpeg CLI decoding the same audio (-threads 1 -f null)", ffmpeg_audio())]
    print(f"the analysis alone, engine called in this process, no cache (load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f}):")
    print("| analysis | wall | CPU |")
    print("|---|---|---|")
    for name, (wall, cpu) in rows:
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s |")
    print(f"waveform CPU / ffmpeg's decode of the same audio: {rows[2][1][1] / rows[3][1][1]:.2f}x")
    print(flush=True)


def _verdict(value: float, aim: float, limit: float) -> str:
    return "aim met" if value < aim else "within the limit" if value < limit else "LIMIT MISSED"


def _analysed_text(r: dict) -> str:
    got = r.get("analysed") or {}
    return ", ".join(f"{name} at {got[what]:.1f} s" for what, name in ANALYSIS if what in got) or "no analysis arrived"


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        return float(c.duration / 1_000_000) if c.duration else 0.0


if __name__ == "__main__":
    sys.exit(main())

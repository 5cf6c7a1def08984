"""The desktop app as a user meets it: launch to first frame, and how fast a scrub shows its frame.

    python bench/bench_gui.py                  # the 20-minute 1080p source of bench/media.py, 5 launches
    python bench/bench_gui.py --rounds 9 --source some.mp4

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

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

FIRST_FRAME_TARGET_S = 2.0
SCRUB_TARGET_MS = 150.0
SEEK_FRACTIONS = (0.5, 0.0625, 0.9167, 0.2778, 0.7361)  # spread over the file, mid-GOP and on keyframes


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


def launch(source: Path, display: str, seeks: list[float], timeout: float) -> dict:
    """One launch: seconds to the first frame, and each seek's milliseconds by kind."""
    home = Path(tempfile.mkdtemp(prefix="fastclip-gui-bench-"))
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "FASTCLIP_HOME": str(home),
           "FASTCLIP_TIMING": "1", "FASTCLIP_TIMING_SEEKS": ",".join(f"{t:g}" for t in seeks)}
    result: dict = {"first_frame": None, "scrub": [], "exact": []}
    started = time.perf_counter()
    proc = subprocess.Popen([*app_command(), str(source)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, bufsize=1)
    try:
        deadline = started + timeout
        for line in proc.stderr:
            now = time.perf_counter()
            words = line.split()
            if words[:1] == ["first-frame"] and result["first_frame"] is None:
                result["first_frame"] = now - started
            elif words[:1] == ["seek"] and len(words) == 4:
                result[words[1]].append(float(words[3]))
            elif words[:1] == ["done"] or now > deadline:
                break
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="a video file (default: the 20-minute bench source)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per launch")
    args = parser.parse_args()
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
                  f"{', '.join(f'{m:.0f}' for m in r['scrub'])} ms; exact {', '.join(f'{m:.0f}' for m in r['exact'])} ms",
                  flush=True)
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


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        return float(c.duration / 1_000_000) if c.duration else 0.0


if __name__ == "__main__":
    sys.exit(main())

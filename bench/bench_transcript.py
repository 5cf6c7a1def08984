"""Transcript real-time factor: seconds of compute per second of audio, tiny.en on this machine.

    python bench/bench_transcript.py            # a 60 s espeak-ng speech file, 3 rounds
    python bench/bench_transcript.py --seconds 120 --rounds 5

The speech is made once with espeak-ng (cached in bench/.media/). Each round runs the engine's
transcribe() in process with the cache off, so model loading is measured once (the first
round) and reported apart; the real-time factor is the median of the rounds' transcribe time
(decode + VAD + recognition) divided by the audio's duration. The whole `fastclip transcript`
command (cold process, no cache) is timed too. There is no ffmpeg side: nothing comparable
transcribes. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MEDIA = BENCH_DIR / ".media"
TEXT = (
    "The morning light came slowly over the hills, and the town began to wake. "
    "Shops opened their doors, and the smell of fresh bread filled the narrow streets. "
    "A small boat drifted across the harbour while gulls called above the water. "
    "Later that day a storm moved in from the west, and everyone hurried home. "
)


def speech(seconds: int) -> Path:
    MEDIA.mkdir(exist_ok=True)
    out = MEDIA / f"speech_{seconds}s.wav"
    if out.exists():
        return out
    part = Path(tempfile.mkdtemp()) / "one.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(part), TEXT], check=True)
    one = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                "csv=p=0", str(part)], capture_output=True, text=True).stdout)
    loops = max(1, round(seconds / one))
    tmp = out.with_suffix(".partial.wav")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(part),
                    "-c", "copy", str(tmp)], check=True)
    os.replace(tmp, out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(BENCH_DIR.parent))
    from engine.media.probe import probe
    from engine.transcript import transcribe

    src = speech(args.seconds)
    duration = float(probe(src).duration)
    times, load = [], None
    for i in range(args.rounds):
        stages: dict[str, float] = {}
        t0 = time.perf_counter()
        gen = transcribe(src, cache_dir=None)
        last, stage = t0, None
        try:
            while True:
                p = next(gen)
                now = time.perf_counter()
                if stage is not None:
                    stages[stage] = stages.get(stage, 0.0) + now - last
                stage, last = p.stage, now
        except StopIteration as done:
            transcript = done.value
        total = time.perf_counter() - t0
        if i == 0:
            load = stages.get("loading", 0.0)
            total -= load
        times.append(total)
        words = sum(len(s.words) for s in transcript.segments)
        print(f"round {i + 1}: {total:.2f} s for {duration:.1f} s of audio ({words} words)")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, FASTCLIP_HOME=home)
        fastclip = Path(sys.executable).parent / "fastclip"
        t0 = time.perf_counter()
        subprocess.run([str(fastclip), "transcript", str(src), "--no-cache", "-o", f"{home}/t.json"],
                       check=True, env=env, capture_output=True)
        cli = time.perf_counter() - t0
    rtf = statistics.median(times) / duration
    print(f"\nmodel load (once per process): {load:.2f} s")
    print(f"real-time factor, engine: {rtf:.3f} s of compute per s of audio ({1 / rtf:.0f}x faster than real time)")
    print(f"whole `fastclip transcript` command, cold: {cli:.2f} s for {duration:.1f} s (RTF {cli / duration:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

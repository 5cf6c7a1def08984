"""What the job runner adds to a captions job and to a transcript job, against the engine called directly.

    python bench/bench_job_kinds.py                      # both cases, 5 rounds per side
    python bench/bench_job_kinds.py --only transcript --rounds 9
    python bench/bench_job_kinds.py --quick --rounds 1   # shorter sources: a smoke run

The issue: "a captions or transcript job through the runner adds under 5% to calling the engine
directly". Each case is made two ways, timed alternately, median of ``--rounds`` each, ratio =
runner / direct, PASS at <= 1.05:

- **transcript** (5 minutes of espeak-ng speech, a short talk, in a 720p H.264/AAC MP4; ``--quick``: 15 s):
  - runner: the library job path as ``fastclip transcript SRC`` runs it
    (fastclip_desktop/cli/transcript.py), less its parsing, the read-back of the cache and the
    printing: the library, a Runner with one worker, ``submit_transcript`` (which imports the file:
    a thorough probe in the worker, a media row; the model folder resolved from the
    ``whisper_model_path`` setting, else the built-in one), then ``run_until_idle``: the worker
    decodes the audio, loads the model, transcribes and writes the transcript cache, then indexes
    the transcript for Moments (its last stage: the sentence vectors embedded, the audio's level
    read), the runner records the job.
  - direct: a Python process draining ``engine.transcript.transcribe(SRC, cache_dir=...)``: the
    same decode, model load, recognition and cache write. No probe, no worker, no library.
  Both write into an empty cache (each run's own FASTCLIP_HOME), so each really transcribes.
  The indexing stage is work the direct side does not do: the job reports its seconds (its
  result's ``moments_index``), and the case is reported twice, the job as it is and the job less
  that stage; PASS/MISS is the runner's own cost, the second.
- **captions** (30 s of 1920x1080 with the same speech; ``--quick``: 10 s):
  - runner: as ``fastclip captions SRC --preset builtin:short-form-karaoke -o OUT`` runs it
    (fastclip_desktop/cli/captions.py), less its parsing and printing: the library, a Runner with
    one worker that imports the file, ``submit_captions(CaptionsRequest(file_id, preset), OUT)``
    (the request checked and the preset resolved on the host), ``run_until_idle``: the worker
    burns the captions in (engine/jobs/tasks.py run_captions), the runner records job and clip.
  - direct: a Python process doing what run_captions does: ``probe`` (thorough, as an import
    does), ``validate_captions`` and ``export_clip``, sharing one set of open containers between
    probe and export as the worker does.
  The words come from the transcript cache on both sides: the source is transcribed once before
  the timing (not timed), and that cache entry is copied into each run's FASTCLIP_HOME/cache
  (a cache keyed by content, so the copy hits). Burning in is what a captions job does that no
  other job does; transcribing on both sides as well would add seconds of the same work and its
  noise to both, which only dilutes what the runner adds (the transcript case measures that).
  Each run checks that its cache holds just the entry it was given, untouched (a miss writes one).

Both sides are whole processes started the same way (the venv's Python, an empty FASTCLIP_HOME,
the source in the page cache, bytecode compiled as an install has it), as bench/bench_runner.py
does for a cut, so that what the runner costs a single job shows: its imports (the library,
SQLite), its worker process, the import of the file, the messages, the rows it writes.

The runner's worker is the early one by default: a fork of the still clean process
(``StartedWorker.early``), as ``fastclip clip`` starts it. ``--spawn`` starts it as
``fastclip transcript`` and ``fastclip captions`` do today: spawned by the Runner, and waited for
at close.

The sources are made once with the ffmpeg CLI and espeak-ng (the text of tests/fixtures/speech's
LONG) and cached in bench/.media/ with a sidecar JSON recording the recipe, as bench/media.py does.
Not part of the test suite: exit status is 1 only with --strict and a miss.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package

OUT_ROOT = BENCH_DIR / ".out"
TARGET = 1.05
PRESET = "builtin:short-form-karaoke"
CASE_NAMES = ("transcript", "captions")
RECIPE_VERSION = 1
VOICE, WORDS_PER_MINUTE, LEAD_MS = "en-us", 175, 500

# -------------------------------------------------------------------------------- what each side runs

# The engine called directly (argv: source). The cache is FASTCLIP_HOME's, empty: it is written,
# as the runner's worker writes it.
DIRECT_TRANSCRIPT = """\
import sys
from engine.paths import cache_dir
from engine.progress import drain
from engine.transcript import transcribe

drain(transcribe(sys.argv[1], cache_dir=cache_dir()))
"""

# The library job path, as fastclip_desktop/cli/transcript.py runs it, without the parsing, the
# read-back of the transcript and the printing (argv: source, early|spawn).
RUNNER_TRANSCRIPT = """\
import json
import sys

src, start = sys.argv[1:]
if start == "early":
    from engine.jobs.pool import StartedWorker
    adopt = [StartedWorker.early(source=src)]  # first: a fork of this process while it is clean
else:
    adopt = []
from engine.library import Library
from engine.jobs.runner import Runner

lib = Library()
runner = Runner(lib, workers=1, adopt=adopt)
try:
    job = runner.submit_transcript(src)
    final = runner.run_until_idle(job_ids=[job.job_id])
finally:
    runner.close(wait=not adopt)
    lib.close()
print(json.dumps((final[job.job_id].result or {}).get("moments_index") or {}))  # the indexing stage's seconds
sys.exit(0 if all(j.status == "complete" for j in final.values()) else 1)
"""

# The engine called directly (argv: source, preset, out): what run_captions does after an import,
# in one process and with nothing around it. The words: the transcript cache (default cache_dir).
DIRECT_CAPTIONS = """\
import sys
from engine.cut.export import export_clip
from engine.cut.request import CaptionsRequest, validate_captions
from engine.media.probe import Inputs, probe
from engine.progress import drain

src, preset, out = sys.argv[1:]
with Inputs(src) as inputs:
    inputs.prefetch("audio")
    info = probe(src, opener=lambda: inputs.get("video"))  # thorough, as the import's
    clip = validate_captions(CaptionsRequest(src, preset), info)
    drain(export_clip(info, clip, clip.outputs[0], out, inputs))
"""

# The library job path, as fastclip_desktop/cli/captions.py runs it, without the parsing and the
# printing (argv: source, preset, out, early|spawn).
RUNNER_CAPTIONS = """\
import sys

src, preset, out, start = sys.argv[1:]
if start == "early":
    from engine.jobs.pool import StartedWorker
    adopt = [StartedWorker.early(source=src)]  # first: a fork of this process while it is clean
else:
    adopt = []
from engine.cut.request import CaptionsRequest
from engine.library import Library
from engine.jobs.runner import Runner

lib = Library()
runner = Runner(lib, workers=1, adopt=adopt)
try:
    media = runner.resolve_source(src)
    job = runner.submit_captions(CaptionsRequest(media.file_id, preset), out)
    final = runner.run_until_idle(job_ids=[job.job_id])
finally:
    runner.close(wait=not adopt)
    lib.close()
sys.exit(0 if all(j.status == "complete" for j in final.values()) else 1)
"""

# Fills a transcript cache once, untimed (argv: source); prints the number of words.
PREFILL = """\
import sys
from engine.paths import cache_dir
from engine.progress import drain
from engine.transcript import transcribe

print(len(drain(transcribe(sys.argv[1], cache_dir=cache_dir())).words))
"""

# ------------------------------------------------------------------------------------- the sources


@dataclass(frozen=True, slots=True)
class SourceSpec:
    seconds: int
    width: int
    height: int

    @property
    def path(self) -> Path:
        return media.MEDIA_DIR / f"speech_{self.seconds}s_{self.height}p{media.FPS}_h264_aac.mp4"


SOURCES = {  # case -> (full, quick)
    "transcript": (SourceSpec(300, 1280, 720), SourceSpec(15, 1280, 720)),  # a short talk
    "captions": (SourceSpec(30, 1920, 1080), SourceSpec(10, 1920, 1080)),
}


def _speech_text() -> tuple[str, str]:
    """(espeak-ng, the text): tests/fixtures/speech's minute of speech."""
    sys.path.insert(0, str(REPO_DIR))
    from tests.fixtures import speech

    return speech.ESPEAK, speech.LONG


def _recipe(spec: SourceSpec, text: str) -> dict:
    return {"version": RECIPE_VERSION, "seconds": spec.seconds, "size": [spec.width, spec.height],
            "fps": media.FPS, "x264": [media.X264_PRESET, media.X264_CRF, media.X264_PARAMS],
            "audio": [media.AUDIO_RATE, media.AUDIO_BITRATE], "voice": [VOICE, WORDS_PER_MINUTE, LEAD_MS],
            "text": hashlib.sha256(text.encode()).hexdigest()[:16]}


def ensure_source(spec: SourceSpec) -> Path:
    """``spec``'s source: testsrc2 with espeak-ng speech (looped to the length), made once and cached."""
    ffmpeg = media.find_ffmpeg()
    if not ffmpeg:
        raise RuntimeError("ffmpeg not found on PATH (or set $FFMPEG)")
    espeak, text = _speech_text()
    if not Path(espeak).is_file():
        raise RuntimeError("espeak-ng not found (scripts/setup_system.sh installs it)")
    recipe, sidecar = _recipe(spec, text), spec.path.with_suffix(".json")
    try:
        info = json.loads(sidecar.read_text())
        if info.get("recipe") == recipe and info.get("size_bytes") == spec.path.stat().st_size:
            return spec.path
    except (OSError, ValueError):
        pass
    media.MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    log(f"making {spec.path.name} ({spec.seconds} s, {spec.width}x{spec.height}) once, at nice 10")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=media.MEDIA_DIR) as tmp:
        wav, partial = Path(tmp) / "speech.wav", Path(tmp) / "source.mp4"
        subprocess.run([espeak, "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(wav), text], check=True,
                       capture_output=True)
        subprocess.run([
            ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc2=size={spec.width}x{spec.height}:rate={media.FPS}:duration={spec.seconds}",
            "-stream_loop", "-1", "-i", str(wav),
            "-filter_complex", f"[1:a]adelay={LEAD_MS},aresample={media.AUDIO_RATE},apad[a]",
            "-map", "0:v", "-map", "[a]", "-t", str(spec.seconds),
            "-c:v", "libx264", "-preset", media.X264_PRESET, "-crf", str(media.X264_CRF),
            "-profile:v", "high", "-pix_fmt", "yuv420p", "-x264-params", media.X264_PARAMS,
            "-c:a", "aac", "-b:a", media.AUDIO_BITRATE, "-ac", "2",
            "-movflags", "+faststart", "-f", "mp4", "-y", str(partial),
        ], check=True, preexec_fn=media._lower_priority if os.name == "posix" else None)
        os.replace(partial, spec.path)
    size = spec.path.stat().st_size
    sidecar.write_text(json.dumps({"recipe": recipe, "size_bytes": size,
                                   "generation_seconds": round(time.perf_counter() - started, 1)}, indent=2) + "\n")
    return spec.path


# ------------------------------------------------------------------------------------------ timing


@dataclass
class Case:
    name: str
    src: Path
    sides: dict[str, Callable[[Path], list[str]]]  # side -> argv for a run folder
    prepare: Callable[[Path], None]  # before a run (untimed): fill the run's FASTCLIP_HOME
    check: Callable[[Path], None]  # after a run: raise unless it made what it should have


def transcript_case(src: Path, start: str) -> Case:
    def check(run_dir: Path) -> None:
        entries = list((run_dir / "home" / "cache" / "transcripts").glob("*.json"))
        if len(entries) != 1 or entries[0].stat().st_size == 0:
            raise RuntimeError(f"expected one transcript in the run's cache, found {len(entries)}")

    return Case("transcript", src, {
        "direct": lambda d: [sys.executable, "-c", DIRECT_TRANSCRIPT, str(src)],
        "runner": lambda d: [sys.executable, "-c", RUNNER_TRANSCRIPT, str(src), start],
    }, prepare=lambda d: None, check=check)


def captions_case(src: Path, start: str, prefilled: Path) -> Case:
    """``prefilled``: a transcripts/ folder holding ``src``'s transcript."""

    def transcripts(run_dir: Path) -> Path:
        return run_dir / "home" / "cache" / "transcripts"

    def prepare(run_dir: Path) -> None:
        shutil.copytree(prefilled, transcripts(run_dir))  # (copy2: the mtimes are kept)

    def check(run_dir: Path) -> None:
        out = run_dir / "captioned.mp4"
        if not out.is_file() or out.stat().st_size == 0:
            raise RuntimeError(f"output {'missing' if not out.is_file() else 'empty'}: {out}")
        given = {e.name: e.stat().st_mtime_ns for e in prefilled.iterdir()}
        found = {e.name: e.stat().st_mtime_ns for e in transcripts(run_dir).iterdir()}
        if found != given:  # a miss writes an entry (a new one, or the same one again)
            raise RuntimeError("the run did not use the transcript it was given: it transcribed")

    return Case("captions", src, {
        "direct": lambda d: [sys.executable, "-c", DIRECT_CAPTIONS, str(src), PRESET, str(d / "captioned.mp4")],
        "runner": lambda d: [sys.executable, "-c", RUNNER_CAPTIONS, str(src), PRESET, str(d / "captioned.mp4"),
                             start],
    }, prepare=prepare, check=check)


def process_env(run_dir: Path) -> dict:
    env = dict(os.environ, FASTCLIP_HOME=str(run_dir / "home"))
    # As installed: pip compiles the bytecode. Without it each run would compile again every
    # module edited since its .pyc was last written, on both sides but not alike.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_process(argv: list[str], run_dir: Path, timeout: float) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(argv, check=False, cwd=REPO_DIR, env=process_env(run_dir), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace", timeout=timeout)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(argv)[:200]}\n{tail}")
    return elapsed, proc.stdout


def run_case(case: Case, rounds: int, warmup: int, timeout: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in case.sides}
    for n in range(-warmup, rounds):
        line = []
        for name, argv in case.sides.items():
            run_dir = Path(tempfile.mkdtemp(prefix=f"{case.name}-{name}-", dir=OUT_ROOT))
            try:
                case.prepare(run_dir)
                seconds, out = timed_process(argv(run_dir), run_dir, timeout)
                case.check(run_dir)
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
            index = _moments_index(out) if case.name == "transcript" and name == "runner" else None
            if n >= 0:
                samples[name].append(seconds)
                if index is not None:
                    samples.setdefault("indexing", []).append(index)
            line.append(f"{name} {seconds * 1000:.0f} ms" + ("" if index is None else
                                                             f" (of which indexing {index * 1000:.0f} ms)"))
        log(f"  {'warm-up' if n < 0 else f'round {n + 1}/{rounds}'}: " + ", ".join(line))
    return samples


def prefill_transcripts(src: Path, timeout: float) -> Path:
    """``src`` transcribed once (untimed) into a cache of its own; its transcripts/ folder."""
    folder = Path(tempfile.mkdtemp(prefix="prefill-", dir=OUT_ROOT))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PREFILL, str(src)], check=False, cwd=REPO_DIR,
                          env=process_env(folder), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"transcribing {src.name} failed:\n" + "\n".join(proc.stderr.strip().splitlines()[-5:]))
    log(f"  transcript made once for both sides: {proc.stdout.strip()} words "
        f"({time.perf_counter() - started:.1f} s, not timed)")
    return folder / "home" / "cache" / "transcripts"


def _moments_index(stdout: str) -> float:
    """The seconds of a transcript job's last stage, indexing for Moments (its result's moments_index)."""
    lines = stdout.strip().splitlines()
    index = json.loads(lines[-1]) if lines else {}
    if "seconds" not in index:
        raise RuntimeError(f"the transcript job's result has no moments_index: {stdout[-300:]!r}")
    return float(index["seconds"])


def report(title: str, samples: dict[str, list[float]], target: float | None) -> bool:
    direct, runner = (statistics.median(samples[k]) for k in ("direct", "runner"))
    ratio = runner / direct
    verdict = "" if target is None else (" PASS" if ratio <= target else " MISS") + f" (target <= {target:.2f})"
    print(f"{title}: runner {runner * 1000:.1f} ms, direct {direct * 1000:.1f} ms (medians of "
          f"{len(samples['runner'])}): ratio {ratio:.3f}, the runner adds {(ratio - 1) * 100:+.1f}%{verdict}",
          flush=True)
    if "indexing" not in samples:
        return target is None or ratio <= target
    # The runner's transcript job ends by indexing for Moments (sentence vectors, the audio's level),
    # which the engine's transcribe() alone does not do: the job side does more work. Both figures:
    # the job as it is, and the job less that stage (each round's own indexing seconds subtracted).
    index = statistics.median(samples["indexing"])
    bare = statistics.median([r - i for r, i in zip(samples["runner"], samples["indexing"], strict=True)])
    bare_ratio = bare / direct
    bare_verdict = "" if target is None else (" PASS" if bare_ratio <= target else " MISS")
    print(f"  of which indexing for Moments {index * 1000:.1f} ms = {index / direct * 100:.1f}% of the direct "
          f"transcription; the job less indexing {bare * 1000:.1f} ms: ratio {bare_ratio:.3f}, "
          f"the runner adds {(bare_ratio - 1) * 100:+.1f}%{bare_verdict}", flush=True)
    return target is None or bare_ratio <= target


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as f:  # so that neither side pays for the disk
        while f.read(8 << 20):
            pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", choices=CASE_NAMES, help="run only this case (repeatable)")
    p.add_argument("--quick", action="store_true", help="shorter sources: 15 s of speech, 10 s of 1080p (smoke run)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds per side (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds per side first (default 1)")
    p.add_argument("--spawn", action="store_true",
                   help="start the runner's worker as `fastclip transcript`/`captions` do (spawned), "
                        "not as an early fork (as `fastclip clip` does)")
    p.add_argument("--timeout", type=float, default=600, help="per process, seconds (default 600)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        p.error("--rounds must be >= 1 and --warmup >= 0")
    names = [n for n in CASE_NAMES if n in (args.only or CASE_NAMES)]
    start = "spawn" if args.spawn else "early"
    try:
        sources = {n: ensure_source(SOURCES[n][1 if args.quick else 0]) for n in names}
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"error: could not make the benchmark source: {exc}")
        return 2
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    log(f"{os.cpu_count()} CPUs, load {os.getloadavg() if hasattr(os, 'getloadavg') else '?'}; the runner's "
        f"worker: {'spawned by the Runner' if args.spawn else 'an early fork (StartedWorker.early)'}")
    ok = True
    for name in names:
        src = sources[name]
        spec = SOURCES[name][1 if args.quick else 0]
        warm_page_cache(src)
        log(f"[{name}] {src.name}: the library job path, against the engine called directly")
        prefilled = None
        try:
            if name == "transcript":
                case = transcript_case(src, start)
                title = f"transcript, {spec.seconds} s of speech"
            else:
                prefilled = prefill_transcripts(src, args.timeout)
                case = captions_case(src, start, prefilled)
                title = f"captions, {spec.seconds} s of {spec.height}p ({PRESET})"
            ok = report(title, run_case(case, args.rounds, args.warmup, args.timeout), TARGET) and ok
        finally:
            if prefilled is not None:
                shutil.rmtree(prefilled.parents[2], ignore_errors=True)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

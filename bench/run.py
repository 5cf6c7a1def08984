"""Benchmarks: the `fastclip` CLI against the ffmpeg CLI, measured side by side in one run.

Each case times a whole `fastclip clip ...` process against the ffmpeg command line a user
would type for the same job. The two alternate (ffmpeg, fastclip, ffmpeg, fastclip, ...)
so that load from other processes hits both alike; the report is the ratio of the medians,
fastclip / ffmpeg (lower is better), against the target of the issue.

    python bench/run.py                  # all cases on the 20-minute source, 5 rounds
    python bench/run.py --quick          # 2-minute source, for smoke runs
    python bench/run.py --ten            # 10-minute source (a 2-minute loop; the cases cut at scaled times)
    python bench/run.py --only keyframe --rounds 9 --json results.json
    python bench/run.py cluster [--clips 40 --rounds 2]   # a batch on a Dask cluster: 1 worker vs 2 (bench_cluster.py)
    python bench/run.py smartcut [--only hevc --rounds 3]   # smart cut of open GOPs, VP9 (bench_smartcut.py)

Not part of the test suite: a missed target does not fail the run (unless --strict).
Exit status: 0 when every command ran, 1 when a command failed (or, with --strict, a
target was missed or fastclip is not available), 2 when ffmpeg or the source is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package

REPO_DIR = BENCH_DIR.parent
OUT_ROOT = BENCH_DIR / ".out"

# The ffmpeg side of the "precise" and format cases must do the same work as fastclip,
# so these MUST match the engine's encoder settings (update both together).
PRECISE_X264_PRESET = "veryfast"
PRECISE_X264_CRF = 18
PRECISE_AUDIO_CODEC = "aac"
PRECISE_AUDIO_BITRATE = "192k"
MP3_VBR_QUALITY = 2  # libmp3lame -q:a
GIF_FPS = 15
GIF_WIDTH = 480

FFMPEG_QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error"]


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    summary: str
    target: float  # fastclip median / ffmpeg median must be <= this
    fastclip_args: Callable[[Path, Path], list[str]]  # (source, out_dir) -> args after `fastclip`
    ffmpeg_commands: Callable[[str, Path, Path], list[list[str]]]  # run one after another
    output_name: str | None  # the single file both tools must write, or None for a folder of clips
    min_outputs: int = 1


@dataclass(frozen=True, slots=True)
class Times:
    """Where the cases cut, in seconds: the issue's times for the full source, scaled for --quick."""

    cut: tuple[int, int]
    segments: tuple[tuple[int, int], ...]
    audio: tuple[int, int]
    gif: tuple[int, int]


# The source has a keyframe every 2 s, so the cut deliberately starts and ends 1 s into a
# GOP: at 600-630 both ends would sit on keyframes and a smart cut would re-encode nothing.
FULL_TIMES = Times(
    cut=(601, 631),
    # 50 two-second highlights spread over the whole file, some on a keyframe, some not.
    segments=tuple((15 + 23 * i, 17 + 23 * i) for i in range(50)),
    audio=(300, 540),
    gif=(600, 610),
)
TEN_TIMES = Times(
    cut=(301, 331),
    segments=tuple((15 + 11 * i, 17 + 11 * i) for i in range(50)),
    audio=(150, 390),
    gif=(300, 310),
)
QUICK_TIMES = Times(
    cut=(61, 91),
    segments=tuple((1 + 2 * i, 3 + 2 * i) for i in range(50)),
    audio=(20, 100),
    gif=(60, 70),
)


def _copy_cut(ffmpeg: str, src: Path, start: int, end: int, out: Path) -> list[str]:
    # -ss before -i (fast input seek, as users do); make_zero shifts the copied
    # packets so the clip starts at 0 despite the leading B-frame reorder delay.
    return [
        ffmpeg, *FFMPEG_QUIET, "-ss", str(start), "-to", str(end), "-i", str(src),
        "-c", "copy", "-avoid_negative_ts", "make_zero", "-y", str(out),
    ]


def build_cases(t: Times) -> list[Case]:
    (c0, c1), (a0, a1), (g0, g1) = t.cut, t.audio, t.gif
    segment_args = [arg for s, e in t.segments for arg in ("--segment", f"{s}-{e}")]
    gif_filter = (
        f"fps={GIF_FPS},scale={GIF_WIDTH}:-2:flags=lanczos,"
        "split[a][b];[a]palettegen[p];[b][p]paletteuse"
    )
    return [
        Case(
            name="keyframe",
            summary=f"keyframe cut {c0}-{c1} s, stream copy",
            target=2.0,
            fastclip_args=lambda src, out: [
                "clip", str(src), "--start", str(c0), "--end", str(c1),
                "--mode", "keyframe", "-o", str(out / "clip.mp4"),
            ],
            ffmpeg_commands=lambda ff, src, out: [_copy_cut(ff, src, c0, c1, out / "clip.mp4")],
            output_name="clip.mp4",
        ),
        Case(
            name="segments",
            summary=f"{len(t.segments)} x 2 s keyframe clips: one fastclip call vs one ffmpeg call each",
            target=0.5,
            fastclip_args=lambda src, out: [
                "clip", str(src), *segment_args, "--mode", "keyframe", "-o", str(out) + os.sep,
            ],
            ffmpeg_commands=lambda ff, src, out: [
                _copy_cut(ff, src, s, e, out / f"segment_{i:02d}.mp4") for i, (s, e) in enumerate(t.segments)
            ],
            output_name=None,
            min_outputs=len(t.segments),
        ),
        Case(
            name="precise",
            summary=f"frame-accurate cut {c0}-{c1} s vs full re-encode (x264 {PRECISE_X264_PRESET} crf {PRECISE_X264_CRF})",
            target=0.3,
            fastclip_args=lambda src, out: [
                "clip", str(src), "--start", str(c0), "--end", str(c1),
                "--mode", "precise", "-o", str(out / "clip.mp4"),
            ],
            ffmpeg_commands=lambda ff, src, out: [[
                ff, *FFMPEG_QUIET, "-ss", str(c0), "-to", str(c1), "-i", str(src),
                "-c:v", "libx264", "-preset", PRECISE_X264_PRESET, "-crf", str(PRECISE_X264_CRF),
                "-c:a", PRECISE_AUDIO_CODEC, "-b:a", PRECISE_AUDIO_BITRATE, "-y", str(out / "clip.mp4"),
            ]],
            output_name="clip.mp4",
        ),
        Case(
            name="mp3",
            summary=f"audio {a0}-{a1} s ({a1 - a0} s) to MP3, lame VBR q{MP3_VBR_QUALITY}",
            target=1.2,
            fastclip_args=lambda src, out: [
                "clip", str(src), "--start", str(a0), "--end", str(a1),
                "--format", "mp3", "-o", str(out / "clip.mp3"),
            ],
            ffmpeg_commands=lambda ff, src, out: [[
                ff, *FFMPEG_QUIET, "-ss", str(a0), "-to", str(a1), "-i", str(src),
                "-vn", "-c:a", "libmp3lame", "-q:a", str(MP3_VBR_QUALITY), "-y", str(out / "clip.mp3"),
            ]],
            output_name="clip.mp3",
        ),
        Case(
            name="gif",
            summary=f"{g1 - g0} s to GIF, {GIF_FPS} fps, {GIF_WIDTH} px wide, palettegen/paletteuse",
            target=1.2,
            fastclip_args=lambda src, out: [
                "clip", str(src), "--start", str(g0), "--end", str(g1),
                "--format", "gif", "-o", str(out / "clip.gif"),
            ],
            ffmpeg_commands=lambda ff, src, out: [[
                ff, *FFMPEG_QUIET, "-ss", str(g0), "-t", str(g1 - g0), "-i", str(src),
                "-vf", gif_filter, "-y", str(out / "clip.gif"),
            ]],
            output_name="clip.gif",
        ),
    ]


CASE_NAMES = [c.name for c in build_cases(FULL_TIMES)]


def engine_setting_mismatches() -> list[str]:
    """Where the constants above differ from the engine's (empty if the engine can't be imported)."""
    if str(REPO_DIR) not in sys.path:
        sys.path.append(str(REPO_DIR))
    try:
        from engine.cut import encoders, gif
    except Exception:  # noqa: BLE001 - the engine may be mid-edit; the bench still runs
        return []
    import bench_smartcut

    pairs = [(f"smart cut {name}", ours, getattr(encoders, name, None))
             for name, ours in bench_smartcut.engine_settings().items()]
    pairs += [
        ("X264_PRESET", PRECISE_X264_PRESET, getattr(encoders, "X264_PRESET", None)),
        ("X264_CRF", PRECISE_X264_CRF, getattr(encoders, "X264_CRF", None)),
        ("AAC_BITRATE", PRECISE_AUDIO_BITRATE, getattr(encoders, "AAC_BITRATE", None)),
        ("MP3_VBR_QUALITY", MP3_VBR_QUALITY, getattr(encoders, "MP3_VBR_QUALITY", None)),
        ("gif MAX_FPS", GIF_FPS, getattr(gif, "MAX_FPS", None)),
        ("gif DEFAULT_MAX_WIDTH", GIF_WIDTH, getattr(gif, "DEFAULT_MAX_WIDTH", None)),
    ]
    return [
        f"{name}: bench {ours!r}, engine {theirs!r}"
        for name, ours, theirs in pairs
        if theirs is not None and _normal(ours) != _normal(theirs)
    ]


def _normal(value) -> str:
    text = str(value).lower()
    return str(int(text[:-1]) * 1000) if text.endswith("k") and text[:-1].isdigit() else text


class RunFailed(Exception):
    pass


def find_fastclip(override: str | None) -> tuple[list[str] | None, str]:
    """The command that runs the fastclip CLI, or (None, why not).

    `fastclip` next to the running interpreter (the venv's console script), else
    `python -m fastclip_desktop.cli`; a candidate counts only if `clip --help` succeeds.
    """
    if override:
        candidates = [shlex.split(override)]
    else:
        exe_dir = Path(sys.executable).parent
        scripts = [exe_dir / n for n in ("fastclip", "fastclip.exe") if (exe_dir / n).is_file()]
        candidates = [[str(p)] for p in scripts[:1]] + [[sys.executable, "-m", "fastclip_desktop.cli"]]
    reasons = []
    for command in candidates:
        try:
            probe = subprocess.run(
                [*command, "clip", "--help"], check=False, cwd=REPO_DIR, stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"{shlex.join(command)}: {exc}")
            continue
        if probe.returncode == 0:
            return command, ""
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        reasons.append(f"{shlex.join(command)} clip --help: exit {probe.returncode} ({last})")
    return None, "; ".join(reasons)


def check_outputs(case: Case, out_dir: Path) -> None:
    if case.output_name is not None:
        target = out_dir / case.output_name
        if not target.is_file() or target.stat().st_size == 0:
            raise RunFailed(f"{target.name} missing or empty")
    files = [p for p in out_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
    empty = [p.name for p in files if p.stat().st_size == 0]
    if empty:
        raise RunFailed(f"empty output files: {', '.join(sorted(empty)[:5])}")
    if len(files) < case.min_outputs:
        raise RunFailed(f"{len(files)} output files, expected at least {case.min_outputs}")


def timed_run(case: Case, commands: Callable[[Path], list[list[str]]], fastclip: bool, timeout: float) -> float:
    """Run the commands in a fresh folder under bench/.out/, check the outputs, delete them.

    Returns the wall time of the commands alone. fastclip gets its own empty
    FASTCLIP_HOME, so it never touches a real library and starts with a cold cache.
    """
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{case.name}-{'fastclip' if fastclip else 'ffmpeg'}-", dir=OUT_ROOT))
    try:
        out_dir = run_dir / "out"
        out_dir.mkdir()
        env = dict(os.environ)
        if fastclip:
            env["FASTCLIP_HOME"] = str(run_dir / "home")
            # as installed (pip compiles the bytecode): else every run compiles again each module
            # edited since its .pyc was last written
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        argvs = commands(out_dir)
        started = time.perf_counter()
        for argv in argvs:
            try:
                proc = subprocess.run(
                    argv, check=False, cwd=REPO_DIR, env=env, stdin=subprocess.DEVNULL,
                    capture_output=True, text=True, errors="replace", timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise RunFailed(f"timed out after {timeout:g} s: {shlex.join(argv)[:300]}") from None
            except OSError as exc:
                raise RunFailed(f"could not start {argv[0]}: {exc}") from None
            if proc.returncode != 0:
                tail = "\n".join(proc.stderr.strip().splitlines()[-5:]) or "(no stderr)"
                raise RunFailed(f"exit {proc.returncode}: {shlex.join(argv)[:300]}\n{tail}")
        elapsed = time.perf_counter() - started
        check_outputs(case, out_dir)
        return elapsed
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def run_case(case: Case, src: Path, ffmpeg: str, fastclip: list[str] | None, args) -> dict:
    def ffmpeg_cmds(out: Path) -> list[list[str]]:
        return case.ffmpeg_commands(ffmpeg, src, out)

    def fastclip_cmds(out: Path) -> list[list[str]]:
        return [[*fastclip, *case.fastclip_args(src, out)]]

    result = {
        "case": case.name, "summary": case.summary, "target": case.target,
        "ffmpeg": {"samples": [], "median": None, "commands": [shlex.join(c) for c in ffmpeg_cmds(Path("OUT"))[:2]]},
        "fastclip": {"samples": [], "median": None,
                     "command": shlex.join(fastclip_cmds(Path("OUT"))[0]) if fastclip else None},
        "ratio": None, "status": None, "errors": [],
    }
    sides = [("ffmpeg", ffmpeg_cmds, False)]
    if fastclip:
        sides.append(("fastclip", fastclip_cmds, True))
    failed: set[str] = set()
    log(f"[{case.name}] {case.summary}")
    for round_no in range(-args.warmup, args.rounds):
        label = "warm-up" if round_no < 0 else f"round {round_no + 1}/{args.rounds}"
        parts = []
        for side, cmds, is_fastclip in sides:
            if side in failed:
                continue
            try:
                seconds = timed_run(case, cmds, is_fastclip, args.timeout)
            except RunFailed as exc:
                failed.add(side)
                result["errors"].append(f"{side}: {exc}")
                parts.append(f"{side} FAILED")
                log(f"  {side} failed: {exc}")
                continue
            parts.append(f"{side} {seconds:.2f} s")
            if round_no >= 0:
                result[side]["samples"].append(round(seconds, 4))
        log(f"  {label}: " + ", ".join(parts))
        if "ffmpeg" in failed:
            break  # the baseline is broken; timing fastclip alone means nothing

    for side in ("ffmpeg", "fastclip"):
        if result[side]["samples"] and side not in failed:
            result[side]["median"] = statistics.median(result[side]["samples"])
    ff, fc = result["ffmpeg"]["median"], result["fastclip"]["median"]
    if "ffmpeg" in failed:
        result["status"] = "ffmpeg failed"
    elif fastclip is None:
        result["status"] = "not available"
    elif "fastclip" in failed:
        result["status"] = "failed"
    else:
        result["ratio"] = fc / ff
        result["status"] = "yes" if result["ratio"] <= case.target else "NO"
    return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warm_page_cache(path: Path) -> None:
    """Read the source once so that the first timed round does not pay for the disk."""
    with path.open("rb") as f:
        while f.read(8 << 20):
            pass


def format_table(results: list[dict]) -> str:
    def secs(v):
        return "-" if v is None else f"{v:.3f}"

    header = ("case", "fastclip median s", "ffmpeg median s", "ratio", "target", "ok?")
    rows = [
        (
            r["case"], secs(r["fastclip"]["median"]), secs(r["ffmpeg"]["median"]),
            "-" if r["ratio"] is None else f"{r['ratio']:.2f}", f"<= {r['target']:g}", r["status"],
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def ffmpeg_version(ffmpeg: str) -> str:
    out = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, check=False).stdout
    return (out.splitlines() or ["unknown"])[0]


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="use the 2-minute source (smoke run)")
    parser.add_argument("--ten", action="store_true", help="use the 10-minute source")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds per side first (default 1)")
    parser.add_argument(
        "--only", action="append", choices=CASE_NAMES, metavar="NAME",
        help=f"run only this case (repeatable): {', '.join(CASE_NAMES)}",
    )
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results to FILE as JSON")
    parser.add_argument("--fastclip", metavar="CMD", help="command that runs the CLI (default: found automatically)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per process (default 1800)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed or fastclip is missing")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cluster"]:  # (its own source, sides and report: bench_cluster.py)
        import bench_cluster

        return bench_cluster.main(argv[1:])
    if argv[:1] == ["smartcut"]:  # (its own sources, sides and report: bench_smartcut.py)
        import bench_smartcut

        return bench_smartcut.main(argv[1:])
    args = parse_args(argv)
    ffmpeg = media.find_ffmpeg()
    if not ffmpeg:
        log("error: ffmpeg not found on PATH (or set $FFMPEG); the benchmarks compare against it")
        return 2
    try:
        src, info = media.ensure_source(quick=args.quick, log=log, spec=media.TEN if args.ten else None)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        log(f"error: could not make the benchmark source: {exc}")
        return 2
    warm_page_cache(src)

    fastclip, why_not = find_fastclip(args.fastclip)
    cases = [c for c in build_cases(QUICK_TIMES if args.quick else TEN_TIMES if args.ten else FULL_TIMES) if not args.only or c.name in args.only]
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    log(f"source:   {src} ({info['duration_s']} s, {info['size_bytes'] / 1e6:.0f} MB, {info['bitrate_kbps']} kbit/s)")
    log(f"ffmpeg:   {ffmpeg_version(ffmpeg)}")
    log(f"fastclip: {shlex.join(fastclip) if fastclip else 'not available (' + why_not + ')'}")
    log(f"rounds:   {args.warmup} warm-up + {args.rounds} timed, alternating ffmpeg/fastclip; "
        f"{os.cpu_count()} CPUs, load {load_before}")

    for mismatch in engine_setting_mismatches():
        log(f"warning: encoder setting differs from the engine's, so the ffmpeg side does other work: {mismatch}")

    results = [run_case(case, src, ffmpeg, fastclip, args) for case in cases]

    print()
    print(format_table(results))
    print(f"\nratio = fastclip median / ffmpeg median over {args.rounds} alternating rounds; lower is better.")
    if fastclip is None:
        print(f"fastclip not available: {why_not}")
    for r in results:
        for error in r["errors"]:
            print(f"{r['case']}: {error.splitlines()[0]}")

    if args.json:
        report = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick, "ten": args.ten, "rounds": args.rounds, "warmup": args.warmup,
            "source": {"path": str(src), **{k: v for k, v in info.items() if k != "recipe"}},
            "ffmpeg": {"path": ffmpeg, "version": ffmpeg_version(ffmpeg)},
            "fastclip": {"command": fastclip, "not_available_because": why_not or None},
            "assumed_engine_settings": {
                "precise_x264_preset": PRECISE_X264_PRESET, "precise_x264_crf": PRECISE_X264_CRF,
                "precise_audio": f"{PRECISE_AUDIO_CODEC} {PRECISE_AUDIO_BITRATE}",
                "mp3_vbr_quality": MP3_VBR_QUALITY, "gif_fps": GIF_FPS, "gif_width": GIF_WIDTH,
            },
            "machine": {
                "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                "load_before": load_before, "load_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
            },
            "cases": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        log(f"results written to {args.json}")

    if any(r["status"] in ("failed", "ffmpeg failed") for r in results):
        return 1
    if args.strict and any(r["status"] != "yes" for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Smart cut against a full re-encode: a 30 s precise cut by `fastclip clip` vs the ffmpeg CLI
re-encoding the same 30 s with the same encoder and settings the smart cut uses for its ends.

    python bench/bench_smartcut.py                     # hevc, h264, vp9; 3 rounds
    python bench/bench_smartcut.py --only hevc --rounds 5 --json bench/.out/smartcut.json

Cases (sources made once by the ffmpeg CLI, cached in bench/.media/ with a sidecar recipe):
  hevc  1080p30, x265's defaults (preset medium: open GOPs of up to 250 frames, CRA + RASL, B-pyramid);
        the ffmpeg side: libx265 veryfast crf 20, as the boundary encoder      target <= 0.25x
  h264  1080p30, x264 open GOPs of 2 s with a B-pyramid; libx264 veryfast crf 18  target <= 0.25x
  vp9   720p30 WebM, libvpx-vp9 crf 32 (4 s GOPs, alt-ref on); the ffmpeg side: libvpx-vp9 as the
        boundary encoder (good, cpu-used 4, row-mt, no lag, no alt-ref), into MP4  target <= 0.35x
Each case cuts at three starts, the middles of a GOP's thirds, so the re-encoded head ranges from a
sixth of a GOP to five sixths; the figure to read is the mean over the starts (a random cut's cost).
Both sides transcode the audio to AAC 192k, as a precise cut does.

Each round runs ffmpeg once (at the next start in turn: its cost does not depend on where the span
starts) and then fastclip at every start, so load from other processes falls on both; the report
is the ratio of medians, fastclip / ffmpeg, in wall time and in CPU time (the CPU time is steadier
on a shared machine). Not part of the test suite: a missed target does not fail the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package
import run

REPO_DIR = BENCH_DIR.parent
MEDIA_DIR = BENCH_DIR / ".media"
OUT_ROOT = BENCH_DIR / ".out"
RECIPE_VERSION = 1
SPAN = 30.0

# MUST match engine/cut/encoders.py (the boundary encoders) and the precise cut's audio
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
X265 = ["-c:v", "libx265", "-preset", "veryfast", "-crf", "20", "-x265-params", "log-level=error", "-tag:v", "hvc1"]
VP9 = ["-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1",
       "-lag-in-frames", "0", "-auto-alt-ref", "0"]
AUDIO = ["-c:a", "aac", "-b:a", "192k"]


def engine_settings() -> dict[str, str]:
    """The settings above by their names in engine/cut/encoders.py (bench/run.py warns on a mismatch)."""
    def after(args: list[str], flag: str) -> str:
        return args[args.index(flag) + 1]

    return {"X264_PRESET": after(X264, "-preset"), "X264_CRF": after(X264, "-crf"),
            "X265_PRESET": after(X265, "-preset"), "X265_CRF": after(X265, "-crf"),
            "VP9_CRF": after(VP9, "-crf"), "VP9_CPU_USED": after(VP9, "-cpu-used")}


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    size: str
    seconds: int
    video: tuple[str, ...]  # encoder arguments
    audio: tuple[str, ...]
    noise: bool = True

    @property
    def path(self) -> Path:
        return MEDIA_DIR / self.name


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    source: Source
    starts: tuple[float, ...]
    encoder: tuple[str, ...]
    target: float


SOURCES = {
    "hevc": Source("smartcut_hevc1080_x265.mp4", "1920x1080", 45,
                   ("-c:v", "libx265", "-pix_fmt", "yuv420p", "-tag:v", "hvc1"), ("-c:a", "aac", "-b:a", "128k")),
    "h264": Source("smartcut_h264open1080.mp4", "1920x1080", 45,
                   ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-x264-params",
                    "open-gop=1:keyint=60:min-keyint=60:b-pyramid=normal:b-adapt=0"),
                   ("-c:a", "aac", "-b:a", "128k"), noise=False),
    "vp9": Source("smartcut_vp9_720.webm", "1280x720", 40,
                  ("-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32", "-deadline", "good", "-cpu-used", "4",
                   "-row-mt", "1", "-g", "120"), ("-c:a", "libopus",)),
}
CASES = {
    # starts at the middles of a GOP's thirds (x265: 250 frames = 8.33 s; x264: 2 s; VP9: 4 s), so the
    # mean head re-encoded is half a GOP, as for a cut anywhere
    "hevc": Case("hevc", SOURCES["hevc"], (1.4, 4.2, 6.9), tuple(X265), 0.25),
    "h264": Case("h264", SOURCES["h264"], (2.5, 3.0, 3.5), tuple(X264), 0.25),
    "vp9": Case("vp9", SOURCES["vp9"], (0.7, 2.0, 3.3), tuple(VP9), 0.35),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- sources ----------------------------------------------------------------------------------------


SOURCE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def generate_command(ffmpeg: str, src: Source, out: Path) -> list[str]:
    """testsrc2 with the frame number burnt in large (and light grain), a sine that beeps each second
    (the opengop prototype's gen_sources.sh, so its files are these)."""
    font = str(SOURCE_FONT) if SOURCE_FONT.is_file() else media._timer_font(ffmpeg)
    rate = 30
    video = f"testsrc2=size={src.size}:rate={rate}:duration={src.seconds}"
    if src.noise:
        video += ",noise=alls=6:allf=t"
    if font:
        video += (f",drawtext=fontfile={media._escape_filter_value(font)}:text='%{{n}}':x=(w-tw)/2:y=h*0.55"
                  f":fontsize=h/6:fontcolor=white:borderw=4:bordercolor=black")
    audio = f"sine=frequency=440:beep_factor=4:sample_rate=48000:duration={src.seconds}"
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", video, "-f", "lavfi",
            "-i", audio, *src.video, *src.audio, str(out)]


def ensure_source(ffmpeg: str, src: Source) -> Path:
    sidecar = src.path.with_suffix(".json")
    recipe = {"version": RECIPE_VERSION, "args": generate_command(ffmpeg, src, src.path)[1:-1]}
    try:
        info = json.loads(sidecar.read_text())
        if info["recipe"] == recipe and info["size_bytes"] == src.path.stat().st_size:
            return src.path
    except (OSError, ValueError, KeyError):
        pass
    MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    log(f"making {src.name} ({src.seconds} s {src.size}; minutes on a busy machine)")
    partial = src.path.with_name(".partial-" + src.name)
    subprocess.run(generate_command(ffmpeg, src, partial), check=True, preexec_fn=lambda: os.nice(10))
    partial.replace(src.path)
    sidecar.write_text(json.dumps({"recipe": recipe, "size_bytes": src.path.stat().st_size}, indent=1))
    return src.path


# -- one timed run ----------------------------------------------------------------------------------


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux): `fastclip clip` does not wait for its worker process, which
    finishes exiting after it; adopted, the worker is reaped here and its CPU time counted."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_orphans() -> None:
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(argv: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s until it exits, CPU s of it and every process it started, stdout) of one process,
    which must exit 0."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO_DIR, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          errors="replace", check=False)
    wall = time.perf_counter() - t0
    _reap_orphans()
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(argv)[:200]}\n{proc.stderr[-800:]}")
    return wall, cpu, proc.stdout


def ffmpeg_run(ffmpeg: str, case: Case, start: float, out_dir: Path) -> tuple[float, float]:
    out = out_dir / "ffmpeg.mp4"
    argv = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", str(start), "-i", str(case.source.path),
            "-t", str(SPAN), "-map", "0:v:0", "-map", "0:a:0", *case.encoder, *AUDIO, "-y", str(out)]
    wall, cpu, _ = timed(argv)
    if not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError("ffmpeg wrote nothing")
    return wall, cpu


def fastclip_run(fastclip: list[str], case: Case, start: float, out_dir: Path) -> tuple[float, float, dict]:
    out = out_dir / f"fastclip_{start}.mp4"
    env = dict(os.environ, FASTCLIP_HOME=str(out_dir / "home"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [*fastclip, "clip", str(case.source.path), "--start", str(start), "--end", str(start + SPAN),
            "--mode", "precise", "-o", str(out), "--json"]
    wall, cpu, stdout = timed(argv, env)
    report = {}
    try:
        report = json.loads(stdout).get("cut") or {}
    except ValueError:
        pass
    return wall, cpu, report


# -- a case -----------------------------------------------------------------------------------------


def run_case(case: Case, ffmpeg: str, fastclip: list[str], rounds: int, before: list[str] | None = None) -> dict:
    log(f"[{case.name}] 30 s precise cut of {case.source.name} at starts {case.starts}")
    ff = {"wall": [], "cpu": []}
    old = {"wall": [], "cpu": [], "cut": None}
    fc = {s: {"wall": [], "cpu": [], "cut": None} for s in case.starts}
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    out_dir = Path(tempfile.mkdtemp(prefix=f"smartcut-{case.name}-", dir=OUT_ROOT))
    try:
        for s in case.starts[:1]:  # warm-up: bytecode, page cache
            fastclip_run(fastclip, case, s, out_dir)
        for r in range(rounds):
            start = case.starts[r % len(case.starts)]
            wall, cpu = ffmpeg_run(ffmpeg, case, start, out_dir)
            ff["wall"].append(wall)
            ff["cpu"].append(cpu)
            parts = [f"ffmpeg@{start} {wall:.1f} s ({cpu:.1f} CPU)"]
            for s in case.starts:
                wall, cpu, cut = fastclip_run(fastclip, case, s, out_dir)
                fc[s]["wall"].append(wall)
                fc[s]["cpu"].append(cpu)
                fc[s]["cut"] = cut
                parts.append(f"fastclip@{s} {wall:.1f} s ({cpu:.1f})")
            if before:
                wall, cpu, cut = fastclip_run(before, case, case.starts[0], out_dir)
                old["wall"].append(wall)
                old["cpu"].append(cpu)
                old["cut"] = cut
                parts.append(f"before@{case.starts[0]} {wall:.1f} s ({cpu:.1f})")
            log(f"  round {r + 1}/{rounds}: " + ", ".join(parts))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    ff_wall, ff_cpu = statistics.median(ff["wall"]), statistics.median(ff["cpu"])
    per_start = []
    for s in case.starts:
        w, c = statistics.median(fc[s]["wall"]), statistics.median(fc[s]["cpu"])
        cut = fc[s]["cut"] or {}
        per_start.append({"start": s, "wall": round(w, 2), "cpu": round(c, 2), "ratio_wall": round(w / ff_wall, 3),
                          "ratio_cpu": round(c / ff_cpu, 3), "video": cut.get("video"),
                          "reencode_head": cut.get("reencode_head"), "reencode_tail": cut.get("reencode_tail"),
                          "copy": cut.get("copy"), "boundary_psnr": cut.get("boundary_psnr")})
    mean_wall = statistics.mean(p["ratio_wall"] for p in per_start)
    mean_cpu = statistics.mean(p["ratio_cpu"] for p in per_start)
    result = {"case": case.name, "target": case.target, "rounds": rounds, "ffmpeg_wall": round(ff_wall, 2),
              "ffmpeg_cpu": round(ff_cpu, 2), "starts": per_start, "mean_ratio_wall": round(mean_wall, 3),
              "mean_ratio_cpu": round(mean_cpu, 3), "met": mean_wall <= case.target,
              "load": [round(x, 2) for x in os.getloadavg()]}
    if before:
        w, c = statistics.median(old["wall"]), statistics.median(old["cpu"])
        result["before"] = {"start": case.starts[0], "wall": round(w, 2), "cpu": round(c, 2),
                            "ratio_wall": round(w / ff_wall, 3), "ratio_cpu": round(c / ff_cpu, 3),
                            "video": (old["cut"] or {}).get("video", "(no cut report)")}
    return result


def table(results: list[dict]) -> str:
    lines = ["| case | start s | head s | tail s | copied s | PSNR dB | fastclip s | ffmpeg s | wall ratio | CPU ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for p in r["starts"]:
            lines.append(f"| {r['case']} | {p['start']} | {p['reencode_head']} | {p['reencode_tail']} | {p['copy']} | "
                         f"{p['boundary_psnr']} | {p['wall']} | {r['ffmpeg_wall']} | {p['ratio_wall']} | "
                         f"{p['ratio_cpu']} |")
        lines.append(f"| **{r['case']}: mean** | | | | | | | | **{r['mean_ratio_wall']}** "
                     f"(target {r['target']}) | {r['mean_ratio_cpu']} |")
        if "before" in r:
            b = r["before"]
            lines.append(f"| {r['case']}: before ({b['video']}) | {b['start']} | | | | | {b['wall']} | "
                         f"{r['ffmpeg_wall']} | {b['ratio_wall']} | {b['ratio_cpu']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", action="append", choices=sorted(CASES))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.add_argument("--fastclip", help="the command that runs the fastclip CLI")
    p.add_argument("--before", metavar="CMD", help="another fastclip CLI (say, main's) to time at the first start "
                                                   "of each case, each round")
    args = p.parse_args(argv)
    ffmpeg = media.find_ffmpeg()
    if ffmpeg is None:
        log("ffmpeg not found")
        return 2
    fastclip, why = run.find_fastclip(args.fastclip)
    if fastclip is None:
        log(f"fastclip not available: {why}")
        return 2
    before = None
    if args.before:
        before, why = run.find_fastclip(args.before)
        if before is None:
            log(f"--before not available: {why}")
            return 2
    if not become_subreaper():
        log("warning: not a subreaper; fastclip's CPU time misses its worker process")
    results = []
    for name in args.only or list(CASES):
        case = CASES[name]
        ensure_source(ffmpeg, case.source)
        run.warm_page_cache(case.source.path)
        results.append(run_case(case, ffmpeg, fastclip, args.rounds, before))
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

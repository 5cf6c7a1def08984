"""Benchmark sources, made once with the ffmpeg CLI and cached under bench/.media/.

The full source is a 20-minute 1080p30 H.264 + AAC stereo MP4 shaped like a typical
download or screen recording: closed 2 s GOPs (keyint=60, no scene-cut keyframes),
B-frames, about 7 Mbit/s. The picture is ffmpeg's testsrc2 with a large timestamp and
frame number burnt in, so any output can be checked by eye; the left channel beeps at
every whole second.

    python bench/media.py            # make (or reuse) the 20-minute source
    python bench/media.py --quick    # the 2-minute source used by `run.py --quick`
    python bench/media.py --long     # the 2-hour source of `bench_gui.py --long`
    python bench/media.py --ten      # the 10-minute source of `run.py --ten`
    python bench/media.py --force    # regenerate even if a cached copy exists

The 2-hour source (a long film, a stream recording) is made cheaply: two minutes are encoded the
same way at a low bitrate (~1.2 Mbit/s), then repeated with ffmpeg's concat demuxer and stream
copy, so it costs about one 2-minute encode. Its burnt-in timer therefore counts within the
2-minute loop (mm:ss of the loop), not the whole file; mpv and the engine see one continuous file.

A cached file is reused only if its sidecar JSON records the same recipe and size.
Generation runs at lower CPU priority (nice 10) so it does not starve other work.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MEDIA_DIR = BENCH_DIR / ".media"

# Bump when the recipe changes in a way the recorded command would not show.
RECIPE_VERSION = 1

WIDTH, HEIGHT, FPS = 1920, 1080, 30
GOP_FRAMES = 2 * FPS
# superfast + crf 28 gives ~7 Mbit/s on testsrc2 and encodes 20 minutes of 1080p in
# ~5-8 minutes on 2 busy cores. No -tune zerolatency: it would remove the B-frames.
X264_PRESET = "superfast"
X264_CRF = 28
X264_PARAMS = f"keyint={GOP_FRAMES}:min-keyint={GOP_FRAMES}:scenecut=0:open-gop=0:bframes=3"
AUDIO_RATE = 48000
AUDIO_BITRATE = "128k"

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono-Bold.ttf",
    "/System/Library/Fonts/Supplemental/Courier New Bold.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/consolab.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    duration_s: int
    # > 0: encode this many seconds once, then repeat them by stream copy up to duration_s
    # (a whole number of loops; 120 s is a whole number of AAC frames at 48 kHz and of GOPs)
    loop_s: int = 0
    # a cap on the video bitrate (x264 VBV), for a long file that should stay small on disk
    video_maxrate_kbps: int = 0

    @property
    def path(self) -> Path:
        return MEDIA_DIR / self.name

    @property
    def encoded_s(self) -> int:
        """Seconds the x264 encode makes: the whole file, or one loop of it."""
        return self.loop_s or self.duration_s

    @property
    def loops(self) -> int:
        return self.duration_s // self.loop_s if self.loop_s else 1


FULL = SourceSpec("src_20min_1080p30_h264_aac.mp4", 20 * 60)
QUICK = SourceSpec("src_2min_1080p30_h264_aac.mp4", 2 * 60)
# issue #11: the keyframe and mp3 cases also on a 10-minute file (a 2-minute loop, 5 times)
TEN = SourceSpec("src_10min_1080p30_h264_aac.mp4", 10 * 60, loop_s=120)
# issue #10 "long files": 2 hours of 1080p30, a 2-minute loop at ~1.2 Mbit/s (~1.2 GB)
LONG = SourceSpec("src_2h_1080p30_h264_aac.mp4", 2 * 3600, loop_s=120, video_maxrate_kbps=1200)


def spec_for(quick: bool) -> SourceSpec:
    return QUICK if quick else FULL


def find_ffmpeg(name: str = "ffmpeg") -> str | None:
    """The ffmpeg (or ffprobe) executable: $FFMPEG / $FFPROBE, else the one on PATH."""
    return os.environ.get(name.upper()) or shutil.which(name)


def _escape_filter_value(value: str) -> str:
    return value.replace("\\", "/").replace(":", r"\:").replace("'", r"\'")


def _timer_font(ffmpeg: str) -> str | None:
    """A font for the burnt-in timer, or None if drawtext or a font is missing.

    Without it the picture still carries testsrc2's own small timer.
    """
    filters = subprocess.run(
        [ffmpeg, "-hide_banner", "-filters"], capture_output=True, text=True, check=False
    ).stdout
    if " drawtext " not in filters:
        return None
    fonts = sorted((BENCH_DIR.parent / "fonts").glob("*Mono*.ttf")) + [
        Path(p) for p in FONT_CANDIDATES
    ]
    return next((str(p) for p in fonts if p.is_file()), None)


def generate_command(ffmpeg: str, spec: SourceSpec, out: Path) -> list[str]:
    """The x264 + AAC encode: the whole file, or for a looped spec its one loop."""
    d = spec.encoded_s
    rate = (["-maxrate", f"{spec.video_maxrate_kbps}k", "-bufsize", f"{2 * spec.video_maxrate_kbps}k"]
            if spec.video_maxrate_kbps else [])
    video = "format=yuv420p"
    font = _timer_font(ffmpeg)
    if font:
        video += (
            f",drawtext=fontfile='{_escape_filter_value(font)}'"
            r":text='%{pts\:hms}  frame %{frame_num}'"
            ":fontsize=72:fontcolor=white:box=1:boxcolor=black@0.6:x=40:y=h-120"
        )
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={d}",
        "-f", "lavfi", "-i", f"sine=frequency=440:beep_factor=4:sample_rate={AUDIO_RATE}:duration={d}",
        "-f", "lavfi", "-i", f"sine=frequency=660:sample_rate={AUDIO_RATE}:duration={d}",
        "-filter_complex", f"[0:v]{video}[v];[1:a][2:a]amerge=inputs=2[a]",
        "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(X264_CRF),
        *rate, "-profile:v", "high", "-pix_fmt", "yuv420p", "-x264-params", X264_PARAMS,
        "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2",
        "-t", str(d), "-movflags", "+faststart", "-f", "mp4", "-y", str(out),
    ]


def concat_command(ffmpeg: str, listing: Path, out: Path) -> list[str]:
    """Join the loops listed in ``listing`` (the concat demuxer's format) by stream copy."""
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
        "-f", "concat", "-safe", "0", "-i", str(listing),
        "-map", "0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", str(out),
    ]


def _recipe(ffmpeg: str, spec: SourceSpec) -> dict:
    # The commands without the executable and the file paths, which vary by machine/run.
    recipe = {"version": RECIPE_VERSION, "args": generate_command(ffmpeg, spec, spec.path)[1:-1]}
    if spec.loop_s:
        concat = concat_command(ffmpeg, Path("list"), spec.path)
        recipe["concat"] = {"loops": spec.loops, "args": [a for a in concat[1:-1] if a != "list"]}
    return recipe


def _sidecar(spec: SourceSpec) -> Path:
    return spec.path.with_suffix(".json")


def cached_info(spec: SourceSpec, ffmpeg: str) -> dict | None:
    """The sidecar record of a valid cached source, or None if it must be (re)made."""
    try:
        info = json.loads(_sidecar(spec).read_text())
        size = spec.path.stat().st_size
    except (OSError, ValueError):
        return None
    expected = _recipe(ffmpeg, spec)
    if info.get("recipe") != expected or info.get("size_bytes") != size:
        return None
    return info


def ensure_source(quick: bool = False, force: bool = False, log=print,
                  spec: SourceSpec | None = None) -> tuple[Path, dict]:
    """Return (path, info) of the benchmark source (``spec``, default by ``quick``), generating it if needed."""
    ffmpeg = find_ffmpeg()
    if not ffmpeg:
        raise RuntimeError("ffmpeg not found on PATH (or set $FFMPEG)")
    spec = spec or spec_for(quick)
    info = None if force else cached_info(spec, ffmpeg)
    if info is not None:
        return spec.path, info

    MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_partials(spec)
    partial = MEDIA_DIR / f".{spec.name}.{os.getpid()}.partial"
    loop = MEDIA_DIR / f".{spec.name}.{os.getpid()}.loop.partial"
    listing = MEDIA_DIR / f".{spec.name}.{os.getpid()}.list.partial"
    command = generate_command(ffmpeg, spec, loop if spec.loop_s else partial)
    commands = [command]
    if spec.loop_s:
        commands.append(concat_command(ffmpeg, listing, partial))
    progress = ["-stats"] if sys.stderr.isatty() else ["-nostats"]
    log(f"generating {spec.path} ({spec.duration_s} s) at nice 10; this can take minutes")
    for c in commands:
        log("  " + shlex.join(c))
    started = time.perf_counter()
    try:
        for c in commands:
            if c is not command:  # the concat step: the loop, as many times as it takes
                listing.write_text(f"file '{_escape_concat_path(loop)}'\n" * spec.loops)
            subprocess.run(
                c[:1] + progress + c[1:],
                check=True,
                preexec_fn=_lower_priority if os.name == "posix" else None,
            )
        elapsed = time.perf_counter() - started
        os.replace(partial, spec.path)
    finally:
        for f in (partial, loop, listing):
            f.unlink(missing_ok=True)
    size = spec.path.stat().st_size
    info = {
        "recipe": _recipe(ffmpeg, spec),
        "command": command[:-1] + [str(spec.path)],
        "duration_s": spec.duration_s,
        "size_bytes": size,
        "bitrate_kbps": round(size * 8 / spec.duration_s / 1000),
        "generation_seconds": round(elapsed, 1),
    }
    if spec.loop_s:
        info["command"] = command  # the loop's encode; the concat step repeats it
        info["concat_command"] = commands[1][:-1] + [str(spec.path)]
        info["loops"] = spec.loops
    _sidecar(spec).write_text(json.dumps(info, indent=2) + "\n")
    log(f"  done in {elapsed:.0f} s: {size / 1e6:.0f} MB, {info['bitrate_kbps']} kbit/s overall")
    return spec.path, info


def _escape_concat_path(path: Path) -> str:
    return str(path).replace("'", "'\\''")  # the concat demuxer's quoting: ' -> '\''


def _remove_abandoned_partials(spec: SourceSpec) -> None:
    """Delete partial files left by a generator that was killed (its pid is gone)."""
    for partial in MEDIA_DIR.glob(f".{spec.name}.*.partial"):
        pid = partial.name.removeprefix(f".{spec.name}.").removesuffix(".partial").split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            partial.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # cannot tell cheaply; leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lower_priority() -> None:
    os.nice(10)


def probe_summary(path: Path) -> str:
    """One line about the file from ffprobe (JSON output), or '' if ffprobe is missing."""
    ffprobe = find_ffmpeg("ffprobe")
    if not ffprobe:
        return ""
    result = subprocess.run(
        [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        return ""
    data = json.loads(result.stdout)
    parts = [f"{float(data['format']['duration']):.1f} s", f"{int(data['format']['bit_rate']) // 1000} kbit/s"]
    for s in data["streams"]:
        if s["codec_type"] == "video":
            parts.append(
                f"{s['codec_name']} {s['width']}x{s['height']} {s['avg_frame_rate']} fps "
                f"{int(s.get('bit_rate', 0)) // 1000} kbit/s, B-frames={s.get('has_b_frames')}"
            )
        elif s["codec_type"] == "audio":
            parts.append(f"{s['codec_name']} {s['channels']}ch {int(s.get('bit_rate', 0)) // 1000} kbit/s")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the 2-minute source instead of the 20-minute one")
    parser.add_argument("--long", action="store_true", help="the 2-hour source (bench_gui.py --long)")
    parser.add_argument("--ten", action="store_true", help="the 10-minute source (run.py --ten)")
    parser.add_argument("--force", action="store_true", help="regenerate even if a valid cached copy exists")
    args = parser.parse_args(argv)
    try:
        path, info = ensure_source(quick=args.quick, force=args.force, spec=LONG if args.long else TEN if args.ten else None)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    print(
        f"  {info['size_bytes'] / 1e6:.0f} MB, {info['bitrate_kbps']} kbit/s overall, "
        f"generated in {info['generation_seconds']} s"
    )
    summary = probe_summary(path)
    if summary:
        print("  " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())

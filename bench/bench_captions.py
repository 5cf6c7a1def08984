"""Caption burn-in: `fastclip captions` against ffmpeg burning the same words with libass.

    python bench/bench_captions.py                 # 30 s of 1080p30, 5 alternating rounds
    python bench/bench_captions.py --rounds 9 --preset builtin:neon-night

The source (made once with the ffmpeg CLI, cached in bench/.media/) is 30 s of testsrc2
at 1920x1080, 30 fps, H.264 + AAC, whose audio is espeak-ng reading a known text. Its
transcript is made once before timing and kept in the cache of a private FASTCLIP_HOME,
so the timed fastclip runs find it there (transcription is not what is measured).

Both sides decode the whole 30 s, draw the same caption pages (the transcript's words,
paginated with the preset's style; one ASS event per caption state, the active word
coloured, for libass), encode x264 at the engine's preset and crf, and copy the audio:

    fastclip captions SRC --preset REF -o out.mp4
    ffmpeg -i SRC -vf ass=captions.ass:fontsdir=FONTS -c:v libx264 -preset veryfast -crf 18 -c:a copy out.mp4

One untimed warm-up per side, then rounds alternating ffmpeg, fastclip, ...; the report
is the median wall time per side and ratio = fastclip / ffmpeg (target <= 1.1); the
ratio of median CPU times is printed beside it (steadier on a busy machine).
Not a test: a missed target only fails the run with --strict.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(0, str(BENCH_DIR))
import media  # bench/ is not a package

MEDIA_DIR = BENCH_DIR / ".media"
OUT_ROOT = BENCH_DIR / ".out"
SECONDS, WIDTH, HEIGHT, FPS = 30, 1920, 1080, 30
TARGET = 1.1
# the engine's settings for a re-encode (engine/cut/encoders.py); checked at start-up
X264_PRESET, X264_CRF = "veryfast", "18"
FFMPEG_QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error"]
RECIPE_VERSION = 1


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------- the source


def make_source(ffmpeg: str) -> Path:
    """30 s of testsrc2 1080p30 with espeak-ng speech, cached by recipe."""
    from tests.fixtures import speech

    text = speech.LONG
    recipe = [RECIPE_VERSION, SECONDS, WIDTH, HEIGHT, FPS, media.X264_PRESET, media.X264_CRF,
              media.X264_PARAMS, text]
    key = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
    path = MEDIA_DIR / f"captions_{SECONDS}s_1080p30_{key}.mp4"
    if path.is_file() and path.stat().st_size > 0:
        return path
    MEDIA_DIR.mkdir(parents=True, exist_ok=True)
    log(f"making {path.name} (once)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run([speech.ESPEAK, "-v", "en-us", "-s", "175", "-w", str(wav), text], check=True,
                       capture_output=True)
        partial = Path(tmp) / "source.mp4"
        subprocess.run([
            ffmpeg, *FFMPEG_QUIET,
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={SECONDS}",
            "-i", str(wav),
            "-filter_complex", "[1:a]adelay=500,apad,aresample=48000[a]",
            "-map", "0:v", "-map", "[a]", "-t", str(SECONDS),
            "-c:v", "libx264", "-preset", media.X264_PRESET, "-crf", str(media.X264_CRF),
            "-profile:v", "high", "-pix_fmt", "yuv420p", "-x264-params", media.X264_PARAMS,
            "-c:a", "aac", "-b:a", media.AUDIO_BITRATE, "-movflags", "+faststart", "-y", str(partial),
        ], check=True)
        shutil.move(partial, path)
    return path


# ------------------------------------------------------------------------------ the same words


def warm_transcript(src: Path, home: Path):
    """Transcribe ``src`` into ``home``'s cache (what fastclip will find) and return it."""
    os.environ["FASTCLIP_HOME"] = str(home)
    from engine.paths import cache_dir
    from engine.transcript import transcribe

    started = time.perf_counter()
    gen = transcribe(src, cache_dir=cache_dir())
    while True:
        try:
            next(gen)
        except StopIteration as done:
            transcript = done.value
            break
    log(f"transcript: {len(transcript.words)} words ({time.perf_counter() - started:.1f} s, not timed)")
    return transcript


def _ass_colour(hex_rgb: str, alpha: float = 1.0) -> str:
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"&H{round((1 - alpha) * 255):02X}{b}{g}{r}".upper()


def write_ass(transcript, preset_ref: str, duration: Fraction, out: Path) -> tuple[Path, int]:
    """The caption states fastclip will draw, as ASS events (one per state) for libass."""
    import pysubs2

    from engine.captions import font_path
    from engine.captions.burn_in import caption_pages, resolve_captions
    from engine.timeline import Window

    style, _ = resolve_captions(preset_ref)
    pages = caption_pages(transcript, [Window(Fraction(0), duration, Fraction(0))], style)
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"], subs.info["PlayResY"] = str(WIDTH), str(HEIGHT)
    subs.info["WrapStyle"] = "2"
    subs.styles["Caption"] = pysubs2.SSAStyle(
        fontname=style.font_name, fontsize=round(style.font_size * _libass_em(font_path(style.font_name)), 1),
        primarycolor=pysubs2.Color(*_rgb(style.text_color)),
        outlinecolor=pysubs2.Color(*_rgb(style.stroke_color)),
        backcolor=pysubs2.Color(*_rgb(style.shadow_color), round((1 - style.shadow_opacity) * 255)),
        outline=style.stroke_width if style.stroke_enabled else 0,
        shadow=style.shadow_offset_y if style.shadow_enabled else 0,
        alignment=pysubs2.Alignment.MIDDLE_CENTER,
    )
    x, y = round(style.position_x * WIDTH), round(style.position_y * HEIGHT)
    hi, base = _ass_colour(style.highlight_color), _ass_colour(style.text_color)
    events = 0
    for page in pages:
        for start, end, active in page.states():
            words = [w.upper() if style.uppercase else w for w in page.texts]
            if style.highlight_mode:
                words[active] = f"{{\\c{hi}}}{words[active]}{{\\c{base}}}"
            text = f"{{\\an5\\pos({x},{y})}}" + " ".join(words)
            subs.append(pysubs2.SSAEvent(start=round(float(start) * 1000), end=round(float(end) * 1000),
                                         style="Caption", text=text))
            events += 1
    subs.save(str(out))
    return font_path(style.font_name).parent, events


def _libass_em(path: Path) -> float:
    """ASS font sizes are line heights (libass: OS/2 win ascent + descent), ours are ems."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        os2, upm = font["OS/2"], font["head"].unitsPerEm
        return (os2.usWinAscent + os2.usWinDescent) / upm


def _rgb(hex_rgb: str) -> tuple[int, int, int]:
    return int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16)


def _filter_path(p: Path) -> str:
    return str(p).replace("\\", "/").replace(":", r"\:").replace("'", r"\'").replace(",", r"\,")


# ------------------------------------------------------------------------------------- timing


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and everything it waited for) of one run."""
    out.unlink(missing_ok=True)
    cpu = _children_cpu()
    started = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"{cmd[0]} failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    return elapsed, _children_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--preset", default="builtin:short-form-karaoke")
    ap.add_argument("--strict", action="store_true", help="exit 1 when the ratio misses the target")
    args = ap.parse_args(argv)

    ffmpeg = media.find_ffmpeg()
    if not ffmpeg:
        log("error: ffmpeg not found on PATH (or set $FFMPEG)")
        return 2
    from engine.cut import encoders

    if (encoders.X264_PRESET, str(encoders.X264_CRF)) != (X264_PRESET, X264_CRF):
        log(f"warning: engine encodes x264 {encoders.X264_PRESET}/crf {encoders.X264_CRF}; "
            f"bench uses {X264_PRESET}/crf {X264_CRF}")

    src = make_source(ffmpeg)
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="captions-", dir=OUT_ROOT))
    try:
        home = work / "home"
        transcript = warm_transcript(src, home)
        ass = work / "captions.ass"
        fonts, events = write_ass(transcript, args.preset, Fraction(SECONDS), ass)
        log(f"{events} caption states ({args.preset}) on {SECONDS} s of {WIDTH}x{HEIGHT} at {FPS} fps")

        env = {**os.environ, "FASTCLIP_HOME": str(home)}
        fc_out, ff_out = work / "fastclip.mp4", work / "ffmpeg.mp4"
        fastclip = [sys.executable, "-m", "fastclip_desktop.cli", "captions", str(src),
                    "--preset", args.preset, "-o", str(fc_out)]
        vf = f"ass=filename={_filter_path(ass)}:fontsdir={_filter_path(fonts)}"
        ff = [ffmpeg, *FFMPEG_QUIET, "-i", str(src), "-vf", vf, "-c:v", "libx264", "-preset", X264_PRESET,
              "-crf", X264_CRF, "-c:a", "copy", "-y", str(ff_out)]

        timed(ff, env, ff_out)  # warm-ups, untimed
        timed(fastclip, env, fc_out)
        wall = {"ffmpeg": [], "fastclip": []}
        cpu = {"ffmpeg": [], "fastclip": []}
        for i in range(args.rounds):
            for side, cmd, out in (("ffmpeg", ff, ff_out), ("fastclip", fastclip, fc_out)):
                w, c = timed(cmd, env, out)
                wall[side].append(w)
                cpu[side].append(c)
            log(f"round {i + 1}/{args.rounds}: ffmpeg {wall['ffmpeg'][-1]:.2f} s (cpu {cpu['ffmpeg'][-1]:.1f}), "
                f"fastclip {wall['fastclip'][-1]:.2f} s (cpu {cpu['fastclip'][-1]:.1f})")
        med = {k: statistics.median(v) for k, v in wall.items()}
        cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
        ratio = med["fastclip"] / med["ffmpeg"]
        print(f"caption burn-in, {SECONDS} s of 1080p30, {args.preset}, x264 {X264_PRESET} crf {X264_CRF}, "
              f"{args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
        for side, label in (("ffmpeg", "ffmpeg + libass"), ("fastclip", "fastclip")):
            print(f"  {label:16s} median {med[side]:7.2f} s wall, {cpu_med[side]:7.2f} s cpu  "
                  f"{[round(t, 2) for t in wall[side]]}")
        print(f"  ratio {ratio:.3f} wall (target <= {TARGET}: {'ok' if ratio <= TARGET else 'MISSED'}), "
              f"{cpu_med['fastclip'] / cpu_med['ffmpeg']:.3f} cpu")
        return 1 if args.strict and ratio > TARGET else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

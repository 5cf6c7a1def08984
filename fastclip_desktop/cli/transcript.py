"""`fastclip transcript`: what is said in a file, with word times, as JSON, SRT, VTT, ASS or text.

Recognition is a transcript job of the one job runner (it is in `fastclip jobs`; this process
never loads the speech model), cached by the source's content: asking again is instant. The
transcript is read back from that cache and written in the format asked for. A library clip's
transcript is its source's, cut to the clip, when the library knows which spans of the source
it holds and the source is still there; otherwise the clip's own file is transcribed.
"""

from __future__ import annotations

import sys

from .common import EXIT_FAILED, EXIT_OK

FORMATS = ("json", "srt", "vtt", "ass", "txt")


def register(sub) -> None:
    p = sub.add_parser("transcript", help="transcribe a file's speech, with word times",
                       description="Speech to text with faster-whisper (tiny.en built in), offline.")
    p.add_argument("source", metavar="SOURCE", help="a media file, or a library file_id / clip_id")
    p.add_argument("--format", choices=FORMATS,
                   help="json (the API's shape, with words), srt, vtt, ass or txt (default: from -o, else json)")
    p.add_argument("-o", "--out", metavar="OUT", help="file to write (default: standard output)")
    p.add_argument("--model", metavar="PATH", help="a CTranslate2 Whisper model folder (default: the setting, "
                                                   "else the built-in tiny.en)")
    p.add_argument("--no-cache", action="store_true", help="transcribe again even if the result is cached")
    p.set_defaults(func=cmd_transcript)


def _format(args) -> str:
    from pathlib import Path

    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower().lstrip(".") if args.out else ""
    return suffix if suffix in FORMATS else "json"


def transcript_source(source: str, library):
    """(what to transcribe: a path, file_id or clip_id; the windows to cut its transcript to, or None)."""
    from engine import FastClipError, source_kind

    if source_kind(source) != "clip_id":
        return source, None
    clip = library.get_clip(source)  # NotFound, also once expired
    windows = _clip_windows(clip, library)
    if windows and clip.source_file_id:
        try:
            library.check_source(clip.source_file_id)
            return clip.source_file_id, windows
        except FastClipError:
            pass  # the source was moved or changed: the clip's own audio it is
    return source, None


def _clip_windows(clip, library):
    """The source spans of a clip, from its job's recorded ``segments`` ([[start, end], ...])."""
    from fractions import Fraction

    from engine import FastClipError, Window

    if not clip.job_id:
        return None
    try:
        job = library.get_job(clip.job_id)
    except (FastClipError, AttributeError):
        return None
    segments = (job.result or {}).get("segments")
    if not segments:
        return None
    windows, offset = [], Fraction(0)
    try:
        for start, end in segments:
            start, end = Fraction(str(start)), Fraction(str(end))
            windows.append(Window(start, end, offset))
            offset += end - start
    except (TypeError, ValueError):
        return None
    return windows


def cmd_transcript(args) -> int:
    from engine import StartedWorker

    fmt = _format(args)
    early = getattr(args, "early", None) or StartedWorker.early(source=args.source)  # (see clip)
    from .session import with_runner

    return with_runner(lambda lib, runner: _transcribe(lib, runner, args, fmt), workers=1, adopt=[early])


def _transcribe(lib, runner, args, fmt: str) -> int:
    from engine import (
        atomic_output,
        cache_dir,
        cached_transcript,
        cut_transcript,
        render,
    )

    from .output import run_and_report

    source, windows = transcript_source(args.source, lib)
    job = runner.submit_transcript(source, model_path=args.model, fresh=args.no_cache)
    if run_and_report(runner, [job], False, lines=False):
        return EXIT_FAILED
    job = lib.get_job(job.job_id)
    path = lib.get_media(job.file_id).path
    transcript = cached_transcript(path, cache_dir=cache_dir(), model_path=job.request.get("model_path"),
                                   language=job.request.get("language"))
    if transcript is None:  # the cache could not be written (a read-only or full disk)
        print("fastclip: the transcript was made but could not be kept in the cache folder "
              f"({cache_dir()}); free some space and run it again", file=sys.stderr)
        return EXIT_FAILED
    skipped = ((job.result or {}).get("moments_index") or {}).get("skipped")
    if skipped:  # the transcript is what was asked for; an analysis makes what its index lacks
        print(f"fastclip: note: the index for Moments was not made ({skipped}); an analysis will make it",
              file=sys.stderr)
    if windows:
        transcript = cut_transcript(transcript, windows)
    text = render(transcript, fmt)
    if not text.endswith("\n"):
        text += "\n"
    if args.out:
        with atomic_output(args.out) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(args.out)
    else:
        sys.stdout.write(text)
    return EXIT_OK

"""`fastclip transcript`: what is said in a file, with word times, as JSON, SRT, VTT, ASS or text.

Recognition runs in a worker process (this process never loads the speech model, so forking
one is safe) and is cached by the source's content: asking again is instant.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from .common import EXIT_FAILED, EXIT_OK, reject

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


def resolve_source(source: str, library):
    """(path to transcribe, windows to cut its transcript to, or None) for a path, a file_id or a clip_id.

    A library clip's transcript is its source's transcript cut to the clip (no second
    transcription) when the library knows which spans of the source it holds and the source is
    still there; otherwise the clip's own file is transcribed."""
    from pathlib import Path

    from engine.errors import FastClipError, Gone, NotFound

    if Path(source).exists():
        return Path(source), None
    from engine.jobs.runner import (
        source_kind,  # only for library ids: it imports the job runner
    )

    kind = source_kind(source)
    if kind == "path":
        raise NotFound(f"no file {source}", field="source")
    if kind == "file_id":
        return Path(library.check_source(source).path), None
    clip = library.get_clip(source)
    if clip.status == "expired":
        raise Gone(f"the clip {clip.title} has expired", field="clip_id")
    windows = _clip_windows(clip, library)
    if windows and clip.source_file_id:
        try:
            return Path(library.check_source(clip.source_file_id).path), windows
        except FastClipError:
            pass  # the source was moved or changed: the clip's own audio it is
    if not Path(clip.path).is_file():
        raise NotFound(f"the file of clip {clip.clip_id} ({clip.path}) is gone", field="source")
    return Path(clip.path), None


def _clip_windows(clip, library):
    """The source spans of a clip, from its job's recorded ``segments`` ([[start, end], ...])."""
    from fractions import Fraction

    from engine.errors import FastClipError
    from engine.timeline import Window

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


def _job(path: str, cache_dir, model_path, windows):
    from engine.transcript import cut_transcript, transcribe

    transcript = yield from transcribe(path, cache_dir=cache_dir, model_path=model_path)
    return cut_transcript(transcript, windows) if windows else transcript


def cmd_transcript(args) -> int:
    from engine.atomic import atomic_output
    from engine.errors import FastClipError
    from engine.jobs.process import in_worker
    from engine.library import Library
    from engine.paths import cache_dir
    from engine.transcript import render

    from .progress_bar import ProgressBar

    fmt = _format(args)
    try:
        with Library() as library:
            path, windows = resolve_source(args.source, library)
            model = args.model or library.get_setting("whisper_model_path") or None
    except FastClipError as e:
        return reject(e)
    bar = ProgressBar(sys.stderr)
    started = False
    gen = in_worker(_job, str(path), None if args.no_cache else cache_dir(), model, windows)
    try:
        while True:
            p = next(gen)
            if p.stage in ("loading", "transcribing"):
                started = True
            bar.show(SimpleNamespace(progress=int(p.fraction * 100), index=0, count=1,
                                     status_message=p.message or p.stage))
    except StopIteration as done:
        transcript = done.value
    except FastClipError as e:
        bar.clear()
        if not started:
            return reject(e)
        print(f"fastclip: failed: {e.message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        gen.close()
    bar.clear()
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

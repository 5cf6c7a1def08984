"""`fastclip captions`: burn captions into a whole video (no trimming), as a new MP4."""

from __future__ import annotations

import json
import sys

from .common import EXIT_FAILED, EXIT_OK, reject


def register(sub) -> None:
    c = sub.add_parser(
        "captions", help="burn captions into a whole video",
        description="Transcribe a video (or reuse its cached transcript) and burn its words into the "
                    "picture with a caption preset. The source is not changed; a new MP4 is written.")
    c.add_argument("source", metavar="SOURCE", help="a video file with speech")
    c.add_argument("--preset", required=True, metavar="REF",
                   help="a caption preset ref, e.g. builtin:short-form-karaoke")
    c.add_argument("--quality", help="4k, 1080p, 720p (high, medium); never upscales")
    c.add_argument("-o", "--out", metavar="OUT",
                   help="output .mp4 file or folder (default: SOURCE's name + _captioned.mp4 here)")
    c.add_argument("--json", action="store_true", help="print the finished job as one JSON object")
    c.set_defaults(func=cmd_captions)


def cmd_captions(args) -> int:
    from engine.burn_in import run_captions_request
    from engine.errors import FastClipError
    from engine.worker import in_worker

    from .progress_bar import ProgressBar

    bar = ProgressBar(sys.stderr)
    failed = started = False
    try:
        for ev in in_worker(run_captions_request, args.source, args.preset, args.out, quality=args.quality,
                            resolve_preset=resolve_preset):
            started = True
            if ev.status in ("complete", "failed"):
                bar.clear()
                failed = failed or ev.status == "failed"
                _report(ev, args.json)
            else:
                bar.show(ev)
    except FastClipError as e:
        bar.clear()
        if not started:
            return reject(e)
        print(f"fastclip: failed: {e.message}", file=sys.stderr)
        return EXIT_FAILED
    bar.clear()
    return EXIT_FAILED if failed else EXIT_OK


def resolve_preset(ref: str):
    """Built-in presets from the engine; custom ones (``preset:<id>``, maybe with an imported
    font) from the library in the user's data folder."""
    if ref.startswith("preset:"):
        from engine.captions.custom import resolve_preset as from_library

        return from_library(ref)
    from engine.burn_in import resolve_builtin

    return resolve_builtin(ref)


def job_json(ev) -> dict:
    """The finished job as the API reports a clip job, with ``captioned``."""
    r = ev.result
    d = {
        "job_id": ev.job_id,
        "status": ev.status,
        "progress": ev.progress,
        "status_message": ev.status_message,
        "file_name": r.file_name if r else None,
        "format": r.format if r else None,
        "quality": r.quality if r else None,
        "aspect_ratio": r.aspect_ratio if r else None,
        "duration": round(float(r.duration), 6) if r else None,
        "path": r.path if r else None,
        "captioned": bool(r and r.captioned),
    }
    if ev.error is not None:
        d["error"] = ev.error.to_dict()
    return d


def _report(ev, as_json: bool) -> None:
    if as_json:
        print(json.dumps(job_json(ev)), flush=True)
    if ev.status == "failed":
        print(f"fastclip: job {ev.job_id} failed: {ev.status_message}", file=sys.stderr)
    elif not as_json:
        r = ev.result
        print(f"{r.path}  ({float(r.duration):.3f} s, {r.format}, {r.quality}, captioned)", flush=True)

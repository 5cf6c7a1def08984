"""`fastclip captions`: burn captions into a whole video (no trimming), as a new MP4.

The video is a file (SOURCE) or a clip in the library (``--clip CLIP_ID``, as the API's
POST /v1/captions with ``clip_id``). A clip's captioned copy is a new clip recorded in the
library (``captioned``, made from the same import); without -o it is written into the clips
folder and expires like any library clip. The original clip is never changed.
"""

from __future__ import annotations

import json
import sys

from .common import EXIT_FAILED, EXIT_OK, reject


def register(sub) -> None:
    c = sub.add_parser(
        "captions", help="burn captions into a whole video",
        description="Transcribe a video (or reuse its cached transcript) and burn its words into the "
                    "picture with a caption preset. The source is not changed; a new MP4 is written.")
    c.add_argument("source", metavar="SOURCE", nargs="?", help="a video file with speech (or give --clip)")
    c.add_argument("--clip", metavar="CLIP_ID", dest="clip_id",
                   help="caption a clip from the library instead (an MP4 not captioned yet); the result "
                        "is a new library clip")
    c.add_argument("--preset", required=True, metavar="REF",
                   help="a caption preset ref, e.g. builtin:short-form-karaoke")
    c.add_argument("--quality", help="4k, 1080p, 720p (high, medium); never upscales")
    c.add_argument("-o", "--out", metavar="OUT",
                   help="output .mp4 file or folder (default: a library clip named after the source "
                        "+ _captioned.mp4, in the clips folder; with -o the file is yours)")
    c.add_argument("--json", action="store_true", help="print the finished job as one JSON object")
    c.set_defaults(func=cmd_captions)


def cmd_captions(args) -> int:
    from engine.errors import InvalidRequest

    if (args.source is None) == (args.clip_id is None):
        why = "not both" if args.source is not None else "one of them is required"
        return reject(InvalidRequest(f"give a video file (SOURCE) or --clip CLIP_ID: {why}", field="source"))
    if args.clip_id is not None:
        return _caption_clip(args)
    return _caption_source(args)


def _caption_source(args) -> int:
    """SOURCE (a path, imported first, or a file_id): its captioned copy is recorded as a new
    clip of that import (a library clip in the clips folder unless -o)."""
    import os

    from engine.errors import FastClipError
    from engine.jobs.runner import Runner

    from .library import flush_webhooks, open_library

    try:
        lib = open_library()
    except FastClipError as e:
        return reject(e)
    try:
        runner = Runner(lib, workers=1)
        try:
            media = runner.resolve_source(args.source)  # NotFound, Gone, a failed import's reason
        except FastClipError as e:
            return reject(e)
        finally:
            runner.close()
        out = args.out if args.out is not None else str(lib.clips_dir) + os.sep
        return _run(args, media.path, out, on_complete=lambda ev: _record(lib, media.file_id, ev))
    finally:
        flush_webhooks(lib)
        lib.close()


def _run(args, source: str, out, on_complete=None) -> int:
    """Caption ``source`` in a worker process; ``on_complete(ev)`` (e.g. recording the new clip)
    runs before the finished job is reported and may return the event to report instead."""
    from engine.captions.burn_in import run_captions_request
    from engine.errors import FastClipError
    from engine.jobs.process import in_worker

    from .progress_bar import ProgressBar

    bar = ProgressBar(sys.stderr)
    failed = started = False
    try:
        for ev in in_worker(run_captions_request, source, args.preset, out, quality=args.quality,
                            resolve_preset=resolve_preset):
            started = True
            if ev.status in ("complete", "failed"):
                bar.clear()
                if ev.status == "complete" and on_complete is not None:
                    ev = on_complete(ev)
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


def _caption_clip(args) -> int:
    """``--clip``: the clip must be available, an MP4 and not captioned yet; its captioned copy
    is recorded as a new clip of the same import (in the clips folder unless -o)."""
    import os

    from engine.errors import FastClipError

    from .library import flush_webhooks, open_library

    try:
        lib = open_library()  # expired clips are swept first, so an expired one is gone
    except FastClipError as e:
        return reject(e)
    try:
        try:
            clip = check_clip_to_caption(lib, args.clip_id)
        except FastClipError as e:
            return reject(e)
        out = args.out if args.out is not None else str(lib.clips_dir) + os.sep
        return _run(args, clip.path, out, on_complete=lambda ev: _record(lib, clip.source_file_id, ev))
    finally:
        flush_webhooks(lib)
        lib.close()


def check_clip_to_caption(lib, clip_id: str):
    """The clip ``clip_id`` if it can be captioned, else the error that rejects the request."""
    from pathlib import Path

    from engine.errors import Gone, InvalidRequest

    clip = lib.get_clip(clip_id)  # NotFound, or Gone once expired
    if clip.captioned:
        raise InvalidRequest(f"the clip {clip.title} is captioned already, and captioned clips cannot be "
                             "captioned again", field="clip_id")
    if clip.format != "mp4":
        raise InvalidRequest(f"captions are burned into video: the clip {clip.title} is {clip.format}, "
                             "not mp4", field="clip_id")
    if not Path(clip.path).is_file():
        raise Gone(f"the file of the clip {clip.title} was moved or deleted (it was {clip.path})",
                   field="clip_id")
    if clip.source_file_id is None:
        raise Gone(f"the import the clip {clip.title} was made from was deleted from the library",
                   field="clip_id")
    return clip


def _record(lib, source_file_id: str, ev):
    """Record the finished output as a new captioned clip; the event to report (failed, and the
    output removed when it was to be a library clip, if it cannot be recorded)."""
    import dataclasses
    from pathlib import Path

    from engine.errors import FastClipError

    try:
        new = lib.add_clip_from_result(ev.result, source_file_id=source_file_id, job_id=ev.job_id,
                                       captioned=True)
    except FastClipError as e:
        p = Path(ev.result.path)
        if p.resolve().is_relative_to(lib.clips_dir.resolve()):
            p.unlink(missing_ok=True)
        return dataclasses.replace(ev, status="failed", progress=0, status_message=e.message, error=e,
                                   result=None)
    done = dataclasses.replace(ev, result=_Recorded(ev.result, new))
    try:
        lib.queue_event("clip.complete", job_json(done))
    except FastClipError:
        pass  # the clip is recorded; a webhook that cannot be queued does not undo it
    return done


class _Recorded:
    """A ClipResult with the library clip it was recorded as."""

    def __init__(self, result, clip):
        self._result, self.clip = result, clip

    def __getattr__(self, name):
        return getattr(self._result, name)

    @property
    def captioned(self) -> bool:
        return True


def resolve_preset(ref: str):
    """Built-in presets from the engine; custom ones (``preset:<id>``, maybe with an imported
    font) from the library in the user's data folder."""
    if ref.startswith("preset:"):
        from engine.captions.custom import resolve_preset as from_library

        return from_library(ref)
    from engine.captions.burn_in import resolve_builtin

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
    clip = getattr(r, "clip", None)
    if clip is not None:
        d["clip_id"] = clip.clip_id
        d["file_id"] = clip.source_file_id
        d["saved_to_library"] = clip.in_library
        d["expires_at"] = clip.expires_at
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
        clip = getattr(r, "clip", None)
        tail = f"; clip {clip.clip_id}" if clip is not None else ""
        print(f"{r.path}  ({float(r.duration):.3f} s, {r.format}, {r.quality}, captioned{tail})", flush=True)

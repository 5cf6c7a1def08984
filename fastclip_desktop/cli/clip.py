"""`fastclip clip`: cut a range or segments into one or more outputs."""

from __future__ import annotations

import json
import sys

from .common import EXIT_FAILED, EXIT_OK, reject


def register(sub) -> None:
    c = sub.add_parser("clip", help="cut one range or several segments of a file",
                       description="Cut a range (--start/--end) or segments (--segment S-E, repeatable).")
    c.add_argument("source", metavar="SOURCE", help="a media file")
    c.add_argument("--start", help="start, in seconds (default 0)")
    c.add_argument("--end", help="end, in seconds (default: the end of the source)")
    c.add_argument("--segment", action="append", metavar="S-E", help="a segment S-E in seconds; repeat for more")
    c.add_argument("--join", action="store_true", help="join the segments into one output instead of one clip each")
    c.add_argument("-o", "--out", metavar="OUT", help="output file, or folder for several clips")
    c.add_argument("--mode", choices=("keyframe", "precise"), default="precise",
                   help="keyframe: lossless stream copy from the keyframe at or before start; "
                        "precise (default): starts on the exact frame, re-encoding only the cut GOPs")
    c.add_argument("--format", help="mp4, mp3, wav, m4a (or aac), flac, gif (default: from -o, else mp4 "
                                    "for video and the source's kind for audio)")
    c.add_argument("--quality", help="4k, 1080p, 720p (high, medium); never upscales")
    c.add_argument("--captions", metavar="REF", help="a caption preset ref, e.g. builtin:short-form-karaoke")
    c.add_argument("--json", action="store_true", help="print one JSON object per finished job")
    c.set_defaults(func=cmd_clip)


def _clip_request(args):
    from engine.errors import InvalidRequest
    from engine.formats import canonical_format
    from engine.request import ClipRequest, Segment

    segments = None
    if args.segment:
        segments = []
        for i, text in enumerate(args.segment):
            start, sep, end = text.partition("-")
            if not sep:
                raise InvalidRequest(f"--segment must look like START-END in seconds, not {text!r}",
                                     field=f"segments[{i}]")
            segments.append(Segment(start.strip(), end.strip()))
        segments = tuple(segments)
    fmt = args.format
    if fmt is None and args.out and not args.out.endswith("/"):
        from pathlib import Path

        suffix = Path(args.out).suffix
        fmt = canonical_format(suffix) if suffix else None
    return ClipRequest(source=args.source, start=args.start, end=args.end, segments=segments,
                       format=fmt, quality=args.quality, mode=args.mode, captions=args.captions,
                       join=args.join)


def cmd_clip(args) -> int:
    from engine.clip_jobs import run_clip_request
    from engine.errors import FastClipError
    from engine.worker import in_worker

    from .progress_bar import ProgressBar

    try:
        req = _clip_request(args)
    except FastClipError as e:
        return reject(e)
    bar = ProgressBar(sys.stderr)
    failed = 0
    started = False
    try:
        for ev in in_worker(run_clip_request, req, args.out):
            started = True
            if ev.status in ("complete", "failed"):
                bar.clear()
                failed += ev.status == "failed"
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


def job_json(ev) -> dict:
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
    }
    if r:
        d["start"] = round(float(r.start), 6)
        d["segments"] = [[round(float(s), 6), round(float(e), 6)] for s, e in r.segments]
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
        extra = f", {r.quality}" if r.quality else ""
        print(f"{r.path}  ({float(r.duration):.3f} s from {float(r.start):.3f} s, {r.format}{extra})", flush=True)

"""`fastclip clip`: cut a range or segments into one or more outputs; or, with ``--auto``, find the
moments worth a clip (as `fastclip analyze` does) and make a clip of each, in one auto-clip job."""

from __future__ import annotations

import sys

from .analyze import moment_args
from .common import EXIT_FAILED, EXIT_OK, reject


def register(sub) -> None:
    c = sub.add_parser("clip", help="cut one range or several segments of a file",
                       description="Cut a range (--start/--end), segments (--segment S-E, repeatable), the "
                                   "segments marked on the source (--marked), or the moments found in it (--auto).")
    c.add_argument("source", metavar="SOURCE", help="a media file (imported into the library first), or a "
                                                    "file_id or clip_id from the library")
    c.add_argument("--start", help="start, in seconds (default 0)")
    c.add_argument("--end", help="end, in seconds (default: the end of the source)")
    c.add_argument("--segment", action="append", metavar="S-E", help="a segment S-E in seconds; repeat for more")
    c.add_argument("--marked", action="store_true",
                   help="the segments marked on SOURCE (in the editor, or with `fastclip segments`): one clip each, "
                        "named after its label")
    c.add_argument("--join", action="store_true", help="join the segments into one output instead of one clip each")
    c.add_argument("-o", "--out", metavar="OUT", help="output file, or folder for several clips (yours: never "
                                                      "expired); default: library clips in the clips folder")
    c.add_argument("--mode", choices=("keyframe", "precise"), default=None,
                   help="keyframe: lossless stream copy from the keyframe at or before start; "
                        "precise (default, or the default_cut_mode setting): starts on the exact frame, "
                        "re-encoding only the cut GOPs")
    c.add_argument("--format", help="mp4, mp3, wav, m4a (or aac), flac, gif (default: from -o, else mp4 "
                                    "for video and the source's kind for audio)")
    c.add_argument("--quality", help="4k, 1080p, 720p (high, medium); never upscales")
    c.add_argument("--captions", metavar="REF", help="a caption preset ref, e.g. builtin:short-form-karaoke")
    c.add_argument("--json", action="store_true", help="print one JSON object per finished job (with its "
                                                         "clip_id and saved_to_library)")
    c.add_argument("--auto", action="store_true",
                   help="find the moments worth a clip (offline AI: --query, or general highlights) and make a "
                        "clip of each, in one job (no GIF; each at most 10 minutes)")
    moment_args(c)
    c.set_defaults(func=cmd_clip)


def _clip_request(args):
    from engine import ClipRequest, InvalidRequest, Segment, canonical_format

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


def _marked(lib, media, req):
    """``req`` with the segments marked on ``media`` as its segments, and their labels as the
    outputs' names (a joined clip keeps the default name)."""
    import dataclasses

    from engine import InvalidRequest, Segment

    marked = lib.get_edit_state(media.file_id).segments
    if not marked:
        raise InvalidRequest(f"no segments are marked on {media.filename} ({media.file_id}); mark some in the "
                             "editor or with `fastclip segments SOURCE --set S-E`", field="marked")
    segments = tuple(Segment(s.start, s.end) for s in marked)
    names = None if req.join and len(marked) > 1 else [s.label or None for s in marked]
    return dataclasses.replace(req, segments=segments), names


def cmd_clip(args) -> int:
    """The request runs as library jobs (one per output) in a worker process; without -o the
    outputs are library clips (in the clips folder, expiring unless pinned)."""
    if args.marked and (args.start is not None or args.end is not None or args.segment):
        from engine import InvalidRequest

        return reject(InvalidRequest("--marked exports the segments marked on the source; it cannot be "
                                     "combined with --start, --end or --segment", field="marked"))
    if args.auto:
        return cmd_auto(args)
    asked = [name for name in ("query", "count", "min_duration", "max_duration") if getattr(args, name) is not None]
    if asked:
        from engine import InvalidRequest

        flag = "--" + asked[0].replace("_", "-")
        return reject(InvalidRequest(f"{flag} is for --auto (the moments found in the source)", field=asked[0]))
    from engine import StartedWorker

    # First, while this process is clean (a fork of it is then the cheapest worker): the worker
    # imports PyAV and opens the source while this process opens the library and plans.
    early = getattr(args, "early", None) or StartedWorker.early(source=args.source)
    import dataclasses

    from engine import (
        FastClipError,
        Runner,  # noqa: F401  (the planner: imported while the worker still starts)
    )

    from .output import JobBar, run_and_report
    from .session import with_runner

    try:
        req = _clip_request(args)
    except FastClipError as e:
        early.close()
        return reject(e)

    def run(lib, runner) -> int:
        bar = JobBar()
        media = runner.resolve_source(args.source, on_event=bar.show)
        bar.clear()
        names = None
        request = dataclasses.replace(req, source=media.file_id)
        if args.marked:
            request, names = _marked(lib, media, request)
        jobs = runner.submit(request, args.out, names=names)
        runner.max_workers = max(1, min(lib.get_setting("workers"), len(jobs)))
        failed = run_and_report(runner, jobs, args.json)
        return EXIT_FAILED if failed else EXIT_OK

    # the worker ends by itself while this process finishes (wait=False)
    return with_runner(run, workers=1, adopt=[early], wait=False)


def cmd_auto(args) -> int:
    """`clip --auto`: one auto-clip job (POST /v1/clip/auto); its clips are library clips, or yours in
    the folder -o. ``--json`` prints the job with its ``clips``."""
    from engine import AutoClipRequest, InvalidRequest, StartedWorker

    given = [flag for flag, on in (("--start", args.start is not None), ("--end", args.end is not None),
                                   ("--segment", bool(args.segment)), ("--marked", args.marked),
                                   ("--join", args.join)) if on]
    if given:
        return reject(InvalidRequest(f"--auto finds its own ranges: it cannot be combined with {given[0]}",
                                     field="auto"))
    early = getattr(args, "early", None) or StartedWorker.early(source=args.source)
    from .session import with_runner

    request = AutoClipRequest(args.source, args.query, args.count, args.format, args.quality, args.mode,
                              args.captions, args.min_duration, args.max_duration)

    def run(lib, runner) -> int:
        from .analyze import moment_line
        from .output import run_and_report

        job = runner.submit_auto(request, args.out)
        if run_and_report(runner, [job], args.json, lines=False):
            return EXIT_FAILED
        r = lib.get_job(job.job_id).result or {}
        if not args.json:
            if not r.get("clips") and not r.get("failed_segments"):
                print("no moments found" + (" for that query" if r.get("query") else ""), file=sys.stderr)
            for c in r.get("clips", ()):
                print(f"{c['path']}  {moment_line(c)}")
        for f in r.get("failed_segments", ()):
            print(f"fastclip: the moment at {f['start']:.3f}-{f['end']:.3f} s failed: {f['error']['message']}",
                  file=sys.stderr)
        return EXIT_FAILED if r.get("failed_segments") else EXIT_OK

    return with_runner(run, workers=1, adopt=[early])

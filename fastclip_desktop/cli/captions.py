"""`fastclip captions`: burn captions into a whole video (no trimming), as a new MP4: a captions job.

The video is a file or an import's file_id (SOURCE), or a clip in the library (a clip_id as
SOURCE, or ``--clip CLIP_ID``), as the API's POST /v1/captions with ``file_id`` or ``clip_id``;
the same rules apply both ways (a captioned clip cannot be captioned again). The job runs in the
one job runner, so it is in `fastclip jobs`, and its result is a new captioned library clip of
the same import: without -o it is written into the clips folder and expires like any library
clip. The source is never changed. ``--json`` prints the job as GET /v1/captions/{job_id} shows it.
"""

from __future__ import annotations

from .common import EXIT_FAILED, EXIT_OK, reject


def register(sub) -> None:
    c = sub.add_parser(
        "captions", help="burn captions into a whole video",
        description="Transcribe a video (or reuse its cached transcript) and burn its words into the "
                    "picture with a caption preset. The source is not changed; a new MP4 is written.")
    c.add_argument("source", metavar="SOURCE", nargs="?",
                   help="a video file with speech, an import's file_id, or a library clip's clip_id (or --clip)")
    c.add_argument("--clip", metavar="CLIP_ID", dest="clip_id",
                   help="caption a clip from the library (an MP4 not captioned yet); the result is a new clip")
    c.add_argument("--preset", required=True, metavar="REF",
                   help="a caption preset ref, e.g. builtin:short-form-karaoke")
    c.add_argument("--quality", help="4k, 1080p, 720p (high, medium); never upscales")
    c.add_argument("-o", "--out", metavar="OUT",
                   help="output .mp4 file or folder (default: a library clip named after the source "
                        "+ _captioned.mp4, in the clips folder; with -o the file is yours)")
    c.add_argument("--json", action="store_true", help="print the finished job as one JSON object")
    c.set_defaults(func=cmd_captions)


def cmd_captions(args) -> int:
    from engine import (
        CaptionsRequest,
        InvalidRequest,
        NotFound,
        StartedWorker,
        source_kind,
    )

    from .output import run_and_report
    from .session import with_runner

    if (args.source is None) == (args.clip_id is None):
        why = "not both" if args.source is not None else "one of them is required"
        return reject(InvalidRequest(f"give a video (SOURCE) or --clip CLIP_ID: {why}", field="source"))
    if args.clip_id is not None and source_kind(args.clip_id) != "clip_id":
        return reject(NotFound(f"there is no clip {args.clip_id!r} in the library", field="clip_id"))
    request = CaptionsRequest(args.source or args.clip_id, args.preset, args.quality)
    early = getattr(args, "early", None) or StartedWorker.early(source=args.source)

    def run(lib, runner) -> int:
        job = runner.submit_captions(request, args.out)
        return EXIT_FAILED if run_and_report(runner, [job], args.json) else EXIT_OK

    return with_runner(run, workers=1, adopt=[early])

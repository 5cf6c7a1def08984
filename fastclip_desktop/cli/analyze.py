"""`fastclip analyze`: the moments of a file worth a clip, found offline; nothing is rendered.

With ``--query`` the passages that mean what it says (by meaning, not shared words); without, the
general highlights. It is an analyze job of the one job runner (so it is in `fastclip jobs`), its
transcript made first when it is not cached. An analysis asked before (same source, query and
options) is not run again: its moments are printed at once. ``--json`` prints the API's
``{"segments": [...]}`` (POST /v1/clip/analyze), each segment with ``reasons`` beside the API's fields.
`fastclip clip SOURCE --auto` makes a clip of each moment.
"""

from __future__ import annotations

import sys

from .common import EXIT_FAILED, EXIT_OK


def register(sub) -> None:
    p = sub.add_parser("analyze", help="find the moments worth a clip (offline AI; renders nothing)",
                       description="Rank a file's passages by a query's meaning, or as general highlights, "
                                   "from its transcript (made first if it is not cached) and its audio.")
    p.add_argument("source", metavar="SOURCE", help="a media file, or a library file_id / clip_id")
    moment_args(p)
    p.add_argument("--json", action="store_true", help='print {"segments": [...]} as the API does')
    p.set_defaults(func=cmd_analyze)


def moment_args(p) -> None:
    """The options analyze and `clip --auto` share."""
    p.add_argument("--query", metavar="Q", help="what to look for, in your own words (at most 500 characters); "
                                                "default: general highlights")
    p.add_argument("--count", metavar="N", help="at most this many moments (default 5; fewer when fewer fit)")
    p.add_argument("--min-duration", metavar="S", help="shortest moment, in seconds (default 15)")
    p.add_argument("--max-duration", metavar="S", help="longest moment, in seconds (default 60; at most 600)")


def cmd_analyze(args) -> int:
    from engine import AnalyzeRequest, StartedWorker

    early = getattr(args, "early", None) or StartedWorker.early(source=args.source)
    from .session import with_runner

    request = AnalyzeRequest(args.source, args.query, args.count, args.min_duration, args.max_duration)
    return with_runner(lambda lib, runner: _analyze(lib, runner, request, args.json), workers=1, adopt=[early])


def _analyze(lib, runner, request, as_json: bool) -> int:
    from .output import emit, run_and_report

    job = runner.submit_analyze(request, reuse=True)
    if run_and_report(runner, [job], False, lines=False):
        return EXIT_FAILED
    from engine import job_json

    shown = job_json(lib.get_job(job.job_id))
    segments = shown.get("segments", [])
    if as_json:
        emit({"segments": segments, "job_id": shown["job_id"], "file_id": shown["file_id"],
              "query": shown.get("query")})
        return EXIT_OK
    if not segments:
        print("no moments found" + (" for that query" if shown.get("query") else ""), file=sys.stderr)
    for s in segments:
        print(moment_line(s))
    return EXIT_OK


def moment_line(s: dict) -> str:
    """A moment in one line: when, how sure, what is said, why."""
    from engine import clock_text

    why = f"  ({', '.join(s['reasons'])})" if s.get("reasons") else ""
    return f"{clock_text(s['start'], 1)}–{clock_text(s['end'], 1)}  {s['confidence']:.2f}  {s['excerpt']}{why}"


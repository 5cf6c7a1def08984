"""`fastclip jobs`: every job of the one runner (imports, clips, captions, transcripts, analyses,
auto-clips): list,
show (as the API shows it), cancel, retry, run what is pending."""

from __future__ import annotations

import sys

from .common import EXIT_FAILED, EXIT_OK
from .output import done, emit, job_json, run_and_report, show
from .session import with_library, with_runner
from .sources import page_args


def register(sub) -> None:
    j = sub.add_parser("jobs", help="the job queue").add_subparsers(dest="jobs_command", required=True,
                                                                     metavar="ACTION")
    ls = j.add_parser("list", help="jobs, newest first")
    ls.add_argument("--status", help="pending, downloading, processing, uploading, complete or failed")
    ls.add_argument("--kind", choices=("clip", "import", "captions", "transcript", "analyze", "auto"),
                    help="only jobs of this kind")
    page_args(ls)
    ls.set_defaults(func=cmd_jobs_list)
    for name, func, help_ in (("show", cmd_jobs_show, "one job"),
                              ("cancel", cmd_jobs_cancel, "cancel a pending or running job"),
                              ("retry", cmd_jobs_retry, "queue a failed job again and run it")):
        p = j.add_parser(name, help=help_)
        p.add_argument("job_id", metavar="ID")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
    p = j.add_parser("run", help="run every pending job (e.g. left by a stopped app)")
    p.add_argument("--workers", type=int, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jobs_run)


def cmd_jobs_list(args) -> int:
    def run(lib):
        items = lib.list_jobs(args.status, args.offset, args.limit, kind=args.kind)
        if args.json:
            emit({"data": [job_json(j) for j in items], "offset": args.offset, "limit": args.limit})
            return EXIT_OK
        for j in items:
            what = j.error["message"] if j.error else j.status_message
            where = f"  [{j.worker_address}]" if j.worker_address else ""  # a cluster worker ran it
            print(f"{j.job_id}  {j.kind:<10} {j.status:<11} {j.progress:3d}%  {what}{where}")
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_jobs_show(args) -> int:
    return with_library(lambda lib: show(job_json(lib.get_job(args.job_id)), args.json), sweep=False)


def cmd_jobs_cancel(args) -> int:
    def run(lib):
        j = lib.cancel_job(args.job_id)
        return done(job_json(j), args.json, f"cancelled {j.job_id}")

    return with_library(run, sweep=False)


def cmd_jobs_retry(args) -> int:
    def run(lib, runner):
        job = lib.retry_job(args.job_id)
        return EXIT_FAILED if run_and_report(runner, [job], args.json) else EXIT_OK

    return with_runner(run, cap=1)


def cmd_jobs_run(args) -> int:
    def run(lib, runner):
        from engine import KINDS

        pending = []
        offset = 0
        while batch := lib.list_jobs("pending", offset, 100):
            pending += [j for j in batch if j.kind in KINDS]
            offset += 100
        if not pending:
            print("no pending jobs", file=sys.stderr)
            return EXIT_OK
        pending.reverse()  # oldest first, as they run
        return EXIT_FAILED if run_and_report(runner, pending, args.json) else EXIT_OK

    return with_runner(run, workers=args.workers)

"""`fastclip import` and `fastclip media`: files recorded in the library (they stay where they are)."""

from __future__ import annotations

import os
import sys

from .common import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, reject
from .output import JobBar, describe_media, done, emit, media_json, run_and_report, show
from .session import with_library, with_runner
from .sources import find_media, page_args, parse_range


def register(sub) -> None:
    i = sub.add_parser("import", help="import media files into the library (probed in a worker)",
                       description="Record files in the library (they stay where they are). The same file "
                                   "imported again returns its existing record.")
    i.add_argument("paths", metavar="PATH", nargs="+")
    i.add_argument("--clip", metavar="S-E", help="also make a library clip of S-E seconds once imported")
    i.add_argument("--json", action="store_true", help="print one JSON object per file (and per clip job)")
    i.set_defaults(func=cmd_import)

    m = sub.add_parser("media", help="list, show or forget imports").add_subparsers(
        dest="media_command", required=True, metavar="ACTION")
    ls = m.add_parser("list", help="imports, newest first")
    page_args(ls)
    ls.set_defaults(func=cmd_media_list)
    for name, func, help_ in (("show", cmd_media_show, "one import"),
                              ("delete", cmd_media_delete, "forget an import (the file is never touched)")):
        p = m.add_parser(name, help=help_)
        p.add_argument("source", metavar="FILE_ID|PATH")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)


def cmd_import(args) -> int:
    from engine import FastClipError

    clip = None
    if args.clip:
        try:
            clip = parse_range(args.clip, "clip")
        except FastClipError as e:
            return reject(e)
    return with_runner(lambda lib, runner: _import(lib, runner, args, clip), cap=len(args.paths))


def _import(lib, runner, args, clip) -> int:
    from engine import ClipRequest, FastClipError

    bar = JobBar()
    results = runner.import_paths(args.paths, on_event=bar.show, clip_requested=clip is not None)
    bar.clear()
    code = EXIT_OK
    clip_jobs = []
    for path, m in zip(args.paths, results):
        if isinstance(m, FastClipError):
            code = EXIT_REJECTED
            if args.json:
                emit({"path": os.path.abspath(path), "status": "rejected", "error": m.to_dict()})
            reject(m)
            continue
        if m.status == "ready" and clip is not None:
            try:
                jobs = runner.submit(ClipRequest(m.file_id, start=clip[0], end=clip[1], mode=None))
            except FastClipError as e:
                code = EXIT_REJECTED
                reject(e)
            else:
                m = lib.set_media_clip_job(m.file_id, jobs[0].job_id)
                clip_jobs += jobs
        if m.status != "ready" and code == EXIT_OK:
            code = EXIT_FAILED
        if args.json:
            emit(media_json(m))
        elif m.status == "ready":
            print(f"{m.file_id}  ready   {m.filename}  ({describe_media(m)})", flush=True)
        else:
            print(f"{m.file_id}  {m.status:<7} {m.filename}: {m.error}", flush=True)
        if m.status != "ready":
            print(f"fastclip: import of {m.filename} failed: {m.error}", file=sys.stderr)
    if clip_jobs:
        failed = run_and_report(runner, clip_jobs, args.json)
        if failed and code == EXIT_OK:
            code = EXIT_FAILED
    return code


def cmd_media_list(args) -> int:
    def run(lib):
        items = lib.list_media(args.offset, args.limit)
        if args.json:
            emit({"data": [media_json(m) for m in items], "offset": args.offset, "limit": args.limit,
                  "total": lib.count_media()})
            return EXIT_OK
        for m in items:
            detail = describe_media(m) if m.status == "ready" else (m.error or "")
            print(f"{m.file_id}  {m.status:<10} {m.filename}  {detail}")
        return EXIT_OK

    return with_library(run)


def cmd_media_show(args) -> int:
    return with_library(lambda lib: show(media_json(find_media(lib, args.source)), args.json))


def cmd_media_delete(args) -> int:
    def run(lib):
        m = lib.delete_media(find_media(lib, args.source).file_id)
        return done(media_json(m), args.json, f"forgot {m.file_id} ({m.filename}); the file was not touched")

    return with_library(run)

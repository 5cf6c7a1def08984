"""`fastclip import | media | clips | config | jobs`: the local library from the command line.

A rejected request or a missing/expired thing exits 2 with one line naming it
(``fastclip: not_found [clip_id]: ...``); a job or import that ran and failed exits 1.
Engine imports happen inside the commands, so start-up stays lean. The helpers at the end
(``open_library``, ``with_runner``, ``flush_webhooks``) are shared with `clip` and `batch`;
how jobs and records are printed is ``job_output``'s.
"""

from __future__ import annotations

import json
import os
import sys

from .common import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, reject
from .job_output import (
    JobBar,
    describe_clip,
    describe_media,
    done,
    emit,
    media_json,
    run_and_report,
    show,
    stdout_closed,
)


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
    _page_args(ls)
    ls.set_defaults(func=cmd_media_list)
    for name, func, help_ in (("show", cmd_media_show, "one import"),
                              ("delete", cmd_media_delete, "forget an import (the file is never touched)")):
        p = m.add_parser(name, help=help_)
        p.add_argument("source", metavar="FILE_ID|PATH")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)

    c = sub.add_parser("clips", help="the clips the library made").add_subparsers(
        dest="clips_command", required=True, metavar="ACTION")
    ls = c.add_parser("list", help="clips, newest first")
    ls.add_argument("--source", metavar="FILE_ID|PATH", help="only the clips made from this import")
    ls.add_argument("--all", action="store_true", help="include expired clips")
    _page_args(ls)
    ls.set_defaults(func=cmd_clips_list)
    for name, func, help_ in (("show", cmd_clips_show, "one clip"), ("pin", cmd_clips_pin, "keep a clip for good"),
                              ("unpin", cmd_clips_unpin, "let a library clip expire again"),
                              ("delete", cmd_clips_delete, "forget a clip; a library clip's file is deleted")):
        p = c.add_parser(name, help=help_)
        p.add_argument("clip_id", metavar="ID")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
    p = c.add_parser("rename", help="give a clip a title (at most 200 characters)")
    p.add_argument("clip_id", metavar="ID")
    p.add_argument("title", metavar="TITLE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_rename)
    p = c.add_parser("bulk-delete", help="delete up to 50 clips")
    p.add_argument("clip_ids", metavar="ID", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_bulk_delete)
    p = c.add_parser("export", help="copy a clip's file to a place of yours")
    p.add_argument("clip_id", metavar="ID")
    p.add_argument("-o", "--out", required=True, metavar="PATH", help="a file, or a folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_export)

    g = sub.add_parser("config", help="settings (clip_ttl_hours, workers, ...)").add_subparsers(
        dest="config_command", required=True, metavar="ACTION")
    p = g.add_parser("list", help="every setting, its value and default")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_list)
    p = g.add_parser("get", help="one setting's value")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_get)
    p = g.add_parser("set", help="change a setting")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_set)
    p = g.add_parser("reset", help="back to the default")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_reset)

    j = sub.add_parser("jobs", help="the job queue").add_subparsers(dest="jobs_command", required=True,
                                                                     metavar="ACTION")
    ls = j.add_parser("list", help="jobs, newest first")
    ls.add_argument("--status", help="pending, downloading, processing, uploading, complete or failed")
    ls.add_argument("--kind", help="clip or import")
    _page_args(ls)
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


def _page_args(p) -> None:
    p.add_argument("--offset", type=int, default=0, metavar="N")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="1 to 100 (default 20)")
    p.add_argument("--json", action="store_true")


# -- import ----------------------------------------------------------------------------------------


def cmd_import(args) -> int:
    from engine.errors import FastClipError

    clip = None
    if args.clip:
        try:
            clip = parse_range(args.clip, "clip")
        except FastClipError as e:
            return reject(e)
    return with_runner(lambda lib, runner: _import(lib, runner, args, clip), cap=len(args.paths))


def _import(lib, runner, args, clip) -> int:
    from engine.cut.request import ClipRequest
    from engine.errors import FastClipError

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


# -- media -----------------------------------------------------------------------------------------


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

    return _with_library(run)


def cmd_media_show(args) -> int:
    return _with_library(lambda lib: show(media_json(find_media(lib, args.source)), args.json))


def cmd_media_delete(args) -> int:
    def run(lib):
        m = lib.delete_media(find_media(lib, args.source).file_id)
        return done(media_json(m), args.json, f"forgot {m.file_id} ({m.filename}); the file was not touched")

    return _with_library(run)


def find_media(lib, source: str):
    """The import a FILE_ID or PATH names (a path must have been imported as it is now)."""
    from engine.errors import NotFound
    from engine.jobs.runner import source_kind

    if source_kind(source) == "file_id":
        return lib.get_media(source)
    media = lib.find_media(source) if os.path.exists(source) else None
    if media is None:
        raise NotFound(f"{source} is not in the library (import it first)", field="source")
    return media


# -- clips -----------------------------------------------------------------------------------------


def cmd_clips_list(args) -> int:
    def run(lib):
        source = find_media(lib, args.source).file_id if args.source else None
        items = lib.list_clips(source, args.offset, args.limit, include_expired=args.all)
        if args.json:
            emit({"data": [c.to_dict() for c in items], "offset": args.offset, "limit": args.limit,
                  "total": lib.count_clips(source, include_expired=args.all)})
            return EXIT_OK
        for c in items:
            print(f"{c.clip_id}  {describe_clip(c)}  {c.title}")
        return EXIT_OK

    return _with_library(run)


def cmd_clips_show(args) -> int:
    return _with_library(lambda lib: show(lib.get_clip(args.clip_id).to_dict(), args.json))


def cmd_clips_rename(args) -> int:
    return _with_library(lambda lib: _clip_done(lib.rename_clip(args.clip_id, args.title), args.json, "renamed"))


def cmd_clips_pin(args) -> int:
    return _with_library(lambda lib: _clip_done(lib.pin_clip(args.clip_id), args.json, "pinned"))


def cmd_clips_unpin(args) -> int:
    return _with_library(lambda lib: _clip_done(lib.unpin_clip(args.clip_id), args.json, "unpinned"))


def cmd_clips_delete(args) -> int:
    return _with_library(lambda lib: _clip_done(lib.delete_clip(args.clip_id), args.json, "deleted"))


def cmd_clips_bulk_delete(args) -> int:
    def run(lib):
        r = lib.bulk_delete_clips(args.clip_ids)
        if args.json:
            emit({"deleted": list(r.deleted), "not_found": list(r.not_found)})
        else:
            missing = f"; not found: {', '.join(r.not_found)}" if r.not_found else ""
            print(f"deleted {len(r.deleted)} clip(s){missing}")
        return EXIT_OK

    return _with_library(run)


def cmd_clips_export(args) -> int:
    def run(lib):
        clip = lib.get_clip(args.clip_id)
        dest = lib.export_clip_copy(args.clip_id, args.out)
        return done({**clip.to_dict(), "exported_to": str(dest)}, args.json, str(dest))

    return _with_library(run)


def _clip_done(clip, as_json: bool, verb: str) -> int:
    return done(clip.to_dict(), as_json, f"{verb} {clip.clip_id}  {describe_clip(clip)}  {clip.title}")


# -- config ----------------------------------------------------------------------------------------


def cmd_config_list(args) -> int:
    def run(lib):
        values = lib.list_settings()
        if args.json:
            emit({v.key: v.value for v in values})
            return EXIT_OK
        for v in values:
            mark = "" if v.is_default else "  (default " + _value_text(v.default) + ")"
            print(f"{v.key} = {_value_text(v.value)}{mark}    # {v.description}")
        return EXIT_OK

    return _with_library(run, sweep=False)


def cmd_config_get(args) -> int:
    def run(lib):
        value = lib.get_setting(args.key)
        print(json.dumps({args.key: value}) if args.json else _value_text(value))
        return EXIT_OK

    return _with_library(run, sweep=False)


def cmd_config_set(args) -> int:
    def run(lib):
        v = lib.set_setting(args.key, args.value)
        print(json.dumps({v.key: v.value}) if args.json else f"{v.key} = {_value_text(v.value)}")
        return EXIT_OK

    return _with_library(run, sweep=False)


def cmd_config_reset(args) -> int:
    def run(lib):
        v = lib.reset_setting(args.key)
        print(json.dumps({v.key: v.value}) if args.json else f"{v.key} = {_value_text(v.value)} (default)")
        return EXIT_OK

    return _with_library(run, sweep=False)


def _value_text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else (json.dumps(v) if isinstance(v, str) and not v else str(v))


# -- jobs ------------------------------------------------------------------------------------------


def cmd_jobs_list(args) -> int:
    def run(lib):
        items = lib.list_jobs(args.status, args.offset, args.limit, kind=args.kind)
        if args.json:
            emit({"data": [j.to_dict() for j in items], "offset": args.offset, "limit": args.limit})
            return EXIT_OK
        for j in items:
            what = j.error["message"] if j.error else j.status_message
            print(f"{j.job_id}  {j.kind:<7} {j.status:<11} {j.progress:3d}%  {what}")
        return EXIT_OK

    return _with_library(run, sweep=False)


def cmd_jobs_show(args) -> int:
    return _with_library(lambda lib: show(lib.get_job(args.job_id).to_dict(), args.json), sweep=False)


def cmd_jobs_cancel(args) -> int:
    def run(lib):
        j = lib.cancel_job(args.job_id)
        return done(j.to_dict(), args.json, f"cancelled {j.job_id}")

    return _with_library(run, sweep=False)


def cmd_jobs_retry(args) -> int:
    def run(lib, runner):
        job = lib.retry_job(args.job_id)
        return EXIT_FAILED if run_and_report(runner, [job], args.json) else EXIT_OK

    return with_runner(run, cap=1)


def cmd_jobs_run(args) -> int:
    def run(lib, runner):
        from engine.jobs.runner import KINDS

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


# -- shared by the commands that use the library ---------------------------------------------------


def open_library(*, sweep: bool = True):
    """The library in the data dir; with ``sweep`` expired clips are swept first (start-up)."""
    from engine.library import Library

    lib = Library()
    if sweep:
        try:
            for clip in lib.sweep_expired():
                lib.queue_event("clip.expired", clip.to_dict())  # engine.jobs.runner.clip_payload
        except BaseException:
            lib.close()
            raise
    return lib


def _with_library(run, *, sweep: bool = True) -> int:
    from engine.errors import FastClipError

    try:
        lib = open_library(sweep=sweep)
    except FastClipError as e:
        return reject(e)
    try:
        return run(lib)
    except FastClipError as e:
        return reject(e)
    except BrokenPipeError:
        return stdout_closed()
    finally:
        flush_webhooks(lib)
        lib.close()


def with_runner(run, *, workers: int | None = None, cap: int | None = None, adopt=(), wait: bool = True) -> int:
    """``run(lib, runner)`` with a job runner of ``workers`` workers (default: the setting, at most
    ``cap``), adopting the workers started early in ``adopt``; engine errors become the exit code and
    sentence, Ctrl+C cancels what runs. ``wait=False``: idle workers end by themselves as we exit."""
    from engine.errors import FastClipError
    from engine.jobs.runner import Runner

    try:
        lib = open_library(sweep=False)  # the runner sweeps
    except FastClipError as e:
        for worker in adopt:
            worker.close()
        return reject(e)
    runner = None
    try:
        n = workers or max(1, min(lib.get_setting("workers"), cap or 64))
        runner = Runner(lib, workers=n, adopt=adopt)
        return run(lib, runner)
    except FastClipError as e:
        return reject(e)
    except BrokenPipeError:
        return stdout_closed()
    except KeyboardInterrupt:
        if runner is not None:
            runner.close(cancel_running=True)
        raise
    finally:
        if runner is not None:
            runner.close(wait=wait)
        flush_webhooks(lib)
        lib.close()


def flush_webhooks(lib, timeout_s: float = 5.0) -> None:
    """Send the webhook deliveries that are due, for a bounded time, before the command exits."""
    try:
        if not lib.due_deliveries(limit=1):
            return
        from engine.library.deliveries import flush_deliveries
    except Exception:  # no deliveries module (yet), or the library is unreadable: nothing to send
        return
    try:
        flush_deliveries(lib, timeout_s)
    except Exception:
        pass  # what was not sent stays queued for the next run


def parse_range(text: str, field: str) -> tuple[str, str]:
    """``S-E`` seconds as two strings (validated later with the source)."""
    from engine.errors import InvalidRequest

    start, sep, end = text.partition("-")
    if not sep or not start.strip() or not end.strip():
        raise InvalidRequest(f"--{field} must look like START-END in seconds, not {text!r}", field=field)
    return start.strip(), end.strip()

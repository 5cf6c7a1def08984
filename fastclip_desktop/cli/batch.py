"""`fastclip batch FILE`: many clip requests from a JSON or CSV file, run by the job runner.

JSON: a list of objects shaped like the API's POST /v1/clip body, with ``source`` (a path or a
file_id) instead of ``file_id``, and optional ``mode`` and ``out`` (see ``batch_file``)::

    [{"source": "talk.mp4", "start": 15, "end": 55, "format": "mp4", "quality": "720p"},
     {"source": "upl_0123456789ab", "segments": [{"start": 1, "end": 4}], "out": "clips/"}]

CSV: a header row naming columns among source,start,end,format,quality,mode,captions,out
(empty cells are left out). Relative paths (sources and outputs) are relative to the batch
file's folder. Without ``out`` an entry makes library clips.

A row's ``kind`` (default clip) may also be ``captions`` (the whole video captioned with the
``captions`` preset) or ``transcript`` (into the transcript cache; ``model``, ``language``).

Running the same batch again skips the outputs already made (same source, same fields, same
``out``: the request's fingerprint), waits for or adopts those still queued, and retries the
failed ones. Exit 0 only when every entry completed; 1 when any failed; 2 when the file
itself is rejected.

With ``--scheduler`` the jobs run as Dask tasks on a cluster (``batch_cluster``); this module
reads and plans the batch and prints its summary either way.
"""

from __future__ import annotations

import sys

from .batch_file import CSV_FIELDS, read_batch
from .batch_progress import BatchProgress
from .batch_summary import report
from .common import reject


def register(sub) -> None:
    b = sub.add_parser("batch", help="run many clip requests from a JSON or CSV file",
                       description="Run the clip requests of a JSON list (the API's POST /v1/clip body with "
                                   "`source` for `file_id`, plus optional `mode` and `out`) or a CSV with columns "
                                   f"{','.join(CSV_FIELDS)}. Running it again skips what is done and retries "
                                   "what failed.")
    b.add_argument("file", metavar="FILE", help="a .json or .csv file")
    b.add_argument("--workers", type=int, metavar="N", help="jobs at the same time (default: the workers setting; "
                                                              "with --scheduler: the local imports)")
    b.add_argument("--json", action="store_true", help="one JSON object per entry's job on stdout")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the jobs as Dask tasks on a cluster: tcp://HOST:PORT of a `dask scheduler`, or local:N "
                        "for N worker processes on this machine (pip install 'fastclip-desktop[cluster]')")
    b.add_argument("--path-map", metavar="LOCAL=REMOTE", action="append", default=[],
                   help="with --scheduler: what this machine calls LOCAL the workers call REMOTE, e.g. "
                        "/mnt/nas=/Volumes/nas (repeatable; without one, paths are the same everywhere)")
    b.set_defaults(func=cmd_batch)


# -- running it ------------------------------------------------------------------------------------


def cmd_batch(args) -> int:
    from engine import FastClipError

    from .session import with_runner

    try:
        entries = read_batch(args.file)
    except FastClipError as e:
        return reject(e)
    if args.workers is not None and args.workers < 1:
        from engine import InvalidRequest

        return reject(InvalidRequest("--workers must be 1 or more", field="workers"))
    if args.scheduler:
        from .batch_cluster import run_on_cluster

        return run_on_cluster(args, entries)
    if args.path_map:
        from engine import InvalidRequest

        return reject(InvalidRequest("--path-map says how a cluster's workers name paths: give --scheduler too",
                                     field="path_map"))
    return with_runner(lambda lib, runner: _run(lib, runner, entries, args), workers=args.workers)


class _Entry:
    def __init__(self, i: int, spec: dict):
        self.i = i
        self.spec = spec
        self.jobs: list = []
        self.skipped: set[str] = set()  # job_ids complete before this run
        self.error = None  # a FastClipError that stopped it before it had jobs


def _run(lib, runner, specs: list[dict], args) -> int:
    view = BatchProgress(sys.stderr, len(specs))
    entries = plan(lib, runner, specs, view)
    to_run = jobs_to_run(entries)
    view.start(entries)
    if to_run:
        runner.run_until_idle(view.job, to_run)
    view.clear()
    return report(lib, entries, args)


def plan(lib, runner, specs: list[dict], view) -> list[_Entry]:
    """The batch's entries, each with its jobs (queued, or found done, queued or failed by an
    earlier run) or the error that stopped it; new source files imported first."""
    from engine import FastClipError, source_kind

    entries = [_Entry(i, s) for i, s in enumerate(specs)]

    # 1. sources: every new path is imported once (in parallel), file_ids and clip_ids checked
    paths = list(dict.fromkeys(e.spec["source"] for e in entries if source_kind(e.spec["source"]) == "path"))
    imported = {}
    if paths:
        view.note(f"importing {len(paths)} source file(s)")
        for p, m in zip(paths, runner.import_paths(paths, on_event=view.job)):
            imported[p] = m
    media = {}
    for e in entries:
        src = e.spec["source"]
        try:
            if src not in media:
                if src in imported:
                    m = imported[src]
                    if isinstance(m, FastClipError):
                        raise m
                    if m.status == "failed":
                        raise runner.import_error(m)
                    media[src] = lib.check_source(m.file_id)
                else:
                    media[src] = runner.resolve_source(src)
        except FastClipError as err:
            media[src] = err
        if isinstance(media[src], FastClipError):
            e.error = media[src]

    # 2. requests: validated, planned, queued (or found done, queued or failed by an earlier run)
    taken: set = set()
    for e in entries:
        if e.error is not None:
            continue
        try:
            e.jobs = _submit(runner, e.spec, media[e.spec["source"]], taken)
        except FastClipError as err:
            e.error = err
            continue
        e.skipped = {j.job_id for j in e.jobs if j.status == "complete"}
    return entries


def _submit(runner, s: dict, media, taken: set) -> list:
    """The jobs of one entry, by its kind (reusing those an earlier run of the batch made)."""
    from engine import CaptionsRequest, ClipRequest, Segment, source_kind

    kind = s.get("kind") or "clip"
    if kind == "captions":  # a library clip is captioned itself; a file whole
        source = s["source"] if source_kind(s["source"]) == "clip_id" else media.file_id
        return [runner.submit_captions(CaptionsRequest(source, s["captions"], s.get("quality")), s.get("out"),
                                       reuse=True)]
    if kind == "transcript":
        return [runner.submit_transcript(media.file_id, model_path=s.get("model"), language=s.get("language"),
                                         reuse=True)]
    segments = s.get("segments")
    req = ClipRequest(media.file_id, start=s.get("start"), end=s.get("end"),
                      segments=None if segments is None else tuple(Segment(a, b) for a, b in segments),
                      format=s.get("format"), quality=s.get("quality"), mode=s.get("mode"),
                      captions=s.get("captions"), join=bool(s.get("join")))
    return runner.submit(req, s.get("out"), reuse=True, taken=taken)


def jobs_to_run(entries) -> list[str]:
    """The jobs of the entries not complete before this run, each once."""
    return list(dict.fromkeys(j.job_id for e in entries for j in e.jobs if j.job_id not in e.skipped))

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

import os
import sys
import time

from .batch_file import CSV_FIELDS, read_batch
from .common import EXIT_FAILED, EXIT_OK, reject
from .progress_bar import bar, times_text


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


def report(lib, entries, args, where: dict | None = None) -> int:
    """The entries' final rows: JSON lines with --json, the summary table; the exit code.
    ``where``: job_id -> the cluster worker that ran it (a column of the table)."""
    final = {}
    for e in entries:
        e.jobs = [final.setdefault(j.job_id, lib.get_job(j.job_id)) for j in e.jobs]
    if args.json:
        from .output import emit, job_json

        for e in entries:
            if e.error is not None:
                emit({"entry": e.i, "source": e.spec["source"], "job_id": None, "status": "failed",
                      "error": e.error.to_dict()})
            for j in e.jobs:
                emit({"entry": e.i, "source": e.spec["source"], **job_json(j), "skipped": j.job_id in e.skipped})
    _summary(entries, sys.stderr if args.json else sys.stdout, where)
    ok = all(e.error is None and e.jobs and all(j.status == "complete" for j in e.jobs) for e in entries)
    return EXIT_OK if ok else EXIT_FAILED


def _entry_status(e) -> tuple[str, str]:
    from .output import job_path

    if e.error is not None:
        return "failed", f"{e.error.code}: {e.error.message}"
    failed = [j for j in e.jobs if j.status != "complete"]
    if failed:
        j = failed[0]
        return "failed", (j.error or {}).get("message") or f"still {j.status}"
    outs = ", ".join(os.path.basename(job_path(j) or "") or _what(j) for j in e.jobs)
    if e.jobs and all(j.job_id in e.skipped for j in e.jobs):
        return "skipped", f"done before: {outs}"
    return "complete", outs


def _what(job) -> str:
    """A job without an output file (a transcript), in a few words."""
    r = job.result or {}
    return f"transcript: {r.get('words', 0)} words, {r.get('language') or '?'}" if job.kind == "transcript" else "-"


def _range(s: dict) -> str:
    kind = s.get("kind") or "clip"
    if kind != "clip":
        return "whole" if kind == "captions" else "transcript"
    if s.get("segments"):
        return f"{len(s['segments'])} segment(s)" + (" joined" if s.get("join") else "")
    start, end = s.get("start"), s.get("end")
    return f"{0 if start is None else start}-{'end' if end is None else end}"


def _summary(entries, out, where: dict | None = None) -> None:
    head = ("#", "source", "range", "format", "status")
    rows = [(*head, *(("worker",) if where is not None else ()), "output or reason")]
    for e in entries:
        s = e.spec
        fmt = s.get("format") or ("mp4" if s.get("kind") == "captions" else "-")
        status, detail = _entry_status(e)
        worker = ()
        if where is not None:
            ran = [where[j.job_id] for j in e.jobs if j.job_id in where]
            worker = (", ".join(dict.fromkeys(_host(a) for a in ran)) or "-",)
        rows.append((str(e.i + 1), _short(os.path.basename(s["source"]), 28), _range(s), fmt, status, *worker,
                     detail))
    import shutil

    width = shutil.get_terminal_size((120, 20)).columns
    n = len(rows[0]) - 1
    widths = [max(len(r[k]) for r in rows) for k in range(n)]
    for r in rows:
        line = "  ".join(r[k].ljust(widths[k]) for k in range(n)) + "  " + r[n]
        print(line[:max(width, 60) - 1] if out.isatty() else line, file=out)
    counts = {}
    for e in entries:
        st = _entry_status(e)[0]
        counts[st] = counts.get(st, 0) + 1
    print(", ".join(f"{n} {st}" for st, n in sorted(counts.items())) + f" of {len(entries)}", file=out, flush=True)


def _host(address: str) -> str:
    """A worker's address without its scheme: 10.0.0.5:40123."""
    return address.split("://", 1)[-1]


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class BatchProgress:
    """On a terminal: a bar per running job and one for the whole batch (done, failed, running,
    the time left), redrawn in place. Otherwise: one plain line per job as it ends.
    ``where(job_id)``: the cluster worker running a job, or None (a local batch: no ``where``)."""

    def __init__(self, stream, total: int, where=None):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = total
        self.where = where
        self.running: dict[str, tuple[int, str]] = {}
        self.ended: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.entry_of: dict[str, int] = {}
        self.jobs_total = 0
        self.drawn = 0
        self.last = 0.0
        self.began = None  # when the jobs started running

    def note(self, text: str) -> None:
        """A line on a terminal only (what is being done)."""
        if self.tty:
            self.say(text)

    def say(self, text: str) -> None:
        """A line, terminal or not (something to know: a worker refused or lost)."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.tty and self.began is not None:
            self._draw()

    def start(self, entries) -> None:
        for e in entries:
            for j in e.jobs:
                self.entry_of[j.job_id] = e.i
                name = os.path.basename(j.request.get("out") or "")
                if j.kind == "transcript":
                    name = f"{os.path.basename(e.spec['source'])} (transcript)"
                self.names[j.job_id] = name or j.job_id
                if j.job_id in e.skipped:
                    self.ended[j.job_id] = "skipped"
        self.jobs_total = len(self.entry_of)
        self.began = time.monotonic()

    def job(self, u) -> None:
        if u.kind == "import":
            if u.ended and not self.tty:
                why = f": {u.error['message']}" if u.error else ""
                print(f"import {u.job_id} {u.status}{why}", file=self.stream, flush=True)
            return
        if u.ended:
            self.running.pop(u.job_id, None)
            self.ended[u.job_id] = u.status
            if not self.tty:
                name = self.names.get(u.job_id, u.job_id)
                why = f": {u.error['message']}" if u.error else ""
                print(f"[{len(self.ended)}/{self.jobs_total}] {u.job_id} {u.status}  {name}{self._on(u.job_id)}{why}",
                      file=self.stream, flush=True)
        elif u.status == "pending":  # queued again
            self.running.pop(u.job_id, None)
        else:
            self.running[u.job_id] = (u.progress, u.status_message)
        if self.tty and (u.ended or time.monotonic() - self.last >= 0.1):
            self._draw()

    def _on(self, job_id: str) -> str:
        address = self.where(job_id) if self.where is not None else None
        return f" on {address.split('://', 1)[-1]}" if address else ""

    def _draw(self) -> None:
        import shutil

        self.last = time.monotonic()
        width = max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        lines = []
        for job_id, (pct, msg) in list(self.running.items())[:8]:
            name = _short(self.names.get(job_id, job_id), 30)
            lines.append(f"  {name:<30} {bar(pct, 20)} {pct:3d}% {msg}{self._on(job_id)}"[:width])
        done = sum(1 for s in self.ended.values() if s in ("complete", "skipped"))
        failed = sum(1 for s in self.ended.values() if s == "failed")
        total = self.jobs_total or len(self.ended) + len(self.running)
        frac = 100 * (done + failed + sum(p for p, _ in self.running.values()) / 100) / max(1, total)
        times = times_text(time.monotonic() - (self.began or self.last), frac / 100)
        if self.where is None:
            running = f"{len(self.running)} running"
        else:  # sent to the cluster, and started on a worker or still waiting for one
            started = sum(1 for j in self.running if self.where(j))
            waiting = len(self.running) - started
            running = f"{started} running" + (f", {waiting} queued" if waiting else "")
        lines.append(f"batch {bar(int(frac), 30)} {done}/{total} done" + (f", {failed} failed" if failed else "")
                     + f", {running}  {times}")
        self._erase()
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self.drawn = len(lines)

    def _erase(self) -> None:
        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def clear(self) -> None:
        if self.tty:
            self._erase()
            self.stream.flush()

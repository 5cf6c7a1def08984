"""The end of `fastclip batch`: each entry's final rows as JSON lines (``--json``), the summary
table (one row per entry: its source, range, format, status, the worker that ran it on a
cluster, its output or the reason it failed), the counts, and the exit code."""

from __future__ import annotations

import os
import sys

from .common import EXIT_FAILED, EXIT_OK


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
        rows.append((str(e.i + 1), short(os.path.basename(s["source"]), 28), _range(s), fmt, status, *worker,
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


def short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

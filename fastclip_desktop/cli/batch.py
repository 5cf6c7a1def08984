"""`fastclip batch FILE`: many clip requests from a JSON or CSV file, run by the job runner.

JSON: a list of objects shaped like the API's POST /v1/clip body, with ``source`` (a path or a
file_id) instead of ``file_id``, and optional ``mode`` and ``out``::

    [{"source": "talk.mp4", "start": 15, "end": 55, "format": "mp4", "quality": "720p"},
     {"source": "upl_0123456789ab", "segments": [{"start": 1, "end": 4}], "out": "clips/"}]

CSV: a header row naming columns among source,start,end,format,quality,mode,captions,out
(empty cells are left out). Relative paths (sources and outputs) are relative to the batch
file's folder. Without ``out`` an entry makes library clips.

Running the same batch again skips the outputs already made (same source, same fields, same
``out``: the request's fingerprint), waits for or adopts those still queued, and retries the
failed ones. Exit 0 only when every entry completed; 1 when any failed; 2 when the file
itself is rejected.
"""

from __future__ import annotations

import json
import os
import sys

from .common import EXIT_FAILED, EXIT_OK, reject

FIELDS = ("source", "start", "end", "segments", "format", "quality", "mode", "captions", "join", "out")
CSV_FIELDS = ("source", "start", "end", "format", "quality", "mode", "captions", "out")
MAX_ENTRIES = 10_000


def register(sub) -> None:
    b = sub.add_parser("batch", help="run many clip requests from a JSON or CSV file",
                       description="Run the clip requests of a JSON list (the API's POST /v1/clip body with "
                                   "`source` for `file_id`, plus optional `mode` and `out`) or a CSV with columns "
                                   f"{','.join(CSV_FIELDS)}. Running it again skips what is done and retries "
                                   "what failed.")
    b.add_argument("file", metavar="FILE", help="a .json or .csv file")
    b.add_argument("--workers", type=int, metavar="N", help="jobs at the same time (default: the workers setting)")
    b.add_argument("--json", action="store_true", help="one JSON object per entry's job on stdout")
    b.set_defaults(func=cmd_batch)


# -- reading the file ------------------------------------------------------------------------------


def read_batch(path: str) -> list[dict]:
    """The entries of a batch file, checked for shape (the rules are checked per entry later)."""
    from engine.errors import InvalidRequest, NotFound

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise NotFound(f"no such batch file: {path}", field="file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidRequest(f"cannot read the batch file {path}: {e}", field="file") from None
    is_json = path.lower().endswith(".json") or (not path.lower().endswith(".csv") and text.lstrip()[:1] == "[")
    entries = _json_entries(text) if is_json else _csv_entries(text)
    if not entries:
        raise InvalidRequest("the batch file has no requests", field="file")
    if len(entries) > MAX_ENTRIES:
        raise InvalidRequest(f"a batch file may hold at most {MAX_ENTRIES} requests ({len(entries)} given)",
                             field="file")
    base = os.path.dirname(os.path.abspath(path))
    outs: dict[str, int] = {}
    for i, e in enumerate(entries):
        e["source"] = _resolve(e["source"], base)
        if e.get("out"):
            trailing = e["out"].endswith(("/", os.sep))
            e["out"] = os.path.join(base, os.path.expanduser(e["out"])) + (os.sep if trailing else "")
            if not trailing and not os.path.isdir(e["out"]):
                if e["out"] in outs:
                    raise InvalidRequest(f"requests {outs[e['out']] + 1} and {i + 1} both write {e['out']}",
                                         field=f"[{i}].out")
                outs[e["out"]] = i
    return entries


def _resolve(source: str, base: str) -> str:
    from engine.jobs.runner import source_kind

    if source_kind(source) != "path":
        return source
    return os.path.join(base, os.path.expanduser(source))


def _json_entries(text: str) -> list[dict]:
    from engine.errors import InvalidRequest

    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidRequest(f"the batch file is not valid JSON: {e}", field="file") from None
    if not isinstance(data, list):
        raise InvalidRequest("a JSON batch file holds a list of clip requests", field="file")
    entries = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidRequest(f"request {i + 1} is not an object", field=f"[{i}]")
        item = dict(item)
        if "file_id" in item and "source" not in item:  # the API's own field name
            item["source"] = item.pop("file_id")
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise InvalidRequest(f"request {i + 1} has unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})",
                                 field=f"[{i}].{unknown[0]}")
        entries.append(_checked(item, i))
    return entries


def _csv_entries(text: str) -> list[dict]:
    import csv
    import io

    from engine.errors import InvalidRequest

    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "source" not in header:
        raise InvalidRequest(f"a CSV batch file starts with a header row naming its columns "
                             f"({','.join(CSV_FIELDS)})", field="file")
    unknown = [h for h in header if h not in CSV_FIELDS]
    if unknown:
        raise InvalidRequest(f"unknown CSV column {unknown[0]!r} (columns: {','.join(CSV_FIELDS)})", field="file")
    entries = []
    for i, row in enumerate(rows[1:]):
        if len(row) > len(header):
            raise InvalidRequest(f"row {i + 2} has more cells than the header", field=f"[{i}]")
        item = {h: c.strip() for h, c in zip(header, row) if c.strip()}
        entries.append(_checked(item, i))
    return entries


def _checked(item: dict, i: int) -> dict:
    from engine.errors import InvalidRequest

    def bad(field: str, what: str):
        return InvalidRequest(f"request {i + 1}: {field} must be {what}", field=f"[{i}].{field}")

    if not isinstance(item.get("source"), str) or not item["source"].strip():
        raise bad("source", "a path or a file_id")
    for key in ("start", "end"):
        v = item.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, str))):
            raise bad(key, "a number of seconds")
    for key in ("format", "quality", "mode", "captions", "out"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise bad(key, "text")
    if item.get("join") is not None and not isinstance(item["join"], bool):
        raise bad("join", "true or false")
    segments = item.get("segments")
    if segments is not None:
        if not isinstance(segments, list):
            raise bad("segments", "a list of {\"start\", \"end\"} objects")
        fixed = []
        for s in segments:
            if isinstance(s, dict) and set(s) <= {"start", "end"}:
                fixed.append((s.get("start"), s.get("end")))
            elif isinstance(s, (list, tuple)) and len(s) == 2:
                fixed.append(tuple(s))
            else:
                raise bad("segments", "a list of {\"start\", \"end\"} objects")
        item["segments"] = fixed
    return item


# -- running it ------------------------------------------------------------------------------------


def cmd_batch(args) -> int:
    from engine.errors import FastClipError

    from .library import with_runner

    try:
        entries = read_batch(args.file)
    except FastClipError as e:
        return reject(e)
    if args.workers is not None and args.workers < 1:
        from engine.errors import InvalidRequest

        return reject(InvalidRequest("--workers must be 1 or more", field="workers"))
    return with_runner(lambda lib, runner: _run(lib, runner, entries, args), workers=args.workers)


class _Entry:
    def __init__(self, i: int, spec: dict):
        self.i = i
        self.spec = spec
        self.jobs: list = []
        self.skipped: set[str] = set()  # job_ids complete before this run
        self.error = None  # a FastClipError that stopped it before it had jobs


def _run(lib, runner, specs: list[dict], args) -> int:
    from engine.cut.request import ClipRequest, Segment
    from engine.errors import FastClipError
    from engine.jobs.runner import source_kind

    entries = [_Entry(i, s) for i, s in enumerate(specs)]
    view = _Progress(sys.stderr, len(entries))

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
        s = e.spec
        segments = s.get("segments")
        req = ClipRequest(media[s["source"]].file_id, start=s.get("start"), end=s.get("end"),
                          segments=None if segments is None else tuple(Segment(a, b) for a, b in segments),
                          format=s.get("format"), quality=s.get("quality"), mode=s.get("mode"),
                          captions=s.get("captions"), join=bool(s.get("join")))
        try:
            e.jobs = runner.submit(req, s.get("out"), reuse=True, taken=taken)
        except FastClipError as err:
            e.error = err
            continue
        e.skipped = {j.job_id for j in e.jobs if j.status == "complete"}

    # 3. run what is queued
    to_run = list(dict.fromkeys(j.job_id for e in entries for j in e.jobs if j.job_id not in e.skipped))
    view.start(entries)
    if to_run:
        runner.run_until_idle(view.job, to_run)
    view.clear()

    # 4. report
    final = {}
    for e in entries:
        e.jobs = [final.setdefault(j.job_id, lib.get_job(j.job_id)) for j in e.jobs]
    if args.json:
        from .job_output import emit, job_json

        for e in entries:
            if e.error is not None:
                emit({"entry": e.i, "source": e.spec["source"], "job_id": None, "status": "failed",
                      "error": e.error.to_dict()})
            for j in e.jobs:
                emit({"entry": e.i, "source": e.spec["source"], **job_json(j), "skipped": j.job_id in e.skipped})
    _summary(entries, sys.stderr if args.json else sys.stdout)
    ok = all(e.error is None and e.jobs and all(j.status == "complete" for j in e.jobs) for e in entries)
    return EXIT_OK if ok else EXIT_FAILED


def _entry_status(e) -> tuple[str, str]:
    from .job_output import job_path

    if e.error is not None:
        return "failed", f"{e.error.code}: {e.error.message}"
    failed = [j for j in e.jobs if j.status != "complete"]
    if failed:
        j = failed[0]
        return "failed", (j.error or {}).get("message") or f"still {j.status}"
    outs = ", ".join(os.path.basename(job_path(j) or "") for j in e.jobs)
    if e.jobs and all(j.job_id in e.skipped for j in e.jobs):
        return "skipped", f"done before: {outs}"
    return "complete", outs


def _summary(entries, out) -> None:
    rows = [("#", "source", "range", "format", "status", "output or reason")]
    for e in entries:
        s = e.spec
        if s.get("segments"):
            rng = f"{len(s['segments'])} segment(s)" + (" joined" if s.get("join") else "")
        else:
            start, end = s.get("start"), s.get("end")
            rng = f"{0 if start is None else start}-{'end' if end is None else end}"
        status, detail = _entry_status(e)
        rows.append((str(e.i + 1), _short(os.path.basename(s["source"]), 28), rng, s.get("format") or "-", status,
                     detail))
    import shutil

    width = shutil.get_terminal_size((120, 20)).columns
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    for r in rows:
        line = "  ".join(r[k].ljust(widths[k]) for k in range(5)) + "  " + r[5]
        print(line[:max(width, 60) - 1] if out.isatty() else line, file=out)
    counts = {}
    for e in entries:
        st = _entry_status(e)[0]
        counts[st] = counts.get(st, 0) + 1
    print(", ".join(f"{n} {st}" for st, n in sorted(counts.items())) + f" of {len(entries)}", file=out, flush=True)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Progress:
    """On a terminal: a bar per running job and one for the whole batch, redrawn in place.
    Otherwise: one plain line per job as it ends."""

    def __init__(self, stream, total: int):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.total = total
        self.running: dict[str, tuple[int, str]] = {}
        self.ended: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.entry_of: dict[str, int] = {}
        self.jobs_total = 0
        self.drawn = 0
        self.last = 0.0

    def note(self, text: str) -> None:
        if self.tty:
            self.clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def start(self, entries) -> None:
        for e in entries:
            for j in e.jobs:
                self.entry_of[j.job_id] = e.i
                self.names[j.job_id] = os.path.basename(j.request.get("out") or "") or j.job_id
                if j.job_id in e.skipped:
                    self.ended[j.job_id] = "skipped"
        self.jobs_total = len(self.entry_of)

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
                print(f"[{len(self.ended)}/{self.jobs_total}] {u.job_id} {u.status}  {name}{why}", file=self.stream,
                      flush=True)
        else:
            self.running[u.job_id] = (u.progress, u.status_message)
        import time

        if self.tty and (u.ended or time.monotonic() - self.last >= 0.1):
            self._draw()

    def _draw(self) -> None:
        import shutil
        import time

        self.last = time.monotonic()
        width = max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        lines = []
        for job_id, (pct, msg) in list(self.running.items())[:8]:
            name = _short(self.names.get(job_id, job_id), 30)
            lines.append(f"  {name:<30} {_bar(pct, 20)} {pct:3d}% {msg}"[:width])
        done = sum(1 for s in self.ended.values() if s in ("complete", "skipped"))
        failed = sum(1 for s in self.ended.values() if s == "failed")
        total = self.jobs_total or len(self.ended) + len(self.running)
        frac = 100 * (done + failed + sum(p for p, _ in self.running.values()) / 100) / max(1, total)
        lines.append(f"batch {_bar(int(frac), 30)} {done}/{total} done" + (f", {failed} failed" if failed else ""))
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


def _bar(pct: int, width: int) -> str:
    filled = int(width * max(0, min(100, pct)) / 100)
    return "[" + "#" * filled + "." * (width - filled) + "]"

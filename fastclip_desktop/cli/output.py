"""How commands print: jobs as they end (in order, JSON or a line), progress bars, records, and a
quiet stop when the reader of our output goes away."""

from __future__ import annotations

import json
import os
import sys

from .common import EXIT_FAILED, EXIT_OK


def run_and_report(runner, jobs, as_json: bool, *, lines: bool = True) -> int:
    """Run ``jobs`` (print each as it ends, in order; ``lines=False``: only failures and JSON);
    return how many failed."""
    printer = JobPrinter(runner.library, jobs, as_json, lines=lines)
    runner.run_until_idle(printer.update, [j.job_id for j in jobs])
    printer.finish()
    return printer.failed


class JobBar:
    """The one-line progress bar on stderr (a terminal only) for the job being run."""

    def __init__(self, count: int = 1):
        from .progress_bar import ProgressBar

        self.bar = ProgressBar(sys.stderr)
        self.count = count
        self.index: dict[str, int] = {}

    def show(self, update) -> None:
        if not self.bar.enabled or (update.ended and update.status != "complete"):
            return
        from types import SimpleNamespace

        i = self.index.setdefault(update.job_id, len(self.index) % max(1, self.count))
        self.bar.show(SimpleNamespace(index=i, count=self.count, progress=update.progress,
                                      status_message=update.status_message))

    def clear(self) -> None:
        self.bar.clear()


class JobPrinter:
    """Prints each job when it ends (JSON or a line), in the order the jobs were given."""

    def __init__(self, lib, jobs, as_json: bool, *, lines: bool = True):
        self.lib = lib
        self.lines = lines
        self.order = [j.job_id for j in jobs]
        self.index = {j: i for i, j in enumerate(self.order)}
        self.as_json = as_json
        self.ended = {j.job_id: j for j in jobs if j.ended}
        self.next = 0
        self.failed = 0
        self.bar = JobBar(len(self.order))
        self.bar.index.update(self.index)

    def update(self, u) -> None:
        if u.job_id not in self.index:
            return
        if u.ended:
            self.bar.show(u)  # a complete job at 100%, then its line
            self.ended[u.job_id] = self.lib.get_job(u.job_id)
            self._flush()
        else:
            self.bar.show(u)

    def finish(self) -> None:
        for j in self.order[self.next:]:
            if j not in self.ended:
                self.ended[j] = self.lib.get_job(j)
        self._flush()
        self.bar.clear()

    def _flush(self) -> None:
        while self.next < len(self.order) and self.order[self.next] in self.ended:
            job = self.ended[self.order[self.next]]
            self.next += 1
            self.bar.clear()
            self._report(job)

    def _report(self, job) -> None:
        if job.status != "complete":
            self.failed += 1
        if self.as_json:
            emit(job_json(job))
        if job.status == "failed":
            print(f"fastclip: job {job.job_id} failed: {job.error['message'] if job.error else job.status_message}",
                  file=sys.stderr)
        elif job.status != "complete":
            print(f"fastclip: job {job.job_id} is still {job.status}", file=sys.stderr)
        elif not self.as_json and self.lines:
            print(job_line(job), flush=True)


def job_line(job) -> str:
    """A complete job in one line: where its file is, and what it is."""
    r = job.result or {}
    quality = f", {r['quality']}" if r.get("quality") else ""
    if job.kind == "captions":
        return (f"{job_path(job)}  ({r.get('duration') or 0:.3f} s, {r.get('format')}{quality}, captioned; "
                f"clip {r.get('clip_id')})")
    if job.kind == "transcript":
        return f"{job.job_id}  transcript: {r.get('words', 0)} words, {r.get('language', '?')}"
    if job.kind == "analyze":
        return f"{job.job_id}  analyze: {len(r.get('segments') or ())} moments"
    if job.kind == "auto":
        failed = f", {len(r['failed_segments'])} failed" if r.get("failed_segments") else ""
        return f"{job.job_id}  auto-clip: {len(r.get('clips') or ())} clips{failed}"
    cut = cut_text(r.get("cut"))
    return (f"{job_path(job)}  ({r.get('duration') or 0:.3f} s from {r.get('start') or 0:.3f} s, "
            f"{r.get('format')}{quality}{'; ' + cut if cut else ''})")


def cut_text(cut: dict | None) -> str:
    """The cut report (``engine.cut.report``) in words: how the video was made, what it cost and, for
    a smart cut, how close its re-encoded ends are to the source."""
    if not cut or not cut.get("video"):
        return ""
    if cut["video"] == "copy":
        return f"video copied ({cut['copy']:.3f} s)"
    if cut["video"] == "encode":
        why = f": {cut['reason']}" if cut.get("reason") else ""
        return f"video re-encoded whole{why}"
    text = (f"smart cut: re-encoded {cut['reencode_head']:.3f} s at the start and {cut['reencode_tail']:.3f} s "
            f"at the end, copied {cut['copy']:.3f} s")
    psnr = cut.get("boundary_psnr")
    if psnr is not None:
        text += f", boundary frames {psnr if isinstance(psnr, str) else f'{psnr:.1f}'} dB PSNR"
    return text


def job_json(job) -> dict:
    """A job as the API shows a job of its kind (``engine.jobs.payloads``), with ``path`` the path the
    user asked for when it was theirs."""
    from engine import job_json as api_json

    return api_json(job, path=job_path(job))


def job_path(job) -> str | None:
    """Where the output is: the path the user asked for (as given), or the library clip's."""
    r = job.result or {}
    if not r.get("saved_to_library") and job.request.get("out") and \
            os.path.realpath(job.request["out"]) == os.path.realpath(r.get("path") or ""):
        return job.request["out"]
    return r.get("path")


def media_json(m) -> dict:
    return m.to_dict()


def describe_media(m) -> str:
    kind = m.media_kind or "?"
    height = f", {m.max_height}p" if m.max_height else ""
    return f"{kind}, {m.duration or 0:.3f} s{height}"


def describe_clip(c) -> str:
    where = "library" if c.in_library else "yours"
    keep = "pinned" if c.pinned else (f"expires {c.expires_at}" if c.expires_at else
                                      ("expired" if c.status == "expired" else "kept"))
    quality = f" {c.quality}" if c.quality else ""
    return f"{c.format}{quality} {c.duration:.3f} s  {where}, {keep}"


def emit(obj) -> None:
    print(json.dumps(obj), flush=True)


def stdout_closed() -> int:
    """The reader of our output went away (``| head``): stop quietly, as other tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    return EXIT_FAILED


def show(d: dict, as_json: bool) -> int:
    if as_json:
        emit(d)
    else:
        for k, v in d.items():
            if k == "cut" and v:
                print(f"cut: {cut_text(v)}")
            elif k != "streams":
                print(f"{k}: {v}")
    return EXIT_OK


def done(d: dict, as_json: bool, line: str) -> int:
    if as_json:
        emit(d)
    else:
        print(line)
    return EXIT_OK

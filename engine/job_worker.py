"""The job runner's worker process: the media work of one job at a time, in process.

:class:`engine.runner.Runner` starts these with multiprocessing's "spawn" (or "forkserver")
start method, so a worker is a fresh interpreter that inherits nothing the host loaded (Qt,
a whisper model, threads). The one exception is :meth:`StartedWorker.early`, the CLI's first
worker: a fork of the CLI process taken before it has loaded anything but the standard library
and its own pure-Python modules, as clean as a fresh interpreter and ready ~70 ms sooner.
Native code that crashes here kills only this process; the runner fails the one job it was
running and starts another worker when there is more to do.

A worker never touches the library: the runner claims the job, checks the source, records
progress and the outcome. What the worker keeps between jobs is what makes the next one
fast: the probe of each source, and the open containers of the last one. Messages, over one
duplex pipe (``spec`` is a job's request plus ``path``, the source file):

  runner -> worker   ("import", job_id, file_id, path)   ("clip", job_id, spec)
                     ("probe", file_id, path)   ("cancel", job_id)   ("stop",)
  worker -> runner   ("ready", pid)   ("event", job_id, status, progress, message)
                     ("done", job_id, value)   ("failed", job_id, FastClipError)
                     ("reply", MediaInfo) or ("error", FastClipError), for a probe

An import's value is the source's MediaInfo; a clip's is the ClipResult's fields as a dict.
Importing this module is cheap (the host imports it for ``worker_main``).
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import signal
import sys
import time
import traceback
from collections import OrderedDict

from .errors import Cancelled, FastClipError, InvalidRequest, ProcessingFailed
from .progress import drain, relay
from .worker import fork_is_safe, fork_with_pipe

MAX_CACHED_INFOS = 32
PROGRESS_SEND_S = 0.1  # a running job tells the runner its percentage (and hears of a cancel) this often
_EARLY = object()  # the key of a container opened before a job asked for it (``_open_early``)


def crash_message(exitcode: int | None) -> str:
    """What a job is failed with when its worker process died."""
    if exitcode is not None and exitcode < 0:
        n = -exitcode
        if n in (signal.SIGKILL, signal.SIGTERM):
            return f"the worker running this job was stopped (signal {n})"
        what = "aborted" if n == signal.SIGABRT else "crashed"
        return f"the decoder {what} on this file (signal {n}); the file is probably damaged"
    return f"the worker running this job stopped unexpectedly (exit code {exitcode})"


START_METHODS = ("spawn", "forkserver")  # the runner's workers: never a fork of the host


class StartedWorker:
    """A worker process just started (it is still importing PyAV) and the runner's end of its pipe.

    ``start_method`` is multiprocessing's "spawn" or "forkserver": a fresh interpreter (or a fork
    of a server that is one), never a fork of the host; only :meth:`early` forks, and only a
    process that is still clean. ``source``, a path the first job will read, is opened by the
    worker as soon as PyAV is imported, while the host gets that job ready.
    """

    def __init__(self, start_method: str = "spawn", *, source: str | None = None):
        if start_method not in START_METHODS and not (start_method == "fork" and fork_is_safe()):
            raise InvalidRequest(f"workers start with {' or '.join(START_METHODS)}, never fork", field="start_method")
        self.start_method = start_method
        if start_method == "fork":
            self.proc, self.conn = fork_with_pipe(worker_main, os.getpid(), source)
            return
        import multiprocessing

        ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            ctx.set_forkserver_preload(["engine.job_worker", "engine.export", "engine.probe"])
        self.conn, child_end = ctx.Pipe(duplex=True)
        # a forkserver's children are the server's, not ours: they learn of our death through it
        parent = os.getpid() if start_method == "spawn" else None
        self.proc = ctx.Process(target=worker_main, args=(child_end, parent, source), name="fastclip-worker",
                                daemon=True)
        with _main_module_hidden():
            self.proc.start()
        child_end.close()

    @classmethod
    def early(cls, source: str | None = None) -> StartedWorker:
        """The first worker of a short-lived front end (the CLI), started before it imports anything else.

        A fork of this process when :func:`fork_is_safe`, else spawned. A fork skips starting an
        interpreter, importing again what this one has, and multiprocessing's resource tracker
        (~60 ms of a command that takes ~200); it is made with ``os.fork`` before multiprocessing
        is even imported (~12 ms more), which the worker imports while its source opens. The
        runner's own workers, and the GUI's, are always spawned.
        """
        return cls("fork" if fork_is_safe() else "spawn", source=source)

    def close(self) -> None:
        """Stop it (when no runner adopted it)."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.proc.join(2.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        with contextlib.suppress(OSError):
            self.conn.close()


@contextlib.contextmanager
def _main_module_hidden():
    """Start a process without it re-running the host's main script.

    multiprocessing's spawn (and forkserver) import the parent's ``__main__`` again in the child,
    so that objects defined there can be unpickled. A worker needs nothing from it (its target
    and arguments come from this module), and importing it costs start-up time (the whole CLI
    for ``fastclip``) or worse, re-runs a script that lacks an ``if __name__ == "__main__"``
    guard. While hidden, the child is told there is no main module to import.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


def worker_main(conn, parent_pid: int | None, source: str | None = None) -> None:
    """The worker process: serve the runner until it says stop or goes away.

    ``conn`` is the worker's end of a multiprocessing Connection, or (a forked worker) the file
    descriptor of one. ``source``: a path the first job will probably read, opened early.
    """
    signal.signal(signal.SIGTERM, _stop)  # unwinds: the export removes its temp file
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host decides what Ctrl+C means
    faulthandler.disable()  # a crash is reported by the runner, in one sentence
    worker = None
    try:
        # Now, while the host gets the first job ready: PyAV (most of the start-up), the source
        # opened on a helper thread (PyAV lets go of the GIL there), and meanwhile the rest of
        # the engine. Imports make little garbage, and collecting it while they run costs ~5 ms;
        # what they make lives as long as the worker, so later collections skip it (frozen).
        gc.disable()
        from . import probe  # noqa: F401

        early = _open_early(source) if source else None
        _die_with_parent(parent_pid)  # (its ctypes would delay PyAV; a parent gone meanwhile is seen here)
        from . import export  # noqa: F401

        if isinstance(conn, int):
            from multiprocessing.connection import Connection

            conn = Connection(conn)
        gc.freeze()
        gc.enable()
        worker = _Worker(conn, early)
        conn.send(("ready", os.getpid()))
        worker.serve()
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the runner is gone
    finally:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        finally:
            # The export removes its temp file as it unwinds, but a stop that lands while an
            # earlier error unwinds (the runner died: a broken pipe, then SIGTERM) can cut that
            # short. Whatever happened, nothing half-written stays.
            if worker is not None and worker.out is not None:
                remove_job_temps(worker.out)
            with contextlib.suppress(Exception):
                conn.close()
    os._exit(0)  # no interpreter teardown (tens of ms with PyAV loaded): nothing is left to flush


def _stop(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second stop must not cut the unwinding short
    raise SystemExit(128 + signum)


def remove_job_temps(out) -> int:
    """Remove the temp files an interrupted export of ``out`` left beside it (only that output's:
    other jobs may be writing in the same folder)."""
    import re
    from pathlib import Path

    from .atomic import TEMP_MARK

    dest = Path(out)
    pattern = re.compile(rf"^\.{re.escape(dest.stem)}\.[0-9a-f]{{8}}{re.escape(TEMP_MARK)}{re.escape(dest.suffix)}$")
    n = 0
    with contextlib.suppress(OSError):
        for p in dest.parent.iterdir():
            if pattern.match(p.name):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
    return n


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: get SIGTERM when the parent process dies, even by SIGKILL."""
    if sys.platform == "linux":
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent_pid is not None and sys.platform != "win32" and os.getppid() != parent_pid:
        os._exit(1)  # it died before we could ask


def _open_early(path: str):
    """(path, Inputs) opening ``path`` on a helper thread, for the job that will read it: an import
    of the file as it is now, so the container must be unread when that job comes."""
    if not os.path.isfile(path):
        return None
    from .probe import Inputs

    inputs = Inputs(path)
    inputs.prefetch("video")  # the one a probe reads; the audio one when the job comes
    return os.path.realpath(path), inputs


class _Worker:
    def __init__(self, conn, early=None):
        self.conn = conn
        self.infos: OrderedDict[str, object] = OrderedDict()  # file_id -> MediaInfo
        self.framed: set[str] = set()  # file_ids whose cached info has the decoded-frame facts
        # (file_id or _EARLY, path, Inputs): the last source's open containers
        self.inputs = None if early is None else (_EARLY, *early)
        self.out: str | None = None  # the output being written

    def serve(self) -> None:
        while True:
            msg = self.conn.recv()
            kind = msg[0]
            if kind == "stop":
                return
            if kind == "probe":
                self._answer(lambda: self._info(msg[1], msg[2], frames=False))
            elif kind == "import":
                self._job(msg[1], lambda: self._import(msg[2], msg[3]))
            elif kind == "clip":
                self._job(msg[1], lambda: self._clip(msg[1], msg[2]))
            # ("cancel", job_id) of a job that has ended already: nothing to do

    def _answer(self, fn) -> None:
        try:
            reply = ("reply", fn())
        except FastClipError as e:
            self._close_inputs()
            reply = ("error", e)
        except Exception as e:  # a bug: one readable line, and the worker lives on
            self._close_inputs()
            reply = ("error", ProcessingFailed(f"unexpected error: {_one_line(e)}"))
        self.conn.send(reply)

    def _job(self, job_id: str, fn) -> None:
        try:
            msg = ("done", job_id, fn())
        except FastClipError as e:
            self._close_inputs()
            msg = ("failed", job_id, e)
        except Exception as e:
            self._close_inputs()
            msg = ("failed", job_id, ProcessingFailed(f"unexpected error: {_one_line(e)}"))
        self.conn.send(msg)

    # -- the jobs ----------------------------------------------------------------------------------

    def _import(self, file_id: str, path: str):
        from .probe import probe

        self.infos.pop(file_id, None)
        if not self._take_early(file_id, path):
            self._close_inputs()  # a fresh look at the file: containers a probe has read to the end won't do
        inputs = self._inputs_for(file_id, path)
        try:
            container = inputs.get("video")
        except FastClipError:
            self._close_inputs()
            probe(path, thorough=True)  # raises the probe's own sentence for a file that does not open
            raise
        info = probe(path, opener=lambda: container, thorough=True)
        self._remember(file_id, info, framed=True)
        return info

    def _clip(self, job_id: str, spec: dict) -> dict:
        from .export import export_clip
        from .request import ClipRequest, Segment, validate

        report = _Reporter(self.conn, job_id)
        report("downloading", 0, "reading the source")
        file_id, path = spec["file_id"], spec["path"]
        segments = spec.get("segments")
        req = ClipRequest(
            source=path, start=spec.get("start"), end=spec.get("end"),
            segments=None if segments is None else tuple(Segment(s.get("start"), s.get("end")) for s in segments),
            format=spec.get("format"), quality=spec.get("quality"), mode=spec.get("mode") or "precise",
            captions=spec.get("captions"), join=bool(spec.get("join")))
        info = self._info(file_id, path, frames=False)
        if file_id not in self.framed:  # (an import's probe has them: no need to ask)
            from .clip_jobs import needs_frame_facts

            if needs_frame_facts(req, info):
                info = self._info(file_id, path, frames=True)
        clip = validate(req, info)
        if len(clip.outputs) != 1:
            raise InvalidRequest("a clip job makes one output; plan the request into jobs first", field="segments")
        options = {}
        if clip.captions is not None and clip.captions.startswith("preset:"):
            options["resolve_preset"] = _library_presets(spec.get("library"))
        report("processing", 0, "analyzing")
        self.out = spec["out"]
        gen = export_clip(info, clip, clip.outputs[0], spec["out"], self._inputs_for(file_id, path), **options)
        try:
            result = drain(relay(gen, report))
        finally:
            gen.close()  # on cancel or SIGTERM: the export removes its temp file
            self.out = None
        return {"path": result.path, "file_name": result.file_name, "format": result.format,
                "quality": result.quality, "duration": _seconds(result.duration), "start": _seconds(result.start),
                "segments": [[_seconds(s), _seconds(e)] for s, e in result.segments],
                "width": result.width, "height": result.height, "aspect_ratio": result.aspect_ratio,
                "video": result.video, "captioned": clip.captions is not None}

    # -- sources: probed once, opened once, per worker ---------------------------------------------

    def _info(self, file_id: str, path: str, *, frames: bool):
        info = self.infos.get(file_id)
        if info is None:
            from .probe import probe

            if not self._take_early(file_id, path):
                self._close_inputs()
            inputs = self._inputs_for(file_id, path)
            info = probe(path, opener=lambda: inputs.get("video"), thorough=False)
            self._remember(file_id, info, framed=False)
        if frames and file_id not in self.framed:
            from .probe import with_frame_facts

            info = with_frame_facts(info, self._inputs_for(file_id, path).get("video"))
            self._remember(file_id, info, framed=True)
        return info

    def _remember(self, file_id: str, info, *, framed: bool) -> None:
        self.infos[file_id] = info
        self.infos.move_to_end(file_id)
        (self.framed.add if framed else self.framed.discard)(file_id)
        while len(self.infos) > MAX_CACHED_INFOS:
            old, _ = self.infos.popitem(last=False)
            self.framed.discard(old)

    def _take_early(self, file_id: str, path: str) -> bool:
        """Whether the container opened early is of ``path`` (then it is now ``file_id``'s)."""
        if self.inputs is None or self.inputs[0] is not _EARLY or self.inputs[1] != os.path.realpath(path):
            return False
        self.inputs = (file_id, path, self.inputs[2])
        self.inputs[2].prefetch("audio")  # opened on a helper thread while the probe reads
        return True

    def _inputs_for(self, file_id: str, path: str):
        if self.inputs is not None and self.inputs[0] == file_id:
            return self.inputs[2]
        self._close_inputs()
        from .probe import Inputs

        inputs = Inputs(path)
        inputs.prefetch("audio")  # opened on a helper thread while the video container is read
        self.inputs = (file_id, path, inputs)
        return inputs

    def _close_inputs(self) -> None:
        if self.inputs is not None:
            with contextlib.suppress(Exception):
                self.inputs[2].close()
            self.inputs = None


class _Reporter:
    """Sends a running job's progress and raises Cancelled when the runner says so: a new status or
    message at once; a new percentage, and a look for the runner's cancel, at most every
    PROGRESS_SEND_S (an export steps up to a hundred times however short it is, and each look and
    message costs both processes)."""

    def __init__(self, conn, job_id: str):
        self.conn, self.job_id = conn, job_id
        self.sent = None  # (status, progress, message) last sent
        self.checked_at = 0.0

    def __call__(self, status: str, progress: int, message: str) -> None:
        now = time.monotonic()
        news = self.sent is None or (status, message) != (self.sent[0], self.sent[2])
        if not news and now - self.checked_at < PROGRESS_SEND_S:
            return
        self.checked_at = now
        while self.conn.poll():
            msg = self.conn.recv()
            if msg[0] == "cancel" and msg[1] == self.job_id:
                raise Cancelled("cancelled")
            if msg[0] == "stop":
                raise SystemExit(0)
        state = (status, progress, message)
        if state != self.sent:
            self.sent = state
            self.conn.send(("event", self.job_id, status, progress, message))


def _library_presets(library_path: str | None):
    """A caption-preset resolver that knows the library's custom presets (``preset:<id>``)."""
    def resolve(ref: str):
        from .captions.custom import resolve_preset
        from .library import Library

        with Library(library_path) as lib:
            return resolve_preset(ref, lib)

    return resolve


def _seconds(t) -> float:
    return round(float(t), 6)


def _one_line(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]

"""What a job worker does with each message of the runner: imports and clips, in process.

``WorkerJobs.serve`` answers the messages listed in ``engine.jobs.pool`` one at a time. What it
keeps between jobs makes the next one fast: the probe of each source (``MAX_CACHED_INFOS``) and
the open containers of the last source, including one opened before the first job asked for it
(``open_early``). A running job's progress goes to the runner at most every ``PROGRESS_SEND_S``
(status changes at once), and a cancel from the runner is heard as often.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections import OrderedDict

from ..errors import Cancelled, FastClipError, InvalidRequest, ProcessingFailed
from ..progress import drain, relay

MAX_CACHED_INFOS = 32
PROGRESS_SEND_S = 0.1  # a running job tells the runner its percentage (and hears of a cancel) this often
_EARLY = object()  # the key of a container opened before a job asked for it (``open_early``)


def open_early(path: str):
    """(path, Inputs) opening ``path`` on a helper thread, for the job that will read it: an import
    of the file as it is now, so the container must be unread when that job comes."""
    if not os.path.isfile(path):
        return None
    from ..media.probe import Inputs

    inputs = Inputs(path)
    inputs.prefetch("video")  # the one a probe reads; the audio one when the job comes
    return os.path.realpath(path), inputs


class WorkerJobs:
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
        from ..media.probe import probe

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
        from ..cut.export import export_clip
        from ..cut.request import ClipRequest, Segment, validate

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
            from ..cut.outputs import needs_frame_facts

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
            from ..media.probe import probe

            if not self._take_early(file_id, path):
                self._close_inputs()
            inputs = self._inputs_for(file_id, path)
            info = probe(path, opener=lambda: inputs.get("video"), thorough=False)
            self._remember(file_id, info, framed=False)
        if frames and file_id not in self.framed:
            from ..media.probe import with_frame_facts

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
        from ..media.probe import Inputs

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
        from ..captions.custom import resolve_preset
        from ..library import Library

        with Library(library_path) as lib:
            return resolve_preset(ref, lib)

    return resolve


def _seconds(t) -> float:
    return round(float(t), 6)


def _one_line(e: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(e), e)).strip().splitlines()[-1]

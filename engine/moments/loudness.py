"""The audio's level, frame by frame: from the waveform's peaks (engine.media.waveform), which
decodes the audio once and keeps the result in its cache, so a second analysis reads it back.

``Loudness.db`` is the peak level of each FRAME-second frame in dBFS (silence at FLOOR_DB). What
moments use it for is pure: the level of speech in a span against the level of speech around it
(:func:`contrast`), and the quiet points edges snap to (engine.moments.snapping).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..media.waveform import waveform
from ..progress import Progress

FRAME = 0.1  # seconds
FLOOR_DB = -90.0
AROUND = 30.0  # seconds on each side a span's level is compared with
GATE_DB, GATE_FLOOR_DB = 20.0, -50.0


@dataclass(frozen=True, slots=True, eq=False)
class Loudness:
    start: float  # seconds: where frame 0 begins
    frame: float  # seconds per frame
    db: np.ndarray  # float32 peak level per frame, dBFS

    def frame_at(self, t) -> np.ndarray:
        """The frame index holding each time in ``t`` (clipped to the frames there are)."""
        i = np.floor((np.asarray(t, float) - self.start) / self.frame).astype(np.int64)
        return np.clip(i, 0, max(0, len(self.db) - 1))


def loudness(path: str | os.PathLike, duration: float, cache_dir: str | os.PathLike | None = None):
    """Yield Progress("listening", ...); return the Loudness of ``path``'s first audio stream in frames of
    about FRAME seconds over ``duration`` seconds (``cache_dir``: the app's cache folder, whose
    ``waveforms/`` it shares with the timeline; None: no cache)."""
    buckets = max(1, math.ceil(float(duration) / FRAME))
    cache = Path(cache_dir) / "waveforms" if cache_dir is not None else False
    gen = waveform(path, buckets, cache)
    while True:
        try:
            p = next(gen)
        except StopIteration as done:
            w = done.value
            break
        yield Progress("listening", p.done, p.total, "listening to the audio")
    return from_peaks(float(w.start), float(w.duration), w.mins, w.maxs)


class Listening:
    """:func:`loudness` run on a helper thread (PyAV decodes without holding the GIL), so the audio is
    read while the caller embeds the sentences: on a first analysis the two are most of the time."""

    def __init__(self, path: str | os.PathLike, duration: float, cache_dir: str | os.PathLike | None = None):
        self._gen = loudness(path, duration, cache_dir)
        self.done, self.total = 0.0, float(duration)
        self._value: Loudness | None = None
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fastclip-listening", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    p = next(self._gen)
                except StopIteration as finished:
                    self._value = finished.value
                    return
                self.done, self.total = p.done, p.total
        except BaseException as e:  # raised to the caller by wait()
            self._error = e
        finally:
            self._gen.close()

    def wait(self):
        """Yield Progress("listening", ...) until the level is read; return it (or raise what reading raised)."""
        while self._thread.is_alive():
            yield Progress("listening", self.done, self.total or 1, "listening to the audio")
            self._thread.join(0.1)
        yield Progress("listening", 1, 1, "listening to the audio")
        if self._error is not None:
            raise self._error
        return self._value

    def stop(self) -> None:
        """Stop reading (at its next step) and wait for the thread (an analysis cancelled or failed)."""
        self._stop.set()
        self._thread.join()


def from_peaks(start: float, duration: float, mins: np.ndarray, maxs: np.ndarray) -> Loudness:
    """Loudness from a waveform's per-bucket extremes (pure)."""
    n = len(mins)
    peak = np.maximum(np.abs(np.asarray(mins, np.float32)), np.abs(np.asarray(maxs, np.float32)))
    db = np.maximum(20.0 * np.log10(np.maximum(peak, 1e-9)), FLOOR_DB).astype(np.float32)
    return Loudness(start, duration / n if n else FRAME, db)


def contrast(loud: Loudness, speech: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             around: float = AROUND) -> np.ndarray:
    """For each span, its speech's mean level minus that of the speech within ``around`` seconds on
    either side (dB; 0 where there is none to compare). ``speech`` marks the frames that count
    (:func:`active_speech`)."""
    db = np.where(speech, loud.db, 0.0)
    p_db = np.concatenate([[0.0], np.cumsum(db, dtype=float)])
    p_n = np.concatenate([[0], np.cumsum(speech, dtype=np.int64)])
    a, b = loud.frame_at(starts), loud.frame_at(ends) + 1
    a0, b1 = loud.frame_at(np.asarray(starts) - around), loud.frame_at(np.asarray(ends) + around) + 1
    n_in = p_n[b] - p_n[a]
    n_out = (p_n[a] - p_n[a0]) + (p_n[b1] - p_n[b])
    inside = (p_db[b] - p_db[a]) / np.maximum(n_in, 1)
    outside = ((p_db[a] - p_db[a0]) + (p_db[b1] - p_db[b])) / np.maximum(n_out, 1)
    return np.where((n_in > 0) & (n_out > 0), inside - outside, 0.0)


def active_speech(loud: Loudness, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A bool per frame: inside one of the sentences and sounding (above a gate GATE_DB under the
    median level of those frames), so pauses between words do not pull a span's level down."""
    mark = np.zeros(len(loud.db) + 1, np.int64)
    np.add.at(mark, loud.frame_at(starts), 1)
    np.add.at(mark, loud.frame_at(ends) + 1, -1)
    inside = np.cumsum(mark)[:-1] > 0
    if not inside.any():
        return inside
    gate = max(GATE_FLOOR_DB, float(np.median(loud.db[inside])) - GATE_DB)
    return inside & (loud.db > gate)

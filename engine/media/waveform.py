"""The audio's peaks, for the timeline: the lowest and highest sample in each of N equal time buckets.

The first audio stream is decoded with PyAV and reduced in chunks of about a second (every channel
counts: a click on the left alone still shows). Buckets cover the file's timeline, [start, start +
duration), the same span as the thumbnail strip. The work is a generator of Progress; the result is
cached on disk like the keyframe index, keyed by path, size, modification time and bucket count.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..atomic import atomic_output
from ..errors import UnsupportedMedia
from ..paths import cache_dir
from ..progress import Progress
from .signature import check_signature

_VERSION = 1
CHUNK_SAMPLES = 1 << 16  # reduce about a second and a half of 44.1 kHz audio at a time


@dataclass(frozen=True, slots=True, eq=False)
class Waveform:
    """Peaks of ``len(mins)`` buckets; bucket i covers [start + i·d/n, start + (i+1)·d/n).

    ``mins``/``maxs`` are float32 arrays of samples in [-1, 1]; a bucket with no audio is 0, 0.
    A file without audio has no buckets.
    """

    start: Fraction
    duration: Fraction
    mins: np.ndarray
    maxs: np.ndarray

    @property
    def buckets(self) -> int:
        return len(self.mins)

    def bucket_at(self, t: float | Fraction) -> int:
        """The bucket that holds time ``t`` (clamped to the first and last)."""
        n = self.buckets
        i = math.floor((Fraction(t) - self.start) / self.duration * n) if self.duration > 0 else 0
        return min(n - 1, max(0, i))

    def columns(self, t0: float, t1: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Peaks of ``n`` columns spanning [t0, t1): each the extremes of the buckets that start under it.

        What a view ``n`` pixels wide draws. A column narrower than a bucket shows the bucket its left
        edge is in, so detail finer than a bucket is never invented.
        """
        if n <= 0 or not self.buckets or t1 <= t0:
            return np.zeros(max(n, 0), np.float32), np.zeros(max(n, 0), np.float32)
        scale = self.buckets / float(self.duration)
        edges = (np.linspace(t0, t1, n + 1) - float(self.start)) * scale
        first = np.clip(np.floor(edges[:-1]).astype(np.int64), 0, self.buckets - 1)
        end = max(int(first[-1]) + 1, min(self.buckets, math.floor(edges[-1])))
        # column i reduces the run [first[i], first[i+1]) (one bucket at least); the last one up to `end`
        lo = np.minimum.reduceat(self.mins, first)
        hi = np.maximum.reduceat(self.maxs, first)
        lo[-1] = self.mins[first[-1] : end].min()
        hi[-1] = self.maxs[first[-1] : end].max()
        outside = (edges[1:] <= 0) | (edges[:-1] >= self.buckets)
        lo[outside] = 0
        hi[outside] = 0
        return lo, hi


def waveform(path: str | os.PathLike, buckets: int, cache=None):
    """Peaks of ``path``'s audio in ``buckets`` buckets; yields Progress, returns Waveform.

    ``cache`` is a folder (default: ``cache_dir("waveforms")``), or False for no cache.
    """
    if buckets < 1:
        raise ValueError(f"need at least one bucket, not {buckets}")
    p = Path(path)
    check_signature(p)
    folder = cache_dir("waveforms") if cache is None else (Path(cache) if cache is not False else None)
    cached = _cache_file(p, folder, buckets) if folder else None
    if cached and cached.exists():
        try:
            return _read(cached.read_bytes())
        except (ValueError, KeyError, OSError):
            pass  # a damaged cache entry is made again
    result = yield from _decode(p, buckets)
    if cached:
        with atomic_output(cached) as tmp:
            tmp.write_bytes(_write(result))
    return result


# ------------------------------------------------------------------------------------------ decoding


class _Peaks:
    """Running per-bucket extremes, fed chunk by chunk."""

    def __init__(self, start: float, duration: float, n: int):
        self.start, self.scale, self.n = start, n / duration, n
        self.mins = np.full(n, np.inf, np.float32)
        self.maxs = np.full(n, -np.inf, np.float32)

    def add(self, t0: float, rate: int, low: np.ndarray, high: np.ndarray) -> None:
        """Samples starting at ``t0`` seconds: ``low``/``high`` are each sample's extremes over channels."""
        times = t0 + np.arange(len(low)) / rate
        index = np.floor((times - self.start) * self.scale).astype(np.int64)
        keep = (index >= 0) & (index < self.n)
        if not keep.all():
            index, low, high = index[keep], low[keep], high[keep]
        if not len(index):
            return
        cuts = np.flatnonzero(np.diff(index)) + 1  # index only grows, so runs of one bucket are contiguous
        starts = np.concatenate(([0], cuts))
        where = index[starts]
        np.minimum.at(self.mins, where, np.minimum.reduceat(low, starts))
        np.maximum.at(self.maxs, where, np.maximum.reduceat(high, starts))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        empty = ~np.isfinite(self.mins)
        self.mins[empty] = 0
        self.maxs[empty] = 0
        return self.mins, self.maxs


def _decode(p: Path, buckets: int):
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"{p.name} could not be read: {e}", field="source") from None
    with container:
        start = Fraction(container.start_time or 0, av.time_base)
        duration = Fraction(container.duration or 0, av.time_base)
        if not container.streams.audio or duration <= 0:
            return Waveform(start, max(duration, Fraction(0)), np.zeros(0, np.float32), np.zeros(0, np.float32))
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp")  # same layout and rate; a no-op for most decoders
        peaks = _Peaks(float(start), float(duration), buckets)
        total = float(duration)
        pending: list[np.ndarray] = []
        pending_start = None  # seconds of the first pending sample
        pending_n, rate, next_t = 0, 0, None

        def flush():
            nonlocal pending, pending_n
            if pending:
                x = np.concatenate(pending, axis=1)
                peaks.add(pending_start, rate, x.min(axis=0), x.max(axis=0))
            pending, pending_n = [], 0

        try:
            for decoded in container.decode(stream):
                for frame in resampler.resample(decoded):
                    t = next_t if frame.pts is None else float(frame.pts * frame.time_base)
                    if t is None:
                        t = float(start)
                    if pending and (frame.sample_rate != rate or abs(t - next_t) > 0.002):
                        flush()  # a gap or jump in the timestamps: place what follows by its own time
                    if not pending:
                        pending_start, rate = t, frame.sample_rate
                    pending.append(frame.to_ndarray().astype(np.float32, copy=False))
                    pending_n += frame.samples
                    next_t = t + frame.samples / frame.sample_rate
                    if pending_n >= CHUNK_SAMPLES:
                        flush()
                        yield Progress("waveform", min(total, next_t - float(start)), total, "reading the audio")
        except av.error.FFmpegError as e:
            raise UnsupportedMedia(f"{p.name} is damaged: {e}", field="source") from None
        flush()
        mins, maxs = peaks.result()
        return Waveform(start, duration, mins, maxs)


# --------------------------------------------------------------------------------------------- cache


def _cache_file(p: Path, folder: Path, buckets: int) -> Path:
    st = p.stat()
    key = f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}|{buckets}|{_VERSION}"
    return folder / f"{hashlib.sha1(key.encode()).hexdigest()}.npz"


def _write(w: Waveform) -> bytes:
    out = io.BytesIO()
    np.savez(out, mins=w.mins, maxs=w.maxs, span=np.array([str(w.start), str(w.duration)]))
    return out.getvalue()


def _read(data: bytes) -> Waveform:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        start, duration = (Fraction(str(s)) for s in z["span"])
        mins, maxs = z["mins"].astype(np.float32), z["maxs"].astype(np.float32)
    if len(mins) != len(maxs):
        raise ValueError("waveform cache file is inconsistent")
    return Waveform(start, duration, mins, maxs)

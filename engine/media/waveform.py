"""The audio's peaks, for the timeline: the lowest and highest sample in each of N equal time buckets.

The first audio stream is decoded with PyAV and reduced in chunks of about a second (every channel
counts: a click on the left alone still shows). Decoding is most of the cost: per decoded frame (a
2-hour AAC track has ~340,000) only a copy into FFmpeg's sample queue is done, and each chunk is
reduced bucket by bucket, not sample by sample, so 2 hours take ~1.3x what the ffmpeg CLI takes
to decode the same audio (bench/bench_gui.py --long). Buckets cover the file's timeline, [start, start +
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
    """Running per-bucket extremes, fed chunk by chunk.

    Bucket b holds the samples whose time is in [start + b/scale, start + (b+1)/scale). A chunk's
    samples are evenly spaced, so the first sample of each bucket it touches is found by arithmetic
    (one number per bucket, not one per sample) and each bucket is reduced over its run of samples
    and every channel at once.
    """

    def __init__(self, start: float, duration: float, n: int):
        self.start, self.scale, self.n = start, n / duration, n
        self.mins = np.full(n, np.inf, np.float32)
        self.maxs = np.full(n, -np.inf, np.float32)

    def add(self, t0: float, rate: int, samples: np.ndarray) -> None:
        """``samples`` (channels × n, float) starting at ``t0`` seconds, ``rate`` a second."""
        n = samples.shape[1]
        if not n:
            return
        first = math.floor((t0 - self.start) * self.scale)  # the buckets of the first and last sample
        last = math.floor((t0 + (n - 1) / rate - self.start) * self.scale)
        first, last = max(first, 0), min(last, self.n - 1)
        if first > last:
            return  # all before or after the file's span
        # the first sample at or after each bucket's start, for the buckets first..last and the one after
        buckets = np.arange(first, last + 2)
        edges = np.ceil((buckets / self.scale + (self.start - t0)) * rate)
        # rounding can put an edge one sample off where a sample falls on a bucket's start: settle it
        # by the bucket each sample's own time gives (the rule for every sample, as a per-sample pass would)
        edges -= self._bucket(t0, rate, edges - 1) >= buckets
        edges += self._bucket(t0, rate, edges) < buckets
        edges = np.clip(edges, 0, n).astype(np.int64)
        full = edges[1:] > edges[:-1]  # a bucket narrower than a sample may hold none of this chunk
        if not full.any():
            return
        starts = edges[:-1][full]
        view = samples[:, : edges[-1]]  # runs end where the next non-empty bucket starts; the last at edges[-1]
        low = np.minimum.reduceat(view, starts, axis=1).min(axis=0)
        high = np.maximum.reduceat(view, starts, axis=1).max(axis=0)
        where = np.arange(first, last + 1)[full]
        self.mins[where] = np.minimum(self.mins[where], low)
        self.maxs[where] = np.maximum(self.maxs[where], high)

    def _bucket(self, t0: float, rate: int, k: np.ndarray) -> np.ndarray:
        """The bucket of sample ``k`` of a chunk starting at ``t0`` (unclipped)."""
        return np.floor((t0 + k / rate - self.start) * self.scale)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        empty = ~np.isfinite(self.mins)
        self.mins[empty] = 0
        self.maxs[empty] = 0
        return self.mins, self.maxs


class _Chunk:
    """Decoded audio gathered, in FFmpeg's own sample queue (``av.AudioFifo``), into runs of about
    CHUNK_SAMPLES contiguous samples, each then reduced at once.

    Every frame costs Python something, and a 2-hour AAC track has ~340,000 of them: what is done per
    frame is kept to writing it into the queue (a copy in C). Planar float (what the AAC, Opus, Vorbis
    and MP3 decoders give) is queued as it is; other sample formats go through a resampler to planar
    float first (same layout and rate), so every sample is in [-1, 1].
    """

    def __init__(self, peaks: _Peaks):
        self.peaks = peaks
        self.fifo: av.AudioFifo | None = None
        self.kind: tuple | None = None  # (sample format, channels, rate) of what the queue holds
        self.resampler = None
        self.t0 = 0.0  # seconds of the first sample queued
        self.rate = 0

    @property
    def samples(self) -> int:
        return self.fifo.samples if self.fifo is not None else 0

    def append(self, t: float, frame) -> None:
        """Queue ``frame``, its first sample at ``t`` seconds, after the samples queued so far."""
        kind = (frame.format.name, frame.layout.nb_channels, frame.sample_rate)
        if kind != self.kind:  # a new stream layout: reduce what came before, start a new queue
            self.flush()
            self.kind, self.rate = kind, frame.sample_rate
            self.fifo = None
            self.resampler = None if kind[0] == "fltp" else av.AudioResampler(format="fltp")
        if self.fifo is None or not self.fifo.samples:
            self.t0 = t
            self.fifo = av.AudioFifo()
        for f in self.resampler.resample(frame) if self.resampler else (frame,):
            f.pts = None  # the queue would check pts against its own count from 0; gaps are ours to find
            self.fifo.write(f)

    def flush(self) -> None:
        """Reduce what is queued into the peaks."""
        if self.samples:
            self.peaks.add(self.t0, self.rate, self.fifo.read().to_ndarray())


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
        tb = float(stream.time_base) if stream.time_base else 0.0  # a float: this runs once per frame
        peaks = _Peaks(float(start), float(duration), buckets)
        chunk = _Chunk(peaks)
        total, begin = float(duration), float(start)
        next_t = None  # where the samples so far end, seconds
        try:
            for frame in container.decode(stream):
                n, rate = frame.samples, frame.sample_rate
                if not n or not rate:
                    continue
                pts = frame.pts
                t = next_t if pts is None or not tb else pts * tb
                if t is None:
                    t = begin
                if next_t is not None and abs(t - next_t) > 0.002:
                    chunk.flush()  # a gap or jump in the timestamps: place what follows by its own time
                chunk.append(t, frame)
                next_t = t + n / rate
                if chunk.samples >= CHUNK_SAMPLES:
                    chunk.flush()
                    yield Progress("waveform", min(total, next_t - begin), total, "reading the audio")
        except av.error.FFmpegError as e:
            raise UnsupportedMedia(f"{p.name} is damaged: {e}", field="source") from None
        chunk.flush()
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

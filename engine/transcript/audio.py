"""Decode a source's audio to what a Whisper model hears: 16 kHz mono float32.

PyAV demuxes only the audio stream (a video's pictures are never decoded),
decodes and resamples it packet by packet into one growing buffer, and yields
Progress as it goes. Damaged packets are skipped; a file with no decodable
audio raises ``UnsupportedMedia``.
"""

from __future__ import annotations

from collections.abc import Generator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import UnsupportedMedia
from ..media.signature import check_signature
from ..progress import Progress

SAMPLE_RATE = 16_000
# Report decoding progress every this many seconds of audio.
_REPORT_EVERY = 60


class _Buffer:
    """A float32 array that grows by half again when full (no list-then-concatenate copy)."""

    def __init__(self, capacity: int):
        self.data = np.empty(max(capacity, SAMPLE_RATE), dtype=np.float32)
        self.size = 0

    def extend(self, chunk: np.ndarray) -> None:
        need = self.size + len(chunk)
        if need > len(self.data):
            grown = np.empty(max(need, len(self.data) * 3 // 2), dtype=np.float32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : need] = chunk
        self.size = need

    def array(self) -> np.ndarray:
        return self.data[: self.size]


def decode_audio(path: str | Path) -> Generator[Progress, None, tuple[np.ndarray, Fraction]]:
    """Yield Progress("decoding", ...); return ``(samples, start)``.

    ``samples`` is 16 kHz mono float32; ``start`` is the source time of its
    first sample (non-zero when the audio stream starts late), so that
    ``start + i / 16000`` is sample ``i`` on the source's timeline.
    """
    p = Path(path)
    check_signature(p)
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise UnsupportedMedia(f"{p.name} could not be read as media: {_reason(e)}", field="source") from None
    with container:
        stream = container.streams.best("audio")
        if stream is None:
            raise UnsupportedMedia(f"{p.name} has no audio to transcribe", field="source")
        total = _estimated_duration(container, stream)
        buffer = _Buffer(int(total * SAMPLE_RATE * 1.05) if total else 0)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        tb = Fraction(stream.time_base) if stream.time_base else None
        first: Fraction | None = None
        next_report = _REPORT_EVERY
        for packet in _packets(container, stream, p):
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError):
                continue  # a damaged packet: skip it, as players do
            for frame in frames:
                if first is None:
                    first = frame.pts * tb if frame.pts is not None and tb else Fraction(0)
                for out in resampler.resample(frame):
                    buffer.extend(out.to_ndarray().reshape(-1))
            heard = Fraction(buffer.size, SAMPLE_RATE)
            if heard >= next_report:
                next_report = heard + _REPORT_EVERY
                yield Progress("decoding", float(heard), float(max(total, heard)), "reading the audio")
        for out in resampler.resample(None):
            buffer.extend(out.to_ndarray().reshape(-1))
    if buffer.size == 0:
        raise UnsupportedMedia(f"{p.name} has no audio that could be decoded", field="source")
    return buffer.array(), max(Fraction(0), first or Fraction(0))


def _packets(container, stream, p: Path):
    """The stream's packets, ending with the empty one that flushes the decoder."""
    demux = container.demux(stream)
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except av.error.EOFError:
            return
        except (av.error.FFmpegError, ValueError) as e:
            raise UnsupportedMedia(f"{p.name} is damaged: {_reason(e)}", field="source") from None
        yield packet


def _estimated_duration(container, stream) -> Fraction:
    if stream.duration and stream.time_base:
        return Fraction(stream.duration) * Fraction(stream.time_base)
    if container.duration:
        return Fraction(container.duration, av.time_base)
    return Fraction(0)


def _reason(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.rstrip(".").lower() if msg else type(e).__name__

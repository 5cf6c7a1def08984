"""Decoding a source's audio for the speech model: 16 kHz mono float32, with its place on the timeline."""

from __future__ import annotations

from fractions import Fraction as F

import av
import numpy as np
import pytest

from engine.transcript.audio import decode_audio


def _write_pcm(path, seconds: float, *, rate: int = 16000, start: int = 0, container: str | None = None):
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        step = rate // 10
        for i in range(0, int(seconds * rate), step):
            frame = av.AudioFrame.from_ndarray(np.full((1, step), 1000, np.int16), format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start + i, F(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _decode(path):
    gen, events = decode_audio(path), []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return events, done.value


def test_audio_is_decoded_to_16k_mono_float_with_progress_each_minute(tmp_path):
    events, (samples, start) = _decode(_write_pcm(tmp_path / "long.wav", 130, rate=44100))
    assert samples.dtype.name == "float32" and samples.ndim == 1
    assert abs(len(samples) - 130 * 16000) <= 16
    assert abs(float(samples[16000:-16000].mean()) - 1000 / 32768) < 1e-4
    assert start == 0
    assert [e.stage for e in events] == ["decoding", "decoding"]
    assert [round(e.done) for e in events] == [60, 120] and all(e.total == pytest.approx(130, abs=0.1) for e in events)


def test_audio_that_starts_late_keeps_its_place_on_the_timeline(tmp_path):
    _, (samples, start) = _decode(_write_pcm(tmp_path / "late.mkv", 2, start=16000))
    assert start == 1 and len(samples) == 2 * 16000

"""Audio peaks per bucket: the clicks at every whole second are peaks in the buckets that hold them."""

from __future__ import annotations

import os

import numpy as np
import pytest

from engine.media.waveform import Waveform, waveform
from tests import media

from .test_thumbnails import drive


def loud(w: Waveform, level: float = 0.5) -> list[int]:
    return np.flatnonzero(np.maximum(w.maxs, -w.mins) > level).tolist()


def test_clicks_at_whole_seconds_peak_in_their_buckets(source, tmp_path):
    events, w = drive(waveform(source("h264"), 40, cache=tmp_path))
    assert (w.start, w.duration, w.buckets) == (0, 4, 40)
    assert loud(w) == [0, 10, 20, 30]  # 0.1 s buckets; clicks at 0, 1, 2, 3 s
    quiet = np.delete(np.maximum(w.maxs, -w.mins), [0, 10, 20, 30])
    assert quiet.max() < 0.1
    assert 0.7 < w.maxs[10] <= 1 and -1 <= w.mins[10] < -0.7
    assert events and events[-1].total == pytest.approx(4) and all(e.stage == "waveform" for e in events)
    assert w.bucket_at(1.05) == 10 and w.bucket_at(99) == 39


def test_audio_only_file(source):
    _, w = drive(waveform(source("audio_wav"), 8, cache=False))
    assert loud(w) == [0, 2, 4, 6]


def test_columns_reduce_buckets_for_a_view(source):
    _, w = drive(waveform(source("h264"), 40, cache=False))
    lo, hi = w.columns(0, 4, 4)  # one column per second: each holds one click
    assert (hi > 0.7).all() and (lo < -0.7).all()
    lo, hi = w.columns(1.5, 2.5, 10)  # zoomed in: only the column at 2.0 s is loud
    assert np.flatnonzero(hi > 0.5).tolist() == [5]
    lo, hi = w.columns(-2, 0, 4)  # before the file: silence
    assert not hi.any() and not lo.any()


def test_cached_under_the_cache_dir_and_redone_when_the_file_changes(source, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    path = tmp_path / "copy.mp4"
    path.write_bytes(source("h264").read_bytes())
    _, first = drive(waveform(path, 40))
    folder = tmp_path / "home" / "cache" / "waveforms"
    assert len(list(folder.iterdir())) == 1
    events, again = drive(waveform(path, 40))
    assert events == [] and np.array_equal(again.maxs, first.maxs) and again.duration == first.duration
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert drive(waveform(path, 40))[0], "a changed file must be decoded again"
    for entry in folder.iterdir():
        entry.write_bytes(b"garbage")
    events, rebuilt = drive(waveform(path, 40))
    assert events and np.array_equal(rebuilt.maxs, first.maxs), "a damaged entry is made again"


def test_a_video_without_audio_has_no_buckets(tmp_path):
    path = media.make_video(tmp_path / "silent.mp4", duration=0.5, audio=False)
    _, w = drive(waveform(path, 10, cache=False))
    assert w.buckets == 0 and w.columns(0, 1, 3)[1].tolist() == [0, 0, 0]


def reference_peaks(path, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The definition, sample by sample: each sample (every channel) counts in the bucket its time is in."""
    import av

    with av.open(str(path)) as container:
        start, duration = (container.start_time or 0) / av.time_base, container.duration / av.time_base
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp")
        times, lows, highs = [], [], []
        for decoded in container.decode(stream):
            x = np.concatenate([f.to_ndarray() for f in resampler.resample(decoded)], axis=1)
            times.append(float(decoded.pts * stream.time_base) + np.arange(x.shape[1]) / decoded.sample_rate)
            lows.append(x.min(axis=0))
            highs.append(x.max(axis=0))
    index = np.floor((np.concatenate(times) - start) * (buckets / duration)).astype(np.int64)
    keep = (index >= 0) & (index < buckets)
    mins, maxs = np.full(buckets, np.inf, np.float32), np.full(buckets, -np.inf, np.float32)
    np.minimum.at(mins, index[keep], np.concatenate(lows)[keep])
    np.maximum.at(maxs, index[keep], np.concatenate(highs)[keep])
    empty = ~np.isfinite(mins)
    mins[empty], maxs[empty] = 0, 0
    return mins, maxs


@pytest.mark.parametrize("key", ["h264", "audio_wav", "audio_mp3", "audio_m4a"])
@pytest.mark.parametrize("buckets", [7, 41, 997, 249_989])
def test_peaks_are_exactly_those_of_every_sample_in_its_bucket(source, key, buckets):
    # Samples are reduced a run of ~65,000 at a time, each bucket's run found by arithmetic; whatever the
    # bucket count (249,989 over 4 s: buckets narrower than a sample, some empty), every sample lands in
    # the bucket of its own time, as a sample-by-sample pass puts it. (Counts prime to the sample rates,
    # so that no sample sits exactly on a bucket's edge, where float rounding may go either way.)
    _, w = drive(waveform(source(key), buckets, cache=False))
    mins, maxs = reference_peaks(source(key), buckets)
    assert w.buckets == buckets
    assert np.array_equal(w.mins, mins) and np.array_equal(w.maxs, maxs)


def clicks_file(path, seconds: list[int], rate: int = 48000, size: int = 960):
    """PCM in Matroska: 1 s at each of ``seconds`` (timestamps jump over the others), in frames of
    ``size`` samples, with a click on the sample at every half second."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate)
        stream.layout = "mono"
        for second in seconds:
            for k in range(rate // size):
                samples = np.zeros((1, size), np.int16)
                if k * size % (rate // 2) == 0:
                    samples[0, 0] = 30000
                frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
                frame.sample_rate, frame.pts = rate, second * rate + k * size
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_a_gap_in_the_audio_is_silent_and_what_follows_sits_at_its_own_time(tmp_path):
    # 1 s of clicks, then nothing for a second (the timestamps jump), then 1 s more: the second part
    # is placed by its timestamps, not straight after the first.
    _, w = drive(waveform(clicks_file(tmp_path / "gap.mkv", [0, 2]), 30, cache=False))
    assert float(w.duration) == pytest.approx(3, abs=0.03)
    assert loud(w) == [0, 5, 20, 25]

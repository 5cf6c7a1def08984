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

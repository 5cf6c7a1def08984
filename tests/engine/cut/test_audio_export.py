"""Audio exports (mp3, wav, m4a, flac) from video and audio sources, and GIF exports, judged on the file a
user gets: its codec and container, its length, and where its sound sits.

Every source clicks once a second (tests/media.py). A cut from `start` to `end` must last `end - start`
(to the sample where the codec stores lengths exactly, within one codec frame otherwise), and every click
of the source inside the cut must sound at its source time minus `start`. The source's clicks are read
from the source itself, counted from its first sample, so encoders that delay them (ADTS and WMA keep
their priming as sound) are judged against what the source really plays.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from tests import media
from tests.conftest import audio_end, audio_samples, audio_stream_duration, sha256

F = Fraction

# format -> (codec as PyAV names it, samples per codec frame)
FORMATS = {
    "mp3": ("mp3", 1152),
    "wav": ("pcm_s16le", 1),
    "m4a": ("aac", 1024),
    "flac": ("flac", 1),
}
CONTAINERS = {"mp3": "mp3", "wav": "wav", "m4a": "mov,mp4,m4a,3gp,3g2,mj2", "flac": "flac"}


SOURCES = [
    "h264",  # a video: 48 kHz AAC in MP4
    "audio_mp3",
    "audio_wav",
    "audio_flac",
    "audio_ogg",
    "audio_m4a",
    "audio_aac",
    "audio_wma",
]

START, END = F(5, 4), F(7, 2)


def clicks(path) -> list[float]:
    """Click onsets on the file's timeline, counted from its first sample."""
    start = media.probe(path)["start_time"] or 0.0
    return [t - start for t in media.click_times(path)]


_SOURCE_CLICKS: dict[Path, list[float]] = {}


def source_clicks(path) -> list[float]:
    """Click onsets of the source, counted from its first sample as a player shows it (a cut's times)."""
    path = Path(path)
    if path not in _SOURCE_CLICKS:
        _SOURCE_CLICKS[path] = clicks(path)
    return _SOURCE_CLICKS[path]


def expected_clicks(path, start: Fraction, end: Fraction) -> list[float]:
    return [c - float(start) for c in source_clicks(path) if start <= c and c + 0.01 <= end]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", SOURCES)
def test_audio_export(export, source, key, fmt):
    src = source(key)
    before = sha256(src)
    ex = export(key, start=START, end=END, format=fmt)
    info = media.probe(ex.path)
    codec, frame = FORMATS[fmt]

    assert ex.path.suffix == "." + fmt
    assert info["format"] == CONTAINERS[fmt]
    assert [(s["type"], s["codec"]) for s in info["streams"]] == [("audio", codec)]
    if fmt == "m4a":
        assert ex.path.read_bytes()[8:12] == b"M4A "  # the iPod/iTunes brand, not a plain MP4
    assert (ex.result.format, ex.result.video, ex.result.quality) == (fmt, "", "")
    assert ex.result.start == START
    assert media.decode_errors(ex.path) == ""

    wanted = END - START
    n, rate = audio_samples(ex.path)
    if frame == 1:  # PCM and FLAC: to the sample
        assert n == wanted * rate
    elif fmt == "m4a":
        assert audio_end(ex.path) == wanted  # the AAC packets say how long the audio is, exactly
        assert abs(audio_stream_duration(ex.path) - wanted) < F(1, 1000)  # the edit list, in ms
        assert wanted * rate <= n < wanted * rate + frame
    else:
        assert abs(n - wanted * rate) < frame

    heard, expected = clicks(ex.path), expected_clicks(src, START, END)
    assert len(expected) == 2
    assert len(heard) == len(expected), (heard, expected)
    assert all(abs(h - e) <= 0.002 for h, e in zip(heard, expected)), (heard, expected)
    assert sha256(src) == before


@pytest.mark.parametrize("key", [
    "h264", "audio_m4a", "audio_wav", "audio_ogg",
    "audio_mp3",
])
def test_cut_from_the_start_keeps_the_first_click_and_its_length(export, source, key):
    src = source(key)
    ex = export(key, start=0, end=1.5, format="wav")
    n, rate = audio_samples(ex.path)
    assert n == F(3, 2) * rate
    heard, expected = clicks(ex.path), expected_clicks(src, F(0), F(3, 2))
    assert len(heard) == len(expected) == 2, (heard, expected)
    assert all(abs(h - e) <= 0.002 for h, e in zip(heard, expected)), (heard, expected)


def test_audio_format_default_for_an_audio_source_is_its_own(export, source):
    ex = export("audio_flac", name="out.flac", start=0.5, end=1.5)
    assert ex.result.format == "flac"
    assert media.probe(ex.path)["streams"][0]["codec"] == "flac"


# ------------------------------------------------------------------------------------------------- GIF


def gif_frames(path) -> list[tuple[Fraction, Fraction, int]]:
    """(start, duration, barcode) of every frame of a GIF, in seconds."""
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            for frame in packet.decode():
                out.append((F(packet.pts) * packet.time_base, F(packet.duration) * packet.time_base,
                            media.read_barcode(frame)))
    return out


@pytest.mark.parametrize("quality", [None, "720p"])
def test_gif_size_rate_and_length(export, quality):
    pytest.importorskip("engine.cut.gif")
    ex = export("h264", start=0.5, end=2.5, format="gif", quality=quality)
    info = media.probe(ex.path)
    v = info["streams"][0]
    assert (info["format"], v["codec"], v["width"], v["height"]) == ("gif", "gif", 320, 240)
    assert (ex.result.width, ex.result.height, ex.result.format) == (320, 240, "gif")
    frames = gif_frames(ex.path)
    assert len(frames) == 30  # 2 s at 15 fps
    # each frame starts at its 1/15 s tick, rounded to the GIF's centiseconds, and shows the source frame
    # of that instant (0.5 s + k / 15: source frame 15 + 2k)
    assert [t for t, _, _ in frames] == [F(round(F(k * 100, 15)), 100) for k in range(30)]
    assert [n for _, _, n in frames] == [15 + 2 * k for k in range(30)]
    last_start, last_duration, _ = frames[-1]
    assert last_start + last_duration == 2
    assert media.decode_errors(ex.path) == ""

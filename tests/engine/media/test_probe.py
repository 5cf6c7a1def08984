"""Probe and import checks: every accepted container is described; everything else is refused with a reason."""

import hashlib
from fractions import Fraction

import pytest

from engine.cut.export import export_clip
from engine.cut.request import ClipRequest, validate
from engine.errors import NotFound, UnsupportedMedia
from engine.media.probe import Inputs, probe
from engine.progress import drain
from tests import media

VIDEO_SUFFIXES = [".mp4", ".mov", ".mkv", ".webm", ".avi", ".flv", ".m4v"]
AUDIO_SUFFIXES = [".mp3", ".wav", ".aac", ".flac", ".ogg", ".m4a", ".wma"]
VIDEO_CODEC = {".webm": "vp9", ".avi": "mpeg4", ".flv": "h264"}


@pytest.mark.parametrize("suffix", VIDEO_SUFFIXES)
def test_video_containers_are_described(tmp_path, suffix):
    path = media.make_video(tmp_path / f"v{suffix}", duration=2.0, codec=VIDEO_CODEC.get(suffix, "h264"))
    info = probe(path)
    assert info.container == suffix[1:]
    assert info.media_kind == "video" and info.has_video and info.has_audio
    assert info.max_height == 240 and info.display_size == (320, 240)
    assert abs(float(info.duration) - 2.0) < 0.1
    assert info.video.frame_rate == 30
    assert info.video.time_base > 0
    assert info.audio.sample_rate == 48000 and info.audio.channels == 2


@pytest.mark.parametrize("suffix", AUDIO_SUFFIXES)
def test_audio_containers_are_described(tmp_path, suffix):
    path = media.make_audio(tmp_path / f"a{suffix}", duration=2.0)
    info = probe(path)
    assert info.container == suffix[1:]
    assert info.media_kind == "audio" and not info.has_video and info.has_audio
    assert info.max_height == 0
    assert abs(float(info.duration) - 2.0) < 0.15


def test_api_fields(tmp_path):
    path = media.make_video(tmp_path / "src.mp4", duration=2.0)
    d = probe(path).to_dict()
    assert d["format_detected"] == "mov,mp4,m4a,3gp,3g2,mj2"
    assert d["media_kind"] == "video" and d["has_video"] is True and d["has_audio"] is True
    assert d["max_height"] == 240 and d["duration"] == d["duration_seconds"]
    assert d["file_size"] == path.stat().st_size


def test_rotation_and_displayed_height(tmp_path):
    path = media.make_video(tmp_path / "r.mp4", duration=1.0, width=320, height=240, rotation=90)
    info = probe(path)
    assert info.video.rotation in (90, 270)
    assert info.max_height == 320 and info.display_size == (240, 320)


def test_subtitle_tracks_are_listed(tmp_path):
    path = media.make_video(tmp_path / "s.mkv", duration=2.0,
                            subtitles=[("subrip", [(0.5, 1.5, "hello")]), ("ass", [(0.2, 0.9, "hi")])])
    subs = probe(path).subtitles
    assert [s.codec for s in subs] == ["subrip", "ass"]
    assert all(s.is_text_subtitle for s in subs)


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="no such file"):
        probe(tmp_path / "nope.mp4")


@pytest.mark.parametrize("make,match", [
    (lambda d: media.empty_file(d / "e.mp4"), "empty"),
    (lambda d: media.text_file(d / "t.mp4"), "text file"),
    (lambda d: (d / "i.mp4").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200)) and d / "i.mp4", "PNG image"),
])
def test_not_media_is_refused_saying_what_it_is(tmp_path, make, match):
    with pytest.raises(UnsupportedMedia, match=match) as e:
        probe(make(tmp_path))
    assert e.value.code == "unsupported_media"


def test_a_container_we_do_not_accept_is_refused(tmp_path):
    src = media.make_video(tmp_path / "v.mp4", duration=1.0)
    ts = tmp_path / "v.ts"
    import av

    with av.open(str(src)) as i, av.open(str(ts), "w", format="mpegts") as o:
        streams = {s.index: o.add_stream_from_template(s) for s in i.streams}
        for p in i.demux():
            if p.dts is not None:
                p.stream = streams[p.stream.index]
                o.mux(p)
    with pytest.raises(UnsupportedMedia, match="not a supported media file"):
        probe(ts)


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9])
def test_truncated_files_are_refused(tmp_path, fraction):
    src = media.make_video(tmp_path / "v.mp4", duration=8.0)
    bad = media.truncate(src, tmp_path / "cut.mp4", fraction)
    with pytest.raises(UnsupportedMedia, match="truncated|damaged|could not be read"):
        probe(bad)


def test_truncated_mkv_is_refused(tmp_path):
    src = media.make_video(tmp_path / "v.mkv", duration=10.0)
    bad = media.truncate(src, tmp_path / "cut.mkv", 0.5)
    with pytest.raises(UnsupportedMedia, match="truncated"):
        probe(bad)


def test_a_header_of_one_format_on_another_is_refused(tmp_path):
    v = media.make_video(tmp_path / "v.mkv", duration=2.0)
    a = media.make_audio(tmp_path / "a.mp3", duration=2.0)
    bad = media.graft_header(v, a, tmp_path / "x.mkv")
    with pytest.raises(UnsupportedMedia):
        probe(bad)


def test_probe_never_modifies_the_source(tmp_path):
    src = media.make_video(tmp_path / "v.mp4", duration=2.0)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    probe(src)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before


def test_duration_is_exact(tmp_path):
    src = media.make_video(tmp_path / "v.mp4", duration=2.0, audio=False)
    assert probe(src).duration == Fraction(2)


def test_an_import_leaves_its_containers_ready_for_the_cut_that_follows(tmp_path):
    """A worker imports a file (a thorough probe: it drains the decoder for the first frame) and
    then cuts from the same open containers: the cut still starts and ends on the frames asked."""
    src = media.make_video(tmp_path / "v.mp4", duration=4.0, rotation=90)
    with Inputs(str(src)) as inputs:
        info = probe(src, opener=lambda: inputs.get("video"), thorough=True)
        assert info.video.rotation in (90, 270) and info.max_height == 320  # read from the first frame
        clip = validate(ClipRequest(str(src), start=1.5, end=2.5, mode="precise"), info)
        drain(export_clip(info, clip, clip.outputs[0], tmp_path / "cut.mp4", inputs))
    frames = [n for _, n in media.frame_numbers(tmp_path / "cut.mp4")]
    assert (frames[0], frames[-1], len(frames)) == (45, 74, 30)

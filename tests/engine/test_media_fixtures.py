"""The test-media library round-trips: what tests/media.py writes, its readers (and ffmpeg) read back."""

from fractions import Fraction

import av
import pytest

from tests import media

SECONDS = [0.0, 1.0, 2.0, 3.0]
CUES = [(0.5, 1.25, "Hello, world"), (2.0, 3.5, "Two\nlines")]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Generate each file once per module: made(name, **kwargs) -> path."""
    folder = tmp_path_factory.mktemp("media")
    cache = {}

    def get(name, **kwargs):
        if name not in cache:
            path = folder / name
            maker = media.make_video if "video" in name else media.make_audio
            cache[name] = maker(path, **kwargs)
        return cache[name]

    return get


VIDEOS = {
    "h264": ("video_h264.mp4", {}),
    "hevc": ("video_hevc.mp4", {"codec": "hevc"}),
    "mkv": ("video_subs.mkv", {"subtitles": [("subrip", CUES), ("ass", CUES), ("webvtt", CUES[:1])]}),
    "vp9": ("video_vp9.webm", {"codec": "vp9"}),
    "rotated": ("video_rotated.mp4", {"rotation": 90}),
    "vfr": ("video_vfr.mp4", {"vfr": True}),
    "mov_text": ("video_mov_text.mov", {"subtitles": [("mov_text", CUES)]}),
}


def video(made, key):
    name, kwargs = VIDEOS[key]
    return made(name, **kwargs)


def assert_frames(frames, expected_times):
    """Frames 0..N-1 in order at the expected times; Matroska/WebM store milliseconds, so within 0.5 ms."""
    assert [n for _, n in frames] == list(range(len(expected_times)))
    assert all(abs(t - e) <= Fraction(1, 2000) for (t, _), e in zip(frames, expected_times)), frames


def assert_clicks_at(times, expected, tolerance=0.001):
    assert len(times) == len(expected), times
    assert all(abs(t - e) <= tolerance for t, e in zip(times, expected)), times


@pytest.mark.parametrize("key", ["h264", "hevc", "mkv", "vp9", "rotated", "mov_text"])
def test_constant_rate_video_round_trips(made, key):
    path = video(made, key)

    frames = media.frame_numbers(path)
    expected_times = media.cfr_timestamps(4.0, Fraction(30))
    assert_frames(frames, expected_times)
    if path.suffix in (".mp4", ".mov"):
        assert [t for t, _ in frames] == expected_times

    keyframes = [round(t * 30) for t in media.keyframe_times(path)]
    assert keyframes == [0, 30, 60, 90]
    assert_clicks_at(media.click_times(path), SECONDS)
    assert media.decode_errors(path) == ""


@pytest.mark.parametrize("key, codec, audio_codec", [
    ("h264", "h264", "aac"), ("hevc", "hevc", "aac"), ("vp9", "vp9", "opus"), ("mkv", "h264", "aac"),
])
def test_probe_reports_codecs_and_shape(made, key, codec, audio_codec):
    info = media.probe(video(made, key))
    v, a = info["streams"][0], info["streams"][1]
    assert (v["type"], v["codec"], v["width"], v["height"], v["rotation"]) == ("video", codec, 320, 240, 0)
    assert v["packets"] == 120 and v["keyframes"] == 4
    assert (a["type"], a["codec"], a["channels"]) == ("audio", audio_codec, 2)
    assert info["duration"] == pytest.approx(4.0, abs=0.03)


@pytest.mark.parametrize("name, codec", [("video_mpeg4.mp4", "mpeg4"), ("video_vp8.webm", "vp8")])
def test_other_codecs_keep_a_fixed_gop(made, name, codec):
    path = made(name, codec=codec, duration=2.0, gop=15, audio=False)
    info = media.probe(path)
    assert [(s["type"], s["codec"]) for s in info["streams"]] == [("video", codec)]
    assert_frames(media.frame_numbers(path), media.cfr_timestamps(2.0, Fraction(30)))
    assert [round(t * 30) for t in media.keyframe_times(path)] == [0, 15, 30, 45]
    assert media.decode_errors(path) == ""


@pytest.mark.parametrize("key", ["h264", "hevc"])
def test_b_frames_are_really_there(made, key):
    with av.open(str(video(made, key))) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    assert any(p.pts != p.dts for p in packets), "no reordered (B) frames"


def test_rotation_reads_back_and_barcode_ignores_it(made):
    path = video(made, "rotated")
    assert media.probe(path)["streams"][0]["rotation"] == 90
    assert [n for _, n in media.frame_numbers(path)] == list(range(120))


def test_rotation_agrees_with_ffprobe(made):
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream_side_data=rotation",
         "-of", "csv=p=0", str(video(made, "rotated"))],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.split() == ["90"]


def test_vfr_timestamps_are_exact_and_uneven(made):
    path = video(made, "vfr")
    expected = media.vfr_timestamps(4.0, Fraction(30))
    frames = media.frame_numbers(path)
    assert frames == list(zip(expected, range(len(expected))))
    steps = {b - a for a, b in zip(expected, expected[1:])}
    assert steps == {Fraction(1, 30), Fraction(1, 15)}
    assert media.keyframe_times(path) == [expected[0], expected[30], expected[60]]
    assert_clicks_at(media.click_times(path), SECONDS)
    assert media.decode_errors(path) == ""


def test_subtitle_tracks_read_back(made):
    path = video(made, "mkv")
    codecs = [s["codec"] for s in media.probe(path)["streams"] if s["type"] == "subtitle"]
    assert codecs == ["subrip", "ass", "webvtt"]
    assert media.subtitle_cues(path) == CUES
    assert media.subtitle_cues(path, stream=3) == CUES
    assert media.subtitle_cues(path, stream=4) == CUES[:1]


def test_mov_text_reads_back(made):
    path = video(made, "mov_text")
    assert [s["codec"] for s in media.probe(path)["streams"]] == ["h264", "aac", "mov_text"]
    assert media.subtitle_cues(path) == CUES


def test_container_refuses_a_subtitle_codec_it_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="mov_text"):
        media.make_video(tmp_path / "x.mkv", subtitles=[("mov_text", CUES)])


# Containers that cannot say how many priming samples the encoder added put the clicks late by that many.
AUDIO = {
    ".wav": 0, ".flac": 0, ".mp3": 0, ".m4a": 0, ".ogg": 0, ".aac": Fraction(1024, 44100),
}


@pytest.mark.parametrize("suffix", sorted(AUDIO))
def test_audio_files_round_trip(made, suffix):
    path = made(f"audio{suffix}")
    info = media.probe(path)
    start = info["start_time"] or 0.0  # mp3: the LAME tag's encoder delay moves the first sample to 25 ms
    times = [t - start for t in media.click_times(path)]
    assert_clicks_at(times, [s + float(AUDIO[suffix]) for s in SECONDS])
    assert info["streams"][0]["sample_rate"] == 44100
    assert media.decode_errors(path) == ""


def test_opus_audio_round_trips(made):
    path = made("audio.opus", sample_rate=48000)
    assert_clicks_at(media.click_times(path), SECONDS)
    assert media.probe(path)["streams"][0]["codec"] == "opus"


def test_wma_keeps_the_click_spacing(made):
    # FFmpeg's wmav2 encoder declares no delay and its first frames decode to nothing: the click at 0 is
    # lost and the rest sit about 46 ms late, one apart.
    path = made("audio.wma")
    times = media.click_times(path)
    assert len(times) == 3
    assert all(abs(b - a - 1.0) <= 0.001 for a, b in zip(times, times[1:]))
    assert 1.0 <= times[0] < 1.06
    assert media.decode_errors(path) == ""


def _transcode(source, out, *, scale, codec="libx264", pix_fmt="yuv420p", options=None):
    """A lossy, shrunk copy of `source`'s video, written with PyAV, to test the barcode reader."""
    with av.open(str(source)) as src, av.open(str(out), "w") as dst:
        in_stream = src.streams.video[0]
        rate = Fraction(100) if codec == "gif" else Fraction(30)
        stream = dst.add_stream(codec, rate=rate, options=options or {})
        stream.width = in_stream.codec_context.width // scale
        stream.height = in_stream.codec_context.height // scale
        stream.pix_fmt = pix_fmt
        stream.codec_context.time_base = 1 / rate
        for frame in src.decode(in_stream):
            small = frame.reformat(width=stream.width, height=stream.height, format=pix_fmt)
            small.pts = round(frame.time * rate)
            small.time_base = 1 / rate
            dst.mux(stream.encode(small))
        dst.mux(stream.encode(None))
    return out


@pytest.mark.parametrize("scale, crf", [(2, "40"), (4, "45")])
def test_barcode_survives_downscaling_and_low_quality(made, tmp_path, scale, crf):
    out = _transcode(video(made, "h264"), tmp_path / "small.mp4", scale=scale,
                     options={"crf": crf, "preset": "ultrafast"})
    frames = media.frame_numbers(out)
    assert [n for _, n in frames] == list(range(120))


def test_barcode_survives_gif(made, tmp_path):
    out = _transcode(video(made, "h264"), tmp_path / "clip.gif", scale=2, codec="gif", pix_fmt="rgb8")
    frames = media.frame_numbers(out)
    assert [n for _, n in frames] == list(range(120))
    assert frames[30][0] == 1


def test_barcode_reader_refuses_a_frame_without_barcode():
    frame = av.VideoFrame(320, 240, "yuv420p")
    for plane, value in zip(frame.planes, (128, 128, 128)):
        plane.update(bytes([value]) * plane.buffer_size)
    with pytest.raises(ValueError, match="no barcode"):
        media.read_barcode(frame)


def test_damaged_files(made, tmp_path):
    source = video(made, "h264")
    size = source.stat().st_size

    cut = media.truncate(source, tmp_path / "cut.mp4", 0.5)
    assert cut.stat().st_size == size // 2
    assert media.decode_errors(cut) != ""

    flipped = media.flip_bytes(source, tmp_path / "flip.mp4", seed=1, count=50, skip=4096)
    again = media.flip_bytes(source, tmp_path / "flip2.mp4", seed=1, count=50, skip=4096)
    original, damaged = source.read_bytes(), flipped.read_bytes()
    assert damaged == again.read_bytes()
    assert sum(a != b for a, b in zip(original, damaged)) == 50
    assert original[:4096] == damaged[:4096]

    assert media.empty_file(tmp_path / "empty.mp4").stat().st_size == 0
    with pytest.raises(av.error.InvalidDataError):
        av.open(str(media.text_file(tmp_path / "notes.mp4")))

    grafted = media.graft_header(made("audio.wav"), source, tmp_path / "liar.wav", head_bytes=44)
    assert grafted.read_bytes()[:4] == b"RIFF" and grafted.read_bytes()[44:] == original[44:]

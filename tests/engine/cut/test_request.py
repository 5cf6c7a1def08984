"""Every rule of the clip request, on MediaInfo built by hand (no I/O)."""

from fractions import Fraction

import pytest

from engine.cut.request import ClipRequest, Segment, validate
from engine.errors import InvalidRequest
from engine.media.info import MediaInfo, StreamInfo


def _info(*, video=True, audio=True, height=1080, width=1920, duration=120, rotation=0):
    streams = []
    if video:
        streams.append(StreamInfo(0, "video", "h264", Fraction(1, 15360), Fraction(0), Fraction(duration),
                                  width=width, height=height, frame_rate=Fraction(30), pix_fmt="yuv420p",
                                  rotation=rotation))
    if audio:
        streams.append(StreamInfo(len(streams), "audio", "aac", Fraction(1, 48000), Fraction(0),
                                  Fraction(duration), sample_rate=48000, channels=2))
    return MediaInfo("/x/src.mp4" if video else "/x/src.mp3", 1000, "mov,mp4", "mp4" if video else "mp3",
                     Fraction(duration), tuple(streams))


VIDEO = _info()
AUDIO = _info(video=False)
SILENT = _info(audio=False)


def rejects(req, info=VIDEO, field=None, match=None):
    with pytest.raises(InvalidRequest, match=match) as e:
        validate(req, info)
    if field is not None:
        assert e.value.field == field
    assert e.value.code == "invalid_request"
    return e.value


def test_a_range_becomes_one_exact_segment():
    v = validate(ClipRequest("s", start=15, end=55.5), VIDEO)
    assert v.segments == ((Fraction(15), Fraction(111, 2)),)
    assert v.format == "mp4" and v.mode == "precise" and v.quality is None and v.height is None


def test_float_noise_is_removed_from_times():
    v = validate(ClipRequest("s", start=0.1, end=0.7), VIDEO)
    assert v.segments == ((Fraction(1, 10), Fraction(7, 10)),)


def test_omitted_start_and_end_mean_the_whole_source():
    v = validate(ClipRequest("s", end=30), VIDEO)
    assert v.segments[0][0] == 0
    v = validate(ClipRequest("s", start=100), VIDEO)
    assert v.segments[0] == (Fraction(100), Fraction(120))


@pytest.mark.parametrize("start,end,field,match", [
    (-1, 10, "start", "0 or more"),
    (10, 10, "end", "after its start"),
    (10, 5, "end", "after its start"),
    (10, 121, "end", "past the end"),
    (10, 10.4, "end", "at least 0.5"),
    (0, 700, "end", "at most 10 minutes"),
    ("abc", 10, "start", "number of seconds"),
])
def test_range_rules(start, end, field, match):
    rejects(ClipRequest("s", start=start, end=end), _info(duration=800) if end == 700 else VIDEO, field, match)


def test_end_may_equal_the_duration_and_a_rounding_overshoot_is_clamped():
    v = validate(ClipRequest("s", start=100, end=120.0004), VIDEO)
    assert v.segments[0][1] == 120


def test_segments_rules():
    segs = tuple(Segment(i, i + 1) for i in range(50))
    assert len(validate(ClipRequest("s", segments=segs), VIDEO).segments) == 50
    rejects(ClipRequest("s", segments=tuple(Segment(i, i + 1) for i in range(51))), VIDEO, "segments", "at most 50")
    rejects(ClipRequest("s", segments=()), VIDEO, "segments", "at least one")
    e = rejects(ClipRequest("s", segments=(Segment(0, 5), Segment(7, 7.2))), VIDEO, "segments[1].end", "segment 2")
    assert "0.5" in e.message
    rejects(ClipRequest("s", start=1, end=5, segments=(Segment(0, 5),)), VIDEO, "segments", "not both")


def test_each_segment_is_one_output_unless_joined():
    segs = (Segment(0, 5), Segment(10, 12))
    assert len(validate(ClipRequest("s", segments=segs), VIDEO).outputs) == 2
    joined = validate(ClipRequest("s", segments=segs, join=True), VIDEO)
    assert joined.outputs == (((0, 5), (10, 12)),)


@pytest.mark.parametrize("fmt,canonical", [("mp4", "mp4"), ("MP3", "mp3"), ("wav", "wav"), ("aac", "m4a"),
                                           ("m4a", "m4a"), ("flac", "flac"), ("gif", "gif")])
def test_formats_and_the_aac_alias(fmt, canonical):
    assert validate(ClipRequest("s", end=10, format=fmt), VIDEO).format == canonical


def test_unknown_format_is_rejected():
    rejects(ClipRequest("s", end=10, format="avi"), VIDEO, "format", "must be one of")


@pytest.mark.parametrize("q,name,height", [("4k", "4k", None), ("1080p", "1080p", None), ("high", "1080p", None),
                                           ("720p", "720p", 720), ("medium", "720p", 720)])
def test_qualities_aliases_and_never_upscale(q, name, height):
    v = validate(ClipRequest("s", end=10, quality=q), VIDEO)
    assert (v.quality, v.height) == (name, height)


def test_quality_above_a_small_source_keeps_the_source():
    v = validate(ClipRequest("s", end=10, quality="1080p"), _info(height=480, width=640))
    assert v.height is None


def test_quality_of_a_rotated_source_is_its_displayed_height():
    # a 1920x1080 stream rotated 90 degrees shows 1080 wide and 1920 high
    v = validate(ClipRequest("s", end=10, quality="1080p"), _info(rotation=90))
    assert v.height == 1080


def test_bad_quality_is_rejected():
    rejects(ClipRequest("s", end=10, quality="480p"), VIDEO, "quality", "must be one of")


@pytest.mark.parametrize("fmt", ["mp3", "wav", "m4a", "flac", "aac"])
def test_audio_formats_take_no_quality(fmt):
    rejects(ClipRequest("s", end=10, format=fmt, quality="720p"), VIDEO, "quality", "take no quality")


def test_gif_rules():
    rejects(ClipRequest("s", end=10, format="gif", quality="4k"), VIDEO, "quality", "4k")
    rejects(ClipRequest("s", start=0, end=30.5, format="gif"), VIDEO, "end", "at most 30")
    rejects(ClipRequest("s", segments=(Segment(0, 5), Segment(10, 41)), format="gif"), VIDEO,
            "segments[1].end", "at most 30")
    assert validate(ClipRequest("s", start=0, end=30, format="gif", quality="720p"), VIDEO).height == 720


@pytest.mark.parametrize("fmt", ["mp3", "wav", "m4a", "flac"])
def test_audio_sources_export_audio_formats(fmt):
    assert validate(ClipRequest("s", end=10, format=fmt), AUDIO).format == fmt


@pytest.mark.parametrize("fmt", ["mp4", "gif"])
def test_audio_sources_cannot_export_video(fmt):
    rejects(ClipRequest("s", end=10, format=fmt), AUDIO, "format", "audio source")


def test_audio_source_default_format_is_its_own_kind():
    assert validate(ClipRequest("s", end=10), AUDIO).format == "mp3"


@pytest.mark.parametrize("fmt", ["mp3", "wav", "m4a", "flac"])
def test_a_source_without_audio_cannot_export_audio(fmt):
    rejects(ClipRequest("s", end=10, format=fmt), SILENT, "format", "no audio")


def test_caption_rules():
    ok = validate(ClipRequest("s", end=10, captions="builtin:short-form-karaoke"), VIDEO)
    assert ok.captions == "builtin:short-form-karaoke"
    rejects(ClipRequest("s", end=10, captions="builtin:x", format="gif"), VIDEO, "captions", "mp4")
    rejects(ClipRequest("s", end=10, captions="builtin:x", format="mp3"), VIDEO, "captions", "mp4")
    rejects(ClipRequest("s", end=10, captions="builtin:x", format="mp3"), AUDIO, "captions", "video source")
    rejects(ClipRequest("s", end=10, captions="karaoke"), VIDEO, "captions", "preset ref")


def test_mode_rule():
    rejects(ClipRequest("s", end=10, mode="fast"), VIDEO, "mode", "keyframe, precise")

"""Text subtitle tracks carried into a cut MP4 as mov_text: cut rules, payload text, and real files.

The real-file tests write a source with `tests.media.make_video` (SubRip, ASS and WebVTT in Matroska,
mov_text in MP4), cut it into an MP4 the way the export pipeline does (each track a generator of output
packets, merged by dts), and read the output back twice: with our reader and with the ffmpeg CLI
(`ffmpeg -i out.mp4 out.srt`, parsed by pysubs2) as the independent oracle.
"""

from __future__ import annotations

import heapq
import json
import shutil
import subprocess
from fractions import Fraction

import av
import pysubs2
import pytest

from engine.cut.subtitle_track import (
    MOV_TEXT_TIME_BASE,
    Cue,
    add_mov_text_stream,
    ass_plain_text,
    cue_text,
    cut_cues,
    flatten_overlaps,
    read_cues,
    subtitle_packets,
)
from engine.errors import InvalidRequest, NotFound, UnsupportedMedia
from engine.timeline import Window
from tests.media import make_video

F = Fraction


def W(start, end, offset=0) -> Window:
    return Window(F(start), F(end), F(offset))


def C(start, end, text="x") -> Cue:
    return Cue(F(start), F(end), text)


# ------------------------------------------------------------------------------------------ cut_cues


def test_cues_outside_every_window_are_dropped():
    cues = [C(0, 1, "before"), C(2, 3, "inside"), C(9, 10, "after")]
    assert cut_cues(cues, [W(1.5, 4)]) == [C("0.5", "1.5", "inside")]


def test_a_cue_overlapping_the_window_start_is_trimmed_to_it():
    assert cut_cues([C(1, 3, "a")], [W(2, 5)]) == [C(0, 1, "a")]


def test_a_cue_overlapping_the_window_end_is_trimmed_to_it():
    assert cut_cues([C(4, 7, "a")], [W(2, 5)]) == [C(2, 3, "a")]


def test_a_cue_covering_the_whole_window_becomes_the_window():
    assert cut_cues([C(0, 10, "a")], [W(2, 5, 1)]) == [C(1, 4, "a")]


def test_cues_move_by_the_window_offset():
    assert cut_cues([C(3, 4, "a")], [W(2, 5, 10)]) == [C(11, 12, "a")]


def test_a_cue_spanning_two_joined_windows_appears_in_each_trimmed():
    windows = [W(2, 4, 0), W(6, 8, 2)]  # the joined clip is 4 s long; source 4..6 is cut out
    cues = [C(3, 7, "long"), C(5, "5.5", "in the gap")]
    assert cut_cues(cues, windows) == [C(1, 2, "long"), C(2, 3, "long")]


def test_windows_out_of_source_order_keep_the_output_order():
    windows = [W(6, 8, 0), W(2, 4, 2)]  # a later part of the source plays first
    cues = [C("2.5", 3, "early"), C(7, "7.5", "late")]
    assert cut_cues(cues, windows) == [C(1, "1.5", "late"), C("2.5", 3, "early")]


def test_cues_touching_a_window_only_at_its_edges_are_dropped():
    cues = [C(1, 2, "ends at start"), C(5, 6, "starts at end"), C(2, 5, "exactly the window")]
    assert cut_cues(cues, [W(2, 5)]) == [C(0, 3, "exactly the window")]


def test_results_of_zero_length_are_dropped():
    cues = [C(3, 3, "zero-length cue"), C(1, 9, "in a zero-length window")]
    assert cut_cues(cues, [W(4, 4), W("2.5", "2.5", 1)]) == []
    assert cut_cues([C(3, 3, "zero-length cue")], [W(0, 10)]) == []


def test_exact_fractions_survive_a_cut():
    fps = F(30000, 1001)
    window = Window(100 / fps, 200 / fps, F(1, 3))  # frames 100..199 of NTSC video, shown from 1/3 s
    [out] = cut_cues([Cue(F(7, 2), F(7), "a")], [window])
    assert out == Cue(F(7, 2) - 100 / fps + F(1, 3), 100 / fps + F(1, 3), "a")


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(InvalidRequest) as error:
        cut_cues([C(0, 1)], [W(3, 2)])
    assert error.value.field == "windows"


# ----------------------------------------------------------------------------------- flatten_overlaps


def test_cues_that_do_not_overlap_come_back_unchanged():
    cues = [C(0, 1, "a"), C(1, 2, "b"), C(3, 4, "c")]
    assert flatten_overlaps(cues) == cues


def test_overlapping_cues_are_shown_together_while_they_overlap():
    cues = [C(1, 3, "One"), C(2, 4, "Two")]
    assert flatten_overlaps(cues) == [C(1, 2, "One"), C(2, 3, "One\nTwo"), C(3, 4, "Two")]


def test_a_cue_inside_another_splits_it_in_three():
    cues = [C(0, 10, "outer"), C(4, 5, "inner")]
    assert flatten_overlaps(cues) == [C(0, 4, "outer"), C(4, 5, "outer\ninner"), C(5, 10, "outer")]


def test_two_cues_with_the_same_text_stay_two_cues():
    assert flatten_overlaps([C(0, 1, "same"), C(1, 2, "same")]) == [C(0, 1, "same"), C(1, 2, "same")]


# ------------------------------------------------------------------------------------- payload text


def test_ass_text_loses_its_override_tags_and_keeps_its_line_breaks():
    assert ass_plain_text(r"{\b1}Bold{\b0}, {\i1\c&H00FF00&}green{\r}\Nnext") == "Bold, green\nnext"
    assert ass_plain_text(r"a\hb\nc") == "a\u00a0b\nc"
    assert ass_plain_text(r"{\p1}m 0 0 l 100 0 100 100{\p0}Sign") == "Sign"


def test_ass_packets_give_the_text_field_even_when_it_holds_commas():
    payload = r"3,0,Default,Bob,0,0,0,,{\an8}Well, well,\Nwell.".encode()
    assert cue_text("ass", payload) == "Well, well,\nwell."
    assert cue_text("ssa", b"Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Old, style") == "Old, style"
    assert cue_text("ass", rb"0,0,Default,,0,0,0,,{\p1}m 0 0 l 1 1{\p0}") == ""


def test_subrip_text_loses_its_html_tags():
    payload = b'<font color="#ff0000">Red</font> and <i>italic</i>\r\n{\\an8}<B>top</B> a < b'
    assert cue_text("subrip", payload) == "Red and italic\ntop a < b"


def test_subrip_text_that_is_not_utf8_is_read_as_windows_1252():
    assert cue_text("subrip", "Caf\u00e9 \u2013 bient\u00f4t".encode("cp1252")) == "Caf\u00e9 \u2013 bient\u00f4t"


def test_webvtt_text_loses_its_tags_and_entities():
    payload = b"<v Bob>Hello</v> &amp; <c.loud>bye</c> <00:00:01.500>&lt;3"
    assert cue_text("webvtt", payload) == "Hello & bye <3"


def test_mov_text_sample_gives_its_text_without_style_boxes():
    text = "Bold and plain\nnext".encode()
    style = b"\x00\x00\x00\x16styl\x00\x01\x00\x00\x00\x04\x00\x01\x01\x10\xff\xff\xff\xff"
    assert cue_text("mov_text", len(text).to_bytes(2, "big") + text + style) == "Bold and plain\nnext"
    utf16 = "\ufeffHi \u00e9".encode("utf-16-be")
    assert cue_text("mov_text", len(utf16).to_bytes(2, "big") + utf16) == "Hi \u00e9"
    assert cue_text("mov_text", b"\x00\x00") == ""


# -------------------------------------------------------------------------------------- real files

WINDOWS = [W(2, 4, 0), W("4.5", "5.5", 2)]  # a 3 s clip of two joined windows
SOURCE_CUES = [
    (1.0, 2.0, "Early"),  # ends exactly where the first window starts: dropped
    (2.5, 3.0, r"Hello {\i1}world{\i0}"),  # inside the first window
    (3.5, 5.0, "{\\b1}Second{\\b0} line\ntwo"),  # crosses the join: appears in both windows
    (5.2, 5.8, r"Cut {\i1}off{\i0}"),  # crosses the end of the second window: trimmed
]
EXPECTED = [  # (start ms, end ms, text) on the clip's timeline, as the viewer sees it
    (500, 1000, "Hello world"),
    (1500, 2000, "Second line\ntwo"),
    (2000, 2500, "Second line\ntwo"),
    (2700, 3000, "Cut off"),
]
SOURCES = {"subrip": ".mkv", "ass": ".mkv", "webvtt": ".mkv", "mov_text": ".mp4"}


def _source(path, codec, cues, duration=6.0):
    """A tiny all-intra video (every frame a keyframe, so the test can cut it by copying) with one
    subtitle track; returns (path, index of the subtitle stream)."""
    make_video(path, duration=duration, fps=10, width=64, height=48, codec="mpeg4", gop=1, bframes=0,
               audio=False, subtitles=[(codec, cues)])
    with av.open(str(path)) as container:
        return path, container.streams.subtitles[0].index


def _cut(src, sub_index, windows, out_path):
    """Cut `src` into an MP4 as the pipeline does: video packets copied window by window, the subtitle
    track from `subtitle_packets`, both merged by dts."""
    with av.open(str(src)) as inp, av.open(str(out_path), "w") as out:
        video_in = inp.streams.video[0]
        video_out = out.add_stream_from_template(video_in)
        sub_out = add_mov_text_stream(out, inp.streams[sub_index])
        video_packets = [p for p in inp.demux(video_in) if p.size]

        def video():
            for window in windows:
                for packet in video_packets:
                    t = packet.pts * packet.time_base
                    if window.start <= t < window.end:
                        copy = av.Packet(bytes(packet))
                        copy.pts = copy.dts = round(window.to_output(t) / packet.time_base)
                        copy.duration, copy.time_base = packet.duration, packet.time_base
                        copy.is_keyframe, copy.stream = True, video_out
                        yield copy

        subs = subtitle_packets(src, sub_index, windows, sub_out)
        for packet in heapq.merge(video(), subs, key=lambda p: p.dts * p.time_base):
            out.mux(packet)
    return out_path


def _ffmpeg_cues(path):
    """The oracle: the ffmpeg CLI converts the output's first subtitle track to SubRip."""
    run = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
                         capture_output=True, text=True, check=True)
    subs = pysubs2.SSAFile.from_string(run.stdout, format_="srt")
    return [(line.start, line.end, line.plaintext) for line in subs]


def _ffprobe_subtitle_stream(path):
    run = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "s", "-show_streams", "-of", "json",
                          str(path)], capture_output=True, text=True, check=True)
    [stream] = json.loads(run.stdout)["streams"]
    return stream


def _ms(cues):
    return [(round(c.start * 1000), round(c.end * 1000), c.text) for c in cues]


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ffmpeg CLI is the oracle")


@needs_ffmpeg
@pytest.mark.parametrize("codec", sorted(SOURCES))
def test_a_cut_carries_the_subtitles_as_mov_text(tmp_path, codec):
    src, index = _source(tmp_path / f"src{SOURCES[codec]}", codec, SOURCE_CUES)
    out = _cut(src, index, WINDOWS, tmp_path / "out.mp4")

    with av.open(str(out)) as container:
        [stream] = container.streams.subtitles
        assert stream.codec_context.name == "mov_text"
        assert _ms(read_cues(container, stream.index)) == EXPECTED
        assert container.streams.video[0].frames == 30  # 20 frames from the first window, 10 from the second
    assert _ffmpeg_cues(out) == EXPECTED
    probe = _ffprobe_subtitle_stream(out)
    assert probe["codec_tag_string"] == "tx3g"
    assert probe["extradata_size"] > 20  # a complete tx3g sample description, not just its header


def test_the_source_reads_as_plain_text_cues(tmp_path):
    src, index = _source(tmp_path / "src.mkv", "ass", SOURCE_CUES)
    assert _ms(read_cues(src, index)) == [
        (1000, 2000, "Early"), (2500, 3000, "Hello world"), (3500, 5000, "Second line\ntwo"),
        (5200, 5800, "Cut off"),
    ]
    assert _ms(read_cues(src, index, until=F("3.5"))) == [(1000, 2000, "Early"), (2500, 3000, "Hello world")]


@needs_ffmpeg
def test_overlapping_source_cues_are_shown_together(tmp_path):
    cues = [(1.0, 3.0, "One"), (2.0, 4.0, "Two"), (4.5, 5.0, "Three")]
    src, index = _source(tmp_path / "src.mkv", "subrip", cues)
    out = _cut(src, index, [W("0.5", "4.8")], tmp_path / "out.mp4")
    expected = [(500, 1500, "One"), (1500, 2500, "One\nTwo"), (2500, 3500, "Two"), (4000, 4300, "Three")]
    assert _ffmpeg_cues(out) == expected
    assert _ms(read_cues(out, 1)) == expected


@needs_ffmpeg
def test_language_title_and_disposition_are_kept(tmp_path):
    src, index = _source(tmp_path / "plain.mkv", "subrip", SOURCE_CUES)
    tagged = tmp_path / "src.mkv"
    with av.open(str(src)) as inp, av.open(str(tagged), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        streams[index].metadata.update(language="fre", title="Fran\u00e7ais (SDH)")
        streams[index].disposition = av.stream.Disposition.forced | av.stream.Disposition.hearing_impaired
        for packet in inp.demux():
            if packet.size:
                packet.stream = streams[packet.stream_index]
                out.mux(packet)
    out = _cut(tagged, index, WINDOWS, tmp_path / "out.mp4")
    probe = _ffprobe_subtitle_stream(out)
    assert probe["tags"]["language"] == "fre"
    assert probe["tags"]["handler_name"] == "Fran\u00e7ais (SDH)"
    assert probe["disposition"]["forced"] == 1 and probe["disposition"]["hearing_impaired"] == 1
    assert _ffmpeg_cues(out) == EXPECTED


@needs_ffmpeg
def test_a_clip_with_no_cues_has_an_empty_subtitle_track(tmp_path):
    src, index = _source(tmp_path / "src.mkv", "subrip", SOURCE_CUES)
    out = _cut(src, index, [W("0.2", "0.9")], tmp_path / "out.mp4")
    assert _ffprobe_subtitle_stream(out)["codec_name"] == "mov_text"
    assert _ffmpeg_cues(out) == []
    assert read_cues(out, 1) == []


def test_packets_are_in_the_output_stream_time_base_and_sorted(tmp_path):
    src, index = _source(tmp_path / "src.mkv", "webvtt", SOURCE_CUES)
    with av.open(str(src)) as inp, av.open(str(tmp_path / "out.mp4"), "w") as out:
        stream = add_mov_text_stream(out, inp.streams[index])
        packets = list(subtitle_packets(src, index, WINDOWS, stream))
        assert stream.time_base == MOV_TEXT_TIME_BASE
        assert [(p.pts, p.dts, p.duration) for p in packets] == [(s, s, e - s) for s, e, _ in EXPECTED]
        assert all(p.time_base == MOV_TEXT_TIME_BASE and p.stream_index == stream.index for p in packets)
        assert all(p.is_keyframe for p in packets)
        out.mux(packets)


def test_cues_without_durations_last_until_the_next_cue_or_five_seconds(tmp_path):
    path = tmp_path / "nodur.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_mux_stream("subrip")
        stream.time_base = F(1, 1000)
        for pts, text in [(1000, b"One"), (2000, b"Two"), (10000, b"Three")]:
            packet = av.Packet(text)
            packet.pts = packet.dts = pts
            packet.duration, packet.time_base, packet.stream = 0, F(1, 1000), stream
            out.mux(packet)
    assert _ms(read_cues(path, 0)) == [(1000, 2000, "One"), (2000, 7000, "Two"), (10000, 15000, "Three")]


# ----------------------------------------------------------------------------------------- bad input


def test_reading_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        read_cues(tmp_path / "nope.mkv", 0)


def test_reading_a_file_that_is_not_media_is_unsupported(tmp_path):
    path = tmp_path / "notes.mkv"
    path.write_text("This is not a media file.\n" * 20)
    with pytest.raises(UnsupportedMedia):
        read_cues(path, 0)


def test_asking_for_a_stream_that_is_not_subtitles_is_an_invalid_request(tmp_path):
    src, index = _source(tmp_path / "src.mkv", "subrip", SOURCE_CUES)
    with pytest.raises(InvalidRequest) as error:
        read_cues(src, 0)  # the video
    assert error.value.field == "stream_index"
    with pytest.raises(InvalidRequest):
        read_cues(src, 7)


@pytest.mark.parametrize("codec", ["dvd_subtitle", "hdmv_pgs_subtitle"])
def test_bitmap_subtitles_are_unsupported(tmp_path, codec):
    path = tmp_path / "bitmap.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_mux_stream(codec)
        stream.time_base = F(1, 1000)
        packet = av.Packet(bytes(8))
        packet.pts = packet.dts = 0
        packet.duration, packet.time_base, packet.stream = 1000, F(1, 1000), stream
        out.mux(packet)
    with pytest.raises(UnsupportedMedia):
        read_cues(path, 0)
    with av.open(str(path)) as inp, av.open(str(tmp_path / "out.mp4"), "w") as out, pytest.raises(UnsupportedMedia):
        add_mov_text_stream(out, inp.streams[0])


def test_an_output_that_cannot_hold_mov_text_is_refused(tmp_path):
    src, index = _source(tmp_path / "src.mkv", "subrip", SOURCE_CUES)
    with av.open(str(src)) as inp, av.open(str(tmp_path / "out.mkv"), "w") as out:
        with pytest.raises(InvalidRequest):
            add_mov_text_stream(out, inp.streams[index])

"""The GUI's cut preview: decode-free, from the keyframe index, and in agreement with the export.

Each case previews a cut from the source's keyframe index and MediaInfo alone, then exports it:
where the output starts and ends, how its video is made, and the seconds re-encoded at each end and
copied must be what the export's result and cut report say.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import engine
from engine.cut.request import ClipRequest, Segment, validate
from engine.media.keyframe_index import keyframe_index
from engine.media.packets import LEADING, RAP
from engine.media.probe import probe

F = Fraction


def index_of(path, cache=None):
    gen = keyframe_index(path, cache)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value


AGREEMENT = [
    # (source, start, end, mode)
    ("h264", F(1, 2), F(5, 2), "precise"),
    ("h264", F("1.25"), F("3.45"), "precise"),
    ("h264_open", F(1, 2), F(5, 2), "precise"),
    ("h264_open", F(29, 30), F(3), "precise"),
    ("hevc_open", F(1), F(7, 2), "precise"),
    ("hevc_open", F(59, 30), F(9, 2), "precise"),
    ("hevc_open", F(5, 2), F(7, 2), "precise"),
    ("vp9_webm", F(1, 2), F(5, 2), "precise"),
    ("hevc_open", F(5, 2), F(7, 2), "keyframe"),
    ("h264_open", F(3, 2), F(16, 5), "keyframe"),
    ("mpeg4_avi", F(1, 2), F(5, 2), "precise"),
]


@pytest.mark.parametrize("key, start, end, mode", AGREEMENT,
                         ids=[f"{k}-{float(s)}-{float(e)}-{m}" for k, s, e, m in AGREEMENT])
def test_the_preview_says_what_the_export_does(export, source, key, start, end, mode):
    src = source(key)
    preview = engine.preview_cut(index_of(src), probe(src), start, end, mode)
    ex = export(key, start=start, end=end, mode=mode)
    said, done = preview.to_dict(), ex.result.cut.to_dict()
    assert (preview.start, preview.end) == ex.result.segments[0]
    assert preview.video == ex.result.video == done["video"]
    for k in ("reencode_head", "reencode_tail", "copy"):
        assert said[k] == done[k], k
    assert said.get("reason", "") == done.get("reason", "")


def test_keyframe_mode_starts_at_the_keyframe_at_or_before(source):
    src = source("hevc_open")  # random-access pictures at 0, 2 and 4 s
    preview = engine.preview_cut(index_of(src), probe(src), 3.9, 4.5, "keyframe")
    assert (preview.start, preview.end, preview.video) == (F(2), F(9, 2), "copy")
    assert (preview.reencode_head, preview.reencode_tail) == (0, 0)


def test_a_joined_request_is_previewed_as_its_one_output(export, source):
    src = source("h264_open")
    info = probe(src)
    req = ClipRequest(str(src), segments=(Segment(0.5, 1.5), Segment(2.5, 3.8)), join=True)
    [preview] = engine.preview_clip(index_of(src), info, validate(req, info))
    ex = export("h264_open", segments=req.segments, join=True)
    done = ex.result.cut.to_dict()
    assert (preview.video, preview.start, preview.end) == ("smart", F(1, 2), F(19, 5))
    assert [preview.to_dict()[k] for k in ("reencode_head", "reencode_tail", "copy")] == [
        done[k] for k in ("reencode_head", "reencode_tail", "copy")]


def test_scaled_or_gif_outputs_are_re_encoded_whole(source):
    src = source("1080p")
    preview = engine.preview_cut(index_of(src), probe(src), 0.2, 0.9, height=720)
    assert (preview.video, preview.reason, preview.copy) == ("encode", "scaled to 720p", 0)
    assert preview.reencode_head == F(7, 10)
    gif = engine.preview_cut(index_of(src), probe(src), 0.2, 0.9, fmt="gif")
    assert gif.video == "encode" and "GIF" in gif.reason


def test_the_index_knows_the_leading_pictures_and_is_cached_as_it_was(source, tmp_path):
    src = source("hevc_open")
    index = index_of(src, tmp_path)
    raps = [t for t, f in zip(index.packets, index.flags) if f & RAP]
    leading = [t for t, f in zip(index.packets, index.flags) if f & LEADING]
    assert [t * index.time_base for t in raps] == [0, 2, 4] == index.times()
    assert [t * index.time_base * 30 for t in leading] == [59, 118, 117, 119]  # decode order
    assert len(index.packets) == 150 and index.codec == "hevc"
    assert index_of(src, tmp_path) == index  # from the cache

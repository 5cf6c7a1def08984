"""The thumbnail strip: keyframe pictures at evenly spaced times, in order, cached on disk."""

from __future__ import annotations

import io
import os
from fractions import Fraction

import av
import pytest
from PIL import Image

from engine.media.thumbnails import JPEG_QUALITY, ThumbnailStrip, slot_times, thumbnails
from engine.progress import Progress
from tests import media


def drive(gen) -> tuple[list[Progress], object]:
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return events, done.value


def barcode(jpeg: bytes) -> int:
    return media.read_barcode(av.VideoFrame.from_image(Image.open(io.BytesIO(jpeg)).convert("RGB")))


def test_pictures_are_the_keyframes_at_or_before_each_slot_in_time_order(source, tmp_path):
    events, strip = drive(thumbnails(source("h264"), 8, height=72, cache=tmp_path))
    assert isinstance(strip, ThumbnailStrip) and len(strip) == 8
    assert [t.time for t in strip.thumbnails] == slot_times(Fraction(0), Fraction(4), 8)
    # slots are centred on 0.25, 0.75, ... 3.75 s; keyframes sit at every whole second (frame 30·k)
    assert [barcode(t.jpeg) for t in strip.thumbnails] == [0, 0, 30, 30, 60, 60, 90, 90]
    assert [t.frame_time for t in strip.thumbnails] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert all((t.width, t.height) == (96, 72) for t in strip.thumbnails)
    assert [e.done for e in events] == list(range(1, 9)) and {e.total for e in events} == {8}
    assert strip.at(2.1).frame_time == 2 and strip.at(-5) is strip.thumbnails[0]


def test_strip_is_cached_under_the_cache_dir_and_redone_when_the_file_changes(source, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTCLIP_HOME", str(tmp_path / "home"))
    path = tmp_path / "copy.mp4"
    path.write_bytes(source("h264").read_bytes())
    first_events, first = drive(thumbnails(path, 4, height=48))
    files = list((tmp_path / "home" / "cache" / "thumbnails").iterdir())
    assert len(files) == 1 and first_events

    again_events, again = drive(thumbnails(path, 4, height=48))
    assert again_events == [] and again == first  # read back, not decoded

    other_events, _ = drive(thumbnails(path, 5, height=48))  # another count is another entry
    assert other_events and len(list(files[0].parent.iterdir())) == 2

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    changed_events, _ = drive(thumbnails(path, 4, height=48))
    assert changed_events, "a changed file must be decoded again"


def test_a_damaged_cache_entry_is_made_again(source, tmp_path):
    _, first = drive(thumbnails(source("h264"), 3, cache=tmp_path))
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    events, again = drive(thumbnails(source("h264"), 3, cache=tmp_path))
    assert events and again == first


def test_a_rotated_video_gives_pictures_as_they_are_shown(source, tmp_path):
    _, strip = drive(thumbnails(source("rotated"), 2, height=60, cache=False))
    assert {(t.width, t.height) for t in strip.thumbnails} == {(45, 60)}  # 320x240 turned a quarter


def test_audio_has_an_empty_strip(source):
    events, strip = drive(thumbnails(source("audio_wav"), 4, cache=False))
    assert len(strip) == 0 and strip.at(1.0) is None and strip.duration == 4


def test_bad_arguments_are_refused(source):
    with pytest.raises(ValueError):
        drive(thumbnails(source("h264"), 0, cache=False))


@pytest.mark.parametrize("key", ["h264", "hevc", "vp9_webm", "mpeg4_avi"])
def test_each_codec_gives_its_keyframes_as_a_full_decode_shows_them(source, key):
    # The strip's decoder skips the deblocking filter (invisible at this size, half the cost of a
    # keyframe): every codec must still give the keyframe at or before each slot, looking as the
    # player's full decode of that keyframe does once scaled down and saved the same way.
    _, strip = drive(thumbnails(source(key), 4, height=72, cache=False))
    assert [barcode(t.jpeg) for t in strip.thumbnails] == [0, 30, 60, 90]
    with av.open(str(source(key))) as container:
        stream = container.streams.video[0]
        full = {f.pts * stream.time_base: f for f in container.decode(stream) if f.key_frame}
    for shot in strip.thumbnails:
        picture = Image.open(io.BytesIO(shot.jpeg)).convert("RGB").tobytes()
        scaled = full[shot.frame_time].reformat(width=shot.width, height=shot.height, format="rgb24").to_image()
        out = io.BytesIO()
        scaled.save(out, format="JPEG", quality=JPEG_QUALITY)
        reference = Image.open(out).convert("RGB").tobytes()
        difference = [abs(a - b) for a, b in zip(picture, reference, strict=True)]
        assert sum(difference) / len(difference) < 1.5  # of 255 levels on average: no visible change

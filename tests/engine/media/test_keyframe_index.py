from fractions import Fraction

import pytest

from engine.errors import UnsupportedMedia
from engine.media.keyframe_index import keyframe_index
from tests import media


def run(gen):
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return done.value, events


def test_keyframes_are_found_and_cached(tmp_path):
    src = media.make_video(tmp_path / "v.mp4", duration=5.0, gop=45)
    index, _ = run(keyframe_index(src, tmp_path / "cache"))
    assert index.times() == [Fraction(0), Fraction(3, 2), Fraction(3), Fraction(9, 2)]
    assert index.times() == media.keyframe_times(src)
    assert index.at_or_before(Fraction(2)) == Fraction(3, 2)
    assert index.after(Fraction(2)) == Fraction(3)
    assert index.nearest(Fraction(28, 10)) == Fraction(3)
    assert len(list((tmp_path / "cache").iterdir())) == 1
    again, events = run(keyframe_index(src, tmp_path / "cache"))
    assert again == index and events == []  # read from the cache: no scan


def test_a_changed_file_is_scanned_again(tmp_path):
    src = media.make_video(tmp_path / "v.mp4", duration=3.0, gop=30)
    first, _ = run(keyframe_index(src, tmp_path / "c"))
    media.make_video(src, duration=3.0, gop=15)
    second, _ = run(keyframe_index(src, tmp_path / "c"))
    assert len(second.keyframes) == 2 * len(first.keyframes)


def test_audio_has_no_keyframe_index(tmp_path):
    with pytest.raises(UnsupportedMedia, match="no video"):
        run(keyframe_index(media.make_audio(tmp_path / "a.wav", duration=1.0)))

"""Caption burn-in, judged on the decoded output.

The source is a barcoded test video whose audio is espeak-ng reading a known
sentence. Its transcript is made once, in a separate process, into the session's
cache (so this process never loads the speech model); every export then finds it
there, as the app does on a second run. A burned-in frame must equal the
renderer's caption alpha-composited over the decoded source frame (within what
yuv420p and x264 lose); frames outside every caption state must equal the source
in the caption's region; nothing outside the caption's own rectangle changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from engine.captions import burn_in
from engine.captions import clone_style, font_path, get_builtin, render_caption
from engine.captions.burn_in import (
    CaptionOverlay,
    apply_patch,
    caption_pages,
    make_patch,
)
from engine.cut.export import export_clip
from engine.cut.request import CaptionsRequest, ClipRequest, validate, validate_captions
from engine.cut.request import Segment as RSegment
from engine.errors import InvalidRequest, NotFound
from engine.media.probe import probe
from engine.timeline import Window
from engine.transcript import Segment, Transcript, Word, transcribe
from tests import media
from tests.conftest import run_export
from tests.fixtures import speech

FPS = 30
SIZE = (640, 360)
LEAD = 0.7  # seconds of silence before the speech
DURATION = 6.0
KARAOKE = "builtin:short-form-karaoke"
REPO = Path(__file__).resolve().parents[3]
# Mean absolute error (0-255 RGB) allowed in a caption's box between the output and the
# expected composite: x264 at crf 18 costs 3-5.5 on sharp caption edges at 360p, while
# a missing or misplaced caption costs 60-150 (the bare blend, without the codec, is ~1).
TOLERANCE = 6.5


# ------------------------------------------------------------------------------------------ media


def speech_video(path, *, size=SIZE, duration=DURATION, lead=LEAD, text=speech.FIRST) -> Path:
    """A barcoded video (tests.media) whose audio is espeak-ng saying ``text`` after ``lead`` s."""
    path = Path(path)
    said, rate = speech.say(text)
    total = int(duration * rate)
    samples = np.concatenate([speech.silence(lead, rate), said, speech.silence(duration, rate)])[:total]
    silent = media.make_video(path.with_name(f".{path.stem}-picture.mp4"), duration=duration, width=size[0],
                              height=size[1], audio=False)
    with av.open(str(silent)) as src, av.open(str(path), "w") as out:
        vin = src.streams.video[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream("aac", rate=rate, layout="mono")
        for packet in src.demux(vin):
            if packet.dts is not None:
                packet.stream = vout
                out.mux(packet)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate, frame_size=1024)
        for i in range(0, len(samples), 1024):
            chunk = np.ascontiguousarray(samples[i:i + 1024].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
            for f in resampler.resample(frame):
                out.mux(aout.encode(f))
        for f in resampler.resample(None):
            out.mux(aout.encode(f))
        out.mux(aout.encode(None))
    silent.unlink()
    return path


def warm_transcript_cache(path: Path, home: Path) -> None:
    """Transcribe ``path`` into ``home``'s cache in a child process (the model never loads here)."""
    code = ("import sys\nfrom engine.paths import cache_dir\nfrom engine.transcript import transcribe\n"
            "for _ in transcribe(sys.argv[1], cache_dir=cache_dir()): pass\n")
    env = {**os.environ, "FASTCLIP_HOME": str(home)}
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, cwd=REPO, timeout=300,
                   capture_output=True)


def cached_transcript(path: Path, cache: Path) -> Transcript:
    gen = transcribe(path, cache_dir=cache)
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            assert [e.stage for e in events] == ["cached"], "the transcript must come from the cache"
            return done.value


def frames_rgb(path, wanted=None) -> dict[Fraction, np.ndarray]:
    """Presentation time -> RGB array of the (wanted) frames of a video."""
    out = {}
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            t = Fraction(frame.pts) * frame.time_base
            if wanted is None or t in wanted:
                out[t] = frame.to_ndarray(format="rgb24").astype(np.int16)
    return out


def composite(background: np.ndarray, cap) -> np.ndarray:
    """The renderer's caption over an RGB frame, as an MP4 can hold it at best: composited
    in RGB by Pillow, then stored as yuv420p (which halves the chroma) and shown as RGB."""
    image = Image.fromarray(background.astype(np.uint8)).convert("RGBA")
    image.alpha_composite(cap.image, (cap.x, cap.y))
    stored = av.VideoFrame.from_image(image.convert("RGB")).reformat(format="yuv420p")
    return stored.to_ndarray(format="rgb24").astype(np.int16)


def box_of(cap, pad: int = 0):
    x0, y0 = max(0, cap.x - pad), max(0, cap.y - pad)
    return slice(y0, cap.y + cap.image.height + pad), slice(x0, cap.x + cap.image.width + pad)


def ink(cap) -> np.ndarray:
    """Where the caption is (nearly) opaque, in its box."""
    return np.asarray(cap.image.getchannel("A")) > 200


def drive(gen):
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return events, done.value


# --------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """(path, source transcript) of the speech video; the transcript is in the session's cache."""
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    path = speech_video(tmp_path_factory.mktemp("burn-in") / "talk.mp4")
    home = tmp_path_factory.getbasetemp() / "fastclip-home"  # what the autouse fixture points FASTCLIP_HOME at
    warm_transcript_cache(path, home)
    transcript = cached_transcript(path, home / "cache")
    assert speech.wer(speech.FIRST, transcript.text) <= 0.15
    return path, transcript


@pytest.fixture(scope="module")
def source_frames(talk):
    return frames_rgb(talk[0])


def states_of(pages):
    return [(Fraction(s), Fraction(e), page, active) for page in pages for s, e, active in page.states()]


def frame_times(duration: Fraction) -> list[Fraction]:
    return [Fraction(k, FPS) for k in range(int(duration * FPS))]


# ------------------------------------------------------------------------- the frame is the preview


@pytest.mark.parametrize("ref", [KARAOKE, "builtin:breaking-news", "builtin:neon-night", "builtin:word-box",
                                 "builtin:podcast-block"])
def test_a_burned_in_frame_is_the_preview_composited_on_the_source_frame(talk, source_frames, tmp_path, ref):
    path, transcript = talk
    start, end = Fraction(1), Fraction(11, 2)
    done = run_export(path, tmp_path / "out.mp4", start=float(start), end=float(end), captions=ref)
    assert done.result.captioned and done.result.video == "encode"
    style = get_builtin(ref).style
    pages = caption_pages(transcript, [Window(start, end, Fraction(0))], style)
    states = states_of(pages)
    assert len(states) >= 5
    out = frames_rgb(done.path)
    assert len(out) == int((end - start) * FPS)

    checked = 0
    for s, e, page, active in states:
        t = next(t for t in frame_times(end - start) if s <= t < e)  # the state's first frame
        cap = render_caption(style, page.texts, active, SIZE)
        expected = composite(source_frames[t + start], cap)
        box, opaque = box_of(cap), ink(cap)
        got, src, want = out[t][box], source_frames[t + start][box], expected[box]
        err = np.abs(got - want).mean()
        assert err < TOLERANCE, f"{ref} {page.texts}[{active}] at {t}: mean error {err:.2f} in the caption box"
        # the caption is really there: where it is opaque the output is the caption, not the source
        assert np.abs(got - want)[opaque].mean() < TOLERANCE + 1
        assert np.abs(src - want)[opaque].mean() > 40
        checked += 1
    assert checked == len(states)


def caption_whole(path, ref: str, out) -> object:
    """All of ``path`` captioned with ``ref`` into ``out``, as a captions job's worker does it: the
    rules of POST /v1/captions, then the export. The ClipResult."""
    info = probe(path)
    clip = validate_captions(CaptionsRequest(str(path), ref), info)
    return drive(export_clip(info, clip, clip.segments, out))[1]


def test_captions_show_only_while_words_are_spoken_and_only_in_their_box(talk, source_frames, tmp_path):
    path, transcript = talk
    result = caption_whole(path, KARAOKE, tmp_path / "whole.mp4")
    assert result.duration == Fraction(6) and Path(result.path).is_file()
    style = get_builtin(KARAOKE).style
    pages = caption_pages(transcript, [Window(Fraction(0), Fraction(6), Fraction(0))], style)
    states = states_of(pages)
    caps = [render_caption(style, page.texts, active, SIZE) for _, _, page, active in states]
    region = (slice(min(c.y for c in caps), max(c.y + c.image.height for c in caps)),
              slice(min(c.x for c in caps), max(c.x + c.image.width for c in caps)))
    out = frames_rgb(result.path)

    quiet = shown = 0
    for t, got in out.items():
        src = source_frames[t]
        on = [i for i, (s, e, _, _) in enumerate(states) if s <= t < e]
        if not on:  # no word is being spoken: the caption region is the source
            assert np.abs(got - src)[region].mean() < 2.0, f"a caption at {t}, outside every word"
            quiet += 1
            continue
        shown += 1
        cap = caps[on[0]]
        # what changed lies in the caption's own box; elsewhere only codec noise
        diff = np.abs(got - src).max(axis=2)
        inside = np.zeros(diff.shape, bool)
        inside[box_of(cap, pad=2)] = True
        changed = diff > 48
        assert changed[inside].sum() > 0.98 * changed.sum(), f"a change outside the caption box at {t}"
        assert diff[~inside].mean() < 2.0
        # and the box sits where the style says: centred on position_x, low on the frame
        ys, xs = np.nonzero(changed & inside)
        assert abs(xs.mean() - style.position_x * SIZE[0]) < 0.06 * SIZE[0]
        assert abs(ys.mean() - style.position_y * SIZE[1]) < 0.06 * SIZE[1]
    # the silence before the first word and after the last page are captionless, and were checked
    assert quiet >= int(pages[0].start * FPS) + int((6 - pages[-1].end) * FPS) - 1 > 10
    assert shown > 3 * FPS


def test_each_caption_state_is_drawn_once(talk, tmp_path, monkeypatch):
    path, transcript = talk
    calls = []
    real = burn_in.render_caption

    def counting(style, words, active, size, **kw):
        calls.append((tuple(words), active))
        return real(style, words, active, size, **kw)

    monkeypatch.setattr(burn_in, "render_caption", counting)
    run_export(path, tmp_path / "out.mp4", captions=KARAOKE)
    pages = caption_pages(transcript, [Window(Fraction(0), Fraction(6), Fraction(0))], get_builtin(KARAOKE).style)
    shown = {(tuple(p.texts), a) for s, e, p, a in states_of(pages)
             if any(s <= t < e for t in frame_times(Fraction(6)))}
    assert len(calls) == len(set(calls)) == len(shown)
    assert set(calls) == shown


def test_segments_joined_keep_each_word_with_its_picture(talk, source_frames, tmp_path):
    path, transcript = talk
    spans = [(Fraction(3, 2), Fraction(3)), (Fraction(4), Fraction(11, 2))]
    done = run_export(path, tmp_path / "joined.mp4", segments=tuple(RSegment(float(s), float(e)) for s, e in spans),
                      join=True, captions=KARAOKE)
    windows = [Window(spans[0][0], spans[0][1], Fraction(0)), Window(spans[1][0], spans[1][1], Fraction(3, 2))]
    style = get_builtin(KARAOKE).style
    states = states_of(caption_pages(transcript, windows, style))
    out = frames_rgb(done.path)
    second = [st for st in states if st[0] >= Fraction(3, 2)]
    assert second, "the second segment has words"
    for s, e, page, active in second:
        t = next(t for t in sorted(out) if s <= t < e)
        cap = render_caption(style, page.texts, active, SIZE)
        want = composite(source_frames[t - Fraction(3, 2) + spans[1][0]], cap)
        assert np.abs(out[t] - want)[box_of(cap)].mean() < TOLERANCE


# ------------------------------------------------------------------------------ the blend itself


@pytest.mark.parametrize("ref", [KARAOKE, "builtin:breaking-news", "builtin:neon-night", "builtin:cinematic"])
@pytest.mark.parametrize("colorspace", [2, 1])  # unspecified (BT.601, as swscale), BT.709
def test_the_blend_is_the_composite_in_yuv_and_touches_nothing_else(ref, colorspace):
    style = get_builtin(ref).style
    picture = media._Pictures(*SIZE).draw(37)
    cap = render_caption(style, ["Hello", "brave", "new", "world"][: style.words_per_caption], 1, SIZE)

    def yuv(image):
        frame = av.VideoFrame.from_image(image).reformat(
            format="yuv420p", dst_colorspace=None if colorspace == 2 else colorspace)
        frame.colorspace = colorspace
        return frame

    frame = yuv(picture)
    before = frame.to_ndarray().copy()  # yuv420p as one (h * 3/2, w) array: Y rows, then U and V
    patch = make_patch(cap.image, cap.x, cap.y, SIZE, frame.colorspace, frame.color_range)
    apply_patch(frame, patch)
    after = frame.to_ndarray()

    expected = picture.convert("RGBA")
    expected.alpha_composite(cap.image, (cap.x, cap.y))
    want = yuv(expected.convert("RGB")).to_ndarray()
    h = SIZE[1]
    luma = np.abs(after[:h].astype(int) - want[:h])
    assert luma.max() <= 2, "luma is the composite, up to rounding"
    chroma = np.abs(after[h:].astype(int) - want[h:])
    assert chroma.mean() < 0.5 and np.percentile(chroma, 99.9) <= 24  # 2x2 averaging vs swscale's filter
    # outside the patch's rectangle not one byte changed
    ph, pw = patch.inv_a.shape
    outside = np.ones((h, SIZE[0]), bool)
    outside[patch.y:patch.y + ph, patch.x:patch.x + pw] = False
    assert np.array_equal(after[:h][outside], before[:h][outside])
    assert patch.x % 2 == 0 and patch.y % 2 == 0 and pw % 2 == 0 and ph % 2 == 0


def test_a_decoded_reference_frame_is_not_written_through(tmp_path):
    """Blending into a decoded frame must not reach the frames decoded from it. Without
    B-frames and without frame threads the decoder predicts the next frame from the very
    buffer it just returned; frames after the caption must still equal the source."""
    path = media.make_video(tmp_path / "ip.mp4", duration=1.0, width=SIZE[0], height=SIZE[1], bframes=0,
                            audio=False)
    style = get_builtin("builtin:breaking-news").style  # a full-width bar over a lot of the picture
    words = (Word(" every", Fraction(0), Fraction(1, 10), 1.0),)
    transcript = Transcript((Segment(Fraction(0), Fraction(1, 10), "every", words),), Fraction(1))
    overlay = CaptionOverlay(caption_pages(transcript, [Window(Fraction(0), Fraction(1))], style), style, SIZE)
    reference = frames_rgb(path)
    captioned = clean = 0
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            t = Fraction(frame.pts) * frame.time_base
            on = overlay.state_at(t) is not None
            got = overlay.apply(frame).to_ndarray(format="rgb24")
            if on:
                captioned += not np.array_equal(got, reference[t])
            else:
                assert np.array_equal(got, reference[t]), f"frame at {t} carries a caption it never had"
                clean += 1
    assert captioned >= 10 and clean >= 10


# ------------------------------------------------------------------------ presets, scale, rotation


def test_a_custom_preset_comes_from_the_resolver(talk, source_frames, tmp_path):
    path, transcript = talk
    asked = []
    style = clone_style(get_builtin("builtin:clean-subtitle").style, {"position_y": 0.2, "font_name": "Anton"})
    font = font_path("DejaVu Sans Bold")  # an "imported" font file overrides the style's font

    def resolve(ref):
        asked.append(ref)
        return style, font

    info = probe(path)
    clip = validate(ClipRequest(str(path), captions="preset:my-style"), info)
    _, result = drive(export_clip(info, clip, clip.segments, tmp_path / "custom.mp4", resolve_preset=resolve))
    assert asked == ["preset:my-style"] and result.captioned
    pages = caption_pages(transcript, [Window(Fraction(0), Fraction(6))], style)
    s, e, page, active = states_of(pages)[3]
    t = next(t for t in frame_times(Fraction(6)) if s <= t < e)
    cap = render_caption(style, page.texts, active, SIZE, font_file=font)
    assert cap.y + cap.image.height < SIZE[1] / 2
    got = frames_rgb(result.path, {t})[t]
    assert np.abs(got - composite(source_frames[t], cap))[box_of(cap)].mean() < TOLERANCE


def test_captions_are_drawn_at_the_output_resolution(source, tmp_path):
    src = source("1080p")  # 1 s of 1920x1080, exported at 720p
    words = (Word(" Scaled", Fraction(0), Fraction(1, 2), 1.0), Word(" down", Fraction(1, 2), Fraction(1), 1.0))
    transcript = Transcript((Segment(Fraction(0), Fraction(1), "Scaled down", words),), Fraction(1))
    info = probe(src)
    clip = validate(ClipRequest(str(src), quality="720p", captions=KARAOKE), info)
    _, result = drive(export_clip(info, clip, clip.segments, tmp_path / "720.mp4", transcript=transcript))
    assert (result.width, result.height) == (1280, 720) and result.captioned
    t = Fraction(20, FPS)  # "down" is active
    got = frames_rgb(result.path, {t})[t]
    with av.open(str(src)) as c:
        frame = next(f for f in c.decode(video=0) if f.pts * f.time_base == t)
        scaled = frame.reformat(width=1280, height=720, format="yuv420p", interpolation="BICUBIC")
        background = scaled.to_ndarray(format="rgb24").astype(np.int16)
    cap = render_caption(get_builtin(KARAOKE).style, ["Scaled", "down"], 1, (1280, 720))
    want = composite(background, cap)
    assert np.abs(got - want)[box_of(cap)].mean() < TOLERANCE
    assert np.abs(got - want)[box_of(cap)][ink(cap)].mean() < 8.0


def test_a_rotated_source_gets_upright_captions(source, tmp_path):
    src = source("rotated")  # 320x240 stored, shown turned 90 degrees: 240x320
    words = (Word(" Upright", Fraction(0), Fraction(2), 1.0),)
    transcript = Transcript((Segment(Fraction(0), Fraction(2), "Upright", words),), Fraction(4))
    info = probe(src)
    clip = validate(ClipRequest(str(src), end=2, captions="builtin:clean-subtitle"), info)
    _, result = drive(export_clip(info, clip, clip.segments, tmp_path / "rot.mp4", transcript=transcript))
    t = Fraction(1)
    got = np.rot90(frames_rgb(result.path, {t})[t])  # as shown: turned 90 degrees counter-clockwise
    background = np.rot90(frames_rgb(src, {t})[t])
    cap = render_caption(get_builtin("builtin:clean-subtitle").style, ["Upright"], None, (240, 320))
    want = composite(np.ascontiguousarray(background), cap)
    assert cap.y > 320 / 2  # low on the upright picture
    assert np.abs(got - want)[box_of(cap)].mean() < 5.0
    assert np.abs(got - want)[box_of(cap)][ink(cap)].mean() < 10.0


# ----------------------------------------------------------------------------------------- rules


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_the_source_is_never_modified(talk, tmp_path):
    path, _ = talk
    before = sha256(path)
    run_export(path, tmp_path / "a.mp4", start=0.5, end=2, captions=KARAOKE)
    caption_whole(path, KARAOKE, tmp_path / "talk_captioned.mp4")
    assert sha256(path) == before
    assert (tmp_path / "talk_captioned.mp4").is_file()


def test_a_clip_without_captions_is_not_marked_captioned(talk, tmp_path):
    assert not run_export(talk[0], tmp_path / "plain.mp4", start=1, end=2).result.captioned


@pytest.mark.parametrize(("fields", "needle"), [
    ({"format": "gif"}, "mp4"),
    ({"format": "mp3"}, "mp4"),
    ({"captions": "karaoke"}, "preset ref"),
])
def test_captions_need_a_video_output(talk, tmp_path, fields, needle):
    with pytest.raises(InvalidRequest) as e:
        validate(ClipRequest(str(talk[0]), **{"captions": KARAOKE, **fields}), probe(talk[0]))
    assert e.value.field == "captions" and needle in e.value.message


def test_an_audio_source_cannot_be_captioned(source, tmp_path):
    audio = source("audio_m4a")
    with pytest.raises(InvalidRequest) as e:
        validate(ClipRequest(str(audio), captions=KARAOKE), probe(audio))
    assert e.value.field == "captions" and "video" in e.value.message
    with pytest.raises(InvalidRequest) as e:
        caption_whole(audio, KARAOKE, tmp_path / "x.mp4")
    assert e.value.field == "source" and "video" in e.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("ref", "error"), [("builtin:no-such-style", NotFound), ("preset:abc123", NotFound)])
def test_an_unknown_preset_fails_before_anything_is_written(talk, tmp_path, ref, error):
    path, _ = talk
    info = probe(path)
    clip = validate(ClipRequest(str(path), start=1, end=2, captions=ref), info)
    with pytest.raises(error) as e:
        drive(export_clip(info, clip, clip.segments, tmp_path / "x.mp4"))
    assert e.value.field == "captions"
    with pytest.raises(error):
        caption_whole(path, ref, tmp_path / "y.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_video_without_audio_has_no_words_to_caption(tmp_path):
    silent = speech.write_silent_video(tmp_path / "silent.mp4")
    info = probe(silent)
    clip = validate(ClipRequest(str(silent), captions=KARAOKE), info)
    with pytest.raises(InvalidRequest) as e:
        drive(export_clip(info, clip, clip.segments, tmp_path / "x.mp4"))
    assert e.value.field == "captions" and "audio" in e.value.message
    with pytest.raises(InvalidRequest) as e:
        caption_whole(silent, KARAOKE, tmp_path / "y.mp4")
    assert e.value.field == "source" and "audio" in e.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["silent.mp4"]



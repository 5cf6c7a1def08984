"""GIF export: size and frame-rate rules, and GIFs read back as a viewer would.

The source clip is generated here: four colour bars on top, and below them a
scrolling gradient with a white marker that moves 2 px per source frame, so a
GIF frame tells which source frame it came from.
"""

from __future__ import annotations

from fractions import Fraction

import av
import pytest
from PIL import Image, ImageDraw, ImageStat

from engine.cut.gif import GifSettings, GifWriter, gif_settings
from engine.errors import InvalidRequest, ProcessingFailed, UnsupportedMedia

W, H, FPS, SECONDS = 320, 240, 30, 3
BARS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 220, 50)]
BAR_H = 80
MARK_Y = (170, 230)  # rows of the marker band


def marker_x(i: int) -> int:
    return 20 + 2 * i


def source_picture(i: int) -> Image.Image:
    img = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(img)
    bar_w = W // len(BARS)
    for k, colour in enumerate(BARS):
        draw.rectangle([k * bar_w, 0, (k + 1) * bar_w - 1, BAR_H - 1], fill=colour)
    for x in range(W):  # a dark gradient scrolling 3 px a frame
        v = 30 + ((x + 3 * i) * 90 // W) % 90
        draw.line([x, BAR_H, x, H - 1], fill=(v, v // 2, 120 - v))
    x = marker_x(i)
    draw.rectangle([x, MARK_Y[0], x + 5, MARK_Y[1]], fill=(255, 255, 255))
    return img


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("gif") / "source.mp4")
    with av.open(path, "w") as out:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = out.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "12"} if codec == "libx264" else {"qscale": "2"}
        for i in range(FPS * SECONDS):
            frame = av.VideoFrame.from_image(source_picture(i))
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def decoded(path: str):
    """(frame, output seconds) for every frame of the source, as the pipeline gives them."""
    with av.open(path) as inp:
        stream = inp.streams.video[0]
        first = None
        for frame in inp.decode(stream):
            t = frame.pts * stream.time_base
            first = t if first is None else first
            yield frame, t - first


def write_gif(path, frames, settings, end=None) -> None:
    with av.open(str(path), "w", format="gif") as out:
        writer = GifWriter(out, settings)
        for frame, t in frames:
            for packet in writer.push(frame, t):
                out.mux(packet)
        for packet in writer.flush(end) if end is not None else writer.flush():
            out.mux(packet)


def gif_frames(path) -> tuple[Image.Image, list[Image.Image], list[int]]:
    im = Image.open(path)
    pictures, delays = [], []
    for k in range(im.n_frames):
        im.seek(k)
        delays.append(im.info["duration"])
        pictures.append(im.convert("RGB"))
    return im, pictures, delays


def marker_at(picture: Image.Image, scale: float = 1) -> float:
    """Where the marker is, in source pixels: its left edge (the centre of its white, less 3)."""
    top, bottom = (round((y + d) * scale) for y, d in zip(MARK_Y, (5, -5)))
    band = picture.crop((0, top, picture.width, bottom)).convert("L")
    columns = [[band.getpixel((x, y)) for y in range(band.height)] for x in range(band.width)]
    weights = [max(0.0, sum(c) / len(c) - 128) for c in columns]
    assert sum(weights) > 0, "no marker"
    centre = sum((x + 0.5) * w for x, w in enumerate(weights)) / sum(weights)
    return centre / scale - 3  # the marker is 6 px wide


@pytest.fixture(scope="module")
def default_gif(source, tmp_path_factory):
    with av.open(source) as inp:
        s = inp.streams.video[0]
        settings = gif_settings(s.width, s.height, s.average_rate, None)
    path = tmp_path_factory.mktemp("gif") / "default.gif"
    write_gif(path, decoded(source), settings)
    return path, settings


# -- the rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "fps", "quality", "expected"),
    [
        ((1920, 1080), 30, None, (15, 480, 270)),
        ((1280, 720), Fraction(24000, 1001), None, (15, 480, 270)),
        ((320, 240), 30, None, (15, 320, 240)),  # never upscaled
        ((321, 241), 25, None, (15, 320, 240)),  # even
        ((1080, 1920), 30, None, (15, 480, 854)),  # portrait: width is the limit
        ((640, 360), 10, None, (10, 480, 270)),  # slower sources keep their rate
        ((640, 360), None, None, (15, 480, 270)),  # unknown rate
        ((1920, 1080), 60, 720, (15, 1280, 720)),
        ((1920, 1080), 30, 1080, (15, 1920, 1080)),
        ((1280, 720), 30, 1080, (15, 1280, 720)),  # a quality never upscales
        ((3840, 2160), 30, 1080, (15, 1920, 1080)),
        ((854, 480), 30, 720, (15, 854, 480)),
    ],
)
def test_gif_settings(src, fps, quality, expected):
    s = gif_settings(*src, fps, quality)
    assert (s.fps, s.width, s.height) == expected
    assert s.dither == "sierra2_4a" and s.max_colors == 256


@pytest.mark.parametrize("quality", [None, 720, 1080])
@pytest.mark.parametrize(
    "src", [(1920, 1080), (1080, 1920), (720, 576), (333, 187), (4096, 1716), (100, 3000)]
)
def test_gif_sizes_are_even_never_upscaled_and_keep_the_aspect_ratio(src, quality):
    s = gif_settings(*src, 30, quality)
    assert s.width % 2 == 0 and s.height % 2 == 0
    assert s.width <= src[0] and s.height <= src[1]
    if quality is None:
        assert s.width <= 480
    else:
        assert s.height == min(quality, src[1]) // 2 * 2
    # the derived side is the exact one rounded to an even number (2 px at most)
    aspect = Fraction(*src)
    if quality is None:
        assert abs(s.height - s.width / aspect) <= 2
    else:
        assert abs(s.width - s.height * aspect) <= 2


@pytest.mark.parametrize(
    ("src", "sar", "quality", "expected"),
    [
        ((720, 576), Fraction(64, 45), None, (480, 270)),  # PAL 16:9, shown as 1024x576
        ((720, 576), Fraction(64, 45), 720, (1024, 576)),
        ((720, 576), Fraction(64, 45), 480, (854, 480)),
        ((1440, 1080), Fraction(4, 3), 1080, (1920, 1080)),  # HDV
        ((720, 480), Fraction(8, 9), None, (480, 360)),  # NTSC 4:3, shown as 640x480
    ],
)
def test_gif_settings_use_the_display_size_of_anamorphic_video(src, sar, quality, expected):
    s = gif_settings(*src, 25, quality, sample_aspect=sar)
    assert (s.width, s.height) == expected


def test_gif_settings_reject_nonsense():
    with pytest.raises(InvalidRequest) as err:
        gif_settings(1920, 1080, 30, 0)
    assert err.value.field == "quality"
    with pytest.raises(UnsupportedMedia):
        gif_settings(0, 1080, 30, None)
    with pytest.raises(ValueError):
        GifSettings(fps=Fraction(15), width=481, height=270)
    with pytest.raises(ValueError):
        GifSettings(fps=Fraction(15), width=480, height=270, dither="sparkly")


# -- the GIF a viewer sees ---------------------------------------------------


def test_gif_has_the_settings_size_and_rate_and_loops_forever(default_gif):
    path, settings = default_gif
    assert (settings.width, settings.height, settings.fps) == (W, H, 15)
    im, pictures, delays = gif_frames(path)
    assert im.size == (W, H)
    assert im.info["loop"] == 0  # forever
    assert len(pictures) == SECONDS * 15
    with av.open(str(path)) as gif:
        stream = gif.streams.video[0]
        assert stream.codec_context.name == "gif"
        assert (stream.width, stream.height) == (W, H)
        assert sum(1 for _ in gif.decode(stream)) == SECONDS * 15


def test_gif_delays_add_up_to_the_clip(default_gif):
    _, _, delays = gif_frames(default_gif[0])
    assert sum(delays) == SECONDS * 1000
    assert set(delays) <= {60, 70}  # 1/15 s on the GIF's 1/100 s grid


def test_gif_frames_are_picked_by_time_not_slowed_down(default_gif):
    _, pictures, _ = gif_frames(default_gif[0])
    # GIF frame k is shown at k/15 s: source frame 2k.
    for k in (0, 1, 2, 10, 22, len(pictures) - 1):
        assert abs(marker_at(pictures[k]) - marker_x(2 * k)) <= 1, k


def test_gif_colours_are_close_to_the_source(default_gif, source):
    _, pictures, _ = gif_frames(default_gif[0])
    reference = next(decoded(source))[0].to_image()
    bar_w = W // len(BARS)
    for k in range(len(BARS)):
        box = (k * bar_w + 10, 10, (k + 1) * bar_w - 10, BAR_H - 10)
        want = ImageStat.Stat(reference.crop(box)).mean
        for picture in (pictures[0], pictures[-1]):
            got = ImageStat.Stat(picture.crop(box)).mean
            assert max(abs(g - w) for g, w in zip(got, want)) <= 8, (k, got, want)


def test_gif_is_scaled_to_the_settings(source, tmp_path):
    settings = GifSettings(fps=Fraction(15), width=160, height=120)
    path = tmp_path / "small.gif"
    write_gif(path, decoded(source), settings)
    im, pictures, delays = gif_frames(path)
    assert im.size == (160, 120)
    assert len(pictures) == 45 and sum(delays) == 3000
    # the marker moved with the picture: half the position
    assert abs(marker_at(pictures[10], scale=0.5) - marker_x(20)) <= 1


# -- timing ------------------------------------------------------------------


def plain_frames(times, size=(64, 48)):
    for i, t in enumerate(times):
        img = Image.new("RGB", size, (8 * (i % 30), 100, 200 - 5 * (i % 30)))
        yield av.VideoFrame.from_image(img).reformat(format="yuv420p"), Fraction(t)


def test_gif_keeps_the_rate_of_a_slow_source(tmp_path):
    path = tmp_path / "slow.gif"
    frames = plain_frames(Fraction(i, 10) for i in range(20))
    write_gif(path, frames, gif_settings(64, 48, 10, None))
    _, pictures, delays = gif_frames(path)
    assert len(pictures) == 20
    assert delays == [100] * 20


def test_gif_timing_follows_irregular_frame_times(tmp_path):
    # 60 fps with millisecond jitter, then a hole from 1.0 s to 1.51 s (a variable
    # frame rate phone clip).
    times = [Fraction(round(i * 1000 / 60), 1000) for i in range(60)]
    times += [Fraction(151, 100) + Fraction(round(i * 1000 / 60), 1000) for i in range(29)]
    path = tmp_path / "vfr.gif"
    write_gif(path, plain_frames(times), gif_settings(64, 48, 60, None), end=Fraction(2))
    _, pictures, delays = gif_frames(path)
    assert sum(delays) == 2000
    # ticks 0..14: one frame each; 15..22 (1.0 s .. 1.47 s): the frame before the
    # hole, held; 23..29: one frame each
    assert len(pictures) == 15 + 1 + 7
    assert delays[15] == (153 - 100) * 10  # Pillow gives milliseconds


@pytest.mark.parametrize("pushed", [1, Fraction(3, 2)], ids=["trimmed", "past the end"])
def test_gif_flush_end_sets_the_last_delay(source, tmp_path, pushed):
    path = tmp_path / "end.gif"
    frames = [(f, t) for f, t in decoded(source) if t < pushed]
    write_gif(path, frames, GifSettings(fps=Fraction(15), width=80, height=60), end=Fraction(1))
    _, pictures, delays = gif_frames(path)
    assert len(pictures) == 15 and sum(delays) == 1000


def test_gif_of_one_frame_lasts_the_clip(tmp_path):
    path = tmp_path / "one.gif"
    write_gif(path, plain_frames([0]), gif_settings(64, 48, 30, None), end=Fraction(2))
    im = Image.open(path)
    assert im.n_frames == 1 and im.info["duration"] == 2000


def test_gif_takes_a_change_of_picture_size(tmp_path):
    frames = list(plain_frames(Fraction(i, 15) for i in range(10)))
    frames += list(plain_frames((Fraction(i, 15) for i in range(10, 20)), size=(128, 96)))
    path = tmp_path / "resized.gif"
    write_gif(path, frames, gif_settings(64, 48, 15, None))
    im, pictures, delays = gif_frames(path)
    assert im.size == (64, 48) and len(pictures) == 20
    assert sum(delays) == round(Fraction(20, 15) * 100) * 10


def test_gif_source_frames_are_left_as_they_were(tmp_path):
    frames = list(plain_frames(Fraction(i, 30) for i in range(10)))
    for i, (frame, _) in enumerate(frames):
        frame.pts = 1000 + i
    write_gif(tmp_path / "x.gif", frames, gif_settings(64, 48, 30, None))
    assert [f.pts for f, _ in frames] == [1000 + i for i in range(10)]


def test_gif_writer_refuses_misuse(tmp_path):
    settings = gif_settings(64, 48, 30, None)
    with av.open(str(tmp_path / "x.mp4"), "w") as out:
        with pytest.raises(ValueError):
            GifWriter(out, settings)
    with av.open(str(tmp_path / "empty.gif"), "w", format="gif") as out:
        writer = GifWriter(out, settings)
        with pytest.raises(ProcessingFailed):
            writer.flush()
    with av.open(str(tmp_path / "order.gif"), "w", format="gif") as out:
        writer = GifWriter(out, settings)
        frame, _ = next(plain_frames([0]))
        writer.push(frame, Fraction(1))
        with pytest.raises(ValueError):
            writer.push(frame, Fraction(1))
        writer.close()


@pytest.mark.parametrize(("matrix", "tag"), [("ITU601", None), ("ITU709", 1)])
def test_gif_colours_follow_the_source_colour_matrix(tmp_path, matrix, tag):
    red = (220, 40, 40)
    frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), red))
    frame = frame.reformat(format="yuv420p", dst_colorspace=matrix)
    if tag is not None:
        frame.colorspace = tag  # what a decoder sets for a BT.709 stream
    path = tmp_path / "red.gif"
    settings = GifSettings(fps=Fraction(15), width=64, height=48)
    write_gif(path, [(frame, Fraction(i, 15)) for i in range(3)], settings)
    got = ImageStat.Stat(Image.open(path).convert("RGB")).mean
    assert max(abs(g - w) for g, w in zip(got, red)) <= 3, got


def test_gif_filter_failures_become_engine_errors_and_stop_the_threads(tmp_path, monkeypatch):
    import threading

    from engine.cut import gif

    def broken(self, frame):
        raise av.error.InvalidDataError(1094995529, "broken frame")

    monkeypatch.setattr(gif._ScanGraph, "push", broken)
    before = threading.active_count()
    with av.open(str(tmp_path / "broken.gif"), "w", format="gif") as out:
        writer = GifWriter(out, gif_settings(64, 48, 30, None))
        with pytest.raises(ProcessingFailed, match="broken frame"):
            for frame, t in plain_frames(Fraction(i, 30) for i in range(30)):
                writer.push(frame, t)
            writer.flush()
        writer.close()
    assert threading.active_count() == before


def test_gif_iter_flush_counts_and_can_stop_early(tmp_path):
    import threading

    before = threading.active_count()
    with av.open(str(tmp_path / "stopped.gif"), "w", format="gif") as out:
        writer = GifWriter(out, gif_settings(64, 48, 30, None))
        for frame, t in plain_frames(Fraction(i, 30) for i in range(60)):
            writer.push(frame, t)
        packets = writer.iter_flush()
        out.mux(next(packets))
        assert writer.frame_count == 30  # 2 s at 15 fps
        packets.close()  # the user cancelled
        assert threading.active_count() == before
        with pytest.raises(RuntimeError):
            writer.push(frame, Fraction(3))

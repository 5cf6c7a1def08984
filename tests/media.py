"""Test media: generators that write small files whose content is known, and readers that check them.

Every video frame carries its frame number k as a barcode in its top rows, and the audio has a short loud
click starting exactly at every whole second of the timeline. A test can therefore decode any output of
the engine (cut, re-encoded, scaled, turned into a GIF) and say which source frames it holds, when they
are shown, and where the audio sits against them.

Everything is written in process with PyAV. The ffmpeg CLI appears only in `decode_errors`, as an
independent oracle.
"""

from __future__ import annotations

import math
import random
import subprocess
from array import array
from fractions import Fraction
from pathlib import Path

import av
from av.subtitles.subtitle import SubtitleSet
from av.video.frame import PictureType
from PIL import Image, ImageChops, ImageDraw, ImageFont

# ---------------------------------------------------------------------------------------------- layout

BARCODE_BITS = 16
BAND = Fraction(1, 12)  # height of each barcode band, as a fraction of the picture height
CLICK_HZ = 2000
CLICK_SECONDS = 0.005
CLICK_LEVEL = 0.8  # of full scale

# suffix -> (muxer, default audio codec, subtitle codecs the muxer takes)
VIDEO_CONTAINERS = {
    ".mp4": ("mp4", "aac", ("mov_text",)),
    ".m4v": ("mp4", "aac", ("mov_text",)),
    ".mov": ("mov", "aac", ("mov_text",)),
    ".mkv": ("matroska", "aac", ("subrip", "ass", "webvtt")),
    ".webm": ("webm", "libopus", ("webvtt",)),
    ".avi": ("avi", "pcm_s16le", ()),
    ".flv": ("flv", "aac", ()),
}

# suffix -> (muxer, audio codec, encoder options)
AUDIO_CONTAINERS = {
    ".wav": ("wav", "pcm_s16le", {}),
    ".mp3": ("mp3", "libmp3lame", {}),
    ".aac": ("adts", "aac", {}),
    ".flac": ("flac", "flac", {}),
    ".ogg": ("ogg", "vorbis", {"strict": "experimental"}),
    ".opus": ("ogg", "libopus", {}),
    ".m4a": ("ipod", "aac", {}),
    ".wma": ("asf", "wmav2", {"b": "128k"}),  # wmav2 refuses a zero bit rate
}

VIDEO_ENCODERS = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "vp8": "libvpx", "mpeg4": "mpeg4"}

# ------------------------------------------------------------------------------------------ generators


def vfr_timestamps(duration: float = 4.0, fps: Fraction = Fraction(30)) -> list[Fraction]:
    """The exact presentation times (seconds) `make_video(..., vfr=True)` gives its frames.

    Steps alternate 1/fps and 2/fps, so the times lie on the 1/fps grid but are not evenly spaced.
    """
    step, end = 1 / Fraction(fps), _exact(duration)
    times, t, k = [], Fraction(0), 0
    while t < end:
        times.append(t)
        t += step * (1 if k % 2 == 0 else 2)
        k += 1
    return times


def cfr_timestamps(duration: float = 4.0, fps: Fraction = Fraction(30)) -> list[Fraction]:
    """The exact presentation times (seconds) of a constant-rate `make_video` output."""
    fps = Fraction(fps)
    return [k / fps for k in range(round(_exact(duration) * fps))]


def make_video(
    path,
    *,
    duration: float = 4.0,
    fps: Fraction = Fraction(30),
    width: int = 320,
    height: int = 240,
    codec: str = "h264",
    gop: int = 30,
    bframes: int = 2,
    audio: bool = True,
    audio_codec: str | None = None,
    sample_rate: int = 48000,
    channels: int = 2,
    rotation: float | None = None,
    vfr: bool = False,
    subtitles=(),
    pix_fmt: str = "yuv420p",
    options: dict | None = None,
) -> Path:
    """Write a video whose frame k shows k as a barcode, with a click at every whole second.

    The container comes from the suffix (see VIDEO_CONTAINERS, which also gives the default audio codec).
    `gop` is a fixed keyframe interval in frames with closed GOPs (every keyframe is an IDR frame).
    `rotation` is the counter-clockwise display rotation stored in the stream's display matrix.
    `vfr=True` gives frame k the time `vfr_timestamps(duration, fps)[k]` instead of k / fps.
    `subtitles` is a sequence of (codec, [(start_s, end_s, text), ...]), one subtitle track each.
    `options` replaces the encoder options of the fixed closed GOPs above (say, x265's defaults with
    open GOPs: {"x265-params": "keyint=60:min-keyint=60"}); `gop` then only sets the codec's gop_size.

    FLV and AVI cannot store negative timestamps, so their muxers shift the whole file by the B-frame
    (or AAC priming) delay: frame 0 and the first click then sit at that offset, still in sync.
    """
    path = Path(path)
    muxer, default_audio, subtitle_codecs = _container_for(path, VIDEO_CONTAINERS)
    fps, duration = Fraction(fps), _exact(duration)
    time_base = 1 / fps
    times = vfr_timestamps(duration, fps) if vfr else cfr_timestamps(duration, fps)
    for sub_codec, _ in subtitles:
        if sub_codec not in subtitle_codecs:
            raise ValueError(f"{path.suffix} does not take {sub_codec!r} subtitles (takes {subtitle_codecs})")

    with av.open(str(path), "w", format=muxer) as out:
        video = out.add_stream(VIDEO_ENCODERS[codec], rate=fps)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.time_base = time_base
        video.codec_context.time_base = time_base
        _configure_video_encoder(video, codec, gop, bframes)
        if options is not None:
            video.options = dict(options)
        if rotation is not None:
            video.set_display_rotation(rotation)

        audio_stream = None
        if audio:
            audio_stream = out.add_stream(audio_codec or default_audio, rate=sample_rate)
            audio_stream.layout = _layout(channels)
            audio_stream.time_base = Fraction(1, sample_rate)

        sub_streams = [_add_subtitle_stream(out, sub_codec, width, height) for sub_codec, _ in subtitles]

        pictures = _Pictures(width, height)
        samples = _AudioWriter(audio_stream, sample_rate, channels, duration) if audio_stream else None
        for stream, (_, cues) in zip(sub_streams, subtitles):
            _mux_cues(out, stream, cues)
        for k, t in enumerate(times):
            if samples:
                samples.write_until(t, out)
            frame = av.VideoFrame.from_image(pictures.draw(k))
            frame.pts = int(t / time_base)
            frame.time_base = time_base
            if codec == "mpeg4" and k % gop == 0:
                frame.pict_type = PictureType.I
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if samples:
            samples.write_until(duration, out)
            out.mux(audio_stream.encode(None))
    return path


def make_audio(path, *, duration: float = 4.0, sample_rate: int = 44100, channels: int = 2, codec=None) -> Path:
    """Write an audio-only file (container and codec from the suffix) with a click at every whole second.

    Where the container records the encoder's delay the clicks land exactly on whole seconds of the
    decoded timeline, but mp3's timeline starts at the LAME delay (start_time 0.025 s). ADTS (.aac)
    cannot record it, so its clicks sit 1024 samples late. FFmpeg's wmav2 declares no delay: in .wma
    the click at 0 is lost and the others sit about 46 ms late.
    """
    path, duration = Path(path), _exact(duration)
    muxer, default_codec, options = _container_for(path, AUDIO_CONTAINERS)
    codec = codec or default_codec
    if codec == "libopus" and sample_rate not in (8000, 12000, 16000, 24000, 48000):
        raise ValueError(f"opus takes 8, 12, 16, 24 or 48 kHz, not {sample_rate} Hz")
    with av.open(str(path), "w", format=muxer) as out:
        stream = out.add_stream(codec, rate=sample_rate, options=dict(options))
        stream.layout = _layout(channels)
        stream.time_base = Fraction(1, sample_rate)
        writer = _AudioWriter(stream, sample_rate, channels, duration)
        writer.write_until(duration, out)
        out.mux(stream.encode(None))
    return path


def _exact(seconds) -> Fraction:
    """Seconds as an exact fraction, 0.1 meaning 1/10 rather than its binary approximation."""
    return Fraction(str(seconds)) if isinstance(seconds, float) else Fraction(seconds)


def _container_for(path: Path, table: dict):
    try:
        return table[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"no test container for suffix {path.suffix!r}; known: {sorted(table)}") from None


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")


def _configure_video_encoder(stream, codec: str, gop: int, bframes: int) -> None:
    """Fixed keyframe interval, closed GOPs (keyframes are IDR), no scene-cut keyframes, fast presets."""
    fixed_gop = f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes={bframes}"
    stream.codec_context.gop_size = gop
    if codec == "h264":
        options = {"preset": "veryfast", "bf": str(bframes), "x264-params": fixed_gop}
    elif codec == "hevc":
        options = {"preset": "ultrafast", "x265-params": fixed_gop + ":log-level=error"}
    elif codec in ("vp9", "vp8"):  # no B-frames; realtime mode makes no hidden alt-ref frames
        # One thread: libvpx's row threads spin-wait, which burns seconds of CPU on a busy machine.
        stream.codec_context.thread_count = 1
        options = {"deadline": "realtime", "cpu-used": "8" if codec == "vp9" else "-16", "keyint_min": str(gop),
                   "auto-alt-ref": "0", "lag-in-frames": "0", "b": "1M"}
    elif codec == "mpeg4":
        # With B-frames its own GOP logic shortens closed GOPs; keyframes are forced per frame instead.
        stream.codec_context.gop_size = 10_000
        options = {"flags": "+cgop", "sc_threshold": "1000000000", "bf": str(bframes), "b": "1M"}
    else:
        raise ValueError(f"unknown test video codec {codec!r}; known: {sorted(VIDEO_ENCODERS)}")
    stream.options.update(options)


class _Pictures:
    """Draws frame k: a moving colour gradient, k in large digits, and k as a barcode on top."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        ramp = Image.linear_gradient("L")
        red = ramp.rotate(90).resize((width, height))
        green = ramp.resize((width, height))
        blue = Image.new("L", (width, height), 96)
        self.background = Image.merge("RGB", (red, green, blue))
        self.font = ImageFont.load_default(size=max(12, height // 3))

    def draw(self, k: int) -> Image.Image:
        if not 0 <= k < 1 << BARCODE_BITS:
            raise ValueError(f"frame number {k} does not fit in {BARCODE_BITS} bits")
        w, h = self.width, self.height
        image = ImageChops.offset(self.background, (k * 5) % w, (k * 3) % h)
        draw = ImageDraw.Draw(image)
        draw.text((w / 2, h * 0.6), str(k), font=self.font, anchor="mm", fill="white", stroke_width=3,
                  stroke_fill="black")
        band = [round(h * BAND * i) for i in range(3)]
        for bit in range(BARCODE_BITS):
            x0, x1 = round(w * bit / BARCODE_BITS), round(w * (bit + 1) / BARCODE_BITS)
            on = (k >> (BARCODE_BITS - 1 - bit)) & 1
            draw.rectangle((x0, band[0], x1 - 1, band[1] - 1), fill=(255,) * 3 if on else (0,) * 3)
            draw.rectangle((x0, band[1], x1 - 1, band[2] - 1), fill=(0,) * 3 if on else (255,) * 3)
        return image


def click_signal(n_samples: int, sample_rate: int, start: int = 0) -> array:
    """Mono s16 samples [start, start + n_samples) of the click track: a 2 kHz burst at each whole second."""
    samples = array("h", bytes(2 * n_samples))
    length = round(CLICK_SECONDS * sample_rate)
    level = CLICK_LEVEL * 32767
    second = start // sample_rate
    while second * sample_rate < start + n_samples:
        onset = second * sample_rate
        for i in range(max(onset, start), min(onset + length, start + n_samples)):
            samples[i - start] = int(level * math.sin(2 * math.pi * CLICK_HZ * (i - onset) / sample_rate))
        second += 1
    return samples


class _AudioWriter:
    """Feeds the click track to an audio encoder in chunks, up to a given time."""

    CHUNK = 1024

    def __init__(self, stream, sample_rate: int, channels: int, duration: float):
        self.stream, self.rate, self.channels = stream, sample_rate, channels
        self.total = int(_exact(duration) * sample_rate)
        self.done = 0

    def write_until(self, t: Fraction, out) -> None:
        end = min(self.total, int(t * self.rate))
        while self.done < end:
            n = min(self.CHUNK, self.total - self.done)
            mono = click_signal(n, self.rate, self.done)
            interleaved = array("h", bytes(2 * n * self.channels))
            for c in range(self.channels):
                interleaved[c :: self.channels] = mono
            frame = av.AudioFrame(format="s16", layout=_layout(self.channels), samples=n)
            frame.planes[0].update(interleaved.tobytes())
            frame.sample_rate = self.rate
            frame.pts = self.done
            frame.time_base = Fraction(1, self.rate)
            out.mux(self.stream.encode(frame))
            self.done += n


def ass_header(width: int = 384, height: int = 288) -> str:
    return (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding\n"
        "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def _add_subtitle_stream(out, codec: str, width: int, height: int):
    # The text encoders take ASS dialogue and the ASS header; the ass encoder copies the header into
    # extradata, mov_text reads its default style from it.
    stream = out.add_stream(codec)
    stream.codec_context.subtitle_header = ass_header(width, height).encode()
    stream.time_base = Fraction(1, 1000)
    return stream


def _mux_cues(out, stream, cues) -> None:
    for order, (start, end, text) in enumerate(cues):
        start_ms, end_ms = round(start * 1000), round(end * 1000)
        # ASS dialogue as libavcodec's text encoders take it: ReadOrder,Layer,Style,Name,Margins...,Effect,Text
        dialogue = f"{order},0,Default,,0,0,0,,{text.replace(chr(10), chr(92) + 'N')}"
        cue = SubtitleSet.create(dialogue.encode(), start=0, end=end_ms - start_ms, pts=start_ms)
        packet = stream.codec_context.encode_subtitle(cue)
        packet.stream = stream
        packet.time_base = Fraction(1, 1000)
        out.mux(packet)


# -------------------------------------------------------------------------------------- damaged files


def truncate(path, out, fraction: float) -> Path:
    """Copy the first `fraction` of `path`'s bytes to `out`."""
    data = Path(path).read_bytes()
    Path(out).write_bytes(data[: int(len(data) * fraction)])
    return Path(out)


def flip_bytes(path, out, seed: int = 0, count: int = 16, *, skip: int = 0) -> Path:
    """Copy `path` to `out` with `count` bytes (chosen by `seed`, at or after offset `skip`) inverted."""
    data = bytearray(Path(path).read_bytes())
    rng = random.Random(seed)
    for offset in rng.sample(range(skip, len(data)), min(count, len(data) - skip)):
        data[offset] ^= 0xFF
    Path(out).write_bytes(bytes(data))
    return Path(out)


def empty_file(path) -> Path:
    Path(path).write_bytes(b"")
    return Path(path)


def text_file(path, text: str = "This is not a media file.\n" * 20) -> Path:
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


def graft_header(header_from, body_from, out, *, head_bytes: int = 64) -> Path:
    """The first `head_bytes` of `header_from` followed by the rest of `body_from` from that offset:
    a file whose signature says one format while its body is another."""
    head = Path(header_from).read_bytes()[:head_bytes]
    body = Path(body_from).read_bytes()[len(head):]
    Path(out).write_bytes(head + body)
    return Path(out)


# ------------------------------------------------------------------------------------------- readers


def frame_numbers(path) -> list[tuple[Fraction, int]]:
    """(presentation time in seconds, barcode number) of every frame of the first video stream."""
    result = []
    with av.open(str(path)) as container:
        stream = _video_stream(container)
        for frame in container.decode(stream):
            result.append((_frame_time(frame), read_barcode(frame)))
    return result


def read_barcode(frame: av.VideoFrame) -> int:
    """The number a frame carries in its barcode; raises ValueError if the barcode is unreadable."""
    gray = frame.reformat(format="gray")
    plane = gray.planes[0]
    data, stride, w, h = bytes(plane), plane.line_size, gray.width, gray.height

    def mean(x0, x1, y0, y1):
        x0, x1, y0, y1 = int(x0), max(int(x0) + 1, int(x1)), int(y0), max(int(y0) + 1, int(y1))
        total = sum(sum(data[y * stride + x0 : y * stride + x1]) for y in range(y0, y1))
        return total / ((x1 - x0) * (y1 - y0))

    value = 0
    for bit in range(BARCODE_BITS):
        x0, x1 = w * (bit + 0.25) / BARCODE_BITS, w * (bit + 0.75) / BARCODE_BITS
        upper = mean(x0, x1, h * BAND * 0.25, h * BAND * 0.75)
        lower = mean(x0, x1, h * BAND * 1.25, h * BAND * 1.75)
        if abs(upper - lower) < 64:
            raise ValueError(f"no barcode in frame pts={frame.pts}: bit {bit} reads {upper:.0f} over {lower:.0f}")
        value = value << 1 | (upper > lower)
    return value


def click_times(path, stream: int | None = None) -> list[float]:
    """Onset times (seconds on the file's timeline) of the clicks in an audio stream (default: the first)."""
    onsets: list[float] = []
    with av.open(str(path)) as container:
        audio = container.streams.audio[0] if stream is None else container.streams[stream]
        chunks, next_start = [], Fraction(0)
        for frame in container.decode(audio):
            start = next_start if frame.pts is None else _frame_time(frame)  # asf leaves some pts unset
            chunks.append((start, frame.sample_rate, _channel0(frame)))
            next_start = start + Fraction(frame.samples, frame.sample_rate)
    peak = max((max(map(abs, c)) for _, _, c in chunks if c), default=0)
    if peak < 0.05:
        return []
    threshold, last = 0.3 * peak, -math.inf
    for start, rate, samples in chunks:
        for i, s in enumerate(samples):
            if s >= threshold or -s >= threshold:
                t = float(start) + i / rate
                if t - last > 0.25:
                    onsets.append(round(t, 6))
                last = t
    return onsets


_SAMPLE_TYPES = {"s16": ("h", 32768), "s32": ("i", 2**31), "flt": ("f", 1), "dbl": ("d", 1), "u8": ("B", 128)}


def _channel0(frame) -> list[float]:
    """The first channel of an audio frame as floats in [-1, 1]."""
    name = frame.format.name.rstrip("p")
    typecode, scale = _SAMPLE_TYPES[name]
    channels = 1 if frame.format.is_planar else len(frame.layout.channels)
    raw = array(typecode, bytes(frame.planes[0])[: frame.samples * channels * frame.format.bytes])
    offset = 128 if name == "u8" else 0
    return [(v - offset) / scale for v in raw[::channels]]


def keyframe_times(path) -> list[Fraction]:
    """Presentation times (seconds) of the packets of the first video stream flagged as keyframes."""
    with av.open(str(path)) as container:
        stream = _video_stream(container)
        return sorted(
            Fraction(p.dts if p.pts is None else p.pts) * p.time_base
            for p in container.demux(stream)
            if p.size and p.is_keyframe
        )


def subtitle_cues(path, stream: int | None = None) -> list[tuple[float, float, str]]:
    """(start_s, end_s, text) of every cue of a subtitle stream (default: the first), rounded to 1 ms.

    Text is what the decoder gives, with ASS line breaks as newlines. Empty cues (mov_text fills gaps
    with them) are left out: a viewer sees nothing there.
    """
    cues = []
    with av.open(str(path)) as container:
        subs = container.streams.subtitles[0] if stream is None else container.streams[stream]
        for packet in container.demux(subs):
            if not packet.size or packet.pts is None:
                continue
            start = packet.pts * packet.time_base
            end = start + (packet.duration or 0) * packet.time_base
            text = "\n".join(_cue_text(s) for s in packet.decode())
            if text:
                cues.append((round(float(start), 3), round(float(end), 3), text))
    return cues


def _cue_text(subtitle) -> str:
    # Decoded text subtitles are ASS dialogue: "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text".
    text = subtitle.ass.decode("utf-8").split(",", 8)[-1].rstrip("\r\n")
    return text.replace("\\N", "\n").replace("\\n", "\n")


def probe(path) -> dict:
    """What PyAV says about a file: container format and duration, and per stream its codec and shape."""
    with av.open(str(path)) as container:
        info = {
            "format": container.format.name,
            "duration": container.duration / 1_000_000 if container.duration is not None else None,
            "start_time": container.start_time / 1_000_000 if container.start_time is not None else None,
            "streams": [],
        }
        for s in container.streams:
            entry = {
                "index": s.index,
                "type": s.type,
                "codec": s.codec.canonical_name,
                "time_base": s.time_base,
                "start_time": _seconds(s.start_time, s.time_base),
                "duration": _seconds(s.duration, s.time_base),
                "frames": s.frames,
                "packets": 0,
                "keyframes": 0,
            }
            if s.type == "video":
                entry.update(width=s.codec_context.width, height=s.codec_context.height,
                             pix_fmt=s.codec_context.pix_fmt, average_rate=s.average_rate, rotation=0)
            elif s.type == "audio":
                entry.update(sample_rate=s.codec_context.sample_rate, channels=s.codec_context.channels)
            info["streams"].append(entry)
        for packet in container.demux():
            if packet.size:
                info["streams"][packet.stream_index]["packets"] += 1
                info["streams"][packet.stream_index]["keyframes"] += packet.is_keyframe
    for entry in info["streams"]:
        if entry["type"] == "video":
            entry["rotation"] = _rotation(path, entry["index"])
    return info


def _rotation(path, index: int) -> int:
    """Counter-clockwise display rotation in degrees, read from the first decoded frame's display matrix."""
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams[index]):
            return frame.rotation
    return 0


def decode_errors(path) -> str:
    """The oracle: what `ffmpeg -v error` prints while decoding the whole file (empty means clean)."""
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stderr


def _video_stream(container):
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise ValueError(f"{container.name} has no video stream")


def _frame_time(frame) -> Fraction | None:
    return None if frame.pts is None else Fraction(frame.pts) * frame.time_base


def _seconds(value, time_base):
    return float(value * time_base) if value is not None and time_base is not None else None

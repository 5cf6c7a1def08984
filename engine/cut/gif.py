"""Animated GIF output: frame-rate and size rules, and a palette-based writer.

A GIF holds at most 256 colours, so a good one needs a palette made for the
clip. ``GifWriter`` does what ``ffmpeg -vf "fps,scale,split,palettegen,
paletteuse"`` does, inside PyAV's filter graphs, in two passes:

1. while frames are pushed: keep one frame per output tick (frames are dropped
   by timestamp, never slowed down), scale it in one FFmpeg graph, feed the
   colour statistics to ``palettegen`` and keep the scaled frame as YUV
   (1.5 bytes a pixel for 4:2:0 sources, where RGBA would take 4).
2. at ``flush``: the palette is final; a second graph maps each kept frame to
   it with ``paletteuse`` (dithered), and the GIF encoder turns the result into
   packets for the caller to mux.

Timing is exact: each kept frame starts at its tick, rounded to the GIF's
centiseconds from the clip's start, so the delays add up to the clip's
duration (the last frame's delay is set through the muxer's ``final_delay``).
The GIF loops forever.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from fractions import Fraction

import av
import av.error

from ..errors import ProcessingFailed
from .gif_rules import (  # noqa: F401 (the writer's settings, re-exported)
    DEFAULT_MAX_WIDTH,
    DITHERS,
    GIF_TIME_BASE,
    MAX_FPS,
    GifSettings,
    gif_settings,
)


class GifWriter:
    """Writes pushed video frames as an animated GIF stream of ``out_container``.

    ``out_container`` is an output container opened with the ``gif`` format to
    which nothing has been muxed yet; the writer adds the stream. Use::

        writer = GifWriter(out, settings)
        try:
            for frame, t in frames:          # t: output seconds from 0, increasing
                for packet in writer.push(frame, t):
                    out.mux(packet)
            for packet in writer.flush():    # or flush(end=clip duration)
                out.mux(packet)
        finally:
            writer.close()                   # only needed when stopping early

    The palette needs every frame before the first can be written, so ``push``
    returns no packets and ``flush`` returns them all (``iter_flush`` gives
    them one by one, for progress and cancelling). Kept frames wait,
    scaled, in memory: about ``width * height * 1.5`` bytes each for 4:2:0
    sources (30 s at 15 fps: ~90 MB at 480x270, ~1.4 GB at 1920x1080).

    The filter work runs beside the caller: pass 1 on one worker thread (so
    the caller's decoding overlaps scaling and palette statistics), pass 2 on
    one thread per CPU (up to 4), each with its own graph (``paletteuse``
    keeps no state between frames, so this changes nothing in the output).
    """

    #: Frames pass 1 may have in hand before ``push`` waits for it.
    MAX_IN_FLIGHT = 4

    def __init__(self, out_container: av.container.OutputContainer, settings: GifSettings):
        if out_container.format.name != "gif":
            raise ValueError(f"GifWriter needs a gif container, not {out_container.format.name!r}")
        self.settings = settings
        self._out = out_container
        # The GIF muxer's own options: loop forever (the NETSCAPE2.0 block).
        out_container.container_options["loop"] = "0"

        stream = out_container.add_stream("gif")
        stream.width = settings.width
        stream.height = settings.height
        stream.pix_fmt = "pal8"
        stream.time_base = GIF_TIME_BASE
        stream.codec_context.time_base = GIF_TIME_BASE
        stream.codec_context.framerate = settings.fps
        self.stream = stream

        self._tick = 0  # index of the next output tick (at tick / fps seconds)
        self._held: tuple[av.VideoFrame, Fraction] | None = None
        self._last_interval: Fraction | None = None
        self._last_duration: Fraction | None = None
        self._starts: deque[int] = deque()  # start of each kept frame, in 1/100 s
        self._frame_count = 0
        self._kept: deque[av.VideoFrame] = deque()  # kept frames, scaled, in order
        self._scan: _ScanGraph | None = None
        self._scanning: deque[Future] = deque()  # pass 1 work not yet collected
        self._lanes: list[ThreadPoolExecutor] = []
        self._flushed = False

    # -- frames in ---------------------------------------------------------

    def push(self, frame: av.VideoFrame, t: Fraction) -> list[av.Packet]:
        """Take the source frame shown from output time ``t`` (seconds) on.

        Always returns ``[]``: the packets come from :meth:`flush`.
        """
        if self._flushed:
            raise RuntimeError("GifWriter.push after flush")
        t = Fraction(t)
        held = self._held
        if held is not None:
            if t <= held[1]:
                raise ValueError(f"frame times must increase: {t} after {held[1]}")
            self._last_interval = t - held[1]
            # Each tick shows the frame nearest to it (so timestamp jitter does not
            # skip frames), but never one more than half a tick before its time
            # (so a frame after a gap does not show early): the held frame owns the
            # ticks up to that boundary.
            boundary = max((held[1] + t) / 2, t - 1 / (2 * self.settings.fps))
            with _ffmpeg_errors():
                self._keep(held[0], boundary, inclusive=True)
        self._held = (frame, t)
        if frame.duration and frame.time_base:
            self._last_duration = frame.duration * frame.time_base
        else:
            self._last_duration = None
        return []

    def _keep(self, frame: av.VideoFrame, until: Fraction, *, inclusive: bool) -> None:
        """Keep ``frame`` for the ticks not yet given out before ``until`` (or at it,
        if ``inclusive``); a frame no tick falls on is dropped."""
        fps = self.settings.fps
        first = self._tick
        while self._tick / fps < until or (inclusive and self._tick / fps == until):
            self._tick += 1
        if self._tick == first:
            return  # no tick falls on this frame: dropped
        if self._scan is None:
            self._scan = _ScanGraph(frame, self.settings)
            self._lanes.append(ThreadPoolExecutor(1, thread_name_prefix="gif-scan"))
        self._starts.append(_centis(first / fps))
        self._frame_count += 1
        self._scanning.append(self._lanes[0].submit(self._scan.push, frame))
        self._collect(wait=len(self._scanning) > self.MAX_IN_FLIGHT)

    def _collect(self, *, wait: bool) -> None:
        """Move finished pass 1 work, in order, to the kept frames."""
        while self._scanning and (wait or self._scanning[0].done()):
            self._kept.extend(self._scanning.popleft().result())
            wait = False

    # -- packets out -------------------------------------------------------

    def flush(self, end: Fraction | None = None) -> list[av.Packet]:
        """Finish: every packet of the GIF, in order.

        ``end`` is the clip's duration; by default the last frame lasts its
        own duration (or the interval between the last two frames).
        """
        return list(self.iter_flush(end))

    def iter_flush(self, end: Fraction | None = None) -> Iterator[av.Packet]:
        """:meth:`flush`, one packet at a time: one packet per GIF frame, out of
        :attr:`frame_count`, so a caller can mux as they come, report progress,
        and stop early (closing the iterator stops the work)."""
        if self._flushed:
            return
        self._flushed = True
        try:
            with _ffmpeg_errors():
                yield from self._finish(end)
        finally:
            self.close()

    @property
    def frame_count(self) -> int:
        """GIF frames kept so far: all of them once flushing has begun."""
        return self._frame_count

    def _finish(self, end: Fraction | None) -> Iterator[av.Packet]:
        if self._held is None:
            raise ProcessingFailed("no video frames to make a GIF from")
        last, t = self._held
        self._held = None
        if end is None:
            end = t + (self._last_duration or self._last_interval or 1 / self.settings.fps)
        end = Fraction(end)
        self._keep(last, end, inclusive=False)
        if self._scan is None:
            raise ProcessingFailed("no video frames before the end of the GIF")
        while self._scanning:
            self._collect(wait=True)
        self._kept.extend(self._lanes[0].submit(self._scan.finish).result())
        palette = self._scan.palette
        self._scan = None
        if len(self._kept) != len(self._starts):
            raise ProcessingFailed(
                f"the GIF scaler returned {len(self._kept)} frames for {len(self._starts)}"
            )
        stop = _centis(end)
        while len(self._starts) > 1 and self._starts[-1] >= stop:  # pushed past the end
            self._starts.pop()
            self._kept.pop()
        self._frame_count = len(self._starts)
        # The muxer gives the last frame the previous frame's delay unless told;
        # this takes effect when the header is written, at the first mux.
        final = max(1, stop - self._starts[-1])
        self._out.container_options["final_delay"] = str(min(final, 65535))

        # Pass 2: frame i goes to lane i % n, each lane with its own graph.
        n = min(len(self._kept), _cpu_count(), 4)
        mappers = [_PaletteGraph(self._kept[0], palette, self.settings) for _ in range(n)]
        while len(self._lanes) < n:
            self._lanes.append(ThreadPoolExecutor(1, thread_name_prefix="gif-map"))
        mapping: deque[Future] = deque()
        i = 0
        while self._kept or mapping:
            while self._kept and len(mapping) < 2 * n:
                mapping.append(self._lanes[i % n].submit(mappers[i % n].map, self._kept.popleft()))
                i += 1
            mapped = mapping.popleft().result()
            if len(mapped) != 1:
                raise ProcessingFailed(f"paletteuse gave {len(mapped)} frames for one")
            out = mapped[0]
            out.pts = self._starts.popleft()
            out.time_base = GIF_TIME_BASE
            yield from self.stream.encode(out)
        yield from self.stream.encode(None)

    def close(self) -> None:
        """Stop the worker threads (after ``flush``, or to give up early)."""
        for lane in self._lanes:
            lane.shutdown(wait=True, cancel_futures=True)
        self._lanes.clear()
        self._scanning.clear()
        self._kept.clear()
        self._held = None


@contextmanager
def _ffmpeg_errors() -> Iterator[None]:
    """FFmpeg's errors (here or from a worker's result) become the engine's."""
    try:
        yield
    except av.FFmpegError as exc:
        raise ProcessingFailed(f"making the GIF failed: {exc}") from exc


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _centis(t: Fraction) -> int:
    return round(t / GIF_TIME_BASE)


class _ScanGraph:
    """Pass 1: scale each kept frame, gather palette statistics, hand frames back.

    ``buffer -> scale -> format=yuv -> split -> buffersink`` (the kept frames)
                                      ``\\-> format=bgra -> palettegen -> buffersink``

    The kept frames stay YUV (``_yuv_format``); the graph converts its copy
    for ``palettegen`` to RGB itself.
    """

    def __init__(self, first: av.VideoFrame, settings: GifSettings):
        self._source = (first.width, first.height, first.format.name)
        graph = av.filter.Graph()
        src = _add_buffer(graph, first)
        size = f"{settings.width}:{settings.height}"
        scale = graph.add("scale", f"{size}:flags={settings.scale_flags}")
        keep = graph.add("format", _yuv_format(first.format))
        split = graph.add("split")
        self._frames = graph.add("buffersink")
        to_rgb = graph.add("format", "bgra")
        palettegen = graph.add("palettegen", f"max_colors={settings.max_colors}")
        self._palette = graph.add("buffersink")
        graph.link_nodes(src, scale, keep, split)
        split.link_to(self._frames, 0, 0)
        split.link_to(to_rgb, 1, 0)
        graph.link_nodes(to_rgb, palettegen, self._palette)
        graph.configure()
        self._graph = graph
        self._src = src
        self.palette: av.VideoFrame | None = None

    def push(self, frame: av.VideoFrame) -> list[av.VideoFrame]:
        if (frame.width, frame.height, frame.format.name) != self._source:
            # A mid-stream change of picture size or format: conform it here.
            width, height, fmt = self._source
            frame = frame.reformat(width=width, height=height, format=fmt)
        # No filter here looks at timestamps: the caller's frame goes in untouched.
        self._src.push(frame)
        out = _drain(self._frames)
        _drain(self._palette)  # let palettegen take its share now, so nothing piles up
        return out

    def finish(self) -> list[av.VideoFrame]:
        self._src.push(None)
        out = _drain(self._frames)
        palettes = _drain(self._palette)
        if not palettes:
            raise ProcessingFailed("palettegen made no palette")
        self.palette = palettes[-1]
        return out


class _PaletteGraph:
    """Pass 2: map scaled frames to the palette.

    ``buffer -> format=bgra -> paletteuse -> buffersink``, with the palette on
    ``paletteuse``'s second input.
    """

    def __init__(self, first: av.VideoFrame, palette: av.VideoFrame, settings: GifSettings):
        graph = av.filter.Graph()
        src = _add_buffer(graph, first)
        pal = _add_buffer(graph, palette)
        to_rgb = graph.add("format", "bgra")
        use = graph.add("paletteuse", f"dither={settings.dither}")
        self._sink = graph.add("buffersink")
        graph.link_nodes(src, to_rgb)
        to_rgb.link_to(use, 0, 0)
        pal.link_to(use, 0, 1)
        use.link_to(self._sink)
        graph.configure()
        palette.pts = 0
        pal.push(palette)
        pal.push(None)
        self._graph = graph
        self._src = src
        self._pts = 0

    def map(self, frame: av.VideoFrame) -> list[av.VideoFrame]:
        """``frame`` (one of ours) in the palette's colours: one frame per frame."""
        frame.pts = self._pts  # paletteuse syncs its inputs by timestamp
        self._pts += 1
        self._src.push(frame)
        return _drain(self._sink)


def _yuv_format(source: av.VideoFormat) -> str:
    """How kept frames wait: 4:2:0 (1.5 bytes a pixel) unless the source has finer colour."""
    if not source.is_rgb and source.chroma_width(16) == 8 and source.chroma_height(16) == 8:
        return "yuv420p"
    return "yuv444p"


def _add_buffer(graph: av.filter.Graph, like: av.VideoFrame):
    """A buffer source for frames like ``like`` (size, pixel format, colour tags)."""
    return graph.add(
        "buffer",
        video_size=f"{like.width}x{like.height}",
        pix_fmt=str(int(like.format)),
        time_base="1/100",
        pixel_aspect="1/1",
        colorspace=str(int(like.colorspace)),
        range=str(int(like.color_range)),
    )


def _drain(sink) -> list[av.VideoFrame]:
    """Every frame ``sink`` can give now."""
    out = []
    while True:
        try:
            out.append(sink.pull())
        except (av.error.BlockingIOError, av.error.EOFError):
            return out

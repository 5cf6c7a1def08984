"""Text subtitle tracks: read a source's cues, cut them to a clip's windows, write them as mov_text.

A clip written to MP4 carries each text subtitle track of its source (SubRip, ASS/SSA, WebVTT, mov_text,
plain text) as a mov_text track. Cues wholly outside the clip are dropped, cues overlapping a cut are
trimmed to it, and everything is moved onto the clip's timeline (see :class:`engine.timeline.Window`).

The text is read from the packet payloads, not through FFmpeg's subtitle decoders: the payload of every
codec we accept is simple and documented, the timing comes from the packet either way (exact, where the
decoder rounds to milliseconds), and the decoders only turn the text into ASS markup that would have to
be stripped again (PyAV's ``AssSubtitle.dialogue`` keeps ``{\\b1}``-style override tags).

mov_text shows one sample at a time, so overlapping cues are flattened into consecutive samples, each
showing every cue active during it (what a player would show for the source).
"""

from __future__ import annotations

import bisect
import html
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import av

from engine.errors import InvalidRequest, NotFound, UnsupportedMedia
from engine.timeline import Window, to_pts

TEXT_SUBTITLE_CODECS = {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"}

# How long a cue without a duration is shown at most (it ends earlier if the next cue starts earlier).
DEFAULT_CUE_DURATION = Fraction(5)
# The time base given to a new mov_text stream; the MP4 muxer keeps a subtitle stream's time base.
MOV_TEXT_TIME_BASE = Fraction(1, 1000)
_MOV_TEXT_MAX_BYTES = 0xFFFF  # the sample's text length is a 16-bit field

# The mov_text encoder builds the track's sample description (tx3g: font, size, colours, text box) from
# an ASS header's Default style. Without it the encoder refuses to open, and a stream made with
# add_mux_stream gets a tx3g entry with no description at all, which strict players reject.
_ASS_HEADER = (
    "[Script Info]\n"
    "; Written by FastClip\n"
    "ScriptType: v4.00+\n"
    "PlayResX: 384\n"
    "PlayResY: 288\n"
    "ScaledBorderAndShadow: yes\n"
    "\n"
    "[V4+ Styles]\n"
    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
    "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
    "Alignment, MarginL, MarginR, MarginV, Encoding\n"
    "Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n"
    "\n"
    "[Events]\n"
    "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)


@dataclass(frozen=True, slots=True)
class Cue:
    """A subtitle shown from ``start`` to ``end`` (seconds), as plain text (lines split by newlines)."""

    start: Fraction
    end: Fraction
    text: str


# ------------------------------------------------------------------------------------------- reading


def read_cues(container_or_path, stream_index: int, *, until: Fraction | None = None) -> list[Cue]:
    """The cues of a text subtitle stream, in order of their start, as plain text.

    ``container_or_path`` is a path (opened and closed here) or an open input container (left open,
    read from where it stands). Times are the packets' ``pts * time_base``, the source timeline every
    track is cut on. With ``until``, reading stops at the first cue starting at or after it.
    """
    if isinstance(container_or_path, (str, os.PathLike)):
        with _open_source(container_or_path) as container:
            return _read_stream(container, stream_index, until)
    return _read_stream(container_or_path, stream_index, until)


def _open_source(path):
    try:
        return av.open(os.fspath(path))
    except FileNotFoundError:
        raise NotFound(f"{os.fspath(path)} does not exist", field="source") from None
    except (av.FFmpegError, OSError) as exc:
        raise UnsupportedMedia(f"{os.fspath(path)} cannot be read as media: {exc}", field="source") from exc


def _read_stream(container, stream_index: int, until: Fraction | None) -> list[Cue]:
    stream = _text_stream(container, stream_index)
    codec = codec_name(stream)
    time_base = stream.time_base
    # (start, duration or None, text); stop_at is the first start past `until`, kept to end the last cue.
    entries: list[tuple[Fraction, Fraction | None, str]] = []
    stop_at = None
    try:
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            start = packet.pts * time_base
            if until is not None and start >= until:
                stop_at = start
                break
            duration = packet.duration * time_base if packet.duration and packet.duration > 0 else None
            entries.append((start, duration, cue_text(codec, bytes(packet))))
    except av.FFmpegError as exc:
        raise UnsupportedMedia(f"subtitle stream {stream_index} is damaged: {exc}", field="source") from exc

    # Sorting is stable: cues starting together keep their order in the file (ASS ReadOrder in Matroska).
    entries.sort(key=lambda entry: entry[0])
    starts = sorted({start for start, _, _ in entries} | ({stop_at} if stop_at is not None else set()))
    cues = []
    for start, duration, text in entries:
        if duration is None:
            duration = min(DEFAULT_CUE_DURATION, _next_after(starts, start) - start)
        if text:  # empty samples (mov_text's gaps) and cues with nothing visible are not cues
            cues.append(Cue(start, start + duration, text))
    return cues


def _next_after(starts: list[Fraction], t: Fraction) -> Fraction:
    i = bisect.bisect_right(starts, t)
    return starts[i] if i < len(starts) else t + DEFAULT_CUE_DURATION


def _text_stream(container, stream_index: int):
    if not 0 <= stream_index < len(container.streams):
        raise InvalidRequest(
            f"stream {stream_index} does not exist (the file has {len(container.streams)})", field="stream_index"
        )
    stream = container.streams[stream_index]
    if stream.type != "subtitle":
        raise InvalidRequest(f"stream {stream_index} is {stream.type}, not subtitles", field="stream_index")
    if not is_text_subtitle(stream):
        raise UnsupportedMedia(
            f"subtitle stream {stream_index} is {codec_name(stream) or 'of an unknown codec'}, not text",
            field="stream_index",
        )
    return stream


def codec_name(stream) -> str:
    """The codec's canonical name ("subrip", "ass", ...), whichever decoder PyAV picked for it."""
    context = stream.codec_context
    if context is None:
        return ""
    return context.codec.canonical_name or context.name


def is_text_subtitle(stream) -> bool:
    context = stream.codec_context
    return stream.type == "subtitle" and context is not None and bool(
        {context.codec.canonical_name, context.name} & TEXT_SUBTITLE_CODECS
    )


# ---------------------------------------------------------------------------------------- payloads


def cue_text(codec: str, payload: bytes) -> str:
    """The plain text a packet of ``codec`` shows: markup removed, lines split by newlines."""
    if codec == "mov_text":
        return _tidy(_mov_text_text(payload))
    text = _decode(payload)
    if codec in ("ass", "ssa"):
        return _tidy(ass_plain_text(_ass_dialogue_text(text)))
    if codec in ("subrip", "srt"):
        return _tidy(_SRT_TAG.sub("", _ASS_BLOCK.sub("", text)))
    if codec == "webvtt":
        return _tidy(html.unescape(_VTT_TAG.sub("", text)))
    if codec == "text":
        return _tidy(text)
    raise UnsupportedMedia(f"{codec or 'this'} subtitle codec is not text")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # old SubRip files are often Windows-1252
        return data.decode("cp1252", errors="replace")


def _mov_text_text(payload: bytes) -> str:
    """A 3GPP timed-text sample: 16-bit big-endian byte length, the text, then optional style boxes."""
    if len(payload) < 2:
        return ""
    raw = payload[2 : 2 + int.from_bytes(payload[:2], "big")]
    if raw.startswith(b"\xfe\xff"):  # the format allows UTF-16 marked by a byte-order mark
        return raw[2:].decode("utf-16-be", errors="replace")
    return _decode(raw)


def _ass_dialogue_text(payload: str) -> str:
    """The Text field of an ASS packet: "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text"
    (Matroska and FFmpeg's demuxers), or an old-style "Dialogue: Layer,Start,End,Style,...,Text" line."""
    if payload.startswith("Dialogue:"):
        return payload[len("Dialogue:") :].split(",", 9)[-1]
    return payload.split(",", 8)[-1]


_ASS_BLOCK = re.compile(r"\{[^}]*\}")
_ASS_DRAWING = re.compile(r"\\p(\d+)")
_SRT_TAG = re.compile(r"</?\s*(?:b|i|u|s|font)(?:\s[^>]*)?>|\{/?[bius]\}", re.IGNORECASE)
_VTT_TAG = re.compile(r"<[^>]*>")


def ass_plain_text(text: str) -> str:
    """ASS event text as plain text: override blocks and drawings removed, \\N and \\n as newlines,
    \\h as a no-break space (as FFmpeg's ASS-to-text conversions do)."""
    parts = []
    drawing = False
    position = 0
    for block in _ASS_BLOCK.finditer(text):
        if not drawing:
            parts.append(text[position : block.start()])
        scales = _ASS_DRAWING.findall(block.group())
        if scales:
            drawing = int(scales[-1]) > 0
        position = block.end()
    if not drawing:
        parts.append(text[position:])
    plain = "".join(parts)
    return plain.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")


def _tidy(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n").strip()


# ---------------------------------------------------------------------------------------- cutting


def cut_cues(cues: Iterable[Cue], windows: Sequence[Window]) -> list[Cue]:
    """The cues on the clip's timeline: for each window, the part of each cue inside [start, end),
    moved by the window's offset. Parts of no length are dropped; a cue crossing a join appears once
    per window, trimmed to each. Ordered by output start (ties keep window, then source order)."""
    for window in windows:
        if window.end < window.start:
            raise InvalidRequest(f"window ends ({window.end}) before it starts ({window.start})", field="windows")
    cues = list(cues)
    out = []
    for window in windows:
        for cue in cues:
            start, end = max(cue.start, window.start), min(cue.end, window.end)
            if end > start:
                out.append(Cue(window.to_output(start), window.to_output(end), cue.text))
    out.sort(key=lambda cue: cue.start)
    return out


def flatten_overlaps(cues: Sequence[Cue]) -> list[Cue]:
    """Cues that never overlap, showing what overlapping ``cues`` show together.

    Between every two consecutive cue boundaries, the text is the texts of the cues active there, in
    order of start, one per line; stretches where the same cues are active stay one cue. Cues that do
    not overlap come back unchanged.
    """
    cues = sorted((cue for cue in cues if cue.end > cue.start), key=lambda cue: cue.start)
    bounds = sorted({t for cue in cues for t in (cue.start, cue.end)})
    out: list[Cue] = []
    previous: tuple[int, ...] = ()
    for start, end in zip(bounds, bounds[1:]):
        active = tuple(i for i, cue in enumerate(cues) if cue.start <= start and cue.end >= end)
        if not active:
            previous = ()
            continue
        if active == previous:
            out[-1] = Cue(out[-1].start, end, out[-1].text)
        else:
            out.append(Cue(start, end, "\n".join(cues[i].text for i in active)))
        previous = active
    return out


# ---------------------------------------------------------------------------------------- writing


def add_mov_text_stream(out_container, in_stream):
    """Add a mov_text stream to an MP4/MOV output for the text subtitle stream ``in_stream``.

    Keeps the language (a three-letter code, which is all MP4 stores), the title (as the MP4 handler
    name players show) and the disposition (default, forced, ...). The stream gets a complete tx3g
    sample description from FFmpeg's mov_text encoder and the time base ``MOV_TEXT_TIME_BASE``.
    """
    if not is_text_subtitle(in_stream):
        raise UnsupportedMedia(
            f"stream {in_stream.index} ({codec_name(in_stream) or in_stream.type}) is not a text subtitle track",
            field="stream_index",
        )
    try:
        stream = out_container.add_stream("mov_text")
    except ValueError as exc:  # the container format does not take mov_text
        raise InvalidRequest(f"{out_container.format.name} output cannot hold mov_text subtitles",
                             field="format") from exc
    stream.codec_context.subtitle_header = _ASS_HEADER.encode()
    stream.time_base = MOV_TEXT_TIME_BASE

    language = (in_stream.metadata.get("language") or "").split("-")[0]
    if len(language) == 3 and language.isascii() and language.isalpha():
        stream.metadata["language"] = language.lower()
    title = in_stream.metadata.get("title") or in_stream.metadata.get("handler_name")
    if title and title not in ("SubtitleHandler",):
        stream.metadata["handler_name"] = title
    stream.disposition = in_stream.disposition
    return stream


def subtitle_packets(src_path, stream_index: int, windows: Sequence[Window], out_stream) -> Iterator[av.Packet]:
    """mov_text packets for ``out_stream`` carrying the source track's cues cut to ``windows``.

    One packet per displayed sample, in pts order, pts = dts, with ``time_base`` set to the stream's
    (the muxer rescales if the header changed it). Gaps between cues need no packets: the MP4 muxer
    fills them with empty samples. Reading stops after the last window's end.
    """
    windows = list(windows)
    if not windows:
        return
    cues = read_cues(src_path, stream_index, until=max(window.end for window in windows))
    time_base = out_stream.time_base or MOV_TEXT_TIME_BASE
    for cue in flatten_overlaps(cut_cues(cues, windows)):
        start, end = to_pts(cue.start, time_base), to_pts(cue.end, time_base)
        if end <= start:  # shorter than one tick of the output's clock
            continue
        yield mov_text_packet(cue.text, start, end - start, time_base, out_stream)


def mov_text_packet(text: str, pts: int, duration: int, time_base: Fraction, out_stream) -> av.Packet:
    """One mov_text sample: 16-bit big-endian length, then the UTF-8 text (cut at a character
    boundary if it exceeds 65,535 bytes), no style boxes."""
    data = text.encode("utf-8")
    if len(data) > _MOV_TEXT_MAX_BYTES:
        data = data[:_MOV_TEXT_MAX_BYTES].decode("utf-8", errors="ignore").encode("utf-8")
    packet = av.Packet(len(data).to_bytes(2, "big") + data)
    packet.pts = packet.dts = pts
    packet.duration = duration
    packet.time_base = time_base
    packet.stream = out_stream
    packet.is_keyframe = True
    return packet

"""What each video packet is to a cut, from a packet scan (demux only, no decode).

In decode order, a packet may be:

* ``RAP``: a random-access picture a copy can start at: for HEVC an IRAP picture (IDR, CRA, BLA)
  by its NAL unit type, which x265 makes CRA by default; otherwise the demuxer's keyframe flag
  (H.264 IDR or recovery-point I picture, VP9 key frame).
* ``LEADING``: shown before the RAP it follows in decode order (an open GOP's leading pictures).
* ``RADL``: a leading picture that needs only its RAP (HEVC RADL). Other leading pictures (HEVC
  RASL, H.264 open-GOP B pictures) refer to the GOP before their RAP.
* ``IDR``: a RAP that starts a new sequence as it is (H.264 IDR, HEVC IDR/BLA, VP9 key frame);
  a copy that starts at any other RAP has it rewritten (``engine.cut.splice``).

The keyframe index stores these facts for a whole file and a cut's scan reads them around a
segment, through the one :class:`PacketClassifier`, so a preview plans on what the export sees.
"""

from __future__ import annotations

from dataclasses import dataclass

RAP, LEADING, RADL, IDR = 1, 2, 4, 8

_HEVC_IRAP = range(16, 24)
_HEVC_IDR_OR_BLA = range(16, 21)
_HEVC_RADL = (6, 7)
_HEVC_LEADING = range(6, 10)
_H264_IDR = 5


@dataclass(frozen=True, slots=True)
class VideoPacket:
    """One video packet, in decode order: its presentation time (stream time base) and flags."""

    pts: int
    flags: int = 0

    @property
    def rap(self) -> bool:
        return bool(self.flags & RAP)

    @property
    def leading(self) -> bool:
        return bool(self.flags & LEADING)

    @property
    def radl(self) -> bool:
        return bool(self.flags & RADL)

    @property
    def idr(self) -> bool:
        return bool(self.flags & IDR)


class PacketClassifier:
    """Flags for a stream's packets, fed in decode order (see the module doc).

    ``codec`` is FFmpeg's decoder name, ``extradata`` the stream's (for the NAL length size of
    H.264/HEVC samples). Packets of other codecs are classified by their keyframe flag only.
    """

    def __init__(self, codec: str, extradata: bytes | None):
        self.codec = codec
        self.length_size = _length_size(codec, bytes(extradata or b""))
        self.rap_pts: int | None = None  # the last RAP's PTS

    def flags(self, pts: int, keyframe: bool, data) -> int:
        """The flags of a packet shown at ``pts``; ``data`` is its payload (bytes or buffer)."""
        flags = 0
        if self.codec == "hevc":
            t = first_vcl_type("hevc", data, self.length_size)
            if t in _HEVC_IRAP:
                flags = RAP | (IDR if t in _HEVC_IDR_OR_BLA else 0)
            elif t in _HEVC_LEADING and self.rap_pts is not None and pts < self.rap_pts:
                flags = LEADING | (RADL if t in _HEVC_RADL else 0)
        elif keyframe:
            flags = RAP
            if self.codec != "h264" or first_vcl_type("h264", data, self.length_size) == _H264_IDR:
                flags |= IDR
        elif self.rap_pts is not None and pts < self.rap_pts:
            flags = LEADING
        if flags & RAP:
            self.rap_pts = pts
        return flags


def _length_size(codec: str, extradata: bytes) -> int | None:
    """The NAL length size of H.264/HEVC samples; None for Annex B, 0 when unknown (no extradata:
    each packet says), and None for other codecs."""
    if codec not in ("h264", "hevc"):
        return None
    if not extradata:
        return 0
    if _starts_annexb(extradata):
        return None
    if codec == "h264" and len(extradata) > 4:
        return (extradata[4] & 0x03) + 1
    if codec == "hevc" and len(extradata) > 22:
        return (extradata[21] & 0x03) + 1
    return 0


def _starts_annexb(data) -> bool:
    return bytes(data[:3]) == b"\x00\x00\x01" or bytes(data[:4]) == b"\x00\x00\x00\x01"


def first_vcl_type(codec: str, data, length_size: int | None) -> int:
    """The nal_unit_type of the first picture NAL unit of a packet (-1 if it has none or is damaged).

    ``length_size`` is the NAL length size, None for Annex B, 0 when unknown (a packet that starts
    with a start code is then Annex B, else 4-byte lengths). Only NAL headers are read from
    length-prefixed packets: they are never copied whole.
    """
    view = memoryview(data)
    hevc = codec == "hevc"
    if length_size == 0:
        length_size = None if _starts_annexb(view) else 4
    if length_size is None:
        raw = bytes(view)
        pos = raw.find(b"\x00\x00\x01")
        while 0 <= pos < len(raw) - 3:
            t = (raw[pos + 3] >> 1) & 0x3F if hevc else raw[pos + 3] & 0x1F
            if (hevc and t < 32) or (not hevc and 1 <= t <= 5):
                return t
            pos = raw.find(b"\x00\x00\x01", pos + 3)
        return -1
    pos, n = 0, len(view)
    while pos + length_size < n:
        size = int.from_bytes(view[pos:pos + length_size], "big")
        head = view[pos + length_size]
        t = (head >> 1) & 0x3F if hevc else head & 0x1F
        if (hevc and t < 32) or (not hevc and 1 <= t <= 5):
            return t
        if size <= 0:
            return -1
        pos += length_size + size
    return -1

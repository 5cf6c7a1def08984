"""H.264 / HEVC bitstream plumbing for smart cut (bytes in, bytes out).

A smart cut muxes, into one MP4 video track, packets re-encoded by
libx264/libx265 and packets copied from the source. The track keeps the
SOURCE's extradata (``avcC``/``hvcC``), so:

* re-encoded packets arrive in Annex B form (start codes, SPS/PPS(/VPS)
  in-band at every keyframe) and must be rewritten as length-prefixed NAL
  units with the source's NAL length size: :func:`annexb_to_length_prefixed`;
* after a re-encoded span the decoder still holds the re-encoder's parameter
  sets (same ids, other contents), so the first copied keyframe must carry the
  source's own in-band: :func:`parameter_sets_length_prefixed`;
* the planner wants the NAL length size, the profile/level to ask the
  re-encoder for, and which packets start a picture the decoder can enter
  at: :func:`parse_extradata`, :func:`is_idr`, :func:`is_irap`.

Codecs are named as FFmpeg names its decoders: ``"h264"`` and ``"hevc"``.
Wherever a ``length_size`` is taken, ``None`` means Annex B. Malformed input
raises ``ValueError``; the caller turns it into an engine error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

H264 = "h264"
HEVC = "hevc"

# H.264 nal_unit_type (ITU-T H.264 table 7-1)
H264_IDR = 5
H264_SEI = 6
H264_SPS = 7
H264_PPS = 8
H264_AUD = 9

# HEVC nal_unit_type (ITU-T H.265 table 7-1)
HEVC_BLA_W_LP = 16
HEVC_IDR_W_RADL = 19
HEVC_IDR_N_LP = 20
HEVC_CRA = 21
HEVC_IRAP_MAX = 23  # 16..23 are IRAP (22, 23 reserved)
HEVC_VPS = 32
HEVC_SPS = 33
HEVC_PPS = 34
HEVC_AUD = 35
HEVC_PREFIX_SEI = 39
HEVC_SUFFIX_SEI = 40

_START_CODE = b"\x00\x00\x01"
_LENGTH_SIZES = (1, 2, 4)  # ISO/IEC 14496-15: lengthSizeMinusOne is 0, 1 or 3


@dataclass(frozen=True, slots=True)
class AvcConfig:
    """What a smart cut needs from an H.264 stream's extradata.

    ``annexb`` is True when the extradata was Annex B (MKV/TS sources,
    encoders without a global header) rather than an ``avcC`` record. The
    MP4 muxer then writes an ``avcC`` with 4-byte lengths itself and
    converts every Annex B packet it is given, so packets for such a
    stream should stay Annex B; ``length_size`` is 4, what ends up in
    the file.
    """

    length_size: int
    profile_idc: int
    constraint_flags: int
    level_idc: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    annexb: bool = False


@dataclass(frozen=True, slots=True)
class HvcConfig:
    """What a smart cut needs from an HEVC stream's extradata (see AvcConfig)."""

    length_size: int
    profile_idc: int
    tier_flag: int
    level_idc: int
    vps: tuple[bytes, ...]
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    annexb: bool = False


# -- framing ---------------------------------------------------------------


def is_annexb(data: bytes) -> bool:
    """True if ``data`` starts with a 3- or 4-byte start code.

    This is FFmpeg's test too: an ``avcC``/``hvcC`` record starts with
    configurationVersion 1 (0 in some old HEVC files), then a non-zero byte.
    """
    return data[:3] == _START_CODE or data[:4] == b"\x00" + _START_CODE


def split_annexb(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream, without start codes.

    Accepts 3- and 4-byte start codes and leading/trailing zero bytes.
    Raises ValueError if ``data`` does not begin with a start code.
    """
    data = bytes(data)
    first = data.find(_START_CODE)
    if first < 0 or data[:first].strip(b"\x00"):
        raise ValueError("not an Annex B stream: no leading start code")
    nals = []
    pos = first + 3
    while pos <= len(data):
        nxt = data.find(_START_CODE, pos)
        end = len(data) if nxt < 0 else nxt
        # zeros before a start code belong to it (4-byte start code,
        # trailing_zero_8bits); a NAL unit never ends in a zero byte.
        nal = data[pos:end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
        if nxt < 0:
            break
        pos = nxt + 3
    return nals


def split_length_prefixed(data: bytes, length_size: int) -> list[bytes]:
    """The NAL units of length-prefixed data (MP4 samples, avcC style)."""
    _check_length_size(length_size)
    data = bytes(data)
    nals = []
    pos = 0
    while pos < len(data):
        if pos + length_size > len(data):
            raise ValueError(f"truncated NAL length at byte {pos}")
        size = int.from_bytes(data[pos : pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > len(data):
            raise ValueError(f"bad NAL length {size} at byte {pos - length_size}")
        nals.append(data[pos : pos + size])
        pos += size
    return nals


def split_nals(data: bytes, length_size: int | None) -> list[bytes]:
    """Split Annex B (``length_size=None``) or length-prefixed data."""
    if length_size is None:
        return split_annexb(data)
    return split_length_prefixed(data, length_size)


def join_length_prefixed(nals: Iterable[bytes], length_size: int = 4) -> bytes:
    """Frame NAL units with big-endian ``length_size``-byte lengths."""
    _check_length_size(length_size)
    limit = 1 << (8 * length_size)
    out = bytearray()
    for nal in nals:
        if not 0 < len(nal) < limit:
            raise ValueError(f"NAL of {len(nal)} bytes does not fit a {length_size}-byte length")
        out += len(nal).to_bytes(length_size, "big")
        out += nal
    return bytes(out)


def join_annexb(nals: Iterable[bytes]) -> bytes:
    """Frame NAL units with 4-byte start codes."""
    return b"".join(b"\x00" + _START_CODE + bytes(nal) for nal in nals)


def annexb_to_length_prefixed(
    data: bytes,
    length_size: int = 4,
    drop_types: Iterable[int] = (),
    *,
    codec: str | None = None,
) -> bytes:
    """Rewrite an Annex B packet as length-prefixed NAL units.

    ``drop_types`` (e.g. ``{H264_AUD}``) removes NAL units of those types;
    it needs ``codec`` to read the types. Parameter sets are kept: they are
    what lets a decoder switch to the re-encoder's SPS/PPS mid-stream.
    """
    nals = split_annexb(data)
    drop = frozenset(drop_types)
    if drop:
        if codec is None:
            raise ValueError("drop_types needs codec= to read NAL types")
        nals = [nal for nal in nals if nal_type(codec, nal) not in drop]
    return join_length_prefixed(nals, length_size)


def _check_length_size(length_size: int) -> None:
    if length_size not in _LENGTH_SIZES:
        raise ValueError(f"NAL length size must be 1, 2 or 4, not {length_size!r}")


# -- NAL types ---------------------------------------------------------------


def nal_type(codec: str, nal: bytes) -> int:
    """The nal_unit_type of one NAL unit (given without start code/length)."""
    if not nal:
        raise ValueError("empty NAL unit")
    if codec == H264:
        return nal[0] & 0x1F
    if codec == HEVC:
        return (nal[0] >> 1) & 0x3F
    raise ValueError(f"not an H.264/HEVC codec name: {codec!r}")


def nal_types(codec: str, data: bytes, length_size: int | None) -> list[int]:
    """The nal_unit_type of each NAL unit in a packet, in order."""
    return [nal_type(codec, nal) for nal in split_nals(data, length_size)]


def is_idr(codec: str, data: bytes, length_size: int | None) -> bool:
    """True if the packet holds an IDR picture (H.264 type 5, HEVC 19/20)."""
    types = nal_types(codec, data, length_size)
    if codec == H264:
        return H264_IDR in types
    return HEVC_IDR_W_RADL in types or HEVC_IDR_N_LP in types


def is_irap(codec: str, data: bytes, length_size: int | None) -> bool:
    """True if the packet holds a random access point picture.

    HEVC: an IRAP picture (BLA, IDR or CRA; x265 makes CRA keyframes by
    default). H.264: the same as :func:`is_idr`.
    """
    if codec == H264:
        return is_idr(codec, data, length_size)
    types = nal_types(codec, data, length_size)
    return any(HEVC_BLA_W_LP <= t <= HEVC_IRAP_MAX for t in types)


def unescape_rbsp(nal: bytes) -> bytes:
    """Remove emulation prevention bytes (``00 00 03`` -> ``00 00``)."""
    if b"\x00\x00\x03" not in nal:
        return bytes(nal)
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


# -- extradata ---------------------------------------------------------------


def parse_avcc(extradata: bytes) -> AvcConfig:
    """Parse an H.264 ``avcC`` record (ISO/IEC 14496-15 5.3.3.1), or Annex B."""
    data = bytes(extradata or b"")
    if is_annexb(data):
        return _avc_from_annexb(data)
    if len(data) < 7:
        raise ValueError(f"avcC too short ({len(data)} bytes)")
    if data[0] != 1:
        raise ValueError(f"avcC configurationVersion {data[0]}, expected 1")
    length_size = (data[4] & 0x03) + 1
    if length_size not in _LENGTH_SIZES:
        raise ValueError("avcC lengthSizeMinusOne is 2")
    reader = _Reader(data, 5)
    sps = reader.nals(reader.u8() & 0x1F, "SPS")
    pps = reader.nals(reader.u8(), "PPS")  # high profiles may add fields after
    _expect_types(H264, sps, H264_SPS, "avcC SPS")
    _expect_types(H264, pps, H264_PPS, "avcC PPS")
    return AvcConfig(length_size, data[1], data[2], data[3], tuple(sps), tuple(pps))


def parse_hvcc(extradata: bytes) -> HvcConfig:
    """Parse an HEVC ``hvcC`` record (ISO/IEC 14496-15 8.3.3.1), or Annex B."""
    data = bytes(extradata or b"")
    if is_annexb(data):
        return _hvc_from_annexb(data)
    if len(data) < 23:
        raise ValueError(f"hvcC too short ({len(data)} bytes)")
    if data[0] > 1:
        raise ValueError(f"hvcC configurationVersion {data[0]}, expected 1")
    length_size = (data[21] & 0x03) + 1
    if length_size not in _LENGTH_SIZES:
        raise ValueError("hvcC lengthSizeMinusOne is 2")
    reader = _Reader(data, 22)
    sets: dict[int, list[bytes]] = {HEVC_VPS: [], HEVC_SPS: [], HEVC_PPS: []}
    for _ in range(reader.u8()):
        array_type = reader.u8() & 0x3F
        nals = reader.nals(reader.u16(), "hvcC array")
        _expect_types(HEVC, nals, array_type, "hvcC array")
        sets.setdefault(array_type, []).extend(nals)
    return HvcConfig(
        length_size,
        profile_idc=data[1] & 0x1F,
        tier_flag=(data[1] >> 5) & 1,
        level_idc=data[12],
        vps=tuple(sets[HEVC_VPS]),
        sps=tuple(sets[HEVC_SPS]),
        pps=tuple(sets[HEVC_PPS]),
    )


def parse_extradata(codec: str, extradata: bytes) -> AvcConfig | HvcConfig:
    """:func:`parse_avcc` or :func:`parse_hvcc`, by codec name."""
    if codec == H264:
        return parse_avcc(extradata)
    if codec == HEVC:
        return parse_hvcc(extradata)
    raise ValueError(f"not an H.264/HEVC codec name: {codec!r}")


def parameter_sets(codec: str, extradata: bytes) -> list[bytes]:
    """The source's parameter sets in decoding order: (VPS,) SPS, PPS.

    Raises ValueError if the extradata carries none (e.g. an ``avc3`` track,
    whose parameter sets travel in-band already).
    """
    config = parse_extradata(codec, extradata)
    groups = [config.sps, config.pps]
    if isinstance(config, HvcConfig):
        groups.insert(0, config.vps)
    if not all(groups):
        raise ValueError(f"{codec} extradata lacks a parameter set")
    return [nal for group in groups for nal in group]


def parameter_sets_length_prefixed(codec: str, extradata: bytes) -> bytes:
    """The source's parameter sets framed like its samples.

    Prepend this to the first copied keyframe after a re-encoded span so the
    decoder drops the re-encoder's SPS/PPS (same ids) for the source's. For
    Annex B extradata (``config.annexb``) the packets stay Annex B, so the
    prefix is Annex B too.
    """
    config = parse_extradata(codec, extradata)
    nals = parameter_sets(codec, extradata)
    if config.annexb:
        return join_annexb(nals)
    return join_length_prefixed(nals, config.length_size)


def with_parameter_sets(codec: str, data: bytes, extradata: bytes) -> bytes:
    """A source packet with the source's parameter sets put in-band.

    Like prefixing :func:`parameter_sets_length_prefixed`, but an access
    unit delimiter (which must come first; MPEG-TS sources have them) stays
    first. ``data`` is framed as the extradata says (Annex B or lengths).
    """
    config = parse_extradata(codec, extradata)
    length_size = None if config.annexb else config.length_size
    nals = split_nals(data, length_size)
    aud = H264_AUD if codec == H264 else HEVC_AUD
    at = 1 if nals and nal_type(codec, nals[0]) == aud else 0
    nals[at:at] = parameter_sets(codec, extradata)
    if length_size is None:
        return join_annexb(nals)
    return join_length_prefixed(nals, length_size)


# -- helpers -----------------------------------------------------------------


class _Reader:
    """Big-endian reads over a record, failing with ValueError when short."""

    def __init__(self, data: bytes, pos: int):
        self.data = data
        self.pos = pos

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"extradata truncated in {what} at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1, "header")[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2, "header"), "big")

    def nals(self, count: int, what: str) -> list[bytes]:
        out = []
        for _ in range(count):
            size = int.from_bytes(self.take(2, what), "big")
            if size == 0:
                raise ValueError(f"empty {what} in extradata")
            out.append(self.take(size, what))
        return out


def _expect_types(codec: str, nals: list[bytes], expected: int, what: str) -> None:
    for nal in nals:
        if nal_type(codec, nal) != expected:
            raise ValueError(f"{what}: NAL type {nal_type(codec, nal)}, expected {expected}")


def _by_type(codec: str, nals: list[bytes], wanted: int) -> tuple[bytes, ...]:
    return tuple(nal for nal in nals if nal_type(codec, nal) == wanted)


def _avc_from_annexb(data: bytes) -> AvcConfig:
    nals = split_annexb(data)
    sps = _by_type(H264, nals, H264_SPS)
    pps = _by_type(H264, nals, H264_PPS)
    if not sps or not pps:
        raise ValueError("Annex B H.264 extradata without SPS and PPS")
    rbsp = unescape_rbsp(sps[0])
    if len(rbsp) < 4:
        raise ValueError("H.264 SPS too short")
    # header byte, then profile_idc, constraint_set flags, level_idc
    return AvcConfig(4, rbsp[1], rbsp[2], rbsp[3], sps, pps, annexb=True)


def _hvc_from_annexb(data: bytes) -> HvcConfig:
    nals = split_annexb(data)
    vps = _by_type(HEVC, nals, HEVC_VPS)
    sps = _by_type(HEVC, nals, HEVC_SPS)
    pps = _by_type(HEVC, nals, HEVC_PPS)
    if not vps or not sps or not pps:
        raise ValueError("Annex B HEVC extradata without VPS, SPS and PPS")
    rbsp = unescape_rbsp(sps[0])
    if len(rbsp) < 15:
        raise ValueError("HEVC SPS too short")
    # 2 header bytes, 1 byte of ids/sub-layers, then profile_tier_level:
    # space/tier/profile_idc, 4 bytes compatibility, 6 bytes constraints, level
    ptl = rbsp[3]
    return HvcConfig(4, ptl & 0x1F, (ptl >> 5) & 1, rbsp[14], vps, sps, pps, annexb=True)

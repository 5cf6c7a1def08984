"""H.264 / HEVC NAL units: their types, and framing them as Annex B or length-prefixed.

Bytes in, bytes out; see :mod:`engine.cut.h26x` for why a smart cut needs this.
Malformed input raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable

H264 = "h264"
HEVC = "hevc"

# H.264 nal_unit_type (ITU-T H.264 table 7-1)
H264_SLICE = 1  # a non-IDR picture's slice
H264_IDR = 5
H264_SEI = 6
H264_SPS = 7
H264_PPS = 8
H264_AUD = 9
H264_END_OF_SEQUENCE = 10

# HEVC nal_unit_type (ITU-T H.265 table 7-1)
HEVC_TRAIL_N = 0
HEVC_RADL_N = 6  # decodable leading pictures: need only their IRAP
HEVC_RADL_R = 7
HEVC_RASL_N = 8  # skipped leading pictures: refer to pictures before their IRAP
HEVC_RASL_R = 9
HEVC_BLA_W_LP = 16
HEVC_BLA_W_RADL = 17
HEVC_BLA_N_LP = 18
HEVC_IDR_W_RADL = 19
HEVC_IDR_N_LP = 20
HEVC_CRA = 21
HEVC_IRAP_MAX = 23  # 16..23 are IRAP (22, 23 reserved)
HEVC_VPS = 32
HEVC_SPS = 33
HEVC_PPS = 34
HEVC_AUD = 35
HEVC_EOS = 36
HEVC_PREFIX_SEI = 39
HEVC_SUFFIX_SEI = 40

_START_CODE = b"\x00\x00\x01"
_LENGTH_SIZES = (1, 2, 4)  # ISO/IEC 14496-15: lengthSizeMinusOne is 0, 1 or 3


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

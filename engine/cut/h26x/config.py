"""H.264 / HEVC decoder configuration: ``avcC`` / ``hvcC`` records (or Annex B extradata)
and the parameter sets they carry, put in-band where a smart cut needs them.

Malformed input raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .nal import (
    _LENGTH_SIZES,
    H264,
    H264_AUD,
    H264_PPS,
    H264_SPS,
    HEVC,
    HEVC_AUD,
    HEVC_PPS,
    HEVC_SPS,
    HEVC_VPS,
    is_annexb,
    join_annexb,
    join_length_prefixed,
    nal_type,
    split_annexb,
    split_nals,
    unescape_rbsp,
)


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


# -- records with more parameter sets ------------------------------------------


def avcc_with(avcc: bytes, extra: list[bytes], replace: dict[bytes, bytes] | None = None) -> bytes:
    """The source's ``avcC`` with more SPS/PPS, and some of its own replaced (``old -> new``).

    The header (profile, level, NAL length size) and any High-profile fields after the PPS stay
    the source's: the re-encoder is set up to stay within them.
    """
    data = bytes(avcc)
    if is_annexb(data) or len(data) < 7:
        raise ValueError("not an avcC record")
    replace = replace or {}
    reader = _Reader(data, 5)
    sps = reader.nals(reader.u8() & 0x1F, "SPS")
    pps = reader.nals(reader.u8(), "PPS")
    tail = data[reader.pos:]
    sps = [replace.get(n, n) for n in sps] + [n for n in extra if nal_type(H264, n) == H264_SPS]
    pps = [replace.get(n, n) for n in pps] + [n for n in extra if nal_type(H264, n) == H264_PPS]
    if len(sps) > 31:
        raise ValueError("too many SPS for one avcC")
    out = bytearray(data[:5])
    out.append(0xE0 | len(sps))
    for n in sps:
        out += len(n).to_bytes(2, "big") + n
    out.append(len(pps))
    for n in pps:
        out += len(n).to_bytes(2, "big") + n
    return bytes(out + tail)


def hvcc_with(hvcc: bytes, extra: list[bytes]) -> bytes:
    """The source's ``hvcC`` with more VPS/SPS/PPS, every parameter set array marked complete
    (all of them are in the record, none in band).

    The header (profile, level, chroma format, bit depth, NAL length size) stays the source's:
    the re-encoder is set up to stay within it.
    """
    data = bytes(hvcc)
    if is_annexb(data) or len(data) < 23:
        raise ValueError("not an hvcC record")
    reader = _Reader(data, 22)
    arrays: dict[int, tuple[int, list[bytes]]] = {}
    order: list[int] = []
    for _ in range(reader.u8()):
        head = reader.u8()
        nals = reader.nals(reader.u16(), "hvcC array")
        arrays[head & 0x3F] = (head, nals)
        order.append(head & 0x3F)
    for nal in extra:
        t = nal_type(HEVC, nal)
        if t not in arrays:
            arrays[t] = (t, [])
            order.append(t)
        arrays[t][1].append(nal)
    sets = (HEVC_VPS, HEVC_SPS, HEVC_PPS)
    order.sort(key=lambda t: (t not in sets, sets.index(t) if t in sets else t))
    out = bytearray(data[:22])
    out.append(len(order))
    for t in order:
        head, nals = arrays[t]
        if t in sets:
            head |= 0x80  # array_completeness
        out.append(head)
        out += len(nals).to_bytes(2, "big")
        for n in nals:
            out += len(n).to_bytes(2, "big") + n
    return bytes(out)


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

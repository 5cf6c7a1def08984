"""HEVC header edits for a smart cut of open-GOP streams.

* :func:`cra_to_bla`: a copied CRA picture that follows re-encoded (or other copied) pictures
  becomes a BLA picture, which starts a new coded video sequence: its leading pictures that
  refer to pictures before it are gone, and a decoder must not look for them. (An in-band
  end-of-sequence NAL does the same for FFmpeg, but a strict decoder, libde265, rejected the
  in-band variants; BLA passed every decoder tried.)
* :func:`renumber` / :class:`Renumbering`: the RE-ENCODER's VPS/SPS/PPS get ids the source does
  not use, and its slices are rewritten to name the new PPS id, so both sets can sit side by
  side in one ``hvcC`` (``hvc1``, nothing in band) and copied samples stay byte-identical.

NAL units are given without start code or length prefix. Malformed input raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .bits import (
    BitReader,
    BitWriter,
    escape,
    rewrite_rbsp,
    splice_header,
    u_bits,
    ue_bits,
    unescape,
)
from .hevc_syntax import (
    Pps,
    Sps,
    nal_unit_type,
    parse_pps,
    parse_slice_header,
    parse_sps,
    rbsp,
    vps_id_and_dpb_spans,
)
from .nal import (
    HEVC_BLA_N_LP,
    HEVC_BLA_W_LP,
    HEVC_BLA_W_RADL,
    HEVC_CRA,
    HEVC_EOS,
    HEVC_PPS,
    HEVC_SPS,
    HEVC_VPS,
)

EOS_NAL = bytes([HEVC_EOS << 1, 1])  # nuh_layer_id 0, nuh_temporal_id_plus1 1
_BLA = {"none": HEVC_BLA_N_LP, "radl": HEVC_BLA_W_RADL, "rasl": HEVC_BLA_W_LP}


def with_type(nal: bytes, t: int) -> bytes:
    """The NAL unit with another nal_unit_type (the first header byte only: no escaping involved)."""
    return bytes([(nal[0] & 0x81) | (t << 1)]) + bytes(nal[1:])


def cra_to_bla(nal: bytes, leading: str) -> bytes:
    """CRA -> BLA; ``leading`` says what follows it: "none" (BLA_N_LP), "radl" (BLA_W_RADL), "rasl"."""
    if nal_unit_type(nal) != HEVC_CRA:
        return nal
    return with_type(nal, _BLA[leading])


def _rewrite(nal: bytes, edits: list[tuple[int, int, BitWriter]]) -> bytes:
    return bytes(nal[:2]) + escape(rewrite_rbsp(rbsp(nal), edits))


def set_vps(nal: bytes, vps_id: int, dpb_minus1: int | None = None) -> bytes:
    edits = [(0, 4, u_bits(4, vps_id))]
    if dpb_minus1 is not None:
        edits += [(a, b, ue_bits(dpb_minus1)) for a, b in vps_id_and_dpb_spans(nal)[1]]
    return _rewrite(nal, edits)


def set_sps(nal: bytes, vps_id: int, sps_id: int, dpb_minus1: int | None = None) -> bytes:
    """An SPS renumbered, and (optionally) with another sps_max_dec_pic_buffering_minus1.

    Why the DPB size: at an IRAP that starts a new sequence, a decoder MAY drop the pictures still
    waiting for output when sps_max_dec_pic_buffering (or the picture size) differs from the
    previous SPS (H.265 C.5.2.2). At the end cut, source pictures wait for output (B-frame
    reordering) when the re-encoded IDR arrives: with the source's DPB size in the encoder's SPS,
    NoOutputOfPriorPicsFlag is the IDR's no_output_of_prior_pics_flag (0), so they are output.
    """
    sps = parse_sps(nal)
    edits = [(0, 4, u_bits(4, vps_id)), (*sps.id_bits, ue_bits(sps_id))]
    if dpb_minus1 is not None:
        edits += [(a, b, ue_bits(dpb_minus1)) for a, b in sps.dpb_spans]
    return _rewrite(nal, edits)


def set_pps_ids(nal: bytes, pps_id: int, sps_id: int) -> bytes:
    pps = parse_pps(nal)
    return _rewrite(nal, [(*pps.id_bits, ue_bits(pps_id)), (*pps.sps_id_bits, ue_bits(sps_id))])


def set_slice_pps_id(nal: bytes, pps_id: int, spss: dict[int, Sps], ppss: dict[int, Pps]) -> bytes:
    """A slice segment naming another PPS id; the slice data is kept as it is (spliced)."""
    head = parse_slice_header(nal, spss, ppss)
    header_bytes = (head.end + 1 + 7) // 8  # up to and with byte_alignment()
    r = BitReader(unescape(bytes(nal[2:2 + header_bytes + 64]))[:header_bytes])
    w = BitWriter()
    w.append(*r.bits(0, head.pps_id_bits[0]))
    w.ue(pps_id)
    w.append(*r.bits(head.pps_id_bits[1], head.end))
    w.align_with_stop_bit()
    return bytes(nal[:2]) + splice_header(bytes(nal[2:]), header_bytes, w.to_bytes())


@dataclass(slots=True)
class Renumbering:
    """The encoder's parameter sets under ids the source does not use, and how to fix its slices."""

    vps_id: int
    sps_id: int
    pps_id: int
    sets: list[bytes] = field(default_factory=list)  # renumbered VPS, SPS, PPS
    spss: dict[int, Sps] = field(default_factory=dict)  # the ENCODER's own (original ids), to parse its slices
    ppss: dict[int, Pps] = field(default_factory=dict)

    def slice(self, nal: bytes) -> bytes:
        return set_slice_pps_id(nal, self.pps_id, self.spss, self.ppss)


def free_ids(source_sets: list[bytes]) -> tuple[int, int, int]:
    """VPS, SPS and PPS ids the source's parameter sets do not use (the highest free ones)."""
    used: dict[int, set[int]] = {HEVC_VPS: set(), HEVC_SPS: set(), HEVC_PPS: set()}
    for nal in source_sets:
        t = nal_unit_type(nal)
        if t == HEVC_VPS:
            used[t].add(rbsp(nal)[0] >> 4)
        elif t == HEVC_SPS:
            used[t].add(parse_sps(nal).sps_id)
        elif t == HEVC_PPS:
            used[t].add(parse_pps(nal).pps_id)

    def pick(limit: int, taken: set[int]) -> int:
        free = [i for i in range(limit) if i not in taken]
        if not free:
            raise ValueError("the source uses every parameter set id")
        return free[-1]

    return pick(16, used[HEVC_VPS]), pick(16, used[HEVC_SPS]), pick(64, used[HEVC_PPS])


def renumber(encoder_sets: list[bytes], source_sets: list[bytes]) -> Renumbering:
    """The encoder's VPS/SPS/PPS under free ids, with the larger of the two DPB sizes (see set_sps)."""
    vps_id, sps_id, pps_id = free_ids(source_sets)
    out = Renumbering(vps_id, sps_id, pps_id)
    all_sps = [parse_sps(n) for n in [*source_sets, *encoder_sets] if nal_unit_type(n) == HEVC_SPS]
    dpb = max(s.max_dec_pic_buffering_minus1 for s in all_sps) if all_sps else None
    by_type: dict[int, bytes] = {}
    for nal in encoder_sets:
        t = nal_unit_type(nal)
        if t in by_type:
            raise ValueError("expected one VPS, one SPS and one PPS from the encoder")
        if t == HEVC_VPS:
            by_type[t] = set_vps(nal, vps_id, dpb)
        elif t == HEVC_SPS:
            s = parse_sps(nal)
            out.spss[s.sps_id] = s
            by_type[t] = set_sps(nal, vps_id, sps_id, dpb)
        elif t == HEVC_PPS:
            p = parse_pps(nal)
            out.ppss[p.pps_id] = p
            by_type[t] = set_pps_ids(nal, pps_id, sps_id)
    if set(by_type) != {HEVC_VPS, HEVC_SPS, HEVC_PPS}:
        raise ValueError("the encoder gave no VPS, SPS and PPS")
    out.sets = [by_type[HEVC_VPS], by_type[HEVC_SPS], by_type[HEVC_PPS]]
    return out

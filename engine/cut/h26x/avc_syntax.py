"""H.264 header syntax (ITU-T H.264 section 7.3): SPS, PPS and slice headers, read as far as a smart
cut needs, with where the fields it edits sit.

NAL units are given without start code or length prefix, with their 1-byte header. Bit positions
are in the RBSP after that byte. Malformed input raises ``ValueError``; syntax no smart cut meets
(slice groups) raises ``NotImplementedError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bits import BitReader, unescape
from .nal import H264_IDR

_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})


@dataclass(frozen=True, slots=True)
class Sps:
    sps_id: int
    separate_colour_plane: bool
    log2_max_frame_num: int
    poc_type: int
    log2_max_poc_lsb: int
    delta_pic_order_always_zero: bool
    frame_mbs_only: bool
    chroma_array_type: int
    max_num_ref_frames: int
    gaps_bit: int  # where gaps_in_frame_num_value_allowed_flag is
    gaps_allowed: bool


@dataclass(frozen=True, slots=True)
class Pps:
    pps_id: int
    sps_id: int
    cabac: bool
    bottom_field_pic_order_present: bool
    num_ref_idx_l0_default: int
    num_ref_idx_l1_default: int
    weighted_pred: bool
    weighted_bipred_idc: int
    deblocking_filter_control_present: bool
    redundant_pic_cnt_present: bool


@dataclass(frozen=True, slots=True)
class SliceHeader:
    """Where the fields a rewrite edits sit in a slice header."""

    first_mb: int
    slice_type: int  # 0 P, 1 B, 2 I, 3 SP, 4 SI
    pps: Pps
    sps: Sps
    frame_num: int
    frame_num_pos: int
    poc_lsb: int | None
    poc_lsb_pos: int | None
    idr_pic_id_span: tuple[int, int]  # where idr_pic_id is (IDR) or would go (non-IDR)
    marking_span: tuple[int, int] | None  # dec_ref_pic_marking() (full parse only)
    end: int | None  # end of the header (full parse only)


def nal_unit_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def rbsp(nal: bytes) -> bytes:
    return unescape(bytes(nal[1:]))


def _skip_scaling_list(r: BitReader, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + r.se() + 256) % 256
        last = last if nxt == 0 else nxt


def parse_sps(nal: bytes) -> Sps:
    r = BitReader(rbsp(nal))
    profile = r.u(8)
    r.u(16)  # constraint flags, level_idc
    sps_id = r.ue()
    separate = False
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = r.ue()
        if chroma == 3:
            separate = r.flag()
        r.ue()  # bit_depth_luma_minus8
        r.ue()
        r.flag()  # qpprime_y_zero_transform_bypass
        if r.flag():  # seq_scaling_matrix_present
            for i in range(8 if chroma != 3 else 12):
                if r.flag():
                    _skip_scaling_list(r, 16 if i < 6 else 64)
    log2_fn = r.ue() + 4
    poc_type = r.ue()
    log2_poc = 0
    always_zero = False
    if poc_type == 0:
        log2_poc = r.ue() + 4
    elif poc_type == 1:
        always_zero = r.flag()
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    max_refs = r.ue()
    gaps_bit = r.pos
    gaps = r.flag()
    r.ue()  # pic_width_in_mbs_minus1
    r.ue()
    frame_mbs_only = r.flag()
    return Sps(sps_id, separate, log2_fn, poc_type, log2_poc, always_zero, frame_mbs_only,
               0 if separate else chroma, max_refs, gaps_bit, gaps)


def parse_pps(nal: bytes) -> Pps:
    r = BitReader(rbsp(nal))
    pps_id, sps_id = r.ue(), r.ue()
    cabac = r.flag()
    bottom = r.flag()
    if r.ue() > 0:  # num_slice_groups_minus1
        raise NotImplementedError("slice groups (FMO)")
    l0, l1 = r.ue() + 1, r.ue() + 1
    wp = r.flag()
    wbi = r.u(2)
    r.se()
    r.se()
    r.se()
    dfc = r.flag()
    r.flag()  # constrained_intra_pred
    redundant = r.flag()
    return Pps(pps_id, sps_id, cabac, bottom, l0, l1, wp, wbi, dfc, redundant)


def parse_slice_header(r: BitReader, t: int, ref_idc: int, spss: dict[int, Sps], ppss: dict[int, Pps], *,
                       full: bool) -> SliceHeader:
    """Read a slice header from ``r`` (at the start of the RBSP); ``full`` reads it to its end."""
    first_mb = r.ue()
    slice_type = r.ue() % 5
    pps_id = r.ue()
    if pps_id not in ppss or ppss[pps_id].sps_id not in spss:
        raise ValueError(f"slice refers to an unknown PPS {pps_id}")
    pps = ppss[pps_id]
    sps = spss[pps.sps_id]
    if sps.separate_colour_plane:
        r.u(2)
    fn_pos = r.pos
    fn = r.u(sps.log2_max_frame_num)
    field_pic = False
    if not sps.frame_mbs_only:
        field_pic = r.flag()
        if field_pic:
            r.flag()
    a = r.pos
    if t == H264_IDR:
        r.ue()
    idr_span = (a, r.pos)
    poc = poc_pos = None
    if sps.poc_type == 0:
        poc_pos = r.pos
        poc = r.u(sps.log2_max_poc_lsb)
        if pps.bottom_field_pic_order_present and not field_pic:
            r.se()
    if sps.poc_type == 1 and not sps.delta_pic_order_always_zero:
        r.se()
        if pps.bottom_field_pic_order_present and not field_pic:
            r.se()
    if not full:
        return SliceHeader(first_mb, slice_type, pps, sps, fn, fn_pos, poc, poc_pos, idr_span, None, None)
    if pps.redundant_pic_cnt_present:
        r.ue()
    l0, l1 = pps.num_ref_idx_l0_default, pps.num_ref_idx_l1_default
    if slice_type == 1:
        r.flag()  # direct_spatial_mv_pred_flag
    if slice_type in (0, 1, 3) and r.flag():  # num_ref_idx_active_override_flag
        l0 = r.ue() + 1
        if slice_type == 1:
            l1 = r.ue() + 1
    if slice_type not in (2, 4):  # ref_pic_list_modification
        for _ in range(2 if slice_type == 1 else 1):
            if r.flag():
                while r.ue() != 3:
                    r.ue()
    if (pps.weighted_pred and slice_type in (0, 3)) or (pps.weighted_bipred_idc == 1 and slice_type == 1):
        _skip_pred_weight_table(r, sps, (l0,) if slice_type != 1 else (l0, l1))
    m0 = r.pos
    if ref_idc:
        if t == H264_IDR:
            r.flag()
            r.flag()
        elif r.flag():  # adaptive_ref_pic_marking_mode_flag
            read_mmco(r)
    marking = (m0, r.pos)
    if pps.cabac and slice_type not in (2, 4):
        r.ue()  # cabac_init_idc
    r.se()  # slice_qp_delta
    if slice_type in (3, 4):
        if slice_type == 3:
            r.flag()  # sp_for_switch_flag
        r.se()  # slice_qs_delta
    if pps.deblocking_filter_control_present and r.ue() != 1:
        r.se()
        r.se()
    return SliceHeader(first_mb, slice_type, pps, sps, fn, fn_pos, poc, poc_pos, idr_span, marking, r.pos)


def _skip_pred_weight_table(r: BitReader, sps: Sps, lists: tuple[int, ...]) -> None:
    r.ue()  # luma_log2_weight_denom
    if sps.chroma_array_type:
        r.ue()
    for n in lists:
        for _ in range(n):
            if r.flag():
                r.se()
                r.se()
            if sps.chroma_array_type and r.flag():
                for _ in range(4):
                    r.se()


def read_mmco(r: BitReader) -> list[tuple[int, tuple[int, ...]]]:
    """memory_management_control_operation commands, up to and without the closing 0."""
    ops = []
    while True:
        op = r.ue()
        if op == 0:
            return ops
        if op > 6:
            raise ValueError(f"bad memory_management_control_operation {op}")
        args = []
        if op in (1, 3):
            args.append(r.ue())  # difference_of_pic_nums_minus1
        if op == 2:
            args.append(r.ue())  # long_term_pic_num
        if op in (3, 6):
            args.append(r.ue())  # long_term_frame_idx
        if op == 4:
            args.append(r.ue())  # max_long_term_frame_idx_plus1
        ops.append((op, tuple(args)))

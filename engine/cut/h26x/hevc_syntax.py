"""HEVC header syntax (ITU-T H.265 section 7.3): SPS, PPS and slice segment headers, read as far as a
smart cut needs, with where the fields it edits sit.

NAL units are given without start code or length prefix, with their 2-byte header. Bit positions
are in the RBSP after that header. Malformed input raises ``ValueError``; syntax the rewriter does
not handle (it only ever parses the boundary encoder's slices) raises ``NotImplementedError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .bits import BitReader, unescape
from .nal import HEVC_BLA_W_LP, HEVC_IDR_N_LP, HEVC_IDR_W_RADL, HEVC_IRAP_MAX


@dataclass(frozen=True, slots=True)
class Sps:
    vps_id: int
    sps_id: int
    id_bits: tuple[int, int]  # where sps_seq_parameter_set_id is
    chroma_format_idc: int
    separate_colour_plane: bool
    width: int
    height: int
    bit_depth_luma: int
    bit_depth_chroma: int
    log2_max_poc_lsb: int
    log2_ctb: int
    num_short_term_ref_pic_sets: int
    num_delta_pocs: tuple[int, ...]
    long_term_ref_pics_present: bool
    num_long_term_ref_pics_sps: int
    temporal_mvp: bool
    sao: bool
    dpb_spans: tuple[tuple[int, int], ...] = field(default=())  # each sps_max_dec_pic_buffering_minus1
    max_dec_pic_buffering_minus1: int = 0

    @property
    def pic_size_in_ctbs(self) -> int:
        ctb = 1 << self.log2_ctb
        return (-(-self.width // ctb)) * (-(-self.height // ctb))


@dataclass(frozen=True, slots=True)
class Pps:
    pps_id: int
    sps_id: int
    id_bits: tuple[int, int]  # where pps_pic_parameter_set_id is
    sps_id_bits: tuple[int, int]  # where pps_seq_parameter_set_id is
    dependent_slice_segments: bool
    output_flag_present: bool
    num_extra_slice_header_bits: int
    cabac_init_present: bool
    num_ref_idx_l0_default: int
    num_ref_idx_l1_default: int
    slice_chroma_qp_offsets_present: bool
    weighted_pred: bool
    weighted_bipred: bool
    tiles: bool
    entropy_coding_sync: bool
    loop_filter_across_slices: bool
    deblocking_override_enabled: bool
    deblocking_disabled: bool
    lists_modification_present: bool
    slice_header_extension_present: bool
    chroma_qp_offset_list_enabled: bool = False


@dataclass(frozen=True, slots=True)
class SliceHeader:
    pps_id: int
    pps_id_bits: tuple[int, int]  # where slice_pic_parameter_set_id is
    end: int  # where byte_alignment() starts


def nal_unit_type(nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F


def rbsp(nal: bytes) -> bytes:
    return unescape(bytes(nal[2:]))


def is_irap(t: int) -> bool:
    return HEVC_BLA_W_LP <= t <= HEVC_IRAP_MAX


def skip_profile_tier_level(r: BitReader, max_sub_layers_minus1: int) -> None:
    r.skip(88)  # general profile space/tier/idc, compatibility flags, constraint flags
    r.skip(8)  # general_level_idc
    sub_profile, sub_level = [], []
    for _ in range(max_sub_layers_minus1):
        sub_profile.append(r.flag())
        sub_level.append(r.flag())
    if max_sub_layers_minus1 > 0:
        r.skip(2 * (8 - max_sub_layers_minus1))
    for i in range(max_sub_layers_minus1):
        if sub_profile[i]:
            r.skip(88)
        if sub_level[i]:
            r.skip(8)


def _skip_scaling_list_data(r: BitReader) -> None:
    for size_id in range(4):
        for _ in range(0, 6, 3 if size_id == 3 else 1):
            if not r.flag():
                r.ue()  # scaling_list_pred_matrix_id_delta
            else:
                if size_id > 1:
                    r.se()
                for _ in range(min(64, 1 << (4 + (size_id << 1)))):
                    r.se()


def _st_ref_pic_set(r: BitReader, idx: int, num_sets: int, num_delta_pocs: list[int]) -> int:
    """Read st_ref_pic_set(idx); its NumDeltaPocs."""
    inter = r.flag() if idx != 0 else False
    if inter:
        delta_idx_minus1 = r.ue() if idx == num_sets else 0
        r.flag()  # delta_rps_sign
        r.ue()  # abs_delta_rps_minus1
        ref = idx - (delta_idx_minus1 + 1)
        if not 0 <= ref < len(num_delta_pocs):
            raise ValueError("st_ref_pic_set refers to a set that does not exist")
        n = 0
        for _ in range(num_delta_pocs[ref] + 1):
            used = r.flag()
            if used or r.flag():  # used_by_curr_pic_flag, use_delta_flag
                n += 1
        return n
    neg, pos = r.ue(), r.ue()
    for _ in range(neg + pos):
        r.ue()
        r.flag()
    return neg + pos


def _sub_layer_ordering(r: BitReader, max_sub_layers_minus1: int) -> tuple[list[tuple[int, int]], int]:
    """Read sub_layer_ordering_info; the bit spans of each max_dec_pic_buffering_minus1 and the last."""
    spans, dpb = [], 0
    ordering_all = r.flag()
    for _ in range(0 if ordering_all else max_sub_layers_minus1, max_sub_layers_minus1 + 1):
        a = r.pos
        dpb = r.ue()
        spans.append((a, r.pos))
        r.ue()  # max_num_reorder_pics
        r.ue()  # max_latency_increase_plus1
    return spans, dpb


def parse_sps(nal: bytes) -> Sps:
    r = BitReader(rbsp(nal))
    vps_id = r.u(4)
    max_sub_layers_minus1 = r.u(3)
    r.skip(1)
    skip_profile_tier_level(r, max_sub_layers_minus1)
    start = r.pos
    sps_id = r.ue()
    id_bits = (start, r.pos)
    chroma = r.ue()
    separate = r.flag() if chroma == 3 else False
    width, height = r.ue(), r.ue()
    if r.flag():  # conformance window
        for _ in range(4):
            r.ue()
    bd_luma, bd_chroma = r.ue() + 8, r.ue() + 8
    log2_max_poc_lsb = r.ue() + 4
    dpb_spans, dpb = _sub_layer_ordering(r, max_sub_layers_minus1)
    log2_min_cb = r.ue() + 3
    log2_ctb = log2_min_cb + r.ue()
    for _ in range(4):  # transform block sizes, hierarchy depths
        r.ue()
    if r.flag() and r.flag():  # scaling_list_enabled, sps_scaling_list_data_present
        _skip_scaling_list_data(r)
    r.flag()  # amp
    sao = r.flag()
    if r.flag():  # pcm
        r.u(4)
        r.u(4)
        r.ue()
        r.ue()
        r.flag()
    num_sets = r.ue()
    ndp: list[int] = []
    for i in range(num_sets):
        ndp.append(_st_ref_pic_set(r, i, num_sets, ndp))
    lt_present = r.flag()
    num_lt_sps = 0
    if lt_present:
        num_lt_sps = r.ue()
        for _ in range(num_lt_sps):
            r.u(log2_max_poc_lsb)
            r.flag()
    tmvp = r.flag()
    return Sps(vps_id, sps_id, id_bits, chroma, separate, width, height, bd_luma, bd_chroma, log2_max_poc_lsb,
               log2_ctb, num_sets, tuple(ndp), lt_present, num_lt_sps, tmvp, sao, tuple(dpb_spans), dpb)


def parse_pps(nal: bytes) -> Pps:
    r = BitReader(rbsp(nal))
    pps_id = r.ue()
    a = r.pos
    sps_id = r.ue()
    id_bits, sps_id_bits = (0, a), (a, r.pos)
    dependent = r.flag()
    output_flag = r.flag()
    extra_bits = r.u(3)
    r.flag()  # sign data hiding
    cabac_init = r.flag()
    l0, l1 = r.ue() + 1, r.ue() + 1
    r.se()  # init_qp_minus26
    r.flag()  # constrained intra
    transform_skip = r.flag()
    if r.flag():  # cu_qp_delta_enabled
        r.ue()
    r.se()
    r.se()
    chroma_offsets = r.flag()
    wp, wbp = r.flag(), r.flag()
    r.flag()  # transquant bypass
    tiles, wpp = r.flag(), r.flag()
    if tiles:
        cols, rows = r.ue(), r.ue()
        if not r.flag():  # uniform_spacing
            for _ in range(cols + rows):
                r.ue()
        r.flag()
    lf_slices = r.flag()
    override = disabled = False
    if r.flag():  # deblocking_filter_control_present
        override = r.flag()
        disabled = r.flag()
        if not disabled:
            r.se()
            r.se()
    if r.flag():
        _skip_scaling_list_data(r)
    lists_mod = r.flag()
    r.ue()  # log2_parallel_merge_level
    ext_present = r.flag()
    cqo_list = False
    if r.flag():  # pps_extension_present
        range_ext = r.flag()
        r.skip(3 + 4)  # multilayer, 3d, scc, 4 bits
        if range_ext:
            if transform_skip:
                r.ue()
            r.flag()  # cross component prediction
            cqo_list = r.flag()
    return Pps(pps_id, sps_id, id_bits, sps_id_bits, dependent, output_flag, extra_bits, cabac_init, l0, l1,
               chroma_offsets, wp, wbp, tiles, wpp, lf_slices, override, disabled, lists_mod, ext_present, cqo_list)


def vps_id_and_dpb_spans(nal: bytes) -> tuple[int, list[tuple[int, int]]]:
    """A VPS's id and the bit spans of its vps_max_dec_pic_buffering_minus1 values."""
    r = BitReader(rbsp(nal))
    vps_id = r.u(4)
    r.skip(1 + 1 + 6)
    max_sub_layers_minus1 = r.u(3)
    r.skip(1 + 16)
    skip_profile_tier_level(r, max_sub_layers_minus1)
    spans, _ = _sub_layer_ordering(r, max_sub_layers_minus1)
    return vps_id, spans


def parse_slice_header(nal: bytes, spss: dict[int, Sps], ppss: dict[int, Pps]) -> SliceHeader:
    """Walk a slice segment header far enough to know where it ends (7.3.6.1)."""
    t = nal_unit_type(nal)
    size = 256  # the header is at the start: a prefix is enough (grown when it is not)
    while True:
        try:
            return _slice_header(unescape(bytes(nal[2:2 + size])), t, spss, ppss)
        except ValueError:
            if 2 + size >= len(nal):
                raise
            size *= 4


def _slice_header(data: bytes, t: int, spss, ppss) -> SliceHeader:
    r = BitReader(data)
    first = r.flag()
    if is_irap(t):
        r.flag()  # no_output_of_prior_pics_flag
    a = r.pos
    pps_id = r.ue()
    pid = (a, r.pos)
    if pps_id not in ppss or ppss[pps_id].sps_id not in spss:
        raise ValueError(f"slice refers to an unknown PPS {pps_id}")
    pps = ppss[pps_id]
    sps = spss[pps.sps_id]
    dependent = False
    if not first:
        if pps.dependent_slice_segments:
            dependent = r.flag()
        r.u((sps.pic_size_in_ctbs - 1).bit_length())
    if not dependent:
        _independent_slice_fields(r, t, sps, pps)
    if pps.tiles or pps.entropy_coding_sync:
        n = r.ue()
        if n > 0:
            bits = r.ue() + 1
            for _ in range(n):
                r.u(bits)
    if pps.slice_header_extension_present:
        r.skip(8 * r.ue())
    end = r.pos
    if r.u(1) != 1:  # byte_alignment(): a 1, then zeros
        raise ValueError("slice header does not end in byte_alignment()")
    while not r.byte_aligned():
        if r.u(1) != 0:
            raise ValueError("slice header does not end in byte_alignment()")
    return SliceHeader(pps_id, pid, end)


def _independent_slice_fields(r: BitReader, t: int, sps: Sps, pps: Pps) -> None:
    r.skip(pps.num_extra_slice_header_bits)
    slice_type = r.ue()  # 0 B, 1 P, 2 I
    if pps.output_flag_present:
        r.flag()
    if sps.separate_colour_plane:
        r.u(2)
    slice_tmvp = False
    if t not in (HEVC_IDR_W_RADL, HEVC_IDR_N_LP):
        r.u(sps.log2_max_poc_lsb)
        if not r.flag():  # short_term_ref_pic_set_sps_flag
            _st_ref_pic_set(r, sps.num_short_term_ref_pic_sets, sps.num_short_term_ref_pic_sets,
                            list(sps.num_delta_pocs))
        elif sps.num_short_term_ref_pic_sets > 1:
            r.u((sps.num_short_term_ref_pic_sets - 1).bit_length())
        if sps.long_term_ref_pics_present:
            num_lt_sps = r.ue() if sps.num_long_term_ref_pics_sps > 0 else 0
            num_lt_pics = r.ue()
            for i in range(num_lt_sps + num_lt_pics):
                if i < num_lt_sps:
                    if sps.num_long_term_ref_pics_sps > 1:
                        r.u((sps.num_long_term_ref_pics_sps - 1).bit_length())
                else:
                    r.u(sps.log2_max_poc_lsb)
                    r.flag()
                if r.flag():  # delta_poc_msb_present_flag
                    r.ue()
        if sps.temporal_mvp:
            slice_tmvp = r.flag()
    sao_luma = sao_chroma = False
    if sps.sao:
        sao_luma = r.flag()
        if sps.chroma_format_idc != 0 and not sps.separate_colour_plane:
            sao_chroma = r.flag()
    if slice_type in (0, 1):
        l0, l1 = pps.num_ref_idx_l0_default, pps.num_ref_idx_l1_default
        if r.flag():  # num_ref_idx_active_override_flag
            l0 = r.ue() + 1
            if slice_type == 0:
                l1 = r.ue() + 1
        if pps.lists_modification_present:
            raise NotImplementedError("lists_modification_present_flag")
        if slice_type == 0:
            r.flag()  # mvd_l1_zero
        if pps.cabac_init_present:
            r.flag()
        if slice_tmvp:
            from_l0 = r.flag() if slice_type == 0 else True
            if (from_l0 and l0 > 1) or (not from_l0 and l1 > 1):
                r.ue()
        if (pps.weighted_pred and slice_type == 1) or (pps.weighted_bipred and slice_type == 0):
            raise NotImplementedError("pred_weight_table (the boundary encoder runs with weightp=0)")
        r.ue()  # five_minus_max_num_merge_cand
    r.se()  # slice_qp_delta
    if pps.slice_chroma_qp_offsets_present:
        r.se()
        r.se()
    if pps.chroma_qp_offset_list_enabled:
        r.flag()
    override = r.flag() if pps.deblocking_override_enabled else False
    disabled = pps.deblocking_disabled
    if override:
        disabled = r.flag()
        if not disabled:
            r.se()
            r.se()
    if pps.loop_filter_across_slices and (sao_luma or sao_chroma or not disabled):
        r.flag()

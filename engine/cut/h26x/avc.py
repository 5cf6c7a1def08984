"""H.264 header edits for a smart cut of open-GOP streams.

An open-GOP H.264 stream (x264 ``open-gop``) has non-IDR I pictures with a recovery point SEI,
followed in decode order by leading B pictures that use the GOP before. A copy that starts at
such an I picture drops those leading pictures (the planner does), and :class:`CopyRewriter`
makes the I picture an IDR: H.264 has no BLA, and only at an IDR may a new SPS become active
(a copy that follows re-encoded pictures switches back to the source's SPS). The I slice gets
nal_unit_type 5, frame_num 0, idr_pic_id 0, POC LSB 0 and IDR-style dec_ref_pic_marking; every
later copied slice, up to the source's next IDR, gets frame_num and POC LSB shifted by the I
picture's own (fixed-width fields: the first bytes of each slice are edited, its data is kept).

:func:`allow_frame_num_gaps` sets one bit of the source's SPS: a dropped leading picture that was
a reference (x264's B-pyramid) leaves a gap in frame_num, which a decoder then fills with a
"non-existing" frame (8.2.5.2), so sliding windows and MMCO commands work as in the source.

:func:`free_id`: an SPS/PPS id the source does not use, for x264's ``sps-id``, so both sets can
sit in one ``avcC``. NAL units are given without start code or length prefix.
"""

from __future__ import annotations

from .avc_syntax import (
    Pps,
    SliceHeader,
    Sps,
    parse_pps,
    parse_slice_header,
    parse_sps,
    rbsp,
    read_mmco,
)
from .bits import BitReader, BitWriter, escape, escaped_offset, unescape
from .nal import H264_IDR, H264_PPS, H264_SEI, H264_SLICE, H264_SPS

_HEADER_PREFIX = 512  # bytes of a slice read to find its header's end (grown when short)


def allow_frame_num_gaps(nal: bytes) -> bytes:
    """The SPS with gaps_in_frame_num_value_allowed_flag = 1 (see the module doc)."""
    s = parse_sps(nal)
    if s.gaps_allowed:
        return bytes(nal)
    data = bytearray(rbsp(nal))
    data[s.gaps_bit // 8] |= 0x80 >> (s.gaps_bit % 8)
    return bytes(nal[:1]) + escape(bytes(data))


def free_id(source_sets: list[bytes]) -> int:
    """The highest id (0..31) no SPS or PPS of the source uses."""
    used = set()
    for nal in source_sets:
        t = nal[0] & 0x1F
        if t == H264_SPS:
            used.add(parse_sps(nal).sps_id)
        elif t == H264_PPS:
            used.add(parse_pps(nal).pps_id)
    free = [i for i in range(32) if i not in used]
    if not free:
        raise ValueError("the source uses every parameter set id")
    return free[-1]


class CopyRewriter:
    """Rewrites the NAL units of a copy that starts at a non-IDR I picture (see the module doc).

    ``rewrite(nals, first)`` takes one packet's NAL units and returns them rewritten; ``first``
    marks the copy's first packet (the I picture).
    """

    def __init__(self, source_sets: list[bytes]):
        self.spss: dict[int, Sps] = {}
        self.ppss: dict[int, Pps] = {}
        for n in source_sets:
            if n[0] & 0x1F == H264_SPS:
                s = parse_sps(n)
                self.spss[s.sps_id] = s
            elif n[0] & 0x1F == H264_PPS:
                p = parse_pps(n)
                self.ppss[p.pps_id] = p
        self.active = True
        self.fn_offset = 0  # the I picture's frame_num: the shift of every later one
        self.poc_offset = 0
        self.dpb: list[int] = []  # short-term reference frames (new FrameNum) since the IDR
        self.prev_ref_fn = 0
        self.marking: tuple[int, int] | None = None  # the current picture's new dec_ref_pic_marking

    def rewrite(self, nals: list[bytes], first: bool) -> list[bytes]:
        if not self.active:
            return nals
        out = []
        for nal in nals:
            t = nal[0] & 0x1F
            ref_idc = (nal[0] >> 5) & 3
            if t == H264_IDR and not first:
                self.active = False  # the source's own IDR: everything starts again from it
                return nals
            if t == H264_SEI and first:
                continue  # the recovery point SEI: an IDR needs none
            if t == H264_SLICE and first:
                nal = self._to_idr(nal, ref_idc)
            elif t == H264_SLICE:
                nal = self._renumber(nal, ref_idc)
            out.append(nal)
        return out

    def _to_idr(self, nal: bytes, ref_idc: int) -> bytes:
        data = rbsp(nal)
        r = BitReader(data)
        h = parse_slice_header(r, H264_SLICE, ref_idc, self.spss, self.ppss, full=True)
        if h.first_mb == 0:
            self.poc_offset = h.poc_lsb or 0
            self.fn_offset = h.frame_num
            self.dpb = [0]
            self.prev_ref_fn = 0
        w = BitWriter()
        w.append(*r.bits(0, h.frame_num_pos))
        w.u(h.sps.log2_max_frame_num, 0)
        w.append(*r.bits(h.frame_num_pos + h.sps.log2_max_frame_num, h.idr_pic_id_span[0]))
        w.ue(0)  # idr_pic_id
        mark_start, mark_end = h.marking_span
        if h.poc_lsb_pos is not None:
            w.append(*r.bits(h.idr_pic_id_span[1], h.poc_lsb_pos))
            w.u(h.sps.log2_max_poc_lsb, 0)
            w.append(*r.bits(h.poc_lsb_pos + h.sps.log2_max_poc_lsb, mark_start))
        else:
            w.append(*r.bits(h.idr_pic_id_span[1], mark_start))
        w.u(2, 0)  # no_output_of_prior_pics_flag, long_term_reference_flag
        w.append(*r.bits(mark_end, h.end))
        body = _finish(w, r, h, data)
        return bytes([(nal[0] & 0xE0) | H264_IDR]) + escape(body)

    def _renumber(self, nal: bytes, ref_idc: int) -> bytes:
        h, head = _read_header(nal, lambda rd: parse_slice_header(rd, H264_SLICE, ref_idc, self.spss,
                                                                  self.ppss, full=True))
        max_fn = 1 << h.sps.log2_max_frame_num
        # A constant shift: picture numbers stay relative to each other as in the source, so MMCO
        # and ref_pic_list_modification commands keep pointing at the same pictures.
        fn = (h.frame_num - self.fn_offset) % max_fn
        poc = None
        if h.poc_lsb_pos is not None:
            poc = (h.poc_lsb - self.poc_offset) % (1 << h.sps.log2_max_poc_lsb)
        if h.first_mb == 0:
            self._picture(h, fn, ref_idc, head, max_fn)
        if self.marking is None:
            edits = [(h.frame_num_pos, h.sps.log2_max_frame_num, fn)]
            if poc is not None:
                edits.append((h.poc_lsb_pos, h.sps.log2_max_poc_lsb, poc))
            return _patch(nal, edits)
        whole = rbsp(nal)
        return _rebuild(nal, whole, BitReader(whole), h, fn, poc, self.marking)

    def _picture(self, h: SliceHeader, fn: int, ref_idc: int, head: bytes, max_fn: int) -> None:
        """Follow the DPB (short-term frames by FrameNum) and drop MMCO commands whose picture is
        not there: x264's first P after an open-GOP I unmarks pictures of the GOP before, which
        exist only when decoding runs on from before the I."""
        self.marking = None
        prev = self.prev_ref_fn
        if fn not in (prev, (prev + 1) % max_fn):  # a frame_num gap: "non-existing" frames
            g = (prev + 1) % max_fn
            while g != fn:
                self._sliding_window(g, max_fn, h.sps.max_num_ref_frames)
                self.dpb.append(g)
                prev = g
                g = (g + 1) % max_fn
            self.prev_ref_fn = prev
        if not ref_idc:
            return
        m = BitReader(head, h.marking_span[0])
        if m.flag():  # adaptive_ref_pic_marking_mode_flag
            keep, dropped = [], False
            for op, args in read_mmco(m):
                if op == 1:
                    pic_num = fn - (args[0] + 1)
                    target = next((f for f in self.dpb if (f if f <= fn else f - max_fn) == pic_num), None)
                    if target is None:
                        dropped = True
                        continue
                    self.dpb.remove(target)
                keep.append((op, args))
            if dropped:
                self.marking = _marking(keep)
        else:
            self._sliding_window(fn, max_fn, h.sps.max_num_ref_frames)
        self.dpb.append(fn)
        self.prev_ref_fn = fn

    def _sliding_window(self, fn: int, max_fn: int, max_refs: int) -> None:
        if len(self.dpb) >= max(1, max_refs):
            oldest = min(self.dpb, key=lambda f: f if f <= fn else f - max_fn)
            self.dpb.remove(oldest)


def _marking(ops: list[tuple[int, tuple[int, ...]]]) -> tuple[int, int]:
    """dec_ref_pic_marking() of a non-IDR picture with these MMCO commands, as (bits, count)."""
    w = BitWriter()
    if ops:
        w.u(1, 1)
        for op, args in ops:
            w.ue(op)
            for v in args:
                w.ue(v)
        w.ue(0)
    else:
        w.u(1, 0)
    return w.value, w.n


def _read_header(nal: bytes, parse) -> tuple[SliceHeader, bytes]:
    """``parse`` run on enough of the slice's RBSP to reach the header's end; the header and those bytes."""
    size = _HEADER_PREFIX
    while True:
        data = unescape(bytes(nal[1:1 + size]))
        try:
            return parse(BitReader(data)), data
        except ValueError:
            if 1 + size >= len(nal):
                raise
            size *= 4


def _finish(w: BitWriter, r: BitReader, h: SliceHeader, data: bytes) -> bytes:
    """The rewritten header ``w`` followed by the slice data, as RBSP."""
    if h.pps.cabac:
        # cabac_alignment_one_bits, then the slice data from the next byte on
        w.align_with_ones()
        return w.to_bytes() + data[(h.end + 7) // 8:]
    w.append(*r.bits(h.end, r.rbsp_payload_end()))
    w.align_with_stop_bit()
    return w.to_bytes()


def _patch(nal: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Overwrite fixed-width fields: (bit position in the RBSP after the header byte, width, value)."""
    body = bytes(nal[1:])
    last = max(p + n for p, n, _ in edits)
    k = (last + 7) // 8 + 1
    head = unescape(body[:k + 16])
    val = int.from_bytes(head, "big")
    nb = len(head) * 8
    for p, n, v in edits:
        shift = nb - p - n
        val = (val & ~(((1 << n) - 1) << shift)) | (v << shift)
    new = val.to_bytes(len(head), "big")
    # splice where both versions have a non-zero byte (the escaping then agrees from there on)
    while k < len(head) - 1 and (head[k - 1] == 0 or new[k - 1] == 0):
        k += 1
    if head[k - 1] == 0 or new[k - 1] == 0:
        raise ValueError("no safe splice point in the slice header")
    return bytes(nal[:1]) + escape(new[:k]) + body[escaped_offset(body, k):]


def _rebuild(nal: bytes, data: bytes, r: BitReader, h: SliceHeader, fn: int, poc: int | None,
             marking: tuple[int, int]) -> bytes:
    """A slice with frame_num, POC LSB and dec_ref_pic_marking replaced (the header re-aligned)."""
    w = BitWriter()
    w.append(*r.bits(0, h.frame_num_pos))
    w.u(h.sps.log2_max_frame_num, fn)
    after_fn = h.frame_num_pos + h.sps.log2_max_frame_num
    if h.poc_lsb_pos is not None:
        w.append(*r.bits(after_fn, h.poc_lsb_pos))
        w.u(h.sps.log2_max_poc_lsb, poc)
        w.append(*r.bits(h.poc_lsb_pos + h.sps.log2_max_poc_lsb, h.marking_span[0]))
    else:
        w.append(*r.bits(after_fn, h.marking_span[0]))
    w.append(*marking)
    w.append(*r.bits(h.marking_span[1], h.end))
    return bytes(nal[:1]) + escape(_finish(w, r, h, data))

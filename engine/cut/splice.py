"""How re-encoded and copied packets meet in one video track: the bitstream side of a smart cut.

Parameter sets (H.264/HEVC): the boundary encoder's SPS/PPS (and VPS) get ids the source does not
use (x264's ``sps-id``; x265's are renumbered and its slices rewritten to match), and the output's
sample entry (``avcC``/``hvcC``, as ``avc1``/``hvc1``) holds both the source's sets and the
encoder's: nothing travels in band, and copied samples stay the source's bytes. FFmpeg, libde265
(strict) and mpv all took this; in-band variants failed libde265. A source whose extradata is
Annex B gets an Annex B bundle of both, which the MP4 muxer turns into the same record.

A copy that starts at a RAP after other pictures starts a new sequence: an HEVC CRA becomes a BLA
picture; an H.264 recovery-point I picture becomes an IDR (always: a stream starts with an IDR),
with the later copied slices renumbered and gaps in frame_num allowed in the source's SPS
(:mod:`.h26x.avc`). VP9 needs nothing: a key frame resets the decoder.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from . import h26x
from .encoders import boundary_encoder

if TYPE_CHECKING:
    from .h26x import avc, hevc

# The header syntax and its edits (.h26x.avc, .avc_syntax, .hevc, .hevc_syntax: ~15 ms to import)
# are imported where a re-encoded end or a rewritten copy needs them: a plain copy never does.

_H26X = ("h264", "hevc")


class Splicer:
    """One source video stream's bitstream policy for a smart cut.

    ``prepare`` decides the output's extradata; ``encoder`` makes each re-encoded end's encoder,
    ``encoded`` turns its packets into output samples, ``copy`` rewrites the packets of a copy step.
    Malformed or unexpected bitstreams raise ``ValueError`` (or ``NotImplementedError``).
    """

    def __init__(self, src_ctx, time_base: Fraction, rate: Fraction | None):
        self.src = src_ctx
        self.codec = src_ctx.name
        self.time_base = time_base
        self.rate = rate
        self.extradata = bytes(src_ctx.extradata or b"")
        self.length_size: int | None = None  # None: Annex B samples (or not H.26x)
        self.source_sets: list[bytes] = []
        self.renumbering: hevc.Renumbering | None = None
        self.encoder_sets: list[bytes] = []  # as the encoder writes them (Annex B extradata)
        self.sps_id: int | None = None
        self.unreadable = ""  # why the source's parameter sets cannot be read (in-band only, damaged)
        if self.codec in _H26X:
            try:
                config = h26x.parse_extradata(self.codec, self.extradata)
                self.length_size = None if config.annexb else config.length_size
                self.source_sets = h26x.parameter_sets(self.codec, self.extradata)
            except ValueError as e:
                self.unreadable = str(e) or "no parameter sets"

    # -- the sample entry ---------------------------------------------------------------------

    def prepare(self, *, encodes: bool, copies_from_i: bool) -> bytes | None:
        """The output stream's extradata, or None to keep the source's.

        ``encodes``: some steps are re-encoded; ``copies_from_i``: some H.264 copy starts at a
        non-IDR I picture (its SPS must then allow frame_num gaps).
        """
        if self.codec not in _H26X or not (encodes or copies_from_i):
            return None
        if self.unreadable:
            raise ValueError(f"its decoder configuration cannot be read: {self.unreadable}")
        from .h26x.avc import allow_frame_num_gaps, free_id
        from .h26x.hevc import renumber

        sets = list(self.source_sets)
        if self.codec == "h264" and copies_from_i:
            sets = [allow_frame_num_gaps(n) if h26x.nal_type("h264", n) == h26x.H264_SPS else n
                    for n in sets]
        extra: list[bytes] = []
        if encodes:
            if self.codec == "h264":
                self.sps_id = free_id(self.source_sets)
            self.encoder_sets = self._parameter_sets(self._new_encoder(opened=True))
            if self.codec == "hevc":
                self.renumbering = renumber(self.encoder_sets, self.source_sets)
                extra = self.renumbering.sets
            else:
                extra = self.encoder_sets
                self._check_free_ids(extra)
        if self.length_size is None:
            return h26x.join_annexb(sets + extra)
        if self.codec == "hevc":
            return h26x.hvcc_with(self.extradata, extra)
        return h26x.avcc_with(self.extradata, extra, dict(zip(self.source_sets, sets)))

    def _check_free_ids(self, encoder_sets: list[bytes]) -> None:
        used = {(h26x.nal_type("h264", n), _avc_id(n)) for n in self.source_sets}
        for n in encoder_sets:
            if (h26x.nal_type("h264", n), _avc_id(n)) in used:
                raise ValueError("the boundary encoder's parameter set ids clash with the source's")

    def _parameter_sets(self, enc) -> list[bytes]:
        ps = (h26x.H264_SPS, h26x.H264_PPS) if self.codec == "h264" else (h26x.HEVC_VPS, h26x.HEVC_SPS,
                                                                            h26x.HEVC_PPS)
        return [n for n in h26x.split_annexb(bytes(enc.extradata)) if h26x.nal_type(self.codec, n) in ps]

    # -- re-encoded ends ----------------------------------------------------------------------

    def _new_encoder(self, *, opened: bool = False):
        ctu = sao = None
        if self.codec == "hevc":
            from .h26x.hevc_syntax import parse_sps as parse_hevc_sps

            sps = [parse_hevc_sps(n) for n in self.source_sets if h26x.nal_type("hevc", n) == h26x.HEVC_SPS]
            if sps:
                ctu, sao = 1 << sps[0].log2_ctb, sps[0].sao
        enc = boundary_encoder(self.src, self.time_base, self.rate, sps_id=self.sps_id, hevc_ctu=ctu,
                               hevc_sao=sao)
        if opened:
            enc.open()
        return enc

    def encoder(self):
        """A fresh encoder for one re-encoded end (its parameter sets are the ones prepared)."""
        enc = self._new_encoder(opened=bool(self.encoder_sets))
        if self.encoder_sets and self._parameter_sets(enc) != self.encoder_sets:
            raise ValueError("the boundary encoder's parameter sets changed between two encoders")
        return enc

    def encoded(self, data: bytes) -> bytes:
        """A boundary encoder's packet (Annex B for H.26x) as a sample of the output track."""
        if self.codec not in _H26X:
            return data
        drop = ({h26x.H264_AUD, h26x.H264_SPS, h26x.H264_PPS} if self.codec == "h264" else
                {h26x.HEVC_AUD, h26x.HEVC_VPS, h26x.HEVC_SPS, h26x.HEVC_PPS})
        out = []
        for nal in h26x.split_annexb(data):
            t = h26x.nal_type(self.codec, nal)
            if t in drop:
                continue
            if self.renumbering is not None and t < 32:  # an HEVC slice: name the renumbered PPS
                nal = self.renumbering.slice(nal)
            out.append(nal)
        return self._frame(out)

    def _frame(self, nals: list[bytes]) -> bytes:
        if self.length_size is None:
            return h26x.join_annexb(nals)
        return h26x.join_length_prefixed(nals, self.length_size)

    # -- copies ---------------------------------------------------------------------------------

    def copy(self, *, rap_is_idr: bool, radl: bool, new_sequence: bool) -> CopyRewrite | None:
        """What a copy step's packets need (None: nothing, they go out as they are)."""
        if self.codec == "h264" and not rap_is_idr:
            from .h26x.avc import CopyRewriter

            return CopyRewrite(self, CopyRewriter(self.source_sets), None)
        if self.codec == "hevc" and new_sequence and not rap_is_idr:
            return CopyRewrite(self, None, "radl" if radl else "none")
        return None


class CopyRewrite:
    """Rewrites the packets of one copy step: H.264 I -> IDR (and what follows), HEVC CRA -> BLA."""

    def __init__(self, splicer: Splicer, rewriter: avc.CopyRewriter | None, bla: str | None):
        self.splicer = splicer
        self.rewriter = rewriter
        self.bla = bla
        self.first = True

    def packet(self, data: bytes) -> bytes | None:
        """The packet's new payload, or None when it goes out unchanged."""
        first, self.first = self.first, False
        if self.rewriter is not None:
            if not self.rewriter.active:
                return None
            nals = h26x.split_nals(data, self.splicer.length_size)
            return self.splicer._frame(self.rewriter.rewrite(nals, first))
        if first and self.bla is not None:
            from .h26x.hevc import cra_to_bla

            nals = h26x.split_nals(data, self.splicer.length_size)
            nals = [cra_to_bla(n, self.bla) if h26x.nal_type("hevc", n) == h26x.HEVC_CRA else n
                    for n in nals]
            return self.splicer._frame(nals)
        return None


def _avc_id(nal: bytes) -> int:
    """The id an H.264 SPS or PPS declares (its first Exp-Golomb value after the fixed fields)."""
    from .h26x.avc_syntax import parse_pps, parse_sps

    from_sps = h26x.nal_type("h264", nal) == h26x.H264_SPS
    return parse_sps(nal).sps_id if from_sps else parse_pps(nal).pps_id

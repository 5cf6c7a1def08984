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

:mod:`.nal` holds NAL types and framing; :mod:`.config` the ``avcC``/``hvcC`` records and
parameter sets (both re-exported here). The header edits of an open-GOP smart cut are in
:mod:`.hevc` (CRA -> BLA, renumbered parameter sets) and :mod:`.avc` (I -> IDR), over the header
syntax of :mod:`.hevc_syntax` and :mod:`.avc_syntax` and the bit tools of :mod:`.bits`.
"""

from .config import (
    AvcConfig,
    HvcConfig,
    avcc_with,
    hvcc_with,
    parameter_sets,
    parameter_sets_length_prefixed,
    parse_avcc,
    parse_extradata,
    parse_hvcc,
    with_parameter_sets,
)
from .nal import (
    H264,
    H264_AUD,
    H264_IDR,
    H264_PPS,
    H264_SEI,
    H264_SLICE,
    H264_SPS,
    HEVC,
    HEVC_AUD,
    HEVC_BLA_N_LP,
    HEVC_BLA_W_LP,
    HEVC_BLA_W_RADL,
    HEVC_CRA,
    HEVC_EOS,
    HEVC_IDR_N_LP,
    HEVC_IDR_W_RADL,
    HEVC_IRAP_MAX,
    HEVC_PPS,
    HEVC_PREFIX_SEI,
    HEVC_RADL_N,
    HEVC_RADL_R,
    HEVC_RASL_N,
    HEVC_RASL_R,
    HEVC_SPS,
    HEVC_SUFFIX_SEI,
    HEVC_VPS,
    annexb_to_length_prefixed,
    is_annexb,
    is_idr,
    is_irap,
    join_annexb,
    join_length_prefixed,
    nal_type,
    nal_types,
    split_annexb,
    split_length_prefixed,
    split_nals,
    unescape_rbsp,
)

__all__ = [
    "H264",
    "H264_AUD",
    "H264_IDR",
    "H264_PPS",
    "H264_SEI",
    "H264_SLICE",
    "H264_SPS",
    "HEVC",
    "HEVC_AUD",
    "HEVC_BLA_N_LP",
    "HEVC_BLA_W_LP",
    "HEVC_BLA_W_RADL",
    "HEVC_CRA",
    "HEVC_EOS",
    "HEVC_IDR_N_LP",
    "HEVC_IDR_W_RADL",
    "HEVC_IRAP_MAX",
    "HEVC_PPS",
    "HEVC_PREFIX_SEI",
    "HEVC_RADL_N",
    "HEVC_RADL_R",
    "HEVC_RASL_N",
    "HEVC_RASL_R",
    "HEVC_SPS",
    "HEVC_SUFFIX_SEI",
    "HEVC_VPS",
    "AvcConfig",
    "HvcConfig",
    "annexb_to_length_prefixed",
    "avcc_with",
    "hvcc_with",
    "is_annexb",
    "is_idr",
    "is_irap",
    "join_annexb",
    "join_length_prefixed",
    "nal_type",
    "nal_types",
    "parameter_sets",
    "parameter_sets_length_prefixed",
    "parse_avcc",
    "parse_extradata",
    "parse_hvcc",
    "split_annexb",
    "split_length_prefixed",
    "split_nals",
    "unescape_rbsp",
    "with_parameter_sets",
]

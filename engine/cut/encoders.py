"""Encoder settings in one place (the benchmarks compare against these)."""

from __future__ import annotations

from fractions import Fraction

import av
from av.codec.context import Flags

# x264 for re-encoded video: full spans (scaling, captions, codecs MP4 can't take)
# and the re-encoded ends of a smart cut. bench/run.py uses the same preset/crf;
# bench/bench_smartcut.py the same x265 and libvpx-vp9 settings.
X264_PRESET = "veryfast"
X264_CRF = "18"
X265_PRESET = "veryfast"
X265_CRF = "20"
# libvpx-vp9 for the re-encoded ends of a VP9 smart cut (good deadline, fast speed step)
VP9_CRF = "32"
VP9_CPU_USED = "4"
AAC_BITRATE = 192_000
MP3_VBR_QUALITY = 2  # libmp3lame -q:a 2, ~190 kb/s
_FF_QP2LAMBDA = 118

_X264_PROFILES = {
    "baseline": "baseline",
    "constrained baseline": "baseline",
    "main": "main",
    "high": "high",
    "high 10": "high10",
    "high 4:2:2": "high422",
    "high 4:4:4 predictive": "high444",
}
_X265_PROFILES = {"main": "main", "main 10": "main10", "main still picture": "mainstillpicture"}


def x264_profile(source_profile: str | None) -> str | None:
    return _X264_PROFILES.get((source_profile or "").lower())


def _level(level: int | None, per_unit: int) -> str | None:
    """FFmpeg's level number as the encoder takes it: H.264 level_idc / 10, HEVC general_level_idc / 30."""
    if level is None or level <= 0:
        return None
    return f"{level / per_unit:.1f}"


def boundary_encoder(src, time_base: Fraction, rate: Fraction | None, *, sps_id: int | None = None,
                     hevc_ctu: int | None = None, hevc_sao: bool | None = None):
    """A fresh encoder for one re-encoded end of a smart cut, matched to the source decoder
    context ``src``: same codec, profile, level, pixel format (chroma format, bit depth), colour
    tags and sample aspect ratio.

    One keyframe at the start and no B-frames (so its DTS can follow its PTS); parameter sets out
    of band (the global header, ``extradata``), for ``engine.cut.splice`` to put in the sample
    entry under ids of their own (``sps_id`` for x264; x265's are renumbered afterwards). HEVC also
    takes the source's CTU size and SAO (``hevc_ctu``, ``hevc_sao``): libde265 mis-decoded the
    last picture before an SPS switch when they differed.
    """
    codec = src.name
    if codec == "h264":
        cc = av.CodecContext.create("libx264", "w")
        params = ["scenecut=0", "open-gop=0", "keyint=100000", "min-keyint=100000", "bframes=0"]
        if sps_id is not None:
            params.append(f"sps-id={sps_id}")
        opts = {"preset": X264_PRESET, "crf": X264_CRF, "x264-params": ":".join(params)}
        profile = x264_profile(src.profile)
        if profile:
            opts["profile"] = profile
        level = _level(src.level, 10)
        if level:
            opts["level"] = level
    elif codec == "hevc":
        cc = av.CodecContext.create("libx265", "w")
        # weightp=0: the slice header rewriter does not read pred_weight_table; info=0: no version SEI
        params = ["log-level=error", "scenecut=0", "open-gop=0", "keyint=100000", "min-keyint=100000",
                  "bframes=0", "weightp=0", "info=0"]
        level = _level(src.level, 30)
        if level:
            params.append(f"level-idc={level}")
        if hevc_ctu:
            params.append(f"ctu={hevc_ctu}")
        if hevc_sao is not None:
            params.append("sao=1" if hevc_sao else "sao=0")
        opts = {"preset": X265_PRESET, "crf": X265_CRF, "x265-params": ":".join(params)}
        profile = _X265_PROFILES.get((src.profile or "").lower())
        if profile:
            opts["profile"] = profile
    elif codec == "vp9":
        cc = av.CodecContext.create("libvpx-vp9", "w")
        # one keyframe, no hidden alt-ref frames: every packet is a frame shown
        opts = {"crf": VP9_CRF, "b": "0", "deadline": "good", "cpu-used": VP9_CPU_USED, "row-mt": "1",
                "lag-in-frames": "0", "auto-alt-ref": "0"}
        cc.gop_size = 100000
    else:
        raise ValueError(f"no boundary encoder for {codec}")
    cc.width, cc.height, cc.pix_fmt = src.width, src.height, src.pix_fmt
    cc.time_base = time_base
    if rate:
        cc.framerate = rate
    if src.sample_aspect_ratio:
        cc.sample_aspect_ratio = src.sample_aspect_ratio
    for attr in ("color_primaries", "color_trc", "colorspace", "color_range"):
        value = getattr(src, attr)
        if value is not None:
            setattr(cc, attr, value)
    if codec in ("h264", "hevc"):
        cc.flags |= Flags.global_header
    cc.options = opts
    return cc


def add_h264_stream(out, *, width: int, height: int, rate: Fraction | None, time_base: Fraction):
    """An H.264 output stream for a whole re-encoded span (B-frames allowed)."""
    s = out.add_stream("libx264", rate=rate or Fraction(30))
    s.width, s.height, s.pix_fmt = width, height, "yuv420p"
    s.time_base = time_base
    s.codec_context.time_base = time_base
    s.options = {"preset": X264_PRESET, "crf": X264_CRF}
    # frame threads, as the ffmpeg CLI uses; PyAV's default (slice threads) is ~20% slower
    s.codec_context.thread_type = "FRAME"
    return s


def add_audio_stream(out, codec: str, *, rate: int, channels: int):
    """An audio output stream for ``codec`` with a rate and layout the codec takes."""
    c = av.Codec(codec, "w")
    rates = c.audio_rates
    if rates and rate not in rates:
        rate = 48000 if 48000 in rates else max(r for r in rates if r <= 48000)
    if codec == "libmp3lame":
        channels = min(channels, 2)
    layout = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(channels, "stereo")
    s = out.add_stream(codec, rate=rate, layout=layout)
    fmts = [f.name for f in (c.audio_formats or [])]
    if fmts:
        s.format = "fltp" if "fltp" in fmts else fmts[0]
    if codec == "aac":
        s.bit_rate = AAC_BITRATE
    elif codec == "libmp3lame":
        # VBR, as `-q:a 2`: set as options (setting the attributes gave ~40 kb/s)
        s.codec_context.options = {"flags": "+qscale", "global_quality": str(MP3_VBR_QUALITY * _FF_QP2LAMBDA)}
    return s

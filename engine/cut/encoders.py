"""Encoder settings in one place (the benchmarks compare against these)."""

from __future__ import annotations

from fractions import Fraction

import av

# x264 for re-encoded video: full spans (scaling, captions, codecs MP4 can't take)
# and the boundary GOPs of a smart cut. bench/run.py uses the same preset/crf.
X264_PRESET = "veryfast"
X264_CRF = "18"
X265_PRESET = "veryfast"
X265_CRF = "20"
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


def x264_profile(source_profile: str | None) -> str | None:
    return _X264_PROFILES.get((source_profile or "").lower())


def boundary_encoder(codec: str, *, width: int, height: int, pix_fmt: str, time_base: Fraction,
                     rate: Fraction | None, profile: str | None):
    """A fresh encoder for one re-encoded span of a smart cut.

    No B-frames (so DTS can follow PTS at a fixed delay), Annex B output with
    parameter sets in-band at its first keyframe, and one keyframe at the start.
    """
    if codec == "h264":
        cc = av.CodecContext.create("libx264", "w")
        params = "scenecut=0:open-gop=0:keyint=100000:min-keyint=100000:bframes=0:repeat-headers=1"
        opts = {"preset": X264_PRESET, "crf": X264_CRF, "x264-params": params}
        p = x264_profile(profile)
        if p:
            opts["profile"] = p
    elif codec == "hevc":
        cc = av.CodecContext.create("libx265", "w")
        params = "log-level=error:scenecut=0:open-gop=0:keyint=100000:min-keyint=100000:bframes=0:repeat-headers=1"
        opts = {"preset": X265_PRESET, "crf": X265_CRF, "x265-params": params}
    else:
        raise ValueError(f"no boundary encoder for {codec}")
    cc.width, cc.height, cc.pix_fmt = width, height, pix_fmt
    cc.time_base = time_base
    if rate:
        cc.framerate = rate
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

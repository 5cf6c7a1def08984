"""engine.cut.h26x on real libx264/libx265 output, and smart-cut MP4s built with it.

The cut tests build by hand what the smart-cut executor will build: an MP4
video track made from a SOURCE's stream (so it keeps the source's avcC/hvcC),
holding first packets from a second, independent encode with other settings
(converted from Annex B), then copied source packets. ffmpeg is the oracle
that the file decodes cleanly; PyAV decodes it to check which pictures it holds.
"""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction

import av
import pytest

from engine.cut import h26x

SIZE = 64
RATE = 25
GOP = 5
N_SOURCE = 15
N_REENCODED = 5  # output frames 0..4 are re-encoded, 5..14 copied from the source
REENCODED_BASE = 100  # the re-encoded span shows pictures 100.., not the source's 0..

# codec -> (encoder, source options, re-encoder options, re-encoder profile)
CODECS = {
    "h264": ("libx264", {"preset": "ultrafast", "crf": "30"}, {"preset": "medium", "crf": "20"}, "High"),
    "hevc": (
        "libx265",
        {"preset": "ultrafast", "crf": "30", "x265-params": "log-level=error"},
        {"preset": "fast", "crf": "20", "x265-params": "log-level=error:bframes=0"},
        None,
    ),
}

FFMPEG = shutil.which("ffmpeg")


# ---------------------------------------------------------------- media


def _level(k: int) -> int:
    """Mean-ish luma of picture k (pictures differ, so a test can tell them apart)."""
    return 30 + (k * 11) % 180


def _picture(k: int, pts: int) -> av.VideoFrame:
    frame = av.VideoFrame(SIZE, SIZE, "yuv420p")
    row = bytes(_level(k) + x // 4 for x in range(SIZE))  # a gentle ramp, mean level + 7.5
    frame.planes[0].update(row * SIZE)
    frame.planes[1].update(bytes([128]) * (SIZE * SIZE // 4))
    frame.planes[2].update(bytes([128]) * (SIZE * SIZE // 4))
    frame.pts = pts
    return frame


def _encode(codec: str, options: dict, pictures, *, profile=None, global_header=False) -> list[av.Packet]:
    """Encode pictures with a bare codec context, as the smart-cut re-encoder does."""
    ctx = av.CodecContext.create(CODECS[codec][0], "w")
    ctx.width = ctx.height = SIZE
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = Fraction(1, RATE)
    ctx.framerate = RATE
    ctx.gop_size = GOP
    ctx.max_b_frames = 0
    ctx.options = dict(options)
    if profile:
        ctx.profile = profile
    if global_header:
        ctx.flags |= av.codec.context.Flags.global_header
    packets = []
    for pts, k in enumerate(pictures):
        packets += ctx.encode(_picture(k, pts))
    packets += ctx.encode(None)
    return [p for p in packets if p.size]


def _write_source(path, codec: str, options: dict) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(CODECS[codec][0], rate=RATE, options=dict(options))
        stream.width = stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = GOP
        stream.codec_context.max_b_frames = 0
        for k in range(N_SOURCE):
            out.mux(stream.encode(_picture(k, k)))
        out.mux(stream.encode(None))


def _copy_packet(packet: av.Packet, data: bytes) -> av.Packet:
    out = av.Packet(data)
    out.pts, out.dts, out.duration = packet.pts, packet.dts, packet.duration
    out.time_base = packet.time_base
    out.is_keyframe = packet.is_keyframe
    return out


def _relength(src, dst, codec: str, length_size: int) -> None:
    """Rewrite an MP4's track with another NAL length size (its avcC/hvcC and every sample)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ist = inp.streams.video[0]
        extradata = bytearray(ist.codec_context.extradata)
        at = 4 if codec == "h264" else 21  # the byte holding lengthSizeMinusOne
        extradata[at] = (extradata[at] & 0xFC) | (length_size - 1)
        ost = out.add_stream_from_template(ist)
        ost.codec_context.extradata = bytes(extradata)
        for packet in inp.demux(ist):
            if packet.size:
                nals = h26x.split_length_prefixed(bytes(packet), 4)
                copy = _copy_packet(packet, h26x.join_length_prefixed(nals, length_size))
                copy.stream = ost
                out.mux(copy)


def _smart_cut(source, dst, codec: str, *, prefix: bool) -> None:
    """Re-encoded pictures 100..104 as frames 0..4, then the source's GOPs from frame 5 on."""
    _, _, options, profile = CODECS[codec]
    with av.open(str(source)) as inp, av.open(str(dst), "w") as out:
        ist = inp.streams.video[0]
        ost = out.add_stream_from_template(ist)
        extradata = ist.codec_context.extradata
        config = h26x.parse_extradata(codec, extradata)
        framing = None if config.annexb else config.length_size  # how the source's samples are framed
        tb = ist.time_base
        ticks = Fraction(1, RATE) / tb
        assert ticks.denominator == 1
        pictures = range(REENCODED_BASE, REENCODED_BASE + N_REENCODED)
        for packet in _encode(codec, options, pictures, profile=profile):
            data = bytes(packet)
            if framing:  # with Annex B extradata the MP4 muxer converts by itself
                data = h26x.annexb_to_length_prefixed(data, framing)
            muxed = av.Packet(data)
            muxed.pts = muxed.dts = packet.pts * int(ticks)
            muxed.duration = int(ticks)
            muxed.time_base = tb
            muxed.is_keyframe = packet.is_keyframe
            muxed.stream = ost
            out.mux(muxed)
        first = True
        for packet in inp.demux(ist):
            if not packet.size or packet.pts < N_REENCODED * ticks:
                continue
            if first:
                assert packet.is_keyframe and h26x.is_irap(codec, bytes(packet), framing)
                if prefix:
                    packet = _copy_packet(packet, h26x.with_parameter_sets(codec, bytes(packet), extradata))
                first = False
            packet.stream = ost
            out.mux(packet)


def _luma(frame: av.VideoFrame) -> bytes:
    plane = frame.planes[0]
    rows, stride = bytes(plane), plane.line_size
    return b"".join(rows[y * stride : y * stride + frame.width] for y in range(frame.height))


def _decode(path) -> tuple[list[bytes], int]:
    """Luma planes of every frame PyAV can decode, and how many packets it refused."""
    lumas, refused = [], 0
    with av.open(str(path)) as container:
        for packet in container.demux(video=0):
            try:
                lumas += [_luma(f) for f in packet.decode()]
            except av.error.InvalidDataError:
                refused += 1
    return lumas, refused


def _ffmpeg_errors(path) -> str:
    if FFMPEG is None:
        pytest.skip("the ffmpeg CLI (test oracle) is not installed")
    command = [FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"]
    run = subprocess.run(command, capture_output=True, text=True)
    return run.stderr.strip()


def _mean(luma: bytes) -> float:
    return sum(luma) / len(luma)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """codec -> a small MP4 made by that codec's encoder with the source settings."""
    folder = tmp_path_factory.mktemp("h26x")
    out = {}
    for codec, (_, options, _, _) in CODECS.items():
        out[codec] = folder / f"source_{codec}.mp4"
        _write_source(out[codec], codec, options)
    return out


# ---------------------------------------------------------------- framing


def test_split_annexb_takes_3_and_4_byte_start_codes_and_stray_zeros():
    data = b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x01\x68\xce\x00\x00" + b"\x00\x00\x00\x01\x65\x88\x84"
    assert h26x.split_annexb(data) == [b"\x67\x42", b"\x68\xce", b"\x65\x88\x84"]
    assert h26x.split_annexb(b"\x00\x00" + data) == h26x.split_annexb(data)
    with pytest.raises(ValueError):
        h26x.split_annexb(b"\x00\x00\x00\x0b\x67\x42\x00\x00\x01\x68")  # length-prefixed, not Annex B


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("global_header", [False, True])
def test_real_packets_round_trip(codec, global_header):
    packets = _encode(codec, CODECS[codec][1], range(8), global_header=global_header)
    for packet in packets:
        data = bytes(packet)
        nals = h26x.split_annexb(data)
        start_codes = 3 * data.count(b"\x00\x00\x01") + data.count(b"\x00\x00\x00\x01")
        assert sum(map(len, nals)) + start_codes == len(data)  # nothing lost, nothing left over
        for size in (4, 2):
            converted = h26x.annexb_to_length_prefixed(data, size)
            assert not h26x.is_annexb(converted)
            assert h26x.split_length_prefixed(converted, size) == nals
            assert len(converted) == sum(len(n) + size for n in nals)
        assert h26x.split_annexb(h26x.join_annexb(nals)) == nals
    if codec == "h264" and global_header:  # x264 starts its first packet (SEI) with a 3-byte start code
        assert bytes(packets[0]).startswith(b"\x00\x00\x01")


def test_packet_layout_of_the_encoders():
    """What PyAV's libx264/libx265 hand over without a global header."""
    x264 = [h26x.nal_types("h264", bytes(p), None) for p in _encode("h264", CODECS["h264"][1], range(7))]
    assert x264[0] == [7, 8, 6, 5]  # SPS PPS SEI(x264 version) IDR
    assert x264[1] == [1]
    assert x264[5] == [7, 8, 5]  # headers repeated at every keyframe, the SEI only once
    x265 = [h26x.nal_types("hevc", bytes(p), None) for p in _encode("hevc", CODECS["hevc"][1], range(7))]
    assert x265[0] == [32, 33, 34, 39, 20]  # VPS SPS PPS prefix-SEI IDR_N_LP
    assert x265[5] == [32, 33, 34, 39, 21]  # ... and the 2 kB info SEI again, before a CRA


@pytest.mark.parametrize(
    ("codec", "params", "aud"),
    [
        ("h264", {"x264-params": "aud=1"}, h26x.H264_AUD),
        ("hevc", {"x265-params": "log-level=error:aud=1"}, h26x.HEVC_AUD),
    ],
)
def test_drop_types_removes_access_unit_delimiters(codec, params, aud):
    packets = _encode(codec, {"preset": "ultrafast", **params}, range(2))
    data = bytes(packets[0])
    assert h26x.nal_types(codec, data, None)[0] == aud
    dropped = h26x.annexb_to_length_prefixed(data, 4, {aud}, codec=codec)
    assert h26x.nal_types(codec, dropped, 4) == h26x.nal_types(codec, data, None)[1:]
    with pytest.raises(ValueError):
        h26x.annexb_to_length_prefixed(data, 4, {aud})  # no codec: types unknown


def test_idr_and_irap():
    x265 = _encode("hevc", CODECS["hevc"][1], range(6))
    first, cra = bytes(x265[0]), bytes(x265[5])
    assert h26x.is_idr("hevc", first, None) and h26x.is_irap("hevc", first, None)
    assert not h26x.is_idr("hevc", cra, None) and h26x.is_irap("hevc", cra, None)
    assert not h26x.is_irap("hevc", bytes(x265[1]), None)
    x264 = _encode("h264", CODECS["h264"][1], range(2))
    assert h26x.is_idr("h264", bytes(x264[0]), None) and not h26x.is_idr("h264", bytes(x264[1]), None)


# ---------------------------------------------------------------- extradata


def test_parse_avcc_of_a_real_mp4(sources):
    with av.open(str(sources["h264"])) as c:
        extradata = c.streams.video[0].codec_context.extradata
    config = h26x.parse_avcc(extradata)
    assert (config.length_size, config.profile_idc, config.level_idc, config.annexb) == (4, 66, 10, False)
    assert len(config.sps) == len(config.pps) == 1
    # the same encoder's SPS/PPS, as it writes them in-band
    in_band = h26x.split_annexb(bytes(_encode("h264", CODECS["h264"][1], range(1))[0]))
    assert in_band[:2] == [config.sps[0], config.pps[0]]
    prefix = h26x.parameter_sets_length_prefixed("h264", extradata)
    assert h26x.split_length_prefixed(prefix, 4) == in_band[:2]


def _encoder_extradata(codec: str, options=None, profile=None) -> bytes:
    ctx = av.CodecContext.create(CODECS[codec][0], "w")
    ctx.width = ctx.height = SIZE
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = Fraction(1, RATE)
    ctx.framerate = RATE
    ctx.gop_size = GOP
    ctx.max_b_frames = 0
    ctx.options = dict(CODECS[codec][1] if options is None else options)
    if profile:
        ctx.profile = profile
    ctx.flags |= av.codec.context.Flags.global_header
    ctx.open()
    return bytes(ctx.extradata)


def test_x264_profile_is_a_ceiling_not_a_target():
    """Ask the re-encoder for the source's profile; x264 may still pick a lower one."""
    medium_high = h26x.parse_avcc(_encoder_extradata("h264", {"preset": "medium"}, profile="High"))
    ultrafast_high = h26x.parse_avcc(_encoder_extradata("h264", {"preset": "ultrafast"}, profile="High"))
    assert medium_high.profile_idc == 100  # High
    assert ultrafast_high.profile_idc == 66  # no CABAC, no 8x8: Constrained Baseline fits
    assert ultrafast_high.constraint_flags & 0x40  # constraint_set1_flag


@pytest.mark.parametrize("codec", CODECS)
def test_annexb_extradata_matches_the_mp4_record(sources, codec):
    """An encoder's global header is Annex B; the MP4 muxer turns it into avcC/hvcC."""
    with av.open(str(sources[codec])) as c:
        extradata = c.streams.video[0].codec_context.extradata
    record = h26x.parse_extradata(codec, extradata)
    annexb = h26x.parse_extradata(codec, _encoder_extradata(codec))
    assert annexb.annexb and not record.annexb
    assert annexb.length_size == record.length_size == 4
    assert (annexb.profile_idc, annexb.level_idc, annexb.sps, annexb.pps) == (
        record.profile_idc,
        record.level_idc,
        record.sps,
        record.pps,
    )
    if codec == "hevc":
        assert (record.profile_idc, record.tier_flag, record.level_idc) == (1, 0, 30)  # Main, level 1
        assert annexb.vps == record.vps and len(record.vps) == 1
        prefix = h26x.parameter_sets_length_prefixed("hevc", extradata)
        assert h26x.nal_types("hevc", prefix, 4) == [32, 33, 34]  # the info SEI array is not a parameter set


AVCC = bytes.fromhex("0142c00affe10004") + b"\x67\x42\xc0\x0a" + b"\x01\x00\x02\x68\xce"


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        AVCC[:6],  # truncated header
        b"\x02" + AVCC[1:],  # configurationVersion 2
        AVCC[:4] + b"\xfe" + AVCC[5:],  # lengthSizeMinusOne 2
        AVCC[:-1],  # PPS cut short
        AVCC[:-5],  # PPS count missing
        AVCC[:8] + b"\x68" + AVCC[9:],  # a PPS where the SPS belongs
        b"\x00\x00\x00\x01\x68\xce",  # Annex B without an SPS
        b"\x00\x00\x01",  # Annex B, empty
    ],
)
def test_malformed_avcc_raises(bad):
    with pytest.raises(ValueError):
        h26x.parse_avcc(bad)


def test_malformed_hvcc_raises(sources):
    with av.open(str(sources["hevc"])) as c:
        good = bytes(c.streams.video[0].codec_context.extradata)
    h26x.parse_hvcc(good)
    for bad in (
        good[:22],  # no array count
        good[:30],  # an array cut short
        good[:21] + bytes([good[21] & 0xFC | 2]) + good[22:],  # lengthSizeMinusOne 2
        b"\x05" + good[1:],  # configurationVersion 5
        good[:23] + bytes([(good[23] & 0xC0) | 34]) + good[24:],  # the VPS array claims to hold PPSs
        b"\x00\x00\x00\x01\x40\x01\x0c",  # Annex B VPS alone
    ):
        with pytest.raises(ValueError):
            h26x.parse_hvcc(bad)


def test_other_bad_input_raises():
    avcc_without_sets = bytes.fromhex("0142c00affe000")
    assert h26x.parse_avcc(avcc_without_sets).sps == ()  # legal (avc3), but nothing to put in-band
    with pytest.raises(ValueError):
        h26x.parameter_sets_length_prefixed("h264", avcc_without_sets)
    with pytest.raises(ValueError):
        h26x.split_length_prefixed(b"\x00\x00\x00\x09\x65\x88", 4)  # length beyond the data
    with pytest.raises(ValueError):
        h26x.split_length_prefixed(b"\x00\x02\x65", 3)
    with pytest.raises(ValueError):
        h26x.join_length_prefixed([b"\x65" * 300], 1)
    with pytest.raises(ValueError):
        h26x.nal_types("vp9", b"\x00\x00\x01\x65", None)


# ---------------------------------------------------------------- smart-cut MP4s


@pytest.mark.parametrize("length_size", [4, 2])
@pytest.mark.parametrize("codec", CODECS)
def test_smart_cut_mp4_decodes_cleanly(sources, tmp_path, codec, length_size):
    source = sources[codec]
    if length_size != 4:  # libavformat always writes 4; make a source that doesn't
        source = tmp_path / f"source_{length_size}.mp4"
        _relength(sources[codec], source, codec, length_size)
    out = tmp_path / "cut.mp4"
    _smart_cut(source, out, codec, prefix=True)

    assert _ffmpeg_errors(out) == ""
    lumas, refused = _decode(out)
    source_lumas, _ = _decode(source)
    assert refused == 0 and len(lumas) == N_SOURCE
    for i, luma in enumerate(lumas[:N_REENCODED]):  # the second encode's pictures, not the source's
        assert abs(_mean(luma) - (_level(REENCODED_BASE + i) + 7.5)) < 4
        assert abs(_mean(luma) - _mean(source_lumas[i])) > 10
    assert lumas[N_REENCODED:] == source_lumas[N_REENCODED:]  # copied GOPs decode bit for bit
    with av.open(str(source)) as c:
        prefix = h26x.parameter_sets_length_prefixed(codec, c.streams.video[0].codec_context.extradata)
    with av.open(str(out)) as c:
        samples = [bytes(p) for p in c.demux(video=0) if p.size]
    assert samples[N_REENCODED].startswith(prefix)  # the source's sets, framed like its samples
    assert h26x.is_idr(codec, samples[0], length_size)


@pytest.mark.parametrize("codec", CODECS)
def test_without_the_parameter_set_prefix_the_copied_gops_break(sources, tmp_path, codec):
    """The check that the prefix matters: the copied slices meet the re-encoder's SPS/PPS."""
    out = tmp_path / "cut.mp4"
    _smart_cut(sources[codec], out, codec, prefix=False)
    assert _ffmpeg_errors(out) != ""
    lumas, _ = _decode(out)
    assert len(lumas) < N_SOURCE


def test_smart_cut_from_an_annexb_source(tmp_path):
    """MPEG-TS source: Annex B extradata and samples; the MP4 muxer writes the avcC and converts."""
    source = tmp_path / "source.ts"
    _write_source(source, "h264", CODECS["h264"][1])
    with av.open(str(source)) as c:
        extradata = c.streams.video[0].codec_context.extradata
        first_key = next(bytes(p) for p in c.demux(video=0) if p.size and p.pts > 0 and p.is_keyframe)
    assert h26x.parse_avcc(extradata).annexb
    # the AUD the TS muxer put first stays first
    in_band = h26x.with_parameter_sets("h264", first_key, extradata)
    assert h26x.nal_types("h264", in_band, None) == [9, 7, 8, 7, 8, 5]

    out = tmp_path / "cut.mp4"
    _smart_cut(source, out, "h264", prefix=True)
    assert _ffmpeg_errors(out) == ""
    lumas, refused = _decode(out)
    assert refused == 0 and len(lumas) == N_SOURCE
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert not h26x.parse_avcc(stream.codec_context.extradata).annexb
        samples = [bytes(p) for p in c.demux(stream) if p.size]
    assert h26x.nal_types("h264", samples[N_REENCODED], 4)[:3] == [9, 7, 8]

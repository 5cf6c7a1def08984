"""What a viewer gets from a smart cut, measured: the oracles of test_smart_cut.py.

Frames are compared with the source's decoded frames (the barcode of tests/media.py says which one
each is); a frame whose pixels are the source's, bit for bit, was copied, the others re-encoded.
Decoders asked: FFmpeg through PyAV, the ffmpeg CLI (`-v error`, and strict: `-xerror` with every
error check on), libde265's `dec265` for HEVC, and libmpv as the app plays it.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
import threading

import av
import numpy as np
import pytest

from engine.cut import h26x
from tests import media

FPS = 30
DEC265 = shutil.which("dec265") or shutil.which("libde265-dec265")
FFMPEG = shutil.which("ffmpeg")


def pixels(frame: av.VideoFrame) -> list[np.ndarray]:
    """The frame's planes without their line padding (8- or 16-bit samples)."""
    dtype = np.uint16 if frame.format.components[0].bits > 8 else np.uint8
    size = np.dtype(dtype).itemsize
    return [np.frombuffer(p, dtype=dtype).reshape(p.height, p.line_size // size)[:, :p.width] for p in frame.planes]


def psnr(a: av.VideoFrame, b: av.VideoFrame) -> float:
    sse = sum(float(((x.astype(np.int64) - y.astype(np.int64)) ** 2).sum()) for x, y in zip(pixels(a), pixels(b)))
    count = sum(x.size for x in pixels(a))
    peak = (1 << a.format.components[0].bits) - 1
    return math.inf if sse == 0 else 10 * math.log10(peak * peak * count / sse)


def decoded(path) -> list[tuple[int, av.VideoFrame]]:
    """(barcode number, frame) of every frame FFmpeg decodes, in order."""
    with av.open(str(path)) as container:
        return [(media.read_barcode(f), f) for f in container.decode(video=0)]


class Judged:
    """An output against its source: which frames are the source's own pixels (copied)."""

    def __init__(self, src, out, *, one_run: bool = True):
        source = dict(decoded(src))
        self.frames = decoded(out)
        self.source = [source[n] for n, _ in self.frames]
        self.same = [all(np.array_equal(x, y) for x, y in zip(pixels(f), pixels(s)))
                     for (_, f), s in zip(self.frames, self.source)]
        copied = [i for i, same in enumerate(self.same) if same]
        self.first_copy = copied[0] if copied else len(self.same)
        self.last_copy = copied[-1] if copied else len(self.same)
        if one_run:
            assert all(self.same[self.first_copy:self.last_copy + 1]), "the copied frames are not one run"

    @property
    def head(self) -> int:
        return self.first_copy

    @property
    def tail(self) -> int:
        return len(self.same) - 1 - self.last_copy if self.last_copy < len(self.same) else 0

    @property
    def copied(self) -> int:
        return sum(self.same)

    def boundary_psnr(self) -> float:
        """The lowest PSNR of the first and last frame of each re-encoded run."""
        n = len(self.same)
        ends = []
        if self.head:
            ends += [0, self.head - 1]
        if self.tail:
            ends += [self.last_copy + 1, n - 1]
        return min(psnr(self.frames[i][1], self.source[i]) for i in ends)


def assert_report(report: dict, judged: Judged, video: str = "smart") -> None:
    """The cut report says what the output shows was done."""
    assert report["video"] == video
    assert report["reencode_head"] == pytest.approx(judged.head / FPS, abs=1e-6)
    assert report["reencode_tail"] == pytest.approx(judged.tail / FPS, abs=1e-6)
    assert report["copy"] == pytest.approx(judged.copied / FPS, abs=1e-6)
    if judged.head or judged.tail:
        assert report["boundary_psnr"] >= 40
        assert report["boundary_psnr"] == pytest.approx(judged.boundary_psnr(), abs=0.01)
        assert report["boundary_frames"] == 2 * ((judged.head > 0) + (judged.tail > 0)) - (
            (judged.head == 1) + (judged.tail == 1))


def nal_types_of(path) -> list[list[int]]:
    """NAL unit types of every video packet, in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        cc = stream.codec_context
        config = h26x.parse_extradata(cc.name, bytes(cc.extradata))
        size = None if config.annexb else config.length_size
        return [h26x.nal_types(cc.name, bytes(p), size) for p in container.demux(stream) if p.size]


def dec265_frames(path, tmp_path) -> tuple[list[str], str]:
    """md5 of every picture libde265's dec265 decodes from the output's HEVC (Annex B, extracted by
    the ffmpeg CLI), and what it printed."""
    if DEC265 is None or FFMPEG is None:
        pytest.skip("dec265 (libde265-examples) or the ffmpeg CLI is not installed")
    es, yuv = tmp_path / "v.hevc", tmp_path / "v.yuv"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(path), "-map", "0:v", "-c", "copy",
                    "-bsf:v", "hevc_mp4toannexb", "-f", "hevc", str(es)], check=True)
    run = subprocess.run([DEC265, "-q", "-o", str(yuv), str(es)], capture_output=True, text=True, check=False)
    with av.open(str(path)) as container:
        s = container.streams.video[0].codec_context
        w, h, bps = s.width, s.height, 2 if s.pix_fmt.endswith("10le") else 1
    size = w * h * 3 // 2 * bps
    data = yuv.read_bytes() if yuv.exists() else b""
    hashes = [hashlib.md5(data[i:i + size]).hexdigest() for i in range(0, len(data) - size + 1, size)]
    noise = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()
             and not line.strip().startswith(("frame ", "nFrames decoded"))]
    return hashes, (f"rc={run.returncode} " if run.returncode else "") + " | ".join(noise)


def ffmpeg_frame_hashes(path) -> list[str]:
    return [hashlib.md5(b"".join(np.ascontiguousarray(p).tobytes() for p in pixels(f))).hexdigest()
            for _, f in decoded(path)]


def mpv_plays(path) -> tuple[bool, float, list[str]]:
    """Play with libmpv as the app does (vo/ao null, untimed): (reached the end, last position,
    warnings and errors it logged)."""
    mpv = pytest.importorskip("mpv")
    said: list[str] = []

    def log(level, prefix, text):
        if level in ("fatal", "error", "warn") and "underrun" not in text:
            said.append(f"{level}:{prefix}: {text.strip()}")

    player = mpv.MPV(vo="null", ao="null", untimed=True, log_handler=log, loglevel="warn")
    ended = threading.Event()
    reasons: list[str] = []
    positions: list[float] = []

    @player.event_callback("end-file")
    def _ended(event):
        reasons.append(str(event.data.reason))
        ended.set()

    player.observe_property("time-pos", lambda _, v: v is not None and positions.append(v))
    try:
        player.play(str(path))
        assert ended.wait(60), "mpv did not finish"
    finally:
        player.terminate()
    eof = bool(reasons) and ("EOF" in reasons[0].upper() or reasons[0] == "0")
    return eof, max(positions, default=0.0), said


def strict_decode_errors(path) -> str:
    """What the ffmpeg CLI says decoding the whole file as strictly as it can: every error check on
    (`-err_detect` crccheck, bitstream, buffer, explode: a damaged frame is an error, not concealed)
    and `-xerror` (the first error stops it). Empty, with exit 0, means clean."""
    if FFMPEG is None:
        pytest.skip("the ffmpeg CLI is not installed")
    run = subprocess.run([FFMPEG, "-nostdin", "-hide_banner", "-v", "error", "-xerror",
                          "-err_detect", "+crccheck+bitstream+buffer+explode", "-i", str(path), "-f", "null", "-"],
                         capture_output=True, text=True, check=False)
    return (f"rc={run.returncode} " if run.returncode else "") + run.stderr

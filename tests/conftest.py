"""Shared fixtures: the test media, generated once per session, and a way to run a clip request.

`source(key)` writes the source named `key` in SOURCES the first time a test asks for it (into one
session folder) and returns its path; every later test gets the same file. `export(key_or_path, **fields)`
runs one ClipRequest the way a front end does (probe, validate, drive the export generator to the end)
and returns an `Exported` (the ClipResult, the Progress events, and the source's ClipRequest/ValidClip).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import pytest

from engine.cut.export import ClipResult, export_clip
from engine.cut.request import ClipRequest, ValidClip, validate
from engine.media.info import MediaInfo
from engine.media.probe import probe
from engine.progress import Progress
from tests import media
from tests.fixtures import moments, speech

FPS = Fraction(30)
GOP = 30  # frames: a keyframe at every whole second
SUBRIP_CUES = [(0.5, 1.25, "Hello, world"), (2.0, 3.5, "Two\nlines")]

X265_DEFAULTS_2S = "keyint=60:min-keyint=60:log-level=error"  # x265's defaults but for the GOP length

# key -> (file name, maker, keyword arguments). Everything is 4 s at 30 fps with a keyframe at every whole
# second and two B-frames (where the codec has them) unless it says otherwise.
SOURCES = {
    "h264": ("h264.mp4", media.make_video, {}),
    "hevc": ("hevc.mp4", media.make_video, {"codec": "hevc"}),
    "vfr": ("vfr.mp4", media.make_video, {"vfr": True}),
    "rotated": ("rotated.mp4", media.make_video, {"rotation": 90}),
    "mpeg4_avi": ("mpeg4.avi", media.make_video, {"codec": "mpeg4"}),
    "vp9_webm": ("vp9.webm", media.make_video, {"codec": "vp9"}),
    "vp9_mp4": ("vp9.mp4", media.make_video, {"codec": "vp9"}),
    # libvpx's good-quality mode, as most VP9 files are made: hidden alt-ref frames in superframes
    "vp9_altref": ("vp9_altref.webm", media.make_video, {"codec": "vp9", "options": {
        "deadline": "good", "cpu-used": "8", "lag-in-frames": "16", "auto-alt-ref": "1", "crf": "32", "b": "0",
        "keyint_min": "30"}}),
    # open GOPs: x264's recovery-point I pictures with leading B-frames (a B-pyramid: one of them is a
    # reference); x265's defaults (preset medium: CRA keyframes with RASL pictures, 4 B-frames in a
    # pyramid, weighted prediction), with a 2 s GOP so that a short file has some; the same in Main10
    # with colour tags
    "h264_open": ("h264_open.mp4", media.make_video, {"options": {"preset": "veryfast", "x264-params": (
        "keyint=30:min-keyint=30:scenecut=0:open-gop=1:bframes=3:b-pyramid=normal:b-adapt=0")}}),
    "hevc_open": ("hevc_open.mp4", media.make_video, {"codec": "hevc", "duration": 5.0, "gop": 60,
                                                      "options": {"x265-params": X265_DEFAULTS_2S}}),
    "hevc_main10": ("hevc_main10.mp4", media.make_video, {
        "codec": "hevc", "duration": 5.0, "gop": 60, "pix_fmt": "yuv420p10le",
        "options": {"x265-params": X265_DEFAULTS_2S + ":colorprim=bt709:transfer=bt709:colormatrix=bt709"}}),
    "subrip_mkv": ("subrip.mkv", media.make_video, {"subtitles": [("subrip", SUBRIP_CUES)]}),
    "720p": ("720p.mp4", media.make_video, {"width": 1280, "height": 720, "duration": 1.0}),
    "1080p": ("1080p.mp4", media.make_video, {"width": 1920, "height": 1080, "duration": 1.0}),
    # one 8-second GOP at 640x480: a precise cut after its start re-encodes all of it, for a while
    # (long enough to cancel it, or to use the app while it runs)
    "one_long_gop": ("one_long_gop.mp4", media.make_video, {"duration": 8.0, "width": 640, "height": 480,
                                                            "gop": 240}),
    **{
        f"audio_{suffix}": (f"audio.{suffix}", media.make_audio, {})
        for suffix in ("mp3", "wav", "flac", "ogg", "m4a", "aac", "wma")
    },
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def source(media_dir):
    """source(key) -> path of the generated file SOURCES[key], written on first use."""
    made: dict[str, Path] = {}

    def get(key: str) -> Path:
        if key not in made:
            name, maker, kwargs = SOURCES[key]
            made[key] = maker(media_dir / name, **kwargs)
        return made[key]

    return get


@dataclass
class Exported:
    result: ClipResult
    progress: list[Progress]
    info: MediaInfo
    clip: ValidClip

    @property
    def path(self) -> Path:
        return Path(self.result.path)


def run_export(source_path, out_path, **fields) -> Exported:
    """Probe, validate and export one output, as a front end does; the request must make one file."""
    info = probe(source_path)
    clip = validate(ClipRequest(str(source_path), **fields), info)
    assert len(clip.outputs) == 1, "run_export makes one file; use run_clip_request for several"
    gen = export_clip(info, clip, clip.outputs[0], out_path)
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as done:
            return Exported(done.value, progress, info, clip)


@pytest.fixture
def export(tmp_path, source):
    """export(key_or_path, name="out.mp4", **ClipRequest fields) -> Exported, written under tmp_path."""

    def run(src, name: str | None = None, **fields) -> Exported:
        path = source(src) if isinstance(src, str) else Path(src)
        fmt = fields.get("format") or "mp4"
        return run_export(path, tmp_path / (name or f"out.{'m4a' if fmt == 'aac' else fmt}"), **fields)

    return run


# ------------------------------------------------------------------------------------ what a user sees


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def audio_samples(path) -> tuple[int, int]:
    """(decoded sample count, sample rate) of the first audio stream."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        return sum(frame.samples for frame in container.decode(stream)), rate


def audio_stream_duration(path) -> Fraction:
    """What the container says the first audio stream lasts (an MP4 edit list trims the codec's padding,
    which decoding does not)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return Fraction(stream.duration) * stream.time_base


def audio_end(path) -> Fraction:
    """Where the first audio stream's last packet ends (pts + duration), in seconds: for an encoder that
    gives its last packet the length of what is left (FFmpeg's AAC), the exact length of the audio."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        last = None
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None:
                last = packet
        return Fraction(last.pts + last.duration) * stream.time_base


def files_in(folder) -> list[str]:
    return sorted(p.name for p in Path(folder).iterdir()) if os.path.isdir(folder) else []


# ------------------------------------------------------------------------------------ the data dir


@pytest.fixture(autouse=True)
def _fastclip_home(tmp_path_factory, monkeypatch) -> Path:
    """No test touches the real user data dir: each gets its own empty FASTCLIP_HOME (library.db,
    clips/, cache/), which the processes it starts inherit."""
    home = tmp_path_factory.mktemp("fastclip-home")
    monkeypatch.setenv("FASTCLIP_HOME", str(home))
    return home


# ------------------------------------------------------------------------------------ Moments


@dataclass
class MomentsMedia:
    """The Moments recording (tests/fixtures/moments) and its transcript, made once per session."""

    recording: moments.Recording
    transcripts: Path  # a cache folder's transcripts/, holding the recording's

    def warm(self, home) -> Path:
        """Give the FASTCLIP_HOME ``home`` the recording's transcript in its cache (as after a
        transcript job), so analyses there start from it; returns the cache folder."""
        cache = Path(home) / "cache"
        shutil.copytree(self.transcripts, cache / "transcripts", dirs_exist_ok=True)
        return cache


@pytest.fixture(scope="session")
def moments_media(tmp_path_factory) -> MomentsMedia:
    """The recording written and transcribed (the built-in model, in a child process: the speech
    model never loads in the test process) once for the whole session."""
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    folder = tmp_path_factory.mktemp("moments")
    rec = moments.make_recording(folder / "talk.mp4")
    home = folder / "home"
    code = ("import sys\nfrom engine.paths import cache_dir\nfrom engine.transcript import transcribe\n"
            "for _ in transcribe(sys.argv[1], cache_dir=cache_dir()): pass\n")
    subprocess.run([sys.executable, "-c", code, str(rec.path)], check=True, timeout=300, capture_output=True,
                   env={**os.environ, "FASTCLIP_HOME": str(home)}, cwd=Path(__file__).resolve().parents[1])
    return MomentsMedia(rec, home / "cache" / "transcripts")

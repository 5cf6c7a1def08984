"""The cut report from the command line: `fastclip clip` and `fastclip jobs show` say how each output's
video was made, and the numbers are what the output shows (its frames compared with the source's)."""

import json
import subprocess
import sys

import pytest

from tests import media
from tests.engine.cut.smart_cut_oracles import Judged, assert_report

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]


def fastclip(*args):
    r = subprocess.run([*CLI, *map(str, args)], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r


def test_clip_and_jobs_show_carry_the_cut_report(source, tmp_path):
    src = source("hevc_open")  # x265's defaults: open GOPs, a CRA at 2 s
    out = tmp_path / "c.mp4"
    job = json.loads(fastclip("clip", src, "--start", "1", "--end", "3.5", "-o", out, "--json").stdout)
    cut = job["cut"]
    assert_report(cut, Judged(src, out))
    assert cut["reencode_head"] == pytest.approx(1.0, abs=1e-6)  # up to the CRA at 2 s
    assert cut["reencode_head"] + cut["reencode_tail"] + cut["copy"] == pytest.approx(2.5, abs=1e-5)
    assert 40 <= cut["boundary_psnr"] and cut["boundary_frames"] >= 2

    shown = json.loads(fastclip("jobs", "show", job["job_id"], "--json").stdout)
    assert shown["cut"] == cut

    said = fastclip("jobs", "show", job["job_id"]).stdout
    assert f"cut: smart cut: re-encoded 1.000 s at the start and {cut['reencode_tail']:.3f} s at the end, " \
           f"copied {cut['copy']:.3f} s, boundary frames {cut['boundary_psnr']:.1f} dB PSNR" in said


def test_the_line_of_a_clip_says_how_its_video_was_made(source, tmp_path):
    src = source("hevc_open")
    out = tmp_path / "k.mp4"
    line = fastclip("clip", src, "--start", "2", "--end", "3", "--mode", "keyframe", "-o", out).stdout
    # (a keyframe cut ends where the copy has no gap: before the B-frames decoded after 3 s)
    assert f"video copied ({len(media.frame_numbers(out)) / 30:.3f} s)" in line
    line = fastclip("clip", source("1080p"), "--start", "0.2", "--end", "0.9", "--quality", "720p",
                    "-o", tmp_path / "e.mp4").stdout
    assert "video re-encoded whole: scaled to 720p" in line

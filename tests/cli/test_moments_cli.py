"""`fastclip analyze` and `fastclip clip --auto` as a user runs them: real processes, the Moments recording
(tests/fixtures/moments) with its transcript already in the cache (as after `fastclip transcript`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "fastclip_desktop.cli"]
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def home(tmp_path_factory, moments_media):
    home = tmp_path_factory.mktemp("moments-cli-home")
    moments_media.warm(home)
    return home


@pytest.fixture(scope="module")
def fastclip(home):
    env = {**os.environ, "FASTCLIP_HOME": str(home)}

    def run(*args):
        return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env, timeout=240,
                              check=False)

    return run


@pytest.fixture(scope="module")
def talk(moments_media):
    return moments_media.recording


def test_analyze_prints_the_apis_segments_and_renders_nothing(fastclip, talk, home):
    r = fastclip("analyze", talk.path, "--query", "how to prepare an Italian meal in the kitchen", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert list(d)[0] == "segments" and d["query"] == "how to prepare an Italian meal in the kitchen"
    top = d["segments"][0]
    assert list(top) == ["start", "end", "excerpt", "confidence", "reasons"]
    assert talk.topic_at(top["start"], top["end"]) == "cooking" and 0.5 < top["confidence"] <= 1
    assert not list((home / "clips").glob("*.*")), "analyze renders nothing"
    # asked again (as a line per moment): the analysis is read back, not run again
    again = fastclip("analyze", talk.path, "--query", "how to prepare an Italian meal in the kitchen")
    assert again.returncode == 0, again.stderr
    first = again.stdout.splitlines()[0]
    assert "0.9" in first and "(matches the query" in first and "–" in first
    listed = fastclip("jobs", "list", "--kind", "analyze")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1 and "analyze" in listed.stdout


def test_clip_auto_makes_a_clip_of_each_moment_into_the_folder(fastclip, talk, tmp_path):
    out = tmp_path / "moments"
    r = fastclip("clip", talk.path, "--auto", "--count", "2", "--format", "m4a", "-o", f"{out}/", "--json")
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["kind"] == "auto" and job["status"] == "complete" and len(job["clips"]) == 2
    for c in job["clips"]:
        assert {"start", "end", "excerpt", "confidence", "clip_id", "path", "download_url"} <= set(c)
        assert Path(c["path"]).parent == out and Path(c["path"]).suffix == ".m4a" and Path(c["path"]).is_file()
        assert c["saved_to_library"] is False and c["expires_at"] is None  # your folder: yours, never expired
        assert talk.not_speech(c["start"], c["end"]) <= 1.0
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(c["path"]).name for c in job["clips"])
    listed = fastclip("jobs", "list", "--kind", "auto", "--json")
    assert [j["job_id"] for j in json.loads(listed.stdout)["data"]] == [job["job_id"]]


@pytest.mark.parametrize("args, field", [
    (["--auto", "--format", "gif"], "format"),
    (["--auto", "--format", "mp3", "--captions", "builtin:short-form-karaoke"], "captions"),
    (["--auto", "--query", "x" * 501], "query"),
    (["--auto", "--max-duration", "601"], "max_duration"),
    (["--auto", "--start", "1"], "auto"),
    (["--query", "customers leaving"], "query"),
])
def test_clip_auto_refuses_what_the_api_refuses(fastclip, talk, args, field):
    r = fastclip("clip", talk.path, *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"fastclip: invalid_request [{field}]: "), r.stderr
    assert r.stdout == ""


def test_analyze_refuses_a_query_longer_than_the_api_allows(fastclip, talk):
    r = fastclip("analyze", talk.path, "--query", "x" * 501)
    assert r.returncode == 2 and r.stderr.startswith("fastclip: invalid_request [query]: "), r.stderr

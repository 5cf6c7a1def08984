"""A batch's jobs on a real Dask LocalCluster of 2 worker processes (``engine.jobs.cluster``):
clips in both modes, a captions and a transcript job run by the workers, recorded in this
process's library; a task that fails twice fails its job with the reason while the rest go on.

The workers have a FASTCLIP_HOME of their own, so the transcript cache they write is not this
machine's: the transcript must come back to this machine's cache.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest

from engine import (
    CaptionsRequest,
    ClipRequest,
    Library,
    PathMap,
    Runner,
    cache_dir,
    cached_transcript,
    connect_cluster,
    job_json,
)
from tests import media
from tests.engine.captions.test_burn_in import speech_video

pytestmark = pytest.mark.slow
CLEAN = "builtin:clean-subtitle"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    d = tmp_path_factory.mktemp("cluster-sources")
    return {"talk": media.make_video(d / "talk.mp4", duration=4.0),
            "speech": speech_video(d / "speech.mp4", size=(320, 180), duration=4.0)}


@pytest.fixture(scope="module")
def worker_home(tmp_path_factory):
    return tmp_path_factory.mktemp("worker-home")


@pytest.fixture(scope="module")
def cluster(worker_home):
    c = connect_cluster("local:2", worker_env={"FASTCLIP_HOME": str(worker_home), "HF_HUB_OFFLINE": "1"})
    yield c
    c.close()


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".fastclip-part" in p.name)


def test_a_mixed_batch_runs_on_the_workers_and_is_recorded_here(cluster, sources, worker_home, tmp_path):
    assert len(cluster.usable) == 2 and cluster.refused == {}
    out = tmp_path / "out"
    events = []
    with Library() as lib, Runner(lib, workers=1) as runner:
        talk = runner.resolve_source(str(sources["talk"]))
        speech = runner.resolve_source(str(sources["speech"]))
        jobs = [*runner.submit(ClipRequest(talk.file_id, start=1.2, end=3, mode="keyframe"), str(out / "k.mp4")),
                *runner.submit(ClipRequest(talk.file_id, start=0.5, end=2.5, mode="precise"), str(out / "p.mp4")),
                runner.submit_captions(CaptionsRequest(speech.file_id, CLEAN), str(out / "c.mp4")),
                runner.submit_transcript(speech.file_id)]
        finals = cluster.run(runner, [j.job_id for j in jobs], on_event=events.append)
        keyframe, precise, captions, transcript = (finals[j.job_id] for j in jobs)
        clips = {Path(c.path).name: c for c in lib.list_clips(limit=10)}

    # the library here: every job complete, with the worker that ran it; the clips recorded
    assert [j.status for j in finals.values()] == ["complete"] * 4, [j.error for j in finals.values()]
    assert {j.worker_address for j in finals.values()} <= set(cluster.usable)
    assert all(job_json(j)["worker_address"] == j.worker_address for j in finals.values())
    assert sorted(clips) == ["c.mp4", "k.mp4", "p.mp4"] and clips["c.mp4"].captioned
    assert clips["k.mp4"].job_id == keyframe.job_id and clips["k.mp4"].in_library is False
    # progress came back while they ran, and where each ran
    assert any(u.status == "processing" and 0 < u.progress < 100 for u in events)
    assert any(u.status_message.startswith("on tcp://") for u in events)
    assert {u.job_id for u in events if u.status == "complete"} == {j.job_id for j in jobs}

    # the outputs: keyframe from the keyframe at 1 s, precise from the frame at 0.5 s, captioned whole
    frames = [n for _, n in media.frame_numbers(out / "k.mp4")]
    assert frames[0] == 30 and frames[-1] == 89 and keyframe.result["start"] == 1.0
    frames = [n for _, n in media.frame_numbers(out / "p.mp4")]
    assert frames == list(range(15, 75)) and abs(precise.result["duration"] - 2.0) < 0.05
    assert abs(media.probe(out / "c.mp4")["duration"] - 4.0) < 0.1 and captions.result["captioned"]
    assert temps(out) == []

    # the transcript: made in a worker's cache, and kept in this machine's cache too
    here = cached_transcript(sources["speech"], cache_dir=cache_dir())
    assert here is not None and len(here.words) == transcript.result["words"] > 0
    assert Path(cache_dir()) != worker_home / "cache" and list((worker_home / "cache" / "transcripts").glob("*.json"))


def test_a_task_that_fails_twice_fails_its_job_and_the_batch_goes_on(cluster, sources, tmp_path):
    """One source sits in a folder the path rule sends to where the workers have nothing."""
    unreachable = tmp_path / "unreachable"
    unreachable.mkdir()
    os.link(sources["talk"], unreachable / "talk.mp4")
    out = tmp_path / "out"
    events = []
    cluster.path_map = PathMap.parse([f"{unreachable}=/nowhere/at/all"])
    try:
        with Library() as lib, Runner(lib, workers=1) as runner:
            ok = runner.resolve_source(str(sources["talk"]))
            lost = runner.resolve_source(str(unreachable / "talk.mp4"))
            jobs = [*runner.submit(ClipRequest(lost.file_id, start=0, end=1, mode="keyframe"), str(out / "lost.mp4")),
                    *runner.submit(ClipRequest(ok.file_id, start=0, end=1, mode="keyframe"), str(out / "ok.mp4"))]
            finals = cluster.run(runner, [j.job_id for j in jobs], on_event=events.append)
    finally:
        cluster.path_map = PathMap()
    failed, done = (finals[j.job_id] for j in jobs)
    assert done.status == "complete" and (out / "ok.mp4").is_file()
    assert failed.status == "failed" and failed.error["code"] == "not_found"
    assert "/nowhere/at/all/talk.mp4 is not there on the worker" in failed.error["message"]
    assert "--path-map" in failed.error["message"] and not (out / "lost.mp4").exists()
    assert any(u.job_id == failed.job_id and u.status_message.startswith("started again on") for u in events)
    assert temps(out) == []
    assert Fraction(done.result["duration"]).limit_denominator(30) == 1


def test_an_output_written_where_this_machine_cannot_see_it_fails_its_job(cluster, sources, tmp_path):
    """A path rule that sends outputs to a worker's own disk: the job fails, no clip is recorded."""
    here, there = tmp_path / "here", tmp_path / "there"
    cluster.path_map = PathMap.parse([f"{here}={there}"])
    try:
        with Library() as lib, Runner(lib, workers=1) as runner:
            talk = runner.resolve_source(str(sources["talk"]))
            [job] = runner.submit(ClipRequest(talk.file_id, start=0, end=1, mode="keyframe"), str(here / "x.mp4"))
            final = cluster.run(runner, [job.job_id])[job.job_id]
            assert all(c.job_id != job.job_id for c in lib.list_clips(limit=10))
    finally:
        cluster.path_map = PathMap()
    assert final.status == "failed" and final.error["field"] == "out"
    assert f"wrote {there / 'x.mp4'}, which this machine does not see at {here / 'x.mp4'}" in final.error["message"]
    assert (there / "x.mp4").is_file() and not (here / "x.mp4").exists()

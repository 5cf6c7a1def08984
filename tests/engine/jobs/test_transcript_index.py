"""A transcript job ends by indexing the transcript's sentences for Moments: their vectors go in the
vector cache under the key an analysis looks up, so a cached transcript means cached vectors. A
model that is missing skips the index, never the transcript. Real worker processes, real SQLite, a
real speech video (espeak-ng), the real speech and embedding models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.errors import Cancelled
from engine.jobs import tasks
from engine.jobs.runner import Runner
from engine.library import Library
from engine.moments.analyze import analyze
from engine.moments.embedder import MODEL_ENV, TextEmbedder
from engine.moments.request import AnalyzeRequest
from engine.moments.sentences import split_sentences
from engine.moments.vectors import FOUND, cache_file
from engine.paths import cache_dir
from engine.transcript import cached_transcript
from tests.engine.captions.test_burn_in import speech_video
from tests.fixtures import speech

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def talk(tmp_path_factory) -> Path:
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    return speech_video(tmp_path_factory.mktemp("index") / "talk.mp4")


@pytest.fixture
def lib():
    with Library() as library:
        yield library


def vector_files(sub: str = "moments") -> dict[str, int]:
    """The files of a cache folder (the sentence vectors'; ``waveforms``: the audio levels'), with their times."""
    folder = cache_dir() / sub
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def expected_vectors(source: Path) -> Path:
    """Where an analysis of ``source`` looks for its sentence vectors (the model is not loaded)."""
    transcript = cached_transcript(source, cache_dir=cache_dir())
    assert transcript is not None
    return cache_file(cache_dir(), TextEmbedder().model_id, [s.text for s in split_sentences(transcript)])


def test_a_transcript_job_leaves_the_sentence_vectors_an_analysis_reads(lib, talk):
    with Runner(lib, workers=1) as runner:
        job = runner.submit_transcript(str(talk))
        seen = []
        done = runner.run_until_idle(seen.append, [job.job_id])[job.job_id]
        assert done.status == "complete", done.error
        index = done.result["moments_index"]
        assert index["sentences"] >= 1 and index["embedded"] == index["sentences"] and index["seconds"] > 0
        assert index["audio_level"] and "skipped" not in index
        assert any(u.status_message.startswith("Indexing sentences for Moments") for u in seen)
        progress = [u.progress for u in seen if u.status == "processing"]
        assert progress == sorted(progress), "one bar across transcribing and indexing"
        made, levels = vector_files(), vector_files("waveforms")
        assert list(made) == [expected_vectors(talk).name] and len(levels) == 1

        again = runner.submit_transcript(str(talk))  # the transcript cached: the index is found, not made
        redone = runner.run_until_idle(None, [again.job_id])[again.job_id]
        assert redone.status == "complete" and redone.result["moments_index"]["embedded"] == 0, redone.error

        analysis = runner.submit_analyze(AnalyzeRequest(str(talk)))
        analyzed = runner.run_until_idle(None, [analysis.job_id])[analysis.job_id]
        assert analyzed.status == "complete", analyzed.error
    assert vector_files() == made, "the analysis read the vectors the transcript job left, untouched"
    assert vector_files("waveforms") == levels, "and the audio's level"

    # the same analysis in this process: the model is never loaded (nothing to embed without a query)
    embedder = TextEmbedder()
    steps = []
    gen = analyze(str(talk), cache_dir=cache_dir(), embedder=embedder)
    while True:
        try:
            steps.append(next(gen))
        except StopIteration:
            break
    reading = [p for p in steps if p.stage == "reading"]
    assert [p.message for p in reading] == [FOUND] and not embedder.loaded
    assert vector_files() == made and vector_files("waveforms") == levels


def test_a_transcript_job_without_the_embedding_model_still_makes_its_transcript(lib, talk, tmp_path,
                                                                                 monkeypatch):
    empty = tmp_path / "no-model"
    empty.mkdir()
    monkeypatch.setenv(MODEL_ENV, str(empty))  # the worker inherits it
    with Runner(lib, workers=1) as runner:
        job = runner.submit_transcript(str(talk))
        seen = []
        done = runner.run_until_idle(seen.append, [job.job_id])[job.job_id]
    assert done.status == "complete", done.error
    assert done.result["words"] > 5 and cached_transcript(talk, cache_dir=cache_dir()) is not None
    index = done.result["moments_index"]
    assert index["skipped"].startswith("sentence vectors: ") and "model files are missing" in index["skipped"]
    assert index["audio_level"] and len(vector_files("waveforms")) == 1  # the other part is made all the same
    assert any(u.status_message.startswith("Moments index skipped, in part: sentence vectors") for u in seen)
    assert vector_files() == {}

    monkeypatch.delenv(MODEL_ENV)  # the model back: an analysis embeds the sentences, as without an index
    embedder = TextEmbedder()
    gen = analyze(str(talk), cache_dir=cache_dir(), embedder=embedder)
    while True:
        try:
            next(gen)
        except StopIteration:
            break
    assert embedder.loaded and list(vector_files()) == [expected_vectors(talk).name]


def test_indexing_can_be_cancelled_and_leaves_no_vectors(moments_media, _fastclip_home):
    cache = moments_media.warm(_fastclip_home)  # the transcript cached: no speech model in this process
    path = str(moments_media.recording.path)

    def report(status, progress, message):
        step = re.search(r"Indexing sentences for Moments… (\d+) of (\d+)$", message)
        if step and step[1] == step[2]:  # the sentences embedded, the vectors not written yet
            raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        tasks.run_transcript({"path": path, "cache_dir": str(cache), "file_id": "upl_x"}, report)
    assert vector_files() == {}
    result = tasks.run_transcript({"path": path, "cache_dir": str(cache), "file_id": "upl_x"},
                                  lambda *a: None)
    index = result["moments_index"]
    assert index["embedded"] == index["sentences"] > 10 and list(vector_files()) == [expected_vectors(path).name]

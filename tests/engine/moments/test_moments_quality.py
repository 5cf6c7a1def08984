"""How good the moments are, on a real recording with the real models: six passages spoken by espeak-ng
(tests/fixtures/moments) with music, a tone and silence between some, transcribed once by the built-in
speech model; the analysis runs here with the built-in text-embedding model. No mocks."""

from __future__ import annotations

import itertools

import pytest

from engine.moments.analyze import analyze
from engine.moments.embedder import default_model_path, get_embedder, model_files, verify_builtin
from tests.fixtures import moments as fixture

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def cache(moments_media, _fastclip_home):
    return moments_media.warm(_fastclip_home)


def run(recording, query=None, **options):
    gen = analyze(recording.path, query, **options)
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return done.value, events


def test_the_queries_share_no_word_with_their_passage():
    for topic, query in fixture.QUERIES.items():
        assert fixture.shared_words(query, fixture.PASSAGES[topic]) == [], topic
    for passage in fixture.PASSAGES.values():
        assert fixture.shared_words(fixture.OFF_TOPIC, passage) == []


def test_the_built_in_model_is_the_pinned_one():
    model, tokenizer, builtin = model_files()
    assert builtin and model == default_model_path() and model.name == "model.onnx"
    verify_builtin(model, tokenizer)  # sha256 of both
    e = get_embedder().load()
    assert e.load_seconds is not None and 0 < e.load_seconds < 30
    a, b, c = e.embed(["We lost many subscribers after the price went up.", "customers leaving",
                       "Chop the onions and simmer the sauce."])
    assert float(a @ b) > float(c @ b) + 0.15, "a paraphrase is nearer than an unrelated sentence"


def test_a_paraphrased_query_finds_its_passage(moments_media, cache, capsys):
    rec = moments_media.recording
    hits, seen = 0, []
    for topic, query in fixture.QUERIES.items():
        found, _ = run(rec, query, cache_dir=cache)
        assert found, f"nothing found for {query!r}"
        top = found[0]  # best first
        where = rec.topic_at(float(top.start), float(top.end))
        passage = rec.spans[topic][1] - rec.spans[topic][0]
        hit = where == topic and rec.overlap(float(top.start), float(top.end), topic) >= 0.5 * passage
        hits += hit
        seen.append(f"{'hit ' if hit else 'MISS'} {query!r} -> {where} {float(top.start):.1f}-{float(top.end):.1f} "
                    f"confidence {top.confidence:.2f}")
        assert top.confidence == max(m.confidence for m in found)
        assert "matches the query" in top.reasons or "may match the query" in top.reasons
    with capsys.disabled():
        print(f"\nparaphrase hits: {hits} of {len(fixture.QUERIES)}\n" + "\n".join(seen))
    assert hits >= 5


def test_a_query_about_nothing_there_scores_low_or_finds_nothing(moments_media, cache):
    found, _ = run(moments_media.recording, fixture.OFF_TOPIC, cache_dir=cache)
    assert all(m.confidence < 0.5 for m in found), [(m.excerpt, m.confidence) for m in found]


def test_highlights_fall_on_speech_not_on_music_tone_or_silence(moments_media, cache):
    rec = moments_media.recording
    found, events = run(rec, cache_dir=cache, count=6)
    assert 3 <= len(found) <= 6
    spans = sorted((float(m.start), float(m.end)) for m in found)
    for (s, e), m in zip(spans, sorted(found, key=lambda m: m.start)):
        assert 15 <= e - s <= 60, (s, e)
        assert rec.not_speech(s, e) <= 1.0, f"{s:.1f}-{e:.1f} lies on music, tone or silence: {m.excerpt}"
        assert rec.topic_at(s, e) is not None and 0 < m.confidence <= 1 and m.reasons
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), "moments never overlap"
    assert next(e.stage for e in events) == "cached", "the transcript came from the cache"


def test_edges_fall_in_the_silence_around_whole_sentences(moments_media, cache):
    rec = moments_media.recording
    found, _ = run(rec, fixture.QUERIES["cooking"], cache_dir=cache)
    s, e = float(found[0].start), float(found[0].end)
    start, end = rec.spans["cooking"]
    # the passage is heard whole: the moment opens before its first word and closes after its last,
    # within the silence and the music around it (espeak-ng's own edges are silent too)
    assert start - 0.9 <= s <= start + 0.5 and end - 0.5 <= e <= end + 0.8, (s, e, start, end)
    assert found[0].excerpt.startswith("…") or found[0].excerpt.startswith("First")


def test_a_second_analysis_reads_its_sentence_vectors_from_the_cache(moments_media, cache):
    run(moments_media.recording, cache_dir=cache)
    _, events = run(moments_media.recording, "anything at all", cache_dir=cache)
    reading = [e for e in events if e.stage == "reading"]
    assert len(reading) == 1 and reading[0].message.endswith("cache")
    assert list((cache / "moments").glob("vectors-*.npy"))

"""The pure parts of Moments, one by one: request rules, sentences, cues, candidate windows, topic
boundaries, loudness against the surroundings, edge snapping, calibration and the choice of moments."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.errors import InvalidRequest
from engine.moments import ranking
from engine.moments.analyze import excerpt, find_moments
from engine.moments.cues import count_names, sentence_cues
from engine.moments.loudness import Loudness, active_speech, contrast, from_peaks
from engine.moments.moment import Moment
from engine.moments.request import MAX_QUERY, moment_options, normalized_query
from engine.moments.sentences import Sentence, sentences_of, split_sentences
from engine.moments.snapping import part_touching, quiet_point, snap_span
from engine.moments.topics import boundary_strength, depth_scores
from engine.moments.windows import candidate_windows, prefix, range_max, span_sum
from engine.transcript import Segment, Transcript, Word

# ------------------------------------------------------------------------------------------ requests


def test_options_default_to_five_moments_of_15_to_60_seconds():
    o = moment_options()
    assert (o.query, o.count, o.min_duration, o.max_duration) == (None, 5, 15, 60)
    o = moment_options("  customers   leaving ", "3", "20", 90.5)
    assert (o.query, o.count, o.min_duration, o.max_duration) == ("customers leaving", 3, 20, Fraction("90.5"))
    assert moment_options(min_duration=100).max_duration == 100  # the default maximum gives way
    assert normalized_query("   ") is None and moment_options(query="") .query is None


@pytest.mark.parametrize("fields, field", [
    ({"query": "x" * (MAX_QUERY + 1)}, "query"), ({"query": 5}, "query"),
    ({"count": 0}, "count"), ({"count": 51}, "count"), ({"count": "two"}, "count"), ({"count": True}, "count"),
    ({"count": 2.5}, "count"),
    ({"min_duration": 0.5}, "min_duration"), ({"min_duration": "soon"}, "min_duration"),
    ({"max_duration": 601}, "max_duration"), ({"min_duration": 30, "max_duration": 20}, "max_duration"),
])
def test_options_out_of_the_apis_limits_are_refused_naming_the_field(fields, field):
    with pytest.raises(InvalidRequest) as e:
        moment_options(**fields)
    assert e.value.field == field


def test_a_moment_is_the_apis_segment_with_reasons_and_reads_back():
    m = Moment(Fraction(42), Fraction(71500, 1000), "…we saw churn rise…", 0.93, ("matches the query",))
    d = m.to_dict()
    assert list(d) == ["start", "end", "excerpt", "confidence", "reasons"]
    assert d == {"start": 42.0, "end": 71.5, "excerpt": "…we saw churn rise…", "confidence": 0.93,
                 "reasons": ["matches the query"]}
    assert Moment.from_dict(d) == m and m.duration == Fraction(59, 2)


# ------------------------------------------------------------------------------------------ sentences


def words(text: str, start: float, step: float = 0.3, gap_after: dict | None = None):
    out, t = [], start
    for k, w in enumerate(text.split()):
        out.append((" " + w, t, t + step * 0.8))
        t += step + (gap_after or {}).get(k, 0.0)
    return out


def test_sentences_end_at_punctuation_and_long_pauses_across_segments():
    ws = words("Hello there. How are you? I am fine", 0.0, gap_after={7: 0.0})
    ws += words("and then we left after a while", ws[-1][2] + 1.5)  # a 1.5 s pause: a new sentence
    got = sentences_of(ws)
    assert [s.text for s in got] == ["Hello there.", "How are you?", "I am fine", "and then we left after a while"]
    assert got[1].terminal and not got[2].terminal
    assert got[0].start == 0.0 and got[0].end == pytest.approx(0.54) and got[0].words == 2
    assert got[0].speech == pytest.approx(0.48)


def test_a_run_on_is_cut_at_its_last_comma_and_segments_without_words_are_shared_out():
    long = " ".join(f"w{k}," if k == 40 else f"w{k}" for k in range(70)) + "."
    got = sentences_of(words(long, 0.0))
    assert [s.words for s in got] == [41, 29] and got[0].text.endswith("w40,")
    t = Transcript((Segment(Fraction(10), Fraction(14), "One two three. Four five six."),), Fraction(20))
    got = split_sentences(t)
    assert [s.text for s in got] == ["One two three.", "Four five six."]
    assert got[0].start == 10 and got[-1].end == pytest.approx(14) and got[0].end < got[1].start + 1e-9


def test_split_sentences_reads_whisper_words():
    seg = Segment(Fraction(1), Fraction(3), "Hi all. Welcome", (
        Word(" Hi", Fraction(1), Fraction(1.2), 0.9), Word(" all.", Fraction(1.3), Fraction(1.6), 0.9),
        Word(" Welcome", Fraction(2), Fraction(3), 0.9)))
    assert [(s.text, s.start, s.end) for s in split_sentences(Transcript((seg,), Fraction(3)))] == [
        ("Hi all.", 1.0, 1.6), ("Welcome", 2.0, 3.0)]


# ------------------------------------------------------------------------------------------ cues


def test_cues_find_questions_and_answers_numbers_exclamations_names_and_weak_starts():
    c = sentence_cues(["Why did it fail?", "Because the price went up by 20%.", "What a goal!",
                       "We flew to New York with Maria.", "And then it rained.", "Is that all?"])
    assert c.question.tolist() == [True, False, False, False, False, True]
    assert c.answered.tolist() == [True, False, False, False, False, False]  # the last has no answer here
    assert c.exclaim.tolist() == [False, False, True, False, False, False]
    assert c.numbers.tolist()[:2] == [0, 1] and sentence_cues(["ninety-two to eighty five percent"]).numbers[0] >= 2
    assert c.names.tolist()[3] == 2  # "New York" once, "Maria"
    assert c.dangling.tolist() == [False, True, False, False, True, False]
    assert count_names(["I", "think", "I'm", "OK"]) == 0


# ------------------------------------------------------------------------------------------ windows


def test_candidate_windows_span_the_asked_durations_and_fall_back_to_the_longest():
    starts = np.arange(0, 100, 5.0)
    ends = starts + 4.0
    w = candidate_windows(starts, ends, 15, 40)
    assert len(w) and (w.duration >= 15).all() and (w.duration <= 40 - 1.2).all()
    assert (w.first <= w.last).all()
    pairs = {(int(a), int(b)) for a, b in zip(w.first, w.last)}
    naive = {(i, j) for i in range(20) for j in range(i, 20) if 15 <= ends[j] - starts[i] <= 38.8}
    assert pairs == naive
    short = candidate_windows(np.array([0.0, 3.0]), np.array([2.5, 6.0]), 15, 60)
    assert list(zip(short.first, short.last)) == [(0, 1)]  # all the speech there is, as one
    assert not len(candidate_windows(np.array([]), np.array([]), 15, 60))


def test_range_max_and_span_sums_agree_with_slicing():
    rng = np.random.default_rng(3)
    v = rng.random(200)
    lo = rng.integers(0, 200, 500)
    hi = np.minimum(lo + rng.integers(-3, 40, 500), 199)
    got = range_max(v, lo, hi, empty=-1.0)
    want = [v[a:b + 1].max() if b >= a else -1.0 for a, b in zip(lo, hi)]
    assert np.allclose(got, want)
    w = candidate_windows(np.arange(0, 50.0), np.arange(0, 50.0) + 0.9, 5, 12)
    assert np.allclose(span_sum(prefix(v[:50]), w), [v[a:b + 1].sum() for a, b in zip(w.first, w.last)])


# ------------------------------------------------------------------------------------------ topics


def test_topic_boundaries_are_where_the_vectors_turn_and_where_long_pauses_fall():
    a, b = np.eye(8)[0], np.eye(8)[1]
    rng = np.random.default_rng(0)
    vectors = np.array([a] * 6 + [b] * 6) + rng.normal(0, 0.05, (12, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    starts = np.arange(12) * 4.0
    ends = starts + 3.5
    s = boundary_strength(vectors, np.ones(12), starts, ends)
    assert len(s) == 13 and s[0] == s[-1] == 1.0
    assert int(np.argmax(s[1:12])) + 1 == 6 and s[6] > 0.9 and np.delete(s[1:12], 5).max() < 0.3
    ends2 = ends.copy()
    ends2[2] -= 3.0  # a 3.5 s pause before sentence 3, inside the first topic
    assert boundary_strength(vectors, np.ones(12), starts, ends2)[3] == pytest.approx(1.0)
    assert depth_scores(np.array([0.8, 0.2, 0.9])).tolist() == pytest.approx([0.0, 1.3, 0.0])


# ------------------------------------------------------------------------------------------ loudness


def level(db_by_second: list[float]) -> Loudness:
    db = np.repeat(np.array(db_by_second, np.float32), 10)
    return Loudness(0.0, 0.1, db)


def test_loudness_is_compared_with_the_speech_around_not_with_its_pauses():
    loud = level([-20] * 30 + [-12] * 10 + [-20] * 30)
    loud.db[5:8] = -90  # a pause inside a sentence
    starts, ends = np.array([0.0, 30.0, 40.0]), np.array([30.0, 40.0, 70.0])
    speech = active_speech(loud, starts, ends)
    assert not speech[5:8].any() and speech[8:20].all()
    c = contrast(loud, speech, np.array([30.0, 0.0]), np.array([40.0, 20.0]))
    assert c[0] == pytest.approx(8.0, abs=0.6) and c[1] < 0
    peaks = from_peaks(0.0, 2.0, np.array([-0.5, 0.0]), np.array([0.25, 0.0]))
    assert peaks.frame == 1.0 and peaks.db[0] == pytest.approx(-6.02, abs=0.01) and peaks.db[1] == -90


# ------------------------------------------------------------------------------------------ snapping


def test_edges_snap_to_the_quiet_before_and_after_but_not_into_the_next_sentence():
    loud = level([-20] * 20)
    loud.db[48] = -70  # quiet 4.8-4.9 s, between the sentence ending at 4.7 and the next at 5.0
    loud.db[96] = -60  # quiet 9.6-9.7 s
    s, e = snap_span(5.0, 9.5, prev_end=4.7, next_start=12.0, loud=loud)
    assert s == pytest.approx(4.85) and e == pytest.approx(9.65)
    s, e = snap_span(5.0, 9.5, prev_end=4.95, next_start=9.55, loud=None)
    assert 4.95 <= s <= 5.0 and 9.5 <= e <= 9.55  # touching neighbours: the middle of the gap, at most
    assert snap_span(0.05, 3.0, None, None, loud=None, duration=3.1) == (0.0, pytest.approx(3.1))
    assert quiet_point(loud, 2.0, 1.0, prefer="late") == 1.0
    assert part_touching([(0.0, 5.2), (5.0, 9.0)]) == [(0.0, 5.1), (5.1, 9.0)]


# ------------------------------------------------------------------------------------------ ranking


def test_confidence_is_calibrated_on_the_cosine():
    c = ranking.query_confidence(np.array([0.1, 0.18, 0.25, 0.30, 0.35, 0.5]))
    assert (np.diff(c) > 0).all() and c[3] == pytest.approx(0.5)
    assert c[0] < 0.02 and c[1] < 0.1 and c[4] > 0.7 and c[5] > 0.98


def test_select_takes_the_best_that_share_no_sentence_never_padding():
    first = np.array([0, 2, 4, 5, 8])
    last = np.array([3, 5, 6, 9, 9])
    score = np.array([0.9, 0.8, 0.7, 0.95, 0.1])
    eligible = np.array([True, True, True, True, False])
    assert ranking.select(score, first, last, eligible, 5) == [3, 0]
    assert ranking.select(score, first, last, eligible, 1) == [3]
    cos = np.array([0.5, 0.32, 0.29, 0.17, 0.45])
    assert ranking.query_eligible(cos, np.ones(5)).tolist() == [True, True, False, False, True]
    assert ranking.query_eligible(cos - 0.3, np.ones(5)).tolist() == [True, False, False, False, False]
    assert not ranking.query_eligible(cos, np.full(5, 0.3)).any()  # mostly not speech


def sentence_run(topics: list[int], *, gap_at: int | None = None, dim: int = 8):
    """Sentences of 4 s, one every 5 s (a long gap before ``gap_at``), with a vector per topic."""
    sentences, t = [], 0.0
    for k, _ in enumerate(topics):
        if k == gap_at:
            t += 20.0
        sentences.append(Sentence(t, t + 4.0, f"Sentence {k} is here.", 8, 3.6))
        t += 5.0
    rng = np.random.default_rng(1)
    vectors = np.eye(dim)[topics] + rng.normal(0, 0.05, (len(topics), dim))
    return sentences, (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_find_moments_with_a_query_takes_the_passage_that_means_it():
    sentences, vectors = sentence_run([0] * 6 + [1] * 5 + [2] * 6)
    found = find_moments(sentences, vectors, None, np.eye(8)[1].astype(np.float32), moment_options("b"), 90.0)
    assert found and found[0].confidence > 0.9 and "matches the query" in found[0].reasons
    assert 29.5 <= float(found[0].start) <= 30 and 54 <= float(found[0].end) <= 55  # sentences 6-10, whole
    assert all(m.confidence < found[0].confidence for m in found[1:])
    nothing = find_moments(sentences, vectors, None, np.eye(8)[5].astype(np.float32), moment_options("z"), 90.0)
    assert nothing == []


def test_find_moments_without_a_query_keeps_to_speech_and_topics():
    sentences, vectors = sentence_run([0] * 5 + [1] * 5, gap_at=5)  # 20 s of no speech between the topics
    found = find_moments(sentences, vectors, None, None, moment_options(count=5), 80.0)
    assert len(found) == 2, found
    for m in found:
        assert not (float(m.start) < 25 < float(m.end)), "no moment crosses the gap"
        assert "a topic of its own" in m.reasons and 0.3 <= m.confidence <= 1


def test_the_excerpt_starts_at_the_anchor_and_is_cut_at_a_word():
    sentences = [Sentence(k, k + 1, f"Sentence number {k} says a few words more.", 8, 1) for k in range(6)]
    assert excerpt(sentences, 0, 1, 0) == " ".join(s.text for s in sentences[:2])
    long = excerpt(sentences, 0, 5, 2)
    assert long.startswith("…Sentence number 2") and long.endswith("…") and len(long) <= 162

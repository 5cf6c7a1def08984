"""Clips: recorded, listed per source newest first, renamed, pinned, deleted, and expired by the sweep."""

from __future__ import annotations

import uuid
from datetime import UTC
from fractions import Fraction

import pytest

from engine.cut.export import ClipResult
from engine.errors import Conflict, InvalidRequest, NotFound
from engine.library import Library
from engine.media.probe import probe
from tests.engine.library import test_library as base
from tests.engine.library.test_library import make_file

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures

HOUR = 3600


@pytest.fixture
def upload(lib, tmp_path):
    """A ready import's file_id."""
    def make(name="src.mp4", seed=1):
        m = lib.add_media(make_file(tmp_path / "sources", name, seed=seed))
        lib.mark_media_ready(m.file_id, {"duration": 60.0, "media_kind": "video", "has_video": True,
                                         "has_audio": True, "max_height": 1080, "container": "mp4"})
        return m.file_id
    return make


@pytest.fixture
def library_clip(lib, upload):
    """add_clip of a new file in the library's clips folder."""
    n = iter(range(10**6))

    def make(source=None, **kw):
        path = make_file(lib.clips_dir, f"clip_{next(n)}.mp4", size=2000)
        return lib.add_clip(path=path, format="mp4", duration=kw.pop("duration", 10.0),
                            source_file_id=source or upload(), **kw)
    return make


@pytest.fixture
def user_clip(lib, upload, tmp_path):
    def make(name="mine.mp4", source=None):
        path = make_file(tmp_path / "Videos", name, size=2000)
        return lib.add_clip(path=path, format="mp4", duration=5.0, source_file_id=source or upload())
    return make


def test_a_library_clip_expires_a_day_after_it_was_made(lib, library_clip):
    c = library_clip(quality="1080p", aspect_ratio="16:9", job_id="job_0123456789ab")
    assert uuid.UUID(c.clip_id).version == 4
    assert c.in_library and not c.pinned and not c.captioned and c.status == "available"
    assert (c.created_at, c.expires_at) == ("2026-04-19T10:00:00Z", "2026-04-20T10:00:00Z")
    assert (c.file_name, c.title, c.format, c.quality, c.aspect_ratio, c.duration, c.file_size) == \
        ("clip_0.mp4", "clip_0", "mp4", "1080p", "16:9", 10.0, 2000)
    assert c.path == str(lib.clips_dir / "clip_0.mp4") and c.job_id == "job_0123456789ab"
    assert c.to_dict()["saved_to_library"] is True
    assert lib.get_clip(c.clip_id) == c


def test_the_ttl_is_a_setting(lib, library_clip):
    lib.set_setting("clip_ttl_hours", 1.5)
    assert library_clip().expires_at == "2026-04-19T11:30:00Z"


def test_a_clip_the_user_exported_never_expires(lib, user_clip):
    c = user_clip()
    assert not c.in_library and c.expires_at is None
    assert c.to_dict()["saved_to_library"] is False


def test_add_clip_validates(lib, upload, tmp_path):
    path = make_file(lib.clips_dir, "c.mp4")
    src = upload()
    with pytest.raises(NotFound, match="import the source first") as e:
        lib.add_clip(path=path, format="mp4", duration=1.0, source_file_id="upl_000000000000")
    assert e.value.field == "source_file_id"
    with pytest.raises(NotFound) as e:
        lib.add_clip(path=tmp_path / "missing.mp4", format="mp4", duration=1.0, source_file_id=src)
    assert e.value.field == "path"
    with pytest.raises(InvalidRequest) as e:
        lib.add_clip(path=path, format="avi", duration=1.0, source_file_id=src)
    assert e.value.field == "format"
    for bad in (-1, float("inf"), "10", True):
        with pytest.raises(InvalidRequest) as e:
            lib.add_clip(path=path, format="mp4", duration=bad, source_file_id=src)
        assert e.value.field == "duration"
    with pytest.raises(InvalidRequest) as e:
        lib.add_clip(path=path, format="mp4", duration=1.0, source_file_id=src, title="x" * 201)
    assert e.value.field == "title"
    assert lib.add_clip(path=path, format="aac", duration=Fraction(3, 2), source_file_id=src).format == "m4a"
    with pytest.raises(Conflict):  # two live rows for one library file would let one delete the other's file
        lib.add_clip(path=path, format="mp4", duration=1.0, source_file_id=src)
    assert lib.count_clips() == 1


def test_a_clip_result_is_recorded_as_it_is(lib, upload):
    path = make_file(lib.clips_dir, "talk_0-15-0-55.mp4")
    result = ClipResult(str(path), path.name, "mp4", "720p", Fraction(15), Fraction(40), 1280, 720,
                        ((Fraction(15), Fraction(55)),), "smart")
    c = lib.add_clip_from_result(result, source_file_id=upload(), job_id="job_1", captioned=True)
    assert (c.format, c.quality, c.duration, c.aspect_ratio, c.captioned) == ("mp4", "720p", 40.0, "16:9", True)


def test_get_an_unknown_clip_is_not_found(lib):
    for call in (lib.get_clip, lib.pin_clip, lib.unpin_clip, lib.delete_clip, lambda i: lib.rename_clip(i, "t")):
        with pytest.raises(NotFound) as e:
            call(str(uuid.uuid4()))
        assert e.value.code == "not_found" and e.value.field == "clip_id"


# -- listing ----------------------------------------------------------------------------------------


def test_list_clips_newest_first_with_pages_and_a_source_filter(lib, library_clip, upload, clock):
    a, b = upload("a.mp4", 1), upload("b.mp4", 2)
    made = []
    for i in range(9):
        made.append(library_clip(source=a if i % 3 else b))
        if i != 4:  # two clips in the same second still list newest first
            clock.advance(seconds=30)
    newest = [c.clip_id for c in made[::-1]]
    assert [c.clip_id for c in lib.list_clips()] == newest
    assert [c.clip_id for c in lib.list_clips(offset=0, limit=4)] == newest[:4]
    assert [c.clip_id for c in lib.list_clips(offset=4, limit=4)] == newest[4:8]
    assert [c.clip_id for c in lib.list_clips(offset=8, limit=4)] == newest[8:]
    assert lib.list_clips(offset=9) == []
    of_a = [c.clip_id for c in made[::-1] if c.source_file_id == a]
    assert [c.clip_id for c in lib.list_clips(source=a)] == of_a
    assert [c.clip_id for c in lib.list_clips(source=a, offset=2, limit=2)] == of_a[2:4]
    assert lib.count_clips() == 9 and lib.count_clips(source=a) == 6 and lib.count_clips(source=b) == 3
    with pytest.raises(NotFound):
        lib.list_clips(source="upl_000000000000")
    with pytest.raises(InvalidRequest):
        lib.list_clips(limit=0)
    with pytest.raises(InvalidRequest):
        lib.list_clips(offset=-5)


def test_clips_keep_living_when_their_import_is_deleted(lib, library_clip, upload):
    src = upload()
    c = library_clip(source=src)
    lib.delete_media(src)
    kept = lib.get_clip(c.clip_id)
    assert kept.source_file_id is None and kept.path == c.path
    assert lib.check_integrity() == []


# -- rename, pin, unpin --------------------------------------------------------------------------------


def test_rename(lib, library_clip):
    c = library_clip()
    assert lib.rename_clip(c.clip_id, "  Launch keynote  ").title == "Launch keynote"
    assert lib.rename_clip(c.clip_id, "é" * 200).title == "é" * 200
    for bad in ("x" * 201, "", "   ", None, 5):
        with pytest.raises(InvalidRequest) as e:
            lib.rename_clip(c.clip_id, bad)
        assert e.value.field == "title"
    assert lib.get_clip(c.clip_id).title == "é" * 200


def test_pin_clears_expiry_and_unpin_gives_a_fresh_ttl(lib, library_clip, clock):
    c = library_clip()
    pinned = lib.pin_clip(c.clip_id)
    assert pinned.pinned and pinned.expires_at is None
    clock.advance(days=3)
    assert lib.sweep_expired() == []
    unpinned = lib.unpin_clip(c.clip_id)
    assert not unpinned.pinned and unpinned.expires_at == "2026-04-23T10:00:00Z"  # now + 24 h
    clock.advance(hours=23)
    assert lib.sweep_expired() == []
    clock.advance(hours=1)
    assert [x.clip_id for x in lib.sweep_expired()] == [c.clip_id]


def test_pinning_a_user_clip_changes_nothing_about_expiry(lib, user_clip):
    c = user_clip()
    assert lib.pin_clip(c.clip_id).expires_at is None
    assert lib.unpin_clip(c.clip_id).expires_at is None


# -- delete --------------------------------------------------------------------------------------------


def test_delete_removes_a_library_file(lib, library_clip):
    c = library_clip()
    assert lib.delete_clip(c.clip_id) == c
    assert not (lib.clips_dir / c.file_name).exists()
    with pytest.raises(NotFound):
        lib.get_clip(c.clip_id)


def test_delete_never_removes_a_users_file(lib, user_clip, tmp_path):
    c = user_clip()
    lib.delete_clip(c.clip_id)
    assert (tmp_path / "Videos" / "mine.mp4").is_file()
    with pytest.raises(NotFound):
        lib.get_clip(c.clip_id)


def test_a_file_that_cannot_be_deleted_yet_is_retried(lib, library_clip, monkeypatch):
    import pathlib

    c = library_clip()
    real_unlink = pathlib.Path.unlink

    def locked(self, missing_ok=False):  # Windows: a player has it open
        raise PermissionError(13, "in use")

    monkeypatch.setattr(pathlib.Path, "unlink", locked)
    lib.delete_clip(c.clip_id)
    assert (lib.clips_dir / c.file_name).exists()
    monkeypatch.setattr(pathlib.Path, "unlink", real_unlink)
    assert lib.sweep_expired() == []
    assert not (lib.clips_dir / c.file_name).exists()
    assert lib.remove_deleted_files() == 0


def test_bulk_delete(lib, library_clip, user_clip, tmp_path):
    clips = [library_clip() for _ in range(3)]
    mine = user_clip()
    gone = str(uuid.uuid4())
    result = lib.bulk_delete_clips([clips[0].clip_id, clips[1].clip_id, mine.clip_id, gone, clips[0].clip_id])
    assert result.deleted == (clips[0].clip_id, clips[1].clip_id, mine.clip_id)
    assert result.not_found == (gone,)
    assert [c.clip_id for c in lib.list_clips()] == [clips[2].clip_id]
    assert not (lib.clips_dir / clips[0].file_name).exists() and (lib.clips_dir / clips[2].file_name).exists()
    assert (tmp_path / "Videos" / "mine.mp4").exists()


def test_bulk_delete_takes_at_most_50(lib, library_clip):
    ids = [library_clip().clip_id for _ in range(51)]
    with pytest.raises(InvalidRequest, match="at most 50") as e:
        lib.bulk_delete_clips(ids)
    assert e.value.field == "ids"
    assert lib.count_clips() == 51  # nothing deleted
    for bad in ([], "one-id"):
        with pytest.raises(InvalidRequest):
            lib.bulk_delete_clips(bad)
    assert len(lib.bulk_delete_clips(ids[:50]).deleted) == 50


# -- expiry -------------------------------------------------------------------------------------------------


def test_the_sweep_expires_unpinned_library_clips_only(lib, library_clip, user_clip, clock):
    old = library_clip()
    pinned = lib.pin_clip(library_clip().clip_id)
    mine = user_clip()
    clock.advance(hours=12)
    young = library_clip()
    clock.advance(hours=11, minutes=59, seconds=59)
    assert lib.sweep_expired() == []
    clock.advance(seconds=1)  # exactly 24 h after `old` was made
    expired = lib.sweep_expired()
    assert [c.clip_id for c in expired] == [old.clip_id]
    assert expired[0].status == "expired"
    assert not (lib.clips_dir / old.file_name).exists()
    for c in (pinned, young):
        assert (lib.clips_dir / c.file_name).exists() and lib.get_clip(c.clip_id).status == "available"
    assert lib.get_clip(mine.clip_id).status == "available" and lib.get_clip(mine.clip_id).expires_at is None
    assert lib.sweep_expired() == []  # once each
    clock.advance(days=365)
    assert [c.clip_id for c in lib.sweep_expired()] == [young.clip_id]
    assert {c.clip_id for c in lib.list_clips()} == {pinned.clip_id, mine.clip_id}


def test_an_expired_clip_is_not_found(lib, library_clip, clock):
    c = library_clip()
    clock.advance(hours=25)
    with pytest.raises(NotFound, match="expired") as e:  # past its time, before any sweep
        lib.get_clip(c.clip_id)
    assert e.value.code == "not_found"  # as the API: 404 for an expired clip (410 is an expired upload)
    assert lib.list_clips() == [] and lib.count_clips() == 0
    assert [x.clip_id for x in lib.list_clips(include_expired=True)] == [c.clip_id]
    lib.sweep_expired()
    for call in (lib.get_clip, lib.pin_clip, lib.unpin_clip, lambda i: lib.rename_clip(i, "t")):
        with pytest.raises(NotFound):
            call(c.clip_id)
    assert lib.delete_clip(c.clip_id).status == "expired"  # forgetting it is still allowed


def test_a_sweep_can_be_given_the_time(lib, library_clip):
    c = library_clip()
    from datetime import datetime

    assert [x.clip_id for x in lib.sweep_expired(datetime(2026, 4, 21, tzinfo=UTC))] == [c.clip_id]


def test_two_libraries_sweep_each_clip_once(lib, library_clip, clock):
    ids = {library_clip().clip_id for _ in range(5)}
    clock.advance(days=2)
    with Library(now=clock) as other:
        assert {c.clip_id for c in other.sweep_expired()} | {c.clip_id for c in lib.sweep_expired()} == ids
        assert lib.sweep_expired() == [] and other.sweep_expired() == []


def test_a_real_clip_job_recorded_end_to_end(lib, source, export, clock):
    path = source("h264")
    m = lib.add_media(path)
    lib.mark_media_ready(m.file_id, probe(path))
    lib.check_source(m.file_id)
    job = lib.create_job("clip", {"file_id": m.file_id, "start": 1, "end": 3, "format": "mp4"})
    lib.claim_next_job()
    out = export("h264", name="ignored.mp4", start=1, end=3)
    final = lib.clips_dir / "h264_0-1-0-3.mp4"
    out.path.rename(final)
    done, clip = lib.complete_clip_job(job.job_id, source_file_id=m.file_id, path=final,
                                      format=out.result.format, duration=out.result.duration,
                                      quality=out.result.quality, aspect_ratio=out.result.aspect_ratio)
    assert done.status == "complete" and done.result["clip_id"] == clip.clip_id
    assert done.result["saved_to_library"] is True
    assert clip.duration == pytest.approx(2.0, abs=0.05) and clip.aspect_ratio == out.result.aspect_ratio
    assert [c.clip_id for c in lib.list_clips(source=m.file_id)] == [clip.clip_id]
    assert probe(clip.path).duration == pytest.approx(clip.duration, abs=0.05)
    clock.advance(days=1)
    assert [c.clip_id for c in lib.sweep_expired()] == [clip.clip_id]
    assert not final.exists() and path.exists()

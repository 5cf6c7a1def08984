"""Imports: recorded in place, deduplicated, probed into the API's upload fields, watched for change."""

from __future__ import annotations

import os
from fractions import Fraction

import pytest

from engine.errors import Conflict, Gone, InvalidRequest, NotFound, UnsupportedMedia
from engine.library import Library, fingerprint
from engine.media.info import MediaInfo, StreamInfo
from engine.media.probe import probe
from tests.engine.library import test_library as base
from tests.engine.library.test_library import make_file

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures


def _info(path, *, video=True, duration=120.5, height=1080, container="mp4") -> MediaInfo:
    streams = []
    if video:
        streams.append(StreamInfo(0, "video", "h264", Fraction(1, 15360), Fraction(0), Fraction(duration),
                                  width=height * 16 // 9, height=height, frame_rate=Fraction(30)))
    streams.append(StreamInfo(len(streams), "audio", "aac", Fraction(1, 48000), Fraction(0), Fraction(duration),
                              sample_rate=48000, channels=2))
    return MediaInfo(str(path), os.path.getsize(path), "mov,mp4,m4a,3gp,3g2,mj2" if video else container,
                     container, Fraction(duration), tuple(streams))


def test_add_media_records_a_pending_import_in_place(lib, tmp_path):
    src = make_file(tmp_path / "in", "talk.mp4")
    before = src.read_bytes(), os.stat(src).st_mtime_ns
    m = lib.add_media(src)
    assert m.file_id.startswith("upl_") and len(m.file_id) == 16 and int(m.file_id[4:], 16) >= 0
    assert m.status == "pending"
    assert (m.filename, m.path, m.file_size) == ("talk.mp4", str(src.resolve()), 200_000)
    assert m.content_type == "video/mp4"
    assert m.created_at == "2026-04-19T10:00:00Z"
    assert m.duration is None and m.error is None and not m.clip_requested and m.clip_job_id is None
    assert (src.read_bytes(), os.stat(src).st_mtime_ns) == before  # never modified
    assert list(lib.clips_dir.iterdir()) == []  # never copied
    assert lib.get_media(m.file_id) == m


def test_importing_the_same_file_again_returns_the_same_row(lib, tmp_path):
    src = make_file(tmp_path, "a.mp4")
    first = lib.add_media(src)
    assert lib.add_media(src) == first
    assert lib.add_media(tmp_path / "." / "a.mp4") == first  # same resolved path
    assert lib.count_media() == 1


def test_a_changed_file_at_the_same_path_is_a_new_import(lib, tmp_path):
    src = make_file(tmp_path, "a.mp4", seed=1)
    first = lib.add_media(src)
    make_file(tmp_path, "a.mp4", seed=2)
    second = lib.add_media(src)
    assert second.file_id != first.file_id
    assert lib.count_media() == 2


def test_a_copy_elsewhere_is_a_different_import(lib, tmp_path):
    a = make_file(tmp_path / "x", "a.mp4", seed=3)
    b = make_file(tmp_path / "y", "a.mp4", seed=3)
    assert lib.add_media(a).file_id != lib.add_media(b).file_id


def test_importing_a_failed_import_again_queues_it_again(lib, tmp_path):
    src = make_file(tmp_path, "a.mp4")
    m = lib.add_media(src)
    lib.mark_media_processing(m.file_id)
    lib.mark_media_failed(m.file_id, "the file is damaged")
    again = lib.add_media(src)
    assert again.file_id == m.file_id and again.status == "pending" and again.error is None


def test_add_media_checks_the_file_first(lib, tmp_path):
    with pytest.raises(NotFound):
        lib.add_media(tmp_path / "nope.mp4")
    with pytest.raises(UnsupportedMedia):
        lib.add_media(tmp_path)
    assert lib.count_media() == 0  # a missing path or a folder: nothing to record
    # a file that is not media, or empty, is recorded as a failed upload with its reason (as the
    # API's validation after an upload does), and importing it again gives the same row
    empty = lib.add_media(make_file(tmp_path, "empty.mp4", size=0, head=b""))
    pdf = lib.add_media(make_file(tmp_path, "notes.mp4", head=b"%PDF-1.7\n"))
    assert (empty.status, pdf.status) == ("failed", "failed")
    assert "empty" in empty.error and "PDF" in pdf.error
    assert [m.file_id for m in lib.list_media(status="failed")] == [pdf.file_id, empty.file_id]
    assert lib.add_media(tmp_path / "notes.mp4").file_id == pdf.file_id and lib.count_media() == 2


def test_the_upload_size_limit_is_5_gb_by_default(lib, tmp_path):
    big = make_file(tmp_path, "huge.mp4", size=1024)
    with open(big, "r+b") as f:
        f.truncate(5_000_000_001)  # sparse: costs no disk
    with pytest.raises(InvalidRequest, match="largest file .* 5 GB") as e:
        lib.add_media(big)
    assert e.value.field == "file_size"
    with open(big, "r+b") as f:
        f.truncate(5_000_000_000)
    assert lib.add_media(big).file_size == 5_000_000_000


def test_the_limits_are_settings(lib, tmp_path):
    lib.set_setting("max_upload_bytes", 1000)
    with pytest.raises(InvalidRequest, match="max_upload_bytes"):
        lib.add_media(make_file(tmp_path, "a.mp4", size=1001))
    lib.check_media_limits(file_size=1000, duration=10800)
    with pytest.raises(InvalidRequest, match="3:00:00") as e:
        lib.check_media_limits(duration=10800.5)
    assert e.value.field == "duration"
    lib.set_setting("max_duration_seconds", 60)
    with pytest.raises(InvalidRequest, match="max_duration_seconds"):
        lib.check_media_limits(duration=61)


def test_ready_records_what_the_probe_found(lib, tmp_path):
    src = make_file(tmp_path, "talk.mp4")
    m = lib.add_media(src)
    assert lib.mark_media_processing(m.file_id).status == "processing"
    ready = lib.mark_media_ready(m.file_id, _info(src))
    assert ready.status == "ready"
    d = ready.to_dict()
    for key, value in {"file_id": m.file_id, "status": "ready", "filename": "talk.mp4", "content_type": "video/mp4",
                       "file_size": 200_000, "duration": 120.5, "duration_seconds": 120.5, "max_height": 1080,
                       "format_detected": "mov,mp4,m4a,3gp,3g2,mj2", "media_kind": "video", "has_video": True,
                       "has_audio": True, "error": None, "created_at": "2026-04-19T10:00:00Z",
                       "clip_requested": False, "clip_job_id": None}.items():
        assert d[key] == value, key
    assert [s["kind"] for s in d["streams"]] == ["video", "audio"]


def test_ready_takes_a_to_dict_as_well(lib, tmp_path):
    src = make_file(tmp_path, "song.mp3", head=b"ID3\x04\x00\x00\x00\x00\x00\x00")
    m = lib.add_media(src)
    assert m.content_type == "audio/mpeg"
    d = _info(src, video=False, container="mp3").to_dict()
    ready = lib.mark_media_ready(m.file_id, d)
    assert (ready.media_kind, ready.has_video, ready.max_height, ready.content_type) == ("audio", False, 0, "audio/mpeg")
    with pytest.raises(InvalidRequest, match="duration"):
        other = lib.add_media(make_file(tmp_path, "b.mp4"))
        lib.mark_media_ready(other.file_id, {"media_kind": "video"})


@pytest.mark.parametrize("container, kind, expected", [
    ("mp4", "video", "video/mp4"), ("mov", "video", "video/quicktime"), ("mkv", "video", "video/x-matroska"),
    ("webm", "video", "video/webm"), ("avi", "video", "video/x-msvideo"), ("mp3", "audio", "audio/mpeg"),
    ("wav", "audio", "audio/wav"), ("m4a", "audio", "audio/mp4"), ("flac", "audio", "audio/flac"),
    ("ogg", "audio", "audio/ogg"), ("mp4", "audio", "audio/mp4"),
])
def test_content_type_comes_from_the_container(lib, tmp_path, container, kind, expected):
    src = make_file(tmp_path, f"a.{container}")
    m = lib.add_media(src)
    assert lib.mark_media_ready(m.file_id, _info(src, video=kind == "video", container=container)).content_type \
        == expected


def test_a_source_over_the_duration_limit_fails_its_import(lib, tmp_path):
    src = make_file(tmp_path, "long.mp4")
    m = lib.add_media(src)
    lib.mark_media_processing(m.file_id)
    failed = lib.mark_media_ready(m.file_id, _info(src, duration=3 * 3600 + 1))
    assert failed.status == "failed" and "longest source" in failed.error


def test_failed_keeps_the_reason(lib, tmp_path):
    m = lib.add_media(make_file(tmp_path, "a.mp4"))
    lib.mark_media_processing(m.file_id)
    failed = lib.mark_media_failed(m.file_id, UnsupportedMedia("a.mp4 is truncated"))
    assert (failed.status, failed.error) == ("failed", "a.mp4 is truncated")


def test_status_changes_that_make_no_sense_are_conflicts(lib, tmp_path):
    src = make_file(tmp_path, "a.mp4")
    m = lib.add_media(src)
    lib.mark_media_ready(m.file_id, _info(src))
    with pytest.raises(Conflict):
        lib.mark_media_processing(m.file_id)
    with pytest.raises(Conflict):
        lib.mark_media_failed(m.file_id, "late")
    with pytest.raises(Conflict):
        lib.mark_media_ready(m.file_id, _info(src))


def test_unknown_imports_are_not_found(lib):
    for call in (lib.get_media, lib.mark_media_processing, lib.delete_media, lib.check_source,
                 lambda i: lib.mark_media_failed(i, "x"), lambda i: lib.mark_media_ready(i, {})):
        with pytest.raises(NotFound) as e:
            call("upl_000000000000")
        assert e.value.field == "file_id"


def test_list_media_pages_newest_first(lib, tmp_path, clock):
    ids = []
    for i in range(7):
        ids.append(lib.add_media(make_file(tmp_path, f"{i}.mp4", seed=i)).file_id)
        clock.advance(minutes=1)
    assert [m.file_id for m in lib.list_media(0, 3)] == ids[::-1][:3]
    assert [m.file_id for m in lib.list_media(3, 3)] == ids[::-1][3:6]
    assert [m.file_id for m in lib.list_media(6, 3)] == ids[:1]
    assert lib.list_media(7, 3) == []
    assert lib.count_media() == 7
    assert [m.file_id for m in lib.list_media(status="pending")] == ids[::-1]
    with pytest.raises(InvalidRequest) as e:
        lib.list_media(-1, 3)
    assert e.value.field == "offset"
    for bad in (0, 101, "20"):
        with pytest.raises(InvalidRequest) as e:
            lib.list_media(0, bad)
        assert e.value.field == "limit"


def test_delete_media_never_touches_the_file(lib, tmp_path):
    src = make_file(tmp_path, "a.mp4")
    before = src.read_bytes()
    m = lib.add_media(src)
    assert lib.delete_media(m.file_id) == m
    assert src.read_bytes() == before
    with pytest.raises(NotFound):
        lib.get_media(m.file_id)


def test_an_import_a_job_is_using_cannot_be_deleted(lib, tmp_path):
    m = lib.add_media(make_file(tmp_path, "a.mp4"))
    job = lib.create_job("clip", {"file_id": m.file_id, "start": 1, "end": 2})
    with pytest.raises(Conflict, match=job.job_id):
        lib.delete_media(m.file_id)
    lib.cancel_job(job.job_id)
    lib.delete_media(m.file_id)


def test_clip_requested_at_import(lib, tmp_path):
    m = lib.add_media(make_file(tmp_path, "a.mp4"), clip_requested=True)
    assert m.clip_requested and m.clip_job_id is None
    assert lib.set_media_clip_job(m.file_id, "job_0123456789ab").clip_job_id == "job_0123456789ab"


# -- check_source: the file must still be what was imported ------------------------------------------


@pytest.fixture
def ready(lib, tmp_path):
    src = make_file(tmp_path / "src", "talk.mp4", size=300_000)
    m = lib.add_media(src)
    lib.mark_media_ready(m.file_id, _info(src))
    return src, m


def test_check_source_passes_for_an_untouched_file(lib, ready):
    _, m = ready
    assert lib.check_source(m.file_id).file_id == m.file_id


def test_a_source_that_is_not_ready_is_a_conflict(lib, tmp_path):
    m = lib.add_media(make_file(tmp_path, "a.mp4"))
    lib.mark_media_processing(m.file_id)
    with pytest.raises(Conflict, match=r"the import of a.mp4 is not ready \(status processing\)") as e:
        lib.check_source(m.file_id)
    assert e.value.code == "conflict" and e.value.field == "file_id"
    lib.mark_media_failed(m.file_id, "damaged")
    with pytest.raises(Conflict, match="status failed: damaged"):
        lib.check_source(m.file_id)


def test_a_moved_source_is_gone(lib, ready, tmp_path):
    src, m = ready
    src.rename(tmp_path / "moved.mp4")
    with pytest.raises(Gone, match="talk.mp4 was moved or deleted") as e:
        lib.check_source(m.file_id)
    assert e.value.code == "gone"


def test_a_deleted_source_is_gone(lib, ready):
    src, m = ready
    src.unlink()
    with pytest.raises(Gone, match="was moved or deleted"):
        lib.check_source(m.file_id)


@pytest.mark.parametrize("change", ["head", "tail", "size", "mtime"])
def test_a_changed_source_is_gone(lib, ready, change):
    src, m = ready
    st = os.stat(src)
    data = bytearray(src.read_bytes())
    if change == "head":
        data[100] ^= 0xFF
    elif change == "tail":
        data[-100] ^= 0xFF
    elif change == "size":
        data += b"\x00"
    if change != "mtime":
        src.write_bytes(bytes(data))
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))  # hide the edit from mtime
    else:
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    with pytest.raises(Gone, match="talk.mp4 has changed since it was imported"):
        lib.check_source(m.file_id)


def test_the_fingerprint_reads_only_the_ends(tmp_path):
    a = make_file(tmp_path, "a.mp4", size=1_000_000, seed=5)
    st = os.stat(a)
    data = bytearray(a.read_bytes())
    data[500_000] ^= 0xFF  # the middle
    a.write_bytes(bytes(data))
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    fp = fingerprint(a)
    assert (fp.size, fp.mtime_ns) == (1_000_000, st.st_mtime_ns)
    b = make_file(tmp_path, "b.mp4", size=1_000_000, seed=5)
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fingerprint(b) == fp  # a middle edit with size and mtime kept is not seen: by design


def test_a_real_import_end_to_end(lib, source):
    path = source("audio_mp3")
    m = lib.add_media(path)
    lib.mark_media_processing(m.file_id)
    ready = lib.mark_media_ready(m.file_id, probe(path))
    assert (ready.status, ready.content_type, ready.media_kind, ready.has_video) == \
        ("ready", "audio/mpeg", "audio", False)
    assert ready.duration == pytest.approx(4.0, abs=0.1)
    assert lib.check_source(m.file_id) == ready
    with Library(now=lib._now) as other:  # what another process sees
        assert other.get_media(m.file_id) == ready

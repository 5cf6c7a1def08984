"""The local API's records: keys (hashed, shown once), the URL signing secret, uploads (names never
paths, parts with their ETags), and the folders POST /v1/upload/local may read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import Conflict, Forbidden, InvalidRequest, NotFound
from engine.library import Library
from engine.library.keys import MAX_KEYS, key_hash
from engine.library.uploads import MIN_PART_BYTES, stored_name
from tests.engine.library.test_library import ISO_HEAD


@pytest.fixture
def lib(tmp_path):
    with Library(tmp_path / "library.db") as library:
        yield library


def test_a_key_is_shown_once_and_kept_as_its_hash(lib):
    record, key = lib.create_api_key("  ci runner ")
    assert record.name == "ci runner" and key.startswith("sk_local_") and len(key) == 9 + 48
    stored = lib.db.execute("SELECT key_hash, prefix FROM api_keys").fetchone()
    assert stored == (key_hash(key), key[:15]) and key not in str(stored)
    assert lib.check_api_key(key).key_id == record.key_id
    assert lib.get_api_key(record.key_id).last_used_at is not None
    other = key[:-1] + ("1" if key[-1] == "0" else "0")  # one character off (never the key itself)
    assert lib.check_api_key(other) is None and lib.check_api_key("Bearer x") is None
    lib.delete_api_key(record.key_id)
    assert lib.check_api_key(key) is None
    with pytest.raises(NotFound):
        lib.delete_api_key(record.key_id)


@pytest.mark.parametrize("name", ["", " ", "x" * 101, "a\nb", "a\u202eb", 7])
def test_key_names_are_one_line_of_at_most_100_characters(lib, name):
    with pytest.raises(InvalidRequest) as e:
        lib.create_api_key(name)
    assert e.value.field == "name"


def test_at_most_ten_keys(lib):
    for i in range(MAX_KEYS):
        lib.create_api_key(f"k{i}")
    with pytest.raises(InvalidRequest, match="at most 10"):
        lib.create_api_key("one more")


def test_the_signing_secret_is_made_once(tmp_path, lib):
    secret = lib.api_signing_secret()
    assert len(secret) == 32
    with Library(tmp_path / "library.db") as other:
        assert other.api_signing_secret() == secret


@pytest.mark.parametrize("name", ["../x.mp4", "/etc/passwd", "a\\b.mp4", "a\x00.mp4", "..", "x" * 256,
                                  "clip\u200b.mp4", "a\u202e4pm.exe", "line\nbreak.mp4", ""])
def test_upload_names_are_never_paths(lib, name):
    with pytest.raises(InvalidRequest) as e:
        lib.create_upload(name, "video/mp4", 10)
    assert e.value.field == "filename"


def test_an_upload_lives_in_its_own_folder_under_a_safe_name(lib):
    upload = lib.create_upload("My Talk: part 1.MP4", "video/mp4", 10)
    path = lib.upload_path(upload)
    assert path.parent == lib.uploads_dir / upload.file_id and path.name == "My Talk_ part 1.mp4"
    assert stored_name(".hidden.mkv") == "hidden.mkv" and stored_name("notes.txt") == "notes.txt"
    assert stored_name("CON.mp4") == "_CON.mp4"


def test_a_received_upload_is_an_import_with_its_file_id(lib):
    upload = lib.create_upload("a.mp4", "video/mp4", len(ISO_HEAD))
    path = lib.upload_path(upload)
    path.parent.mkdir(parents=True)
    path.write_bytes(ISO_HEAD)
    media = lib.receive_upload(upload.file_id)
    assert media.file_id == upload.file_id and media.status == "pending" and media.path == str(path)
    with pytest.raises(Conflict):
        lib.receive_upload(upload.file_id)
    with pytest.raises(Conflict):
        lib.delete_upload(upload.file_id)


def test_multipart_sizes_and_parts(lib):
    with pytest.raises(InvalidRequest) as e:
        lib.create_upload("a.mp4", "", 20 * MIN_PART_BYTES, multipart=True, part_size=1000)
    assert e.value.field == "part_size"
    with pytest.raises(InvalidRequest) as e:
        lib.create_upload("a.mp4", "", 3 * MIN_PART_BYTES, multipart=True, part_size=MIN_PART_BYTES, part_count=4)
    assert e.value.field == "part_count"
    upload = lib.create_upload("a.mp4", "", 2 * MIN_PART_BYTES + 7, multipart=True, part_size=MIN_PART_BYTES)
    assert upload.part_count == 3 and upload.part_bytes(1) == MIN_PART_BYTES and upload.part_bytes(3) == 7
    lib.record_part(upload, 2, "ab" * 16, MIN_PART_BYTES)
    assert lib.uploaded_parts(upload) == {2: ("ab" * 16, MIN_PART_BYTES)}
    with pytest.raises(InvalidRequest):
        lib.check_part_number(upload, 4)
    lib.delete_upload(upload.file_id, upload.upload_id)
    with pytest.raises(NotFound):
        lib.get_upload(upload.file_id)


def test_local_imports_only_from_allowed_folders(lib, tmp_path):
    inside = tmp_path / "media" / "talk.mp4"
    inside.parent.mkdir()
    inside.write_bytes(ISO_HEAD)
    lib.set_setting("api_local_folders", str(tmp_path / "media"))
    assert lib.check_local_path(str(inside)) == inside.resolve()
    outside = tmp_path / "other.mp4"
    outside.write_bytes(ISO_HEAD)
    link = tmp_path / "media" / "link.mp4"
    os.symlink(outside, link)
    for refused in (str(outside), str(tmp_path / "media" / ".." / "other.mp4"), str(link), "/etc/passwd"):
        with pytest.raises(Forbidden):
            lib.check_local_path(refused)
    with pytest.raises(NotFound):
        lib.check_local_path(str(tmp_path / "media" / "missing.mp4"))
    for bad in ("relative.mp4", "a\x00b", ""):
        with pytest.raises(InvalidRequest):
            lib.check_local_path(bad)
    assert Path(lib.get_setting("api_local_folders")) == tmp_path / "media"

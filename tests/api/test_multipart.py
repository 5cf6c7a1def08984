"""The multipart flow with three parts: initiate, PUT each part to its signed URL (each answers its
ETag), complete with the ETags, poll until ready, clip; and what it refuses on the way."""

from __future__ import annotations

import hashlib
import struct

import pytest

from engine import MIN_PART_BYTES
from tests import media
from tests.api.conftest import Client

PART = MIN_PART_BYTES  # 5 MiB


@pytest.fixture(scope="module")
def big_video(source, tmp_path_factory):
    """The 4-second test video followed by a 'free' box of padding (valid MP4, ignored by readers), so
    that it needs three 5 MiB parts."""
    path = tmp_path_factory.mktemp("multipart") / "big.mp4"
    pad = 2 * PART + 1000
    path.write_bytes(source("h264").read_bytes() + struct.pack(">I", pad + 8) + b"free" + bytes(pad))
    return path


def _initiate(api: Client, data: bytes, **extra):
    return api.ok("POST", "/v1/upload/multipart/initiate", {
        "filename": "big.mp4", "content_type": "video/mp4", "file_size": len(data), "part_size": PART,
        "part_count": -(-len(data) // PART), **extra})


def _put(api: Client, url: str, chunk: bytes):
    return api.request("PUT", url, chunk, auth=False)


def test_three_parts_with_etags_then_ready_then_a_clip(api: Client, big_video, tmp_path):
    data = big_video.read_bytes()
    init = _initiate(api, data)
    assert [p["part_number"] for p in init["parts"]] == [1, 2, 3] and init["expires_in"] == 3600
    assert init["upload_id"] and init["clip_requested"] is False
    etags = []
    for p in reversed(init["parts"]):  # parts may come in any order
        n = p["part_number"]
        reply = _put(api, p["url"], data[(n - 1) * PART:n * PART])
        assert reply.status == 200, reply.body
        assert reply.headers["etag"] == f'"{hashlib.md5(data[(n - 1) * PART:n * PART]).hexdigest()}"'
        etags.append({"part_number": n, "etag": reply.headers["etag"]})
    assert api.ok("GET", f"/v1/upload/{init['file_id']}")["status"] == "pending"
    done = api.ok("POST", "/v1/upload/multipart/complete", {"file_id": init["file_id"], "upload_id": init["upload_id"],
                                                             "parts": etags})
    assert done == {"ok": True, "file_id": init["file_id"], "queued_validation": True}
    upload = api.wait(f"/v1/upload/{init['file_id']}")
    assert upload["status"] == "ready" and upload["file_size"] == len(data)
    job = api.wait(f"/v1/clip/{api.ok('POST', '/v1/clip', {'file_id': init['file_id'], 'start': 2, 'end': 3})['job_id']}")
    out = tmp_path / "clip.mp4"
    out.write_bytes(api.request("GET", job["download_url"], auth=False).body)
    assert [n for _, n in media.frame_numbers(out)] == list(range(60, 90))
    # the parts are gone; the file is whole where the library keeps uploads
    assert api.request("PUT", init["parts"][0]["url"], data[:PART], auth=False).status == 409


def test_what_multipart_refuses(api: Client, big_video):
    data = big_video.read_bytes()
    init = _initiate(api, data)
    ids = {"file_id": init["file_id"], "upload_id": init["upload_id"]}
    url1, url2, url3 = (p["url"] for p in init["parts"])
    short = _put(api, url1, data[:PART - 1])  # every part but the last is part_size bytes
    assert short.status == 400 and short.error["field"] == "file_size"
    assert _put(api, url1 + "0", data[:PART]).status == 401  # a changed signature
    assert _put(api, url1.split("?")[0], data[:PART]).status == 401  # none
    tag1 = _put(api, url1, data[:PART]).headers["etag"]
    refused = api.post("/v1/upload/multipart/complete", {**ids, "parts": [{"part_number": 1, "etag": tag1}]})
    assert refused.status == 400 and refused.error["field"] == "parts"  # parts 2 and 3 missing
    tag2 = _put(api, url2, data[PART:2 * PART]).headers["etag"]
    parts = [{"part_number": 1, "etag": tag1}, {"part_number": 2, "etag": tag2}, {"part_number": 3, "etag": tag1}]
    refused = api.post("/v1/upload/multipart/complete", {**ids, "parts": parts})
    assert refused.status == 400 and refused.error["field"] == "parts[2].part_number"  # never uploaded
    _put(api, url3, data[2 * PART:])
    parts[2]["etag"] = tag1
    refused = api.post("/v1/upload/multipart/complete", {**ids, "parts": parts})
    assert refused.status == 400 and refused.error["field"] == "parts[2].etag"
    refreshed = api.ok("POST", "/v1/upload/multipart/refresh", {**ids, "part_numbers": [3]})
    assert [p["part_number"] for p in refreshed["parts"]] == [3]
    assert api.post("/v1/upload/multipart/refresh", {**ids, "part_numbers": [4]}).status == 400
    wrong = api.post("/v1/upload/multipart/complete", {**ids, "upload_id": "mpu_nope", "parts": parts})
    assert wrong.status == 404 and wrong.error["field"] == "upload_id"
    assert api.ok("POST", "/v1/upload/multipart/abort", ids)["aborted"] is True
    assert api.get(f"/v1/upload/{init['file_id']}").status == 404
    assert _put(api, url2, data[PART:2 * PART]).status == 404


def test_initiate_checks_the_sizes(api: Client):
    small = api.post("/v1/upload/multipart/initiate", {"filename": "a.mp4", "file_size": 20 * PART, "part_size": 1024})
    assert small.status == 400 and small.error["field"] == "part_size"
    count = api.post("/v1/upload/multipart/initiate", {"filename": "a.mp4", "file_size": 3 * PART, "part_size": PART,
                                                       "part_count": 64})
    assert count.status == 400 and count.error["field"] == "part_count"
    huge = api.post("/v1/upload/multipart/initiate", {"filename": "a.mp4", "file_size": 6 * 10**9, "part_size": PART})
    assert huge.status == 400 and huge.error["field"] == "file_size"

"""The seed's cURL flow against the local server, with only the base URL changed: request an upload,
PUT the bytes, poll until ready, clip, poll until complete, download; then the downloaded file is
checked frame by frame. Also the one-shot clip at upload time, and the download's HTTP Range."""

from __future__ import annotations

from fractions import Fraction

from tests import media
from tests.api.conftest import Client

FPS = 30


def _frames(path):
    return [n for _, n in media.frame_numbers(path)]


def test_the_seed_curl_flow_runs_unchanged_but_for_the_base_url(api: Client, source, tmp_path):
    src = source("h264")
    data = src.read_bytes()
    # 1) Request single upload URL
    req = api.ok("POST", "/v1/upload/request", {"filename": "source.mp4", "content_type": "video/mp4",
                                                "file_size": len(data)})
    assert set(req) == {"file_id", "upload_url", "expires_in", "clip_requested"}
    assert req["expires_in"] == 3600 and req["clip_requested"] is False
    assert req["upload_url"].startswith(api.base + "/")
    # 2) PUT bytes to upload_url (no FastClip auth header)
    put = api.request("PUT", req["upload_url"], data, headers={"Content-Type": "video/mp4"}, auth=False)
    assert put.status == 200, put.body
    # 3) Poll upload
    upload = api.wait(f"/v1/upload/{req['file_id']}")
    assert upload == {**upload, "status": "ready", "filename": "source.mp4", "file_size": len(data),
                      "media_kind": "video", "has_video": True, "has_audio": True, "max_height": 240,
                      "error": None, "clip_requested": False, "clip_job_id": None, "expires_at": None}
    assert abs(upload["duration"] - 4.0) < 0.05 and upload["duration_seconds"] == upload["duration"]
    assert list(upload) == ["file_id", "status", "filename", "content_type", "file_size", "duration",
                            "duration_seconds", "max_height", "format_detected", "media_kind", "has_video",
                            "has_audio", "error", "created_at", "expires_at", "clip_requested", "clip_job_id"]
    # 4) Create clip
    job = api.ok("POST", "/v1/clip", {"file_id": req["file_id"], "start": 1, "end": 3, "format": "mp4",
                                      "quality": "1080p"})
    assert job == {"job_id": job["job_id"], "status": "pending"}
    # 5) Poll job
    done = api.wait(f"/v1/clip/{job['job_id']}")
    assert done["status"] == "complete", done
    for field in ("job_id", "status", "progress", "status_message", "download_url", "file_name", "format",
                  "quality", "aspect_ratio", "saved_to_library", "clip_id", "share_url", "embed_url", "cost",
                  "balance"):
        assert field in done, field
    assert done["progress"] == 100 and done["file_name"] == "source_0-1-0-3.mp4" and done["format"] == "mp4"
    assert done["saved_to_library"] is True and done["cost"] == 0 and done["balance"] is None
    assert done["aspect_ratio"] == "4:3"
    # 6) Download, and check what came down
    reply = api.request("GET", done["download_url"], auth=False)
    assert reply.status == 200 and reply.headers["content-type"] == "video/mp4"
    out = tmp_path / done["file_name"]
    out.write_bytes(reply.body)
    assert _frames(out) == list(range(1 * FPS, 3 * FPS))  # frames 30..89: exactly 1 s to 3 s
    info = media.probe(out)
    assert abs(Fraction(info["duration"]) - 2) < Fraction(1, 10)


def test_the_one_shot_clip_at_upload_time(api: Client, source, tmp_path):
    file_id = api.upload(source("h264"), clip={"start": 0, "end": 2, "source_title": "My Source"})
    upload = api.wait(f"/v1/upload/{file_id}")
    assert upload["status"] == "ready" and upload["clip_requested"] is True
    while upload["clip_job_id"] is None:  # queued by the server once the upload is ready
        upload = api.ok("GET", f"/v1/upload/{file_id}")
    done = api.wait(f"/v1/clip/{upload['clip_job_id']}")
    assert done["status"] == "complete" and done["file_name"] == "My Source.mp4"
    out = tmp_path / "one_shot.mp4"
    out.write_bytes(api.request("GET", done["download_url"], auth=False).body)
    assert _frames(out) == list(range(0, 2 * FPS))


def test_a_one_shot_clip_that_breaks_a_rule_is_a_failed_job_saying_why(api: Client, source):
    file_id = api.upload(source("h264"), clip={"start": 1, "end": 30})
    upload = api.wait(f"/v1/upload/{file_id}")
    while upload["clip_job_id"] is None:
        upload = api.ok("GET", f"/v1/upload/{file_id}")
    failed = api.ok("GET", f"/v1/clip/{upload['clip_job_id']}")
    assert failed["status"] == "failed" and "past the end" in failed["error"]["message"]


def test_the_download_url_serves_ranges_for_a_video_tag(api: Client, ready_file):
    done = api.wait(f"/v1/clip/{api.ok('POST', '/v1/clip', {'file_id': ready_file, 'start': 0, 'end': 1})['job_id']}")
    whole = api.request("GET", done["download_url"], auth=False).body
    part = api.request("GET", done["download_url"], headers={"Range": "bytes=100-199"}, auth=False)
    assert part.status == 206 and part.body == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    tail = api.request("GET", done["download_url"], headers={"Range": "bytes=-50"}, auth=False)
    assert tail.status == 206 and tail.body == whole[-50:]
    past = api.request("GET", done["download_url"], headers={"Range": f"bytes={len(whole) + 10}-"}, auth=False)
    assert past.status == 416
    head = api.request("HEAD", done["download_url"], auth=False)
    assert head.status == 200 and int(head.headers["content-length"]) == len(whole) and not head.body
    # with the key instead of the signature; never without either
    path = done["download_url"].split("?")[0]
    assert api.request("GET", path).body == whole
    assert api.request("GET", path, auth=False).status == 401
    assert api.request("GET", done["download_url"].replace("sig=", "sig=0"), auth=False).status == 401

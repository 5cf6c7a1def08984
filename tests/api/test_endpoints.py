"""Every error code's path (400, 401, 403, 404, 409, 410, 413, 422), in the one shape
{"error": {"code", "message", "field"}}; and the resources: clips, keys, webhooks, caption
presets and fonts, transcripts and captions."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests import media
from tests.api.conftest import Client, fastclip
from tests.engine.captions.test_burn_in import speech_video
from tests.fixtures import speech

ROOT = Path(__file__).resolve().parents[2]


def _error(reply, status: int, code: str, field=...):
    assert reply.status == status, (reply.status, reply.body[:400])
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
    if field is not ...:
        assert body["error"]["field"] == field, body
    return body["error"]


def test_401_without_a_valid_key_except_health_docs_and_signed_urls(api: Client, api_server):
    for path in ("/v1/clips", "/v1/keys", "/v1/webhooks", "/v1/caption-presets", "/v1/upload/upl_000000000000",
                 "/v1/clip/job_000000000000"):
        _error(api.get(path, auth=False), 401, "unauthorized", "Authorization")
        _error(api.get(path, headers={"Authorization": "Bearer sk_local_" + "0" * 48}), 401, "unauthorized")
        _error(api.get(path, headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    _error(api.post("/v1/clip", {"file_id": "x"}, auth=False), 401, "unauthorized")
    assert api.get("/health", auth=False).json() == {"status": "ok"}
    spec = api.get("/openapi.json", auth=False).json()
    assert spec["openapi"].startswith("3.") and "/v1/clip" in spec["paths"] and "/v1/upload/request" in spec["paths"]
    page = api.get("/docs", auth=False)
    assert page.status == 200 and b"swagger" in page.body.lower()
    assert api.get("/docs/assets/swagger-ui-bundle.js", auth=False).status == 200
    _error(api.get("/docs/assets/..%2F..%2F__init__.py", auth=False), 404, "not_found")
    # a deleted key stops working at once
    key = api.ok("POST", "/v1/keys", {"name": "temporary"}, status=201)
    assert api.get("/v1/keys", headers={"Authorization": f"Bearer {key['key']}"}).status == 200
    api.ok("DELETE", f"/v1/keys/{key['key_id']}")
    _error(api.get("/v1/keys", headers={"Authorization": f"Bearer {key['key']}"}), 401, "unauthorized")


def test_400_names_the_field(api: Client, ready_file):
    _error(api.request("POST", "/v1/clip", b"{not json", headers={"Content-Type": "application/json"}),
           400, "invalid_request", "body")
    _error(api.request("POST", "/v1/clip", b"[1, 2]"), 400, "invalid_request", "body")
    _error(api.request("POST", "/v1/clip", b'{"start": NaN}'), 400, "invalid_request", "body")
    _error(api.post("/v1/clip", {"start": 1}), 400, "invalid_request", "file_id")
    _error(api.post("/v1/clip", {"file_id": ready_file, "start": "abc"}), 400, "invalid_request", "start")
    _error(api.post("/v1/clip", {"file_id": ready_file, "segments": [{"start": 0, "end": 1}, {"start": 1, "end": "x"}]}),
           400, "invalid_request", "segments[1].end")
    _error(api.post("/v1/clip", {"file_id": ready_file, "start": 0, "end": 1, "format": "avi"}),
           400, "invalid_request", "format")
    _error(api.post("/v1/clip", {"file_id": ready_file, "start": 0, "end": 1, "format": "mp3", "quality": "720p"}),
           400, "invalid_request", "quality")
    _error(api.post("/v1/clip", {"file_id": ready_file, "start": True}), 400, "invalid_request", "start")
    _error(api.post("/v1/upload/request", {"filename": "a.mp4", "file_size": "10"}), 400, "invalid_request", "file_size")
    _error(api.post("/v1/upload/request", {"filename": "../../etc/passwd", "file_size": 10}),
           400, "invalid_request", "filename")
    _error(api.post("/v1/upload/request", {"filename": "a\u202egpj.mp4", "file_size": 10}),
           400, "invalid_request", "filename")
    _error(api.post("/v1/upload/request", {"filename": "a.mp4", "file_size": 6 * 10**9}),
           400, "invalid_request", "file_size")
    _error(api.post("/v1/upload/request", {"filename": "a.mp4", "file_size": 10, "clip": {"start": "x"}}),
           400, "invalid_request", "clip.start")


def test_403_404_409_410_413_422(api: Client, api_server, ready_file, source):
    # 403: a local path outside the folders the settings allow
    _error(api.post("/v1/upload/local", {"path": "/etc/passwd"}), 403, "forbidden", "path")
    # 404: unknown things, malformed ids, unknown endpoints
    _error(api.get(f"/v1/clip/job_{'0' * 12}"), 404, "not_found", "job_id")
    _error(api.get("/v1/clip/../../etc/passwd"), 404, "not_found")
    _error(api.get(f"/v1/clips/{uuid.uuid4()}"), 404, "not_found", "clip_id")
    _error(api.get("/v1/files/..%2F..%2Flibrary.db"), 404, "not_found")
    _error(api.get("/v1/nothing-here"), 404, "not_found")
    _error(api.post("/v1/clip", {"file_id": f"upl_{'0' * 12}", "start": 0, "end": 1}), 404, "not_found", "file_id")
    _error(api.request("DELETE", "/v1/clip"), 405, "method_not_allowed")
    # 409: an upload whose bytes have not come
    pending = api.ok("POST", "/v1/upload/request", {"filename": "later.mp4", "file_size": 1000})
    _error(api.post("/v1/clip", {"file_id": pending["file_id"], "start": 0, "end": 1}), 409, "conflict", "file_id")
    put = api.request("PUT", pending["upload_url"], b"x" * 10, auth=False)
    _error(put, 400, "invalid_request", "file_size")  # not the 1000 bytes announced
    # 410: the source moved after it was imported in place
    moved = api_server.home / "local" / "moved.mp4"
    shutil.copy(source("h264"), moved)
    local = api.ok("POST", "/v1/upload/local", {"path": str(moved)})
    assert api.wait(f"/v1/upload/{local['file_id']}")["status"] == "ready"
    moved.unlink()
    _error(api.post("/v1/clip", {"file_id": local["file_id"], "start": 0, "end": 1}), 410, "gone", "file_id")
    # 413: a JSON body over 1 MiB
    _error(api.request("POST", "/v1/clip", b"{" + b" " * (1024 * 1024 + 1) + b"}"), 413, "payload_too_large")
    # 422: validation of times
    _error(api.post("/v1/clip", {"file_id": ready_file, "start": 1, "end": 60}), 422, "invalid_request", "end")
    _error(api.post("/v1/clip", {"file_id": ready_file, "segments": [{"start": 0, "end": 1}, {"start": 2, "end": 2.1}]}),
           422, "invalid_request", "segments[1].end")


def test_an_upload_that_is_not_media_fails_with_the_reason(api: Client, tmp_path):
    text = tmp_path / "notes.mp4"
    media.text_file(text)
    file_id = api.upload(text)
    failed = api.wait(f"/v1/upload/{file_id}")
    assert failed["status"] == "failed" and "text file" in failed["error"]
    _error(api.post("/v1/clip", {"file_id": file_id, "start": 0, "end": 1}), 409, "conflict", "file_id")


def test_segments_answer_job_ids_and_the_library_manages_clips(api: Client, ready_file):
    jobs = api.ok("POST", "/v1/clip", {"file_id": ready_file, "segments": [{"start": 0, "end": 1},
                                                                            {"start": 2, "end": 3}], "mode": "keyframe"})
    assert set(jobs) == {"job_ids", "status"} and len(jobs["job_ids"]) == 2 and jobs["status"] == "pending"
    done = [api.wait(f"/v1/clip/{j}") for j in jobs["job_ids"]]
    ids = [d["clip_id"] for d in done]
    listed = api.ok("GET", f"/v1/clips?file_id={ready_file}&limit=100")
    assert set(ids) <= {c["clip_id"] for c in listed["data"]} and listed["total"] >= 2
    renamed = api.ok("PATCH", f"/v1/clips/{ids[0]}", {"title": "Opening"})
    assert renamed["title"] == "Opening"
    _error(api.request("PATCH", f"/v1/clips/{ids[0]}", {"title": "x" * 201}), 400, "invalid_request", "title")
    assert api.ok("POST", f"/v1/clips/{ids[0]}/pin")["pinned"] is True
    assert api.ok("GET", f"/v1/clips/{ids[0]}")["expires_at"] is None
    assert api.ok("POST", f"/v1/clips/{ids[0]}/unpin")["pinned"] is False
    gone = str(uuid.uuid4())
    result = api.ok("POST", "/v1/clips/bulk-delete", {"clip_ids": [ids[1], gone]})
    assert result == {"deleted": [ids[1]], "not_found": [gone]}
    _error(api.post("/v1/clips/bulk-delete", {"clip_ids": [str(uuid.uuid4()) for _ in range(51)]}),
           400, "invalid_request", "clip_ids")
    assert api.ok("DELETE", f"/v1/clips/{ids[0]}") == {"deleted": True, "clip_id": ids[0]}
    _error(api.get(f"/v1/clips/{ids[0]}"), 404, "not_found")
    _error(api.get(done[0]["download_url"], auth=False), 404, "not_found", "clip_id")


def test_keys(api: Client, api_server):
    made = api.ok("POST", "/v1/keys", {"name": "script"}, status=201)
    assert made["key"].startswith("sk_local_") and made["name"] == "script"
    listed = api.ok("GET", "/v1/keys")
    assert made["key_id"] in {k["key_id"] for k in listed} and all("key" not in k for k in listed)
    _error(api.post("/v1/keys", {"name": "x" * 101}), 400, "invalid_request", "name")
    cli = json.loads(fastclip(api_server.home, "keys", "list", "--json").stdout)
    assert made["key_id"] in {k["key_id"] for k in cli}
    fastclip(api_server.home, "keys", "delete", made["key_id"])
    _error(api.request("DELETE", f"/v1/keys/{made['key_id']}"), 404, "not_found", "key_id")


class _Receiver(http.server.BaseHTTPRequestHandler):
    got: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.got.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhooks_crud_test_and_deliveries(api: Client, ready_file):
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        hook = api.ok("POST", "/v1/webhooks", {"url": url, "events": ["clip.complete"]}, status=201)
        assert hook["secret"].startswith("whsec_")
        assert "secret" not in api.ok("GET", f"/v1/webhooks/{hook['webhook_id']}")
        assert hook["webhook_id"] in {h["webhook_id"] for h in api.ok("GET", "/v1/webhooks")}
        _error(api.post("/v1/webhooks", {"url": url, "events": ["nope"]}), 400, "invalid_request", "events")
        _error(api.post("/v1/webhooks", {"url": "ftp://x", "events": ["clip.complete"]}), 400, "invalid_request", "url")
        tested = api.ok("POST", f"/v1/webhooks/{hook['webhook_id']}/test")
        assert tested["delivered"] is True and tested["status_code"] == 204
        job = api.ok("POST", "/v1/clip", {"file_id": ready_file, "start": 0, "end": 1, "mode": "keyframe"})
        api.wait(f"/v1/clip/{job['job_id']}")
        deadline = time.monotonic() + 30
        while not any(b.get("event") == "clip.complete" and b["data"]["job_id"] == job["job_id"]
                      for _, b in _Receiver.got):
            assert time.monotonic() < deadline, "clip.complete was not delivered"
            time.sleep(0.1)
        headers = next(h for h, b in _Receiver.got if b.get("event") == "clip.complete")
        assert headers["X-FastClip-Signature"].startswith("sha256=")
        sent = api.ok("GET", f"/v1/webhooks/{hook['webhook_id']}/deliveries")["data"]
        assert any(d["event"] == "clip.complete" for d in sent)
        changed = api.ok("PATCH", f"/v1/webhooks/{hook['webhook_id']}", {"events": ["clip.failed"]})
        assert changed["events"] == ["clip.failed"]
        assert api.ok("DELETE", f"/v1/webhooks/{hook['webhook_id']}")["deleted"] is True
        _error(api.get(f"/v1/webhooks/{hook['webhook_id']}"), 404, "not_found", "webhook_id")
    finally:
        receiver.shutdown()


def test_caption_presets_and_fonts(api: Client):
    builtin = api.ok("GET", "/v1/caption-presets?scope=built_in")
    assert len(builtin) == 16 and all(p["preset_ref"].startswith("builtin:") for p in builtin)
    _error(api.get("/v1/caption-presets?scope=mine"), 400, "invalid_request", "scope")
    font_file = next((ROOT / "fonts" / "bangers").glob("*.ttf"))
    boundary = "fastclipboundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"My Font.ttf\"\r\n"
            "Content-Type: font/ttf\r\n\r\n").encode() + font_file.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    font = api.ok("POST", "/v1/caption-fonts?filename=MyFont.ttf", form, status=201,
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert font["family"] == "Bangers" and font["filename"] == "MyFont.ttf" and "path" not in font
    fake = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.ttf\"\r\n\r\n"
            "not a font\r\n" f"--{boundary}--\r\n").encode()
    _error(api.request("POST", "/v1/caption-fonts", fake,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}), 422, "unsupported_media")
    _error(api.request("POST", "/v1/caption-fonts?filename=../../x.ttf", form,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}),
           400, "invalid_request", "filename")
    preset = api.ok("POST", "/v1/caption-presets", {"name": "Mine", "clone_from_preset_ref": "builtin:short-form-karaoke",
                                                    "font_source": "upload", "font_id": font["font_id"],
                                                    "font_size": 90}, status=201)
    assert preset["font_id"] == font["font_id"] and preset["font_size"] == 90
    assert api.ok("PATCH", f"/v1/caption-presets/{preset['preset_ref']}", {"name": "Mine 2"})["name"] == "Mine 2"
    _error(api.request("PATCH", f"/v1/caption-presets/{preset['preset_ref']}", {"font_size": "big"}),
           400, "invalid_request", "font_size")
    _error(api.request("DELETE", f"/v1/caption-fonts/{font['font_id']}"), 409, "conflict")  # a preset uses it
    api.ok("DELETE", f"/v1/caption-presets/{preset['preset_ref']}")
    _error(api.request("DELETE", "/v1/caption-presets/builtin:short-form-karaoke"), 409, "conflict", "preset_ref")
    assert api.ok("DELETE", f"/v1/caption-fonts/{font['font_id']}")["deleted"] is True


@pytest.mark.slow
def test_transcript_and_captions(api: Client, api_server):
    assert speech.espeak_available(), "these tests need espeak-ng"
    talk = speech_video(api_server.home / "local" / "talk.mp4")
    file_id = api.ok("POST", "/v1/upload/local", {"path": str(talk)})["file_id"]
    assert api.wait(f"/v1/upload/{file_id}")["status"] == "ready"
    transcript = api.ok("POST", "/v1/transcript", {"file_id": file_id}, timeout=300)
    assert transcript["cost"] == 0 and transcript["balance"] is None and transcript["text"].startswith("[0:00:0")
    assert speech.wer(speech.FIRST, " ".join(s["text"] for s in transcript["segments"])) < 0.25
    assert all({"start", "end", "text"} <= set(s) for s in transcript["segments"])
    job = api.ok("POST", "/v1/captions", {"file_id": file_id, "preset_ref": "builtin:short-form-karaoke"})
    assert set(job) == {"job_id", "status", "reserved"}
    done = api.wait(f"/v1/captions/{job['job_id']}", timeout=180)
    assert done["status"] == "complete" and done["captioned"] is True and done["download_url"]
    _error(api.post("/v1/captions", {"clip_id": done["clip_id"], "preset_ref": "builtin:short-form-karaoke"}),
           400, "invalid_request", "clip_id")  # captioned clips cannot be captioned again
    _error(api.post("/v1/captions", {"file_id": file_id, "clip_id": done["clip_id"], "preset_ref": "builtin:x"}),
           400, "invalid_request")

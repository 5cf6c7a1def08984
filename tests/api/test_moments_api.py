"""AI analyze and auto-clip through the local API (POST /v1/clip/analyze, POST /v1/clip/auto), as a
script of the cloud API calls them: the shared real server on loopback, the Moments recording
(tests/fixtures/moments) uploaded with the seed's simple flow, its transcript already in the
server's cache (as after POST /v1/transcript), the real text-embedding model. No mocks."""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import time

import pytest

from tests import media
from tests.api.conftest import Client
from tests.api.test_endpoints import _error
from tests.fixtures import moments as fixture

pytestmark = pytest.mark.timeout(300)
CHURN = "where do they talk about customers leaving"


@pytest.fixture(scope="module")
def talk(api_server, moments_media):
    moments_media.warm(api_server.home)
    client = Client(api_server.url, api_server.key)
    file_id = client.upload(moments_media.recording.path)
    assert client.wait(f"/v1/upload/{file_id}")["status"] == "ready"
    return file_id, moments_media.recording


def test_analyze_answers_the_apis_segments_ranked_by_meaning(api: Client, talk):
    file_id, rec = talk
    d = api.ok("POST", "/v1/clip/analyze", {"file_id": file_id, "query": CHURN})
    assert list(d)[:3] == ["segments", "cost", "balance"] and d["cost"] == 0 and d["balance"] is None
    top = d["segments"][0]
    assert list(top)[:4] == ["start", "end", "excerpt", "confidence"] \
        and any(r.startswith("matches the query") for r in top["reasons"])
    assert rec.topic_at(top["start"], top["end"]) == "churn" and 0.5 < top["confidence"] <= 1
    spans = sorted((s["start"], s["end"]) for s in d["segments"])
    assert all(15 <= e - s <= 60 for s, e in spans) and all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    # the same file and query again: the analysis already made (the job of the first answer)
    assert api.ok("POST", "/v1/clip/analyze", {"file_id": file_id, "query": CHURN})["job_id"] == d["job_id"]


def test_analyze_without_a_query_finds_highlights_on_speech_and_honours_count(api: Client, talk):
    file_id, rec = talk
    d = api.ok("POST", "/v1/clip/analyze", {"file_id": file_id, "count": 2, "min_duration": 10,
                                            "max_duration": 30})
    assert 1 <= len(d["segments"]) <= 2
    for s in d["segments"]:
        assert 10 <= s["end"] - s["start"] <= 30 and rec.not_speech(s["start"], s["end"]) <= 1.0
    nothing = api.ok("POST", "/v1/clip/analyze", {"file_id": file_id, "query": fixture.OFF_TOPIC})
    assert all(s["confidence"] < 0.5 for s in nothing["segments"]), "a query about nothing here scores low"


def test_auto_clip_is_one_job_whose_clips_download_and_whose_segments_send_webhooks(api: Client, talk):
    file_id, rec = talk
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = api.ok("POST", "/v1/webhooks", {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                                           "events": ["clip.auto.segment_complete", "clip.auto.segment_failed"]},
                  status=201)
    try:
        queued = api.ok("POST", "/v1/clip/auto", {"file_id": file_id, "query": "how to prepare an Italian meal",
                                                  "count": 2, "format": "m4a"})
        assert queued == {"job_id": queued["job_id"], "status": "pending", "reserved": 0}
        done = api.wait(f"/v1/clip/{queued['job_id']}", timeout=180)
        assert done["status"] == "complete" and done["kind"] == "auto", done
        clips = done["clips"]
        assert 1 <= len(clips) <= 2 and rec.topic_at(clips[0]["start"], clips[0]["end"]) == "cooking"
        for c in clips:
            assert {"start", "end", "excerpt", "confidence", "clip_id", "format"} <= set(c) and c["format"] == "m4a"
            assert c["download_url"].startswith(api.base + f"/v1/files/{c['clip_id']}?")
            got = api.get(c["download_url"], auth=False)
            assert got.status == 200 and got.body[4:8] == b"ftyp" and len(got.body) > 10_000
            assert c["clip_id"] in {x["clip_id"] for x in api.ok("GET", f"/v1/clips?file_id={file_id}")["data"]}
        deadline = time.monotonic() + 30
        while len(_Hooks.events("clip.auto.segment_complete", queued["job_id"])) < len(clips):
            assert time.monotonic() < deadline, f"segment webhooks not delivered: {_Hooks.got}"
            time.sleep(0.1)
        sent = _Hooks.events("clip.auto.segment_complete", queued["job_id"])
        assert sorted(e["clip_id"] for e in sent) == sorted(c["clip_id"] for c in clips)
        assert all({"start", "end", "excerpt", "confidence", "segment_index"} <= set(e) for e in sent)
    finally:
        api.request("DELETE", f"/v1/webhooks/{hook['webhook_id']}")
        receiver.shutdown()


@pytest.mark.parametrize("path, body, status, field", [
    ("/v1/clip/analyze", {"query": "x" * 501}, 400, "query"),
    ("/v1/clip/analyze", {"query": 5}, 400, "query"),
    ("/v1/clip/analyze", {"count": 0}, 400, "count"),
    ("/v1/clip/analyze", {"count": 2.5}, 400, "count"),
    ("/v1/clip/analyze", {"count": 10**400}, 400, "count"),
    ("/v1/clip/analyze", {"max_duration": 601}, 400, "max_duration"),
    ("/v1/clip/analyze", {"min_duration": 30, "max_duration": 20}, 400, "max_duration"),
    ("/v1/clip/auto", {"query": "x" * 501}, 400, "query"),
    ("/v1/clip/auto", {"format": "gif"}, 400, "format"),
    ("/v1/clip/auto", {"format": "mp3", "captions": {"preset_ref": "builtin:short-form-karaoke"}}, 400, "captions"),
    ("/v1/clip/auto", {"format": "mp3", "quality": "720p"}, 400, "quality"),
    ("/v1/clip/auto", {"format": "avi"}, 400, "format"),
    ("/v1/clip/auto", {"captions": {"preset_ref": "builtin:no-such-style"}}, 404, "preset_ref"),
])
def test_what_the_api_refuses_is_refused_before_a_job_exists(api: Client, talk, path, body, status, field):
    file_id, _ = talk
    before = len(api.ok("GET", "/v1/clips?limit=100")["data"])
    reply = api.post(path, {"file_id": file_id, **body})
    _error(reply, status, "not_found" if status == 404 else "invalid_request", field)
    assert len(api.ok("GET", "/v1/clips?limit=100")["data"]) == before


def test_an_unknown_or_silent_source_is_refused(api: Client, tmp_path):
    _error(api.post("/v1/clip/analyze", {"file_id": f"upl_{'0' * 12}"}), 404, "not_found", "file_id")
    _error(api.post("/v1/clip/auto", {"query": "x"}), 400, "invalid_request", "file_id")
    silent = api.upload(media.make_video(tmp_path / "silent.mp4", duration=1.0, audio=False))
    assert api.wait(f"/v1/upload/{silent}")["status"] == "ready"
    _error(api.post("/v1/clip/analyze", {"file_id": silent}), 400, "invalid_request", "file_id")
    _error(api.post("/v1/clip/auto", {"file_id": silent}), 400, "invalid_request", "file_id")


class _Hooks(http.server.BaseHTTPRequestHandler):
    got: list = []

    @classmethod
    def events(cls, event: str, job_id: str) -> list[dict]:
        return [b["data"] for b in cls.got if b.get("event") == event and b["data"].get("job_id") == job_id]

    def do_POST(self):  # noqa: N802 - the handler method http.server calls
        _Hooks.got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

"""Webhook delivery: signed canonical POSTs to a real HTTP server on 127.0.0.1, retries, timeouts.

The library is a real SQLite file in FASTCLIP_HOME with a clock the test moves; the dispatcher
gets the same clock, so a backoff is crossed by moving it, never by sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from datetime import timedelta

import pytest

from engine.library import deliveries as webhooks
from engine.errors import UnsupportedMedia
from engine.library import iso, parse_iso
from engine.library.deliveries import (
    BACKOFF_S,
    Dispatcher,
    Outcome,
    flush_deliveries,
    send_test_event,
    verify_signature,
)
from tests.engine.library import test_library as base

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures

CLIP_DONE = {"job_id": "job_123", "clip_id": "d9d54c23", "format": "mp3", "quality": "", "duration": 32.4,
             "file_name": "Café – été.mp3", "cost": 0}


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers as a test tells it.

    ``statuses``: the codes to answer with, in order (then 200). ``delay_s``: how long to wait
    before answering (cut short when the test ends).
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay_s = 0.0
        self.release = threading.Event()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._arrived.notify_all()
                if receiver.delay_s:
                    receiver.release.wait(receiver.delay_s)
                reply = b"ok" if status < 300 else b"the receiver is having a bad day"
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # a client that gave up: expected here
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout_s: float = 5.0) -> list[dict]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.requests) >= n, timeout_s), self.requests
        return self.requests

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout_s: float):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if (value := predicate()):
            return value
        time.sleep(0.02)
    raise AssertionError(f"not true within {timeout_s} s")


# -- what is sent -------------------------------------------------------------------------------------


def test_a_delivery_is_the_signed_canonical_envelope(lib, clock, receiver):
    hook = lib.add_webhook(receiver.url("/hooks/fastclip?src=desktop"), ["clip.complete"], secret="s3cret-value")
    [queued] = lib.queue_event("clip.complete", CLIP_DONE)
    assert Dispatcher(lib, clock=clock).deliver_due() == 1
    [got] = receiver.requests
    assert got["path"] == "/hooks/fastclip?src=desktop"
    body, h = got["body"], got["headers"]
    # the body is exactly the canonical JSON of the API's envelope, and that is what is signed
    envelope = {"event": "clip.complete", "data": CLIP_DONE}
    assert json.loads(body) == envelope
    assert body == json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    expected = hmac.new(b"s3cret-value", body, hashlib.sha256).hexdigest()  # as a receiver checks it
    assert h["X-FastClip-Signature"] == f"sha256={expected}"
    assert verify_signature("s3cret-value", body, h["X-FastClip-Signature"])
    assert not verify_signature("another-secret", body, h["X-FastClip-Signature"])
    assert not verify_signature("s3cret-value", body.replace(b"32.4", b"32.5"), h["X-FastClip-Signature"])
    assert h["X-FastClip-Event"] == "clip.complete"
    assert h["X-FastClip-Delivery-ID"] == queued.delivery_id
    assert h["Content-Type"] == "application/json"
    assert h["User-Agent"].startswith("FastClip-Desktop/")
    assert int(h["Content-Length"]) == len(body)
    d = lib.get_delivery(queued.delivery_id)
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == ("delivered", 1, 200, None)
    assert d.delivered_at == iso(clock()) and d.next_attempt_at is None
    assert lib.list_deliveries(hook.webhook_id) == [d]


def test_only_subscribed_webhooks_get_an_event(lib, clock, receiver):
    lib.add_webhook(receiver.url("/a"), ["clip.complete"])
    lib.add_webhook(receiver.url("/b"), ["upload.ready", "upload.failed"])
    lib.add_webhook(receiver.url("/c"), ["clip.failed", "clip.complete"])
    lib.queue_event("clip.complete", CLIP_DONE)
    assert Dispatcher(lib, clock=clock).deliver_due() == 2
    assert sorted(r["path"] for r in receiver.requests) == ["/a", "/c"]
    assert {r["headers"]["X-FastClip-Event"] for r in receiver.requests} == {"clip.complete"}
    lib.queue_event("clip.expired", {"clip_id": "d9d54c23"})  # nobody subscribes
    lib.queue_event("upload.failed", {"file_id": "upl_x", "error": "not media"})
    assert Dispatcher(lib, clock=clock).deliver_due() == 1
    assert receiver.requests[-1]["path"] == "/b" and len(receiver.requests) == 3
    assert json.loads(receiver.requests[-1]["body"])["event"] == "upload.failed"


# -- retries ------------------------------------------------------------------------------------------


def test_a_500_is_retried_after_the_backoff(lib, clock, receiver):
    receiver.statuses = [500, 200]
    hook = lib.add_webhook(receiver.url(), ["upload.ready"])
    [queued] = lib.queue_event("upload.ready", {"file_id": "upl_a1b2c3d4e5f6", "filename": "source.mp4"})
    dispatcher = Dispatcher(lib, clock=clock)
    assert dispatcher.deliver_due() == 1
    d = lib.get_delivery(queued.delivery_id)
    assert (d.status, d.attempts, d.last_status_code) == ("pending", 1, 500)
    assert d.last_error == "HTTP 500 Internal Server Error: the receiver is having a bad day"
    assert d.next_attempt_at == iso(clock() + timedelta(seconds=BACKOFF_S[0]))
    clock.advance(seconds=BACKOFF_S[0] - 1)
    assert dispatcher.deliver_due() == 0 and len(receiver.requests) == 1  # not before its time
    clock.advance(seconds=1)
    assert dispatcher.deliver_due() == 1
    d = lib.get_delivery(queued.delivery_id)
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == ("delivered", 2, 200, None)
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same delivery, the same id, the same signature
    for name in ("X-FastClip-Delivery-ID", "X-FastClip-Signature"):
        assert first["headers"][name] == second["headers"][name]
    assert lib.list_deliveries(hook.webhook_id)[0].attempts == 2


def test_a_dead_endpoint_is_failed_after_the_last_attempt(lib, clock, closed_port):
    lib.add_webhook(f"http://127.0.0.1:{closed_port}/hook", ["clip.failed"])
    [queued] = lib.queue_event("clip.failed", {"job_id": "job_1", "error": "the decoder crashed on this file"})
    dispatcher = Dispatcher(lib, clock=clock)
    assert dispatcher.max_attempts == len(BACKOFF_S) + 1 == 6
    waits = []
    while (d := lib.get_delivery(queued.delivery_id)).status == "pending":
        if d.attempts:
            waits.append(round((parse_iso(d.next_attempt_at) - clock()).total_seconds()))
            clock.t = parse_iso(d.next_attempt_at)
        assert dispatcher.deliver_due() == 1
        assert dispatcher.deliver_due() == 0  # each attempt waits for its time
    assert waits == list(BACKOFF_S)
    assert (d.status, d.attempts, d.last_status_code) == ("failed", 6, None)
    assert d.last_error == f"connection refused by 127.0.0.1:{closed_port}"
    assert d.next_attempt_at is None and lib.due_deliveries(now=clock() + timedelta(days=1)) == []


@pytest.mark.parametrize("status, error", [
    (404, "HTTP 404 Not Found: the receiver is having a bad day"),
    (302, "HTTP 302 Found to http://127.0.0.1:9/elsewhere (webhooks do not follow redirects)"),
])
def test_any_answer_but_2xx_is_a_failed_attempt(lib, clock, receiver, status, error):
    receiver.statuses = [status]
    lib.add_webhook(receiver.url(), ["clip.complete"])
    [queued] = lib.queue_event("clip.complete", CLIP_DONE)
    Dispatcher(lib, clock=clock).deliver_due()
    d = lib.get_delivery(queued.delivery_id)
    assert (d.status, d.last_status_code, d.last_error) == ("pending", status, error)
    assert len(receiver.requests) == 1


def test_a_sender_that_raises_is_one_failed_attempt(lib, clock):
    lib.add_webhook("https://hooks.invalid/x", ["clip.complete"])
    [queued] = lib.queue_event("clip.complete", CLIP_DONE)

    def broken(url, body, headers, timeout_s):
        raise RuntimeError("no network stack today")

    assert Dispatcher(lib, clock=clock, sender=broken).deliver_due() == 1
    d = lib.get_delivery(queued.delivery_id)
    assert (d.status, d.attempts, d.last_error) == ("pending", 1, "RuntimeError: no network stack today")


def test_a_webhook_removed_while_sending_is_forgotten(lib, clock):
    hook = lib.add_webhook("https://hooks.invalid/x", ["clip.complete"])
    lib.queue_event("clip.complete", CLIP_DONE)

    def remove_then_answer(url, body, headers, timeout_s):
        lib.remove_webhook(hook.webhook_id)
        return Outcome(200)

    assert Dispatcher(lib, clock=clock, sender=remove_then_answer).deliver_due() == 1
    assert lib.recent_deliveries() == [] and lib.check_integrity() == []


def test_a_claimed_delivery_is_sent_by_one_dispatcher_only(lib, clock):
    lib.add_webhook("https://hooks.invalid/x", ["clip.complete"])
    [queued] = lib.queue_event("clip.complete", CLIP_DONE)
    claimed = lib.claim_due_delivery(clock(), lease_s=60)
    assert claimed.delivery_id == queued.delivery_id
    assert lib.claim_due_delivery(clock(), lease_s=60) is None  # another thread or process finds nothing
    assert Dispatcher(lib, clock=clock, sender=lambda *a: Outcome(200)).deliver_due() == 0
    clock.advance(seconds=61)  # whoever claimed it died before recording: it is sent again
    assert lib.claim_due_delivery(clock()).delivery_id == queued.delivery_id
    done = lib.record_delivered(queued.delivery_id, 204)
    assert (done.status, done.attempts, done.next_attempt_at) == ("delivered", 1, None)
    clock.advance(hours=1)
    assert lib.claim_due_delivery(clock()) is None


# -- never in a job's way -----------------------------------------------------------------------------


def test_a_slow_endpoint_times_out_in_the_background(lib, clock, receiver):
    receiver.delay_s = 3.0
    lib.add_webhook(receiver.url(), ["clip.complete"])
    dispatcher = Dispatcher(lib, clock=clock, timeout_s=1.0, poll_s=0.05)
    dispatcher.start()
    try:
        t0 = time.monotonic()
        [queued] = lib.queue_event("clip.complete", CLIP_DONE)  # what the job runner does
        dispatcher.wake()
        assert time.monotonic() - t0 < 0.5
        receiver.wait_for(1)
        t1 = time.monotonic()  # the dispatcher is now waiting on the slow server; the runner is not
        lib.queue_event("clip.complete", {**CLIP_DONE, "job_id": "job_124"})
        assert time.monotonic() - t1 < 0.5
        d = wait_until(lambda: (x := lib.get_delivery(queued.delivery_id)).attempts and x, timeout_s=2.5)
        assert 0.9 < time.monotonic() - t0 < 2.5
        assert (d.status, d.last_status_code, d.last_error) == ("pending", None, "timed out after 1 s")
        assert d.next_attempt_at == iso(clock() + timedelta(seconds=BACKOFF_S[0]))
    finally:
        t2 = time.monotonic()
        assert dispatcher.stop()
        assert time.monotonic() - t2 < 2.0
    assert not dispatcher.running


def test_the_background_dispatcher_delivers_what_is_queued(lib, clock, receiver):
    lib.add_webhook(receiver.url(), ["upload.ready"])
    dispatcher = Dispatcher(lib, clock=clock, poll_s=0.05)
    dispatcher.start()
    try:
        queued = [lib.queue_event("upload.ready", {"file_id": f"upl_{i}"})[0] for i in range(3)]
        receiver.wait_for(3)
        wait_until(lambda: all(lib.get_delivery(d.delivery_id).status == "delivered" for d in queued), 2.0)
    finally:
        assert dispatcher.stop()
    assert sorted(json.loads(r["body"])["data"]["file_id"] for r in receiver.requests) == ["upl_0", "upl_1", "upl_2"]


def test_flush_sends_what_is_due(lib, clock, receiver):
    lib.add_webhook(receiver.url(), ["clip.complete", "clip.failed"])
    lib.queue_event("clip.complete", CLIP_DONE)
    lib.queue_event("clip.failed", {"job_id": "job_2"})
    assert flush_deliveries(lib, 5.0, clock=clock) == 2
    assert [d.status for d in lib.recent_deliveries()] == ["delivered", "delivered"]
    assert flush_deliveries(lib, 5.0, clock=clock) == 0


def test_flush_is_bounded_by_its_timeout(lib, clock, receiver):
    receiver.delay_s = 3.0
    lib.add_webhook(receiver.url(), ["clip.complete"])
    lib.queue_event("clip.complete", CLIP_DONE)
    t0 = time.monotonic()
    flush_deliveries(lib, 0.5, clock=clock)
    assert time.monotonic() - t0 < 1.0
    receiver.wait_for(1)
    [d] = wait_until(lambda: [x for x in lib.recent_deliveries() if x.attempts], 2.0)
    assert d.status == "pending" and d.last_error.startswith("timed out after 0.")  # to be retried later


# -- a test event -------------------------------------------------------------------------------------


def test_a_test_event_is_sent_now_signed_and_not_recorded(lib, clock, receiver, closed_port):
    hook = lib.add_webhook(receiver.url(), ["clip.complete"])
    sent = send_test_event(lib, hook.webhook_id, clock=clock)
    assert sent.outcome.delivered and sent.outcome.status_code == 200
    [got] = receiver.requests
    assert got["headers"]["X-FastClip-Event"] == webhooks.TEST_EVENT == "webhook.test"
    assert got["headers"]["X-FastClip-Delivery-ID"] == sent.delivery_id
    assert verify_signature(hook.secret, got["body"], got["headers"]["X-FastClip-Signature"])
    assert json.loads(got["body"])["data"]["webhook_id"] == hook.webhook_id
    assert lib.recent_deliveries() == []
    dead = lib.add_webhook(f"http://127.0.0.1:{closed_port}/", ["clip.complete"])
    failed = send_test_event(lib, dead.webhook_id).to_dict()
    assert (failed["delivered"], failed["status_code"]) == (False, None)
    assert "connection refused" in failed["error"]


def test_recent_deliveries_lists_every_webhooks_newest_first(lib, clock):
    lib.add_webhook("https://a.invalid/h", ["clip.complete"])
    lib.add_webhook("https://b.invalid/h", ["upload.ready"])
    [a] = lib.queue_event("clip.complete", CLIP_DONE)
    clock.advance(seconds=1)
    [b] = lib.queue_event("upload.ready", {"file_id": "upl_1"})
    assert [d.delivery_id for d in lib.recent_deliveries()] == [b.delivery_id, a.delivery_id]
    assert [d.delivery_id for d in lib.recent_deliveries(offset=1, limit=1)] == [a.delivery_id]


# -- what the job runner queues -----------------------------------------------------------------------


def test_event_data_has_the_apis_fields(lib, clock, receiver, tmp_path):
    from engine.library.deliveries import (
        clip_event_data,
        failed_job_event_data,
        media_event_data,
    )

    lib.add_webhook(receiver.url(), ["upload.ready", "upload.failed", "clip.complete", "clip.failed"])
    m = lib.add_media(base.make_file(tmp_path / "sources", "source.mp4"))
    m = lib.mark_media_ready(m.file_id, {"duration": 60.0, "media_kind": "video", "has_video": True,
                                         "has_audio": True, "max_height": 1080, "container": "mp4"})
    upload = media_event_data(m)
    assert {"file_id", "filename", "file_size", "duration", "duration_seconds", "max_height", "format_detected",
            "content_type", "media_kind", "has_video", "has_audio", "clip_requested", "clip_job_id"} <= set(upload)
    assert upload["file_id"] == m.file_id and upload["status"] == "ready" and "streams" not in upload
    bad = lib.add_media(base.make_file(tmp_path / "sources", "bad.mp4", seed=2))
    bad = lib.mark_media_failed(bad.file_id, UnsupportedMedia("bad.mp4 is not media"))
    clip = lib.add_clip(path=base.make_file(lib.clips_dir, "clip.mp4", size=2000), format="mp4", duration=12.5,
                        source_file_id=m.file_id, job_id="job_123", quality="1080p", aspect_ratio="16:9")
    done = clip_event_data(clip)
    assert {"job_id", "clip_id", "format", "quality", "duration", "download_url"} <= set(done)
    assert done["download_url"] == (lib.clips_dir / "clip.mp4").as_uri() and done["job_id"] == "job_123"
    job = lib.fail_job(lib.create_job("clip", {"file_id": m.file_id, "start": 0, "end": 5}).job_id,
                       "the decoder crashed on this file")
    failed = failed_job_event_data(job)
    assert failed["job_id"] == job.job_id and failed["error"]["message"] == "the decoder crashed on this file"
    for event, data in (("upload.ready", upload), ("upload.failed", media_event_data(bad)),
                        ("clip.complete", done), ("clip.failed", failed)):
        lib.queue_event(event, data)  # JSON as they are
    assert Dispatcher(lib, clock=clock).deliver_due() == 4
    sent = [json.loads(r["body"]) for r in receiver.requests]
    assert [e["event"] for e in sent] == ["upload.ready", "upload.failed", "clip.complete", "clip.failed"]
    assert sent[1]["data"]["error"] and sent[2]["data"] == done

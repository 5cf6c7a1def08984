"""Webhooks and deliveries: the records the delivery code will use."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Conflict, InvalidRequest, NotFound
from engine.library import EVENTS, canonical_json
from tests.engine.library import test_library as base

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures


def test_the_events_are_the_apis_that_apply_locally():
    assert set(EVENTS) == {"clip.complete", "clip.failed", "clip.auto.segment_complete", "clip.auto.segment_failed",
                           "upload.ready", "upload.failed", "clip.expired"}


def test_add_get_list_update_remove(lib):
    hook = lib.add_webhook("https://example.com/hooks", ["clip.complete", "upload.ready"])
    assert hook.webhook_id.startswith("wh_") and hook.secret.startswith("whsec_") and len(hook.secret) > 30
    assert hook.events == ("clip.complete", "upload.ready") and hook.created_at == "2026-04-19T10:00:00Z"
    assert "secret" not in hook.to_dict() and hook.to_dict(with_secret=True)["secret"] == hook.secret
    assert lib.get_webhook(hook.webhook_id) == hook
    other = lib.add_webhook("http://localhost:8080/x", ["clip.expired"], secret="s3cret-value")
    assert other.secret == "s3cret-value"
    assert [h.webhook_id for h in lib.list_webhooks()] == [hook.webhook_id, other.webhook_id]
    assert [h.webhook_id for h in lib.list_webhooks("clip.expired")] == [other.webhook_id]
    changed = lib.update_webhook(hook.webhook_id, events=["clip.failed"])
    assert changed.events == ("clip.failed",) and changed.url == hook.url
    assert lib.update_webhook(hook.webhook_id, url="https://example.org/h").url == "https://example.org/h"
    assert lib.remove_webhook(hook.webhook_id).webhook_id == hook.webhook_id
    for call in (lib.get_webhook, lib.remove_webhook, lambda i: lib.update_webhook(i, url="https://a.b"),
                 lib.list_deliveries):
        with pytest.raises(NotFound):
            call(hook.webhook_id)


@pytest.mark.parametrize("url, events, field", [
    ("ftp://example.com", ["clip.complete"], "url"),
    ("example.com/hook", ["clip.complete"], "url"),
    ("https://", ["clip.complete"], "url"),
    ("https://example.com/" + "a" * 3000, ["clip.complete"], "url"),
    ("https://example.com", [], "events"),
    ("https://example.com", ["balance.low"], "events"),  # an API event with no meaning locally
    ("https://example.com", ["clip.complete", "clip.done"], "events"),
    ("https://example.com", "clip.complete", "events"),
])
def test_bad_webhooks_are_invalid(lib, url, events, field):
    with pytest.raises(InvalidRequest) as e:
        lib.add_webhook(url, events)
    assert e.value.field == field
    assert lib.list_webhooks() == []


def test_a_short_secret_is_invalid(lib):
    with pytest.raises(InvalidRequest) as e:
        lib.add_webhook("https://example.com", ["clip.complete"], secret="short")
    assert e.value.field == "secret"


def test_at_most_10_webhooks(lib):
    for i in range(10):
        lib.add_webhook(f"https://example.com/{i}", ["clip.complete"])
    with pytest.raises(InvalidRequest, match="at most 10"):
        lib.add_webhook("https://example.com/10", ["clip.complete"])
    assert len(lib.list_webhooks()) == 10


def test_an_event_queues_one_delivery_per_subscribed_webhook(lib):
    a = lib.add_webhook("https://a.example/h", ["upload.ready", "clip.complete"])
    b = lib.add_webhook("https://b.example/h", ["clip.complete"])
    lib.add_webhook("https://c.example/h", ["clip.expired"])
    data = {"job_id": "job_123", "clip_id": "c1", "format": "mp3", "quality": "", "duration": 32.4}
    queued = lib.queue_event("clip.complete", data)
    assert sorted(d.webhook_id for d in queued) == sorted([a.webhook_id, b.webhook_id])
    d = queued[0]
    assert d.delivery_id.startswith("dlv_") and (d.status, d.attempts, d.event) == ("pending", 0, "clip.complete")
    assert d.payload == data and d.envelope == {"event": "clip.complete", "data": data}
    assert canonical_json(d.envelope).startswith('{"data":{"clip_id":"c1"')  # what gets signed
    assert d.next_attempt_at == d.created_at == "2026-04-19T10:00:00Z"
    assert lib.queue_event("upload.failed", {"file_id": "upl_x"}) == []
    with pytest.raises(InvalidRequest) as e:
        lib.queue_event("balance.low", {})
    assert e.value.field == "event"


def test_attempts_are_recorded_until_delivered_or_given_up(lib, clock):
    hook = lib.add_webhook("https://a.example/h", ["upload.ready"])
    [d] = lib.queue_event("upload.ready", {"file_id": "upl_a1b2c3d4e5f6"})
    assert [x.delivery_id for x in lib.due_deliveries()] == [d.delivery_id]
    retry_at = clock() + timedelta(minutes=5)
    d1 = lib.record_delivery_failure(d.delivery_id, status_code=503, error="Service Unavailable", retry_at=retry_at)
    assert (d1.status, d1.attempts, d1.last_status_code, d1.next_attempt_at) == \
        ("pending", 1, 503, "2026-04-19T10:05:00Z")
    assert lib.due_deliveries() == []
    clock.advance(minutes=5)
    assert [x.delivery_id for x in lib.due_deliveries()] == [d.delivery_id]
    d2 = lib.record_delivered(d.delivery_id, 200)
    assert (d2.status, d2.attempts, d2.last_status_code, d2.delivered_at) == \
        ("delivered", 2, 200, "2026-04-19T10:05:00Z")
    with pytest.raises(Conflict):
        lib.record_delivered(d.delivery_id, 200)
    [e] = lib.queue_event("upload.ready", {"file_id": "upl_2"})
    gave_up = lib.record_delivery_failure(e.delivery_id, error="connection refused")
    assert (gave_up.status, gave_up.last_status_code, gave_up.last_error) == ("failed", None, "connection refused")
    assert [x.delivery_id for x in lib.list_deliveries(hook.webhook_id)] == [e.delivery_id, d.delivery_id]
    assert [x.delivery_id for x in lib.list_deliveries(hook.webhook_id, offset=1, limit=1)] == [d.delivery_id]
    with pytest.raises(NotFound):
        lib.get_delivery("dlv_0000")


def test_removing_a_webhook_removes_its_deliveries(lib):
    hook = lib.add_webhook("https://a.example/h", ["upload.ready"])
    [d] = lib.queue_event("upload.ready", {"file_id": "upl_x"})
    lib.remove_webhook(hook.webhook_id)
    with pytest.raises(NotFound):
        lib.get_delivery(d.delivery_id)
    assert lib.check_integrity() == []

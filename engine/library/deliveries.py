"""Sending webhook deliveries: signed POSTs, retried with backoff, never in a job's way.

The job runner only calls ``library.queue_event(event, data)``, which records one pending
delivery per subscribed webhook and returns at once. A :class:`Dispatcher` sends what is due:
in a background thread of the GUI (``start()``/``stop()``), or for a bounded time when a CLI
command ends (:func:`flush_deliveries`). Each attempt is one POST with a short timeout; its
outcome is recorded on the delivery (attempts, last status code or error); a failure is tried
again after ``BACKOFF_S[n]`` and given up (``failed``) after ``len(BACKOFF_S) + 1`` attempts.

What is sent is the API's: the body is the canonical JSON (sorted keys, compact separators,
UTF-8) of ``{"event": ..., "data": {...}}``, exactly the bytes that are signed, with headers
``X-FastClip-Event``, ``X-FastClip-Delivery-ID`` (the same on every retry, so a receiver can
drop duplicates) and ``X-FastClip-Signature: sha256=<hex HMAC-SHA256 of the body>``.

Delivery is at least once: a process that stops between sending and recording leaves the
delivery leased (see ``Library.claim_due_delivery``), and it is sent again when the lease ends.
Only the standard library speaks HTTP (``http.client``): no redirects are followed and no
proxy is used, because a receiver is the user's own server, often on this machine.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import Conflict, NotFound
from . import Clip, Delivery, Job, Library, Media, Webhook, canonical_json, iso
from .database import Clock, utc_now

BACKOFF_S = (10, 30, 120, 600, 3600)  # wait after failed attempt 1, 2, ...; then give up
REQUEST_TIMEOUT_S = 5.0  # per request: connect, send, each read
LEASE_S = 60.0  # a claimed delivery is not sent by anyone else for this long
POLL_S = 1.0  # how often the background thread looks for due deliveries
TEST_EVENT = "webhook.test"
MAX_ERROR_BODY = 200  # characters of a failed response's body kept in the error

_log = logging.getLogger(__name__)


def _user_agent() -> str:
    try:
        version = metadata.version("fastclip-desktop")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"FastClip-Desktop/{version} (webhooks)"


USER_AGENT = _user_agent()


# -- what is sent -------------------------------------------------------------------------------------


def canonical_body(envelope: dict) -> bytes:
    """The bytes sent and signed: sorted keys, compact separators, UTF-8."""
    return canonical_json(envelope).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """The ``X-FastClip-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: does ``header`` sign exactly ``body`` with ``secret``?"""
    return isinstance(header, str) and hmac.compare_digest(sign(secret, body), header)


def headers_for(event: str, delivery_id: str, secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-FastClip-Event": event,
        "X-FastClip-Delivery-ID": delivery_id,
        "X-FastClip-Signature": sign(secret, body),
    }


def media_event_data(media: Media) -> dict:
    """``data`` of ``upload.ready`` / ``upload.failed``: the API's upload fields (and the local path)."""
    return {k: v for k, v in media.to_dict().items() if k != "streams"}


def clip_event_data(clip: Clip) -> dict:
    """``data`` of ``clip.complete`` / ``clip.expired``: the API's fields (job_id, clip_id, format,
    quality, duration, download_url) and the rest of the clip's record."""
    path = Path(clip.path)
    return {**clip.to_dict(), "download_url": path.as_uri() if path.is_absolute() else None}


def failed_job_event_data(job: Job) -> dict:
    """``data`` of ``clip.failed``: which job, on which source, and why."""
    return {"job_id": job.job_id, "kind": job.kind, "file_id": job.file_id, "status": job.status,
            "status_message": job.status_message, "error": job.error, "finished_at": job.finished_at}


# -- how it is sent -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt: the response's status code (None if none came) and, unless it was 2xx, why not."""

    status_code: int | None
    error: str | None = None
    elapsed_s: float = 0.0

    @property
    def delivered(self) -> bool:
        return self.error is None


Sender = Callable[[str, bytes, dict, float], Outcome]  # (url, body, headers, timeout_s)


def send_http(url: str, body: bytes, headers: dict, timeout_s: float) -> Outcome:
    """POST ``body`` to ``url``; never raises. 2xx is delivered; anything else says why not."""
    started = time.monotonic()

    def done(code, error=None):
        return Outcome(code, error, round(time.monotonic() - started, 3))

    try:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
    except ValueError as e:  # a port out of range
        return done(None, f"bad URL: {e}")
    connection = (http.client.HTTPSConnection if https else http.client.HTTPConnection)(
        parts.hostname, port, timeout=timeout_s)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(4 * MAX_ERROR_BODY).decode("utf-8", "replace").strip()
    except TimeoutError:
        return done(None, f"timed out after {timeout_s:.3g} s")
    except ConnectionRefusedError:
        return done(None, f"connection refused by {parts.hostname}:{port}")
    except ssl.SSLError as e:
        return done(None, f"TLS error: {e.reason or e}")
    except OSError as e:  # DNS, unreachable, reset
        return done(None, f"cannot reach {parts.hostname}:{port}: {e.strerror or e}")
    except http.client.HTTPException as e:
        return done(None, f"bad HTTP response: {type(e).__name__} {e}".strip())
    finally:
        connection.close()
    code = response.status
    if 200 <= code < 300:
        return done(code)
    error = f"HTTP {code} {response.reason}".strip()
    if 300 <= code < 400:
        error += f" to {response.getheader('Location', '?')} (webhooks do not follow redirects)"
    elif text:
        error += f": {text[:MAX_ERROR_BODY]}"
    return done(code, error)


def _send(sender: Sender, hook: Webhook, event: str, delivery_id: str, data: dict, timeout_s: float) -> Outcome:
    body = canonical_body({"event": event, "data": data})
    try:
        return sender(hook.url, body, headers_for(event, delivery_id, hook.secret, body), timeout_s)
    except Exception as e:  # a sender that raises is one failed attempt, not a dead dispatcher
        return Outcome(None, f"{type(e).__name__}: {e}")


# -- the dispatcher -----------------------------------------------------------------------------------


class Dispatcher:
    """Sends the library's due deliveries and records each attempt.

    ``deliver_due()`` makes one pass (tests, the CLI); ``start()`` runs passes in a daemon
    thread until ``stop()``; ``wake()`` asks the thread to look now rather than at its next
    poll. ``clock`` says when deliveries are due and when to retry (give the library the same
    one); ``sender`` does the HTTP (:func:`send_http`).
    """

    def __init__(self, library: Library, *, clock: Clock = utc_now, sender: Sender = send_http,
                 timeout_s: float = REQUEST_TIMEOUT_S, backoff_s: tuple[float, ...] = BACKOFF_S,
                 poll_s: float = POLL_S):
        self.library = library
        self.clock = clock
        self.sender = sender
        self.timeout_s = timeout_s
        self.backoff_s = tuple(backoff_s)
        self.poll_s = poll_s
        self.lease_s = max(LEASE_S, 4 * timeout_s)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def max_attempts(self) -> int:
        return len(self.backoff_s) + 1

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return now + timedelta(seconds=self.backoff_s[attempts - 1])

    def deliver_due(self, limit: int = 50, *, deadline: float | None = None,
                    stop: threading.Event | None = None) -> int:
        """Send what is due now, one delivery at a time; return how many attempts were made.

        ``deadline`` (a ``time.monotonic()`` value) stops the pass in time: no attempt starts
        after it and none may run past it. ``stop``, once set, lets no further attempt start.
        """
        attempts = 0
        while attempts < limit and not (stop is not None and stop.is_set()):
            timeout = self.timeout_s
            if deadline is not None:
                timeout = min(timeout, deadline - time.monotonic())
                if timeout < 0.05:
                    break
            delivery = self.library.claim_due_delivery(self.clock(), lease_s=self.lease_s)
            if delivery is None:
                break
            self._attempt(delivery, timeout)
            attempts += 1
        return attempts

    def _attempt(self, d: Delivery, timeout_s: float) -> None:
        try:
            hook = self.library.get_webhook(d.webhook_id)
        except NotFound:  # removed since; its deliveries went with it
            return
        outcome = _send(self.sender, hook, d.event, d.delivery_id, d.payload, timeout_s)
        try:
            if outcome.delivered:
                self.library.record_delivered(d.delivery_id, outcome.status_code)
            else:
                self.library.record_delivery_failure(d.delivery_id, error=outcome.error,
                                                     status_code=outcome.status_code,
                                                     retry_at=self.retry_at(d.attempts + 1, self.clock()))
        except (NotFound, Conflict):  # removed meanwhile, or recorded by a dispatcher whose lease ran out
            pass

    # -- in the background ----------------------------------------------------------------------------

    def start(self) -> None:
        """Deliver in a daemon thread until :meth:`stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fastclip-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float | None = None) -> bool:
        """Stop after the attempt in flight (at most ``self.timeout_s``); True if the thread ended."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(self.timeout_s + 1.0 if timeout_s is None else timeout_s)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.deliver_due(stop=self._stop) > 0
            except Exception:  # the library busy or closed: try again at the next poll
                _log.exception("webhook delivery pass failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_s)
                self._wake.clear()


def flush_deliveries(library: Library, timeout_s: float, *, clock: Clock = utc_now, sender: Sender = send_http,
                     request_timeout_s: float = REQUEST_TIMEOUT_S) -> int:
    """Send what is due, for at most ``timeout_s`` seconds; return how many attempts were made.

    For a CLI command at exit, after its jobs ended: a slow or dead endpoint costs at most
    ``timeout_s``, and what is not sent in time (or fails) stays queued for the next flush or
    the GUI's dispatcher. The work runs in a daemon thread so that even a name lookup that hangs
    cannot hold the caller past ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    dispatcher = Dispatcher(library, clock=clock, sender=sender, timeout_s=request_timeout_s)
    stop = threading.Event()
    made = [0]

    def run():
        try:
            while (n := dispatcher.deliver_due(deadline=deadline, stop=stop)) > 0:
                made[0] += n
        except Exception:  # the caller closed the library after giving up on us
            _log.debug("webhook flush ended early", exc_info=True)

    thread = threading.Thread(target=run, name="fastclip-webhooks-flush", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout_s))
    stop.set()  # if still sending: start nothing more
    return made[0]


# -- a test event, sent now ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TestDelivery:
    """What ``fastclip webhooks test`` reports. Test events are sent once and not recorded."""

    __test__ = False  # not a pytest class

    webhook_id: str
    url: str
    delivery_id: str
    event: str
    outcome: Outcome

    def to_dict(self) -> dict:
        return {"webhook_id": self.webhook_id, "url": self.url, "delivery_id": self.delivery_id,
                "event": self.event, "delivered": self.outcome.delivered,
                "status_code": self.outcome.status_code, "error": self.outcome.error,
                "elapsed_s": self.outcome.elapsed_s}


def send_test_event(library: Library, webhook_id: str, *, sender: Sender = send_http,
                    timeout_s: float = REQUEST_TIMEOUT_S, clock: Clock = utc_now) -> TestDelivery:
    """POST a signed ``webhook.test`` event to one webhook now, once (NotFound if there is none)."""
    hook = library.get_webhook(webhook_id)
    delivery_id = f"dlv_test_{secrets.token_hex(8)}"
    data = {"webhook_id": hook.webhook_id, "events": list(hook.events), "sent_at": iso(clock()),
            "message": "a test event from FastClip Desktop"}
    outcome = _send(sender, hook, TEST_EVENT, delivery_id, data, timeout_s)
    return TestDelivery(hook.webhook_id, hook.url, delivery_id, TEST_EVENT, outcome)


__all__ = [
    "BACKOFF_S",
    "REQUEST_TIMEOUT_S",
    "TEST_EVENT",
    "USER_AGENT",
    "Dispatcher",
    "Outcome",
    "Sender",
    "TestDelivery",
    "canonical_body",
    "clip_event_data",
    "failed_job_event_data",
    "flush_deliveries",
    "headers_for",
    "media_event_data",
    "send_http",
    "send_test_event",
    "sign",
    "verify_signature",
]

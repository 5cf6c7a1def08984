"""Webhooks and their deliveries: the records (sending them is the delivery code's job).

A delivery is queued ``pending`` for every webhook that subscribes to an event; the sender
records each attempt: delivered, or failed with a time to try again (still pending) or for
good (failed). The payload kept is the envelope's ``data``; ``Delivery.envelope`` rebuilds
``{"event", "data"}``, which the sender signs as canonical JSON with the webhook's secret.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from ..errors import Conflict, InvalidRequest, NotFound
from .database import Database, check_page, iso
from .jobs import canonical_json
from .rows import Delivery, Webhook

EVENTS = ("clip.complete", "clip.failed", "clip.auto.segment_complete", "clip.auto.segment_failed", "upload.ready",
          "upload.failed", "clip.expired")
MAX_WEBHOOKS = 10
MAX_URL = 2048


def check_url(url) -> str:
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise InvalidRequest(f"a webhook URL must be text of at most {MAX_URL} characters", field="url")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(f"a webhook URL must start with http:// or https:// and name a host, not {url!r}",
                             field="url")
    return url.strip()


def check_events(events) -> tuple[str, ...]:
    if isinstance(events, str) or not isinstance(events, Iterable):
        raise InvalidRequest("give the webhook's events as a list", field="events")
    events = tuple(dict.fromkeys(events))
    if not events:
        raise InvalidRequest(f"a webhook needs at least one event ({', '.join(EVENTS)})", field="events")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidRequest(f"unknown webhook event {unknown[0]!r} (events: {', '.join(EVENTS)})", field="events")
    return events


class WebhookRecords:
    """The webhook methods of :class:`~engine.library.Library`."""

    _db: Database
    _now: Callable

    def add_webhook(self, url: str, events, secret: str | None = None) -> Webhook:
        """Register a URL for some events (at most 10 webhooks); a secret is made if none is given."""
        url, events = check_url(url), check_events(events)
        if secret is None:
            secret = f"whsec_{secrets.token_hex(24)}"
        elif not isinstance(secret, str) or not 8 <= len(secret) <= 200:
            raise InvalidRequest("a webhook secret must be 8 to 200 characters", field="secret")
        webhook_id = f"wh_{secrets.token_hex(6)}"
        with self._db.write() as conn:
            if conn.execute("SELECT count(*) FROM webhooks").fetchone()[0] >= MAX_WEBHOOKS:
                raise InvalidRequest(f"at most {MAX_WEBHOOKS} webhooks can be registered; remove one first",
                                     field="url")
            conn.execute("INSERT INTO webhooks (webhook_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                         (webhook_id, url, json.dumps(events), secret, iso(self._now())))
        return self.get_webhook(webhook_id)

    def get_webhook(self, webhook_id: str) -> Webhook:
        row = self._db.row("SELECT * FROM webhooks WHERE webhook_id = ?", (webhook_id,))
        if row is None:
            raise NotFound(f"no webhook {webhook_id}", field="webhook_id")
        return Webhook.from_row(row)

    def list_webhooks(self, event: str | None = None) -> list[Webhook]:
        """Every webhook, oldest first; with ``event``, those subscribed to it."""
        hooks = [Webhook.from_row(r) for r in self._db.rows("SELECT * FROM webhooks ORDER BY created_at, rowid")]
        return [h for h in hooks if event is None or event in h.events]

    def update_webhook(self, webhook_id: str, *, url: str | None = None, events=None) -> Webhook:
        changes = {}
        if url is not None:
            changes["url"] = check_url(url)
        if events is not None:
            changes["events"] = json.dumps(check_events(events))
        with self._db.write() as conn:
            self.get_webhook(webhook_id)
            if changes:
                cols = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE webhooks SET {cols} WHERE webhook_id = ?", (*changes.values(), webhook_id))
        return self.get_webhook(webhook_id)

    def remove_webhook(self, webhook_id: str) -> Webhook:
        """Remove a webhook and its delivery history."""
        with self._db.write() as conn:
            hook = self.get_webhook(webhook_id)
            conn.execute("DELETE FROM webhooks WHERE webhook_id = ?", (webhook_id,))
        return hook

    def queue_event(self, event: str, data: dict) -> list[Delivery]:
        """Queue one pending delivery of ``event`` for every webhook subscribed to it."""
        if event not in EVENTS:
            raise InvalidRequest(f"unknown webhook event {event!r} (events: {', '.join(EVENTS)})", field="event")
        try:
            payload = canonical_json(data)
        except (TypeError, ValueError) as e:
            raise InvalidRequest(f"the event data cannot be sent as JSON: {e}", field="data") from None
        now = iso(self._now())
        ids = []
        with self._db.write() as conn:
            for hook in self.list_webhooks(event):
                delivery_id = f"dlv_{secrets.token_hex(8)}"
                conn.execute(
                    "INSERT INTO deliveries (delivery_id, webhook_id, event, payload, next_attempt_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (delivery_id, hook.webhook_id, event, payload, now, now))
                ids.append(delivery_id)
        return [self.get_delivery(d) for d in ids]

    def get_delivery(self, delivery_id: str) -> Delivery:
        row = self._db.row("SELECT * FROM deliveries WHERE delivery_id = ?", (delivery_id,))
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}", field="delivery_id")
        return Delivery.from_row(row)

    def list_deliveries(self, webhook_id: str, offset: int = 0, limit: int = 20) -> list[Delivery]:
        """A webhook's deliveries, newest first."""
        check_page(offset, limit)
        self.get_webhook(webhook_id)
        rows = self._db.rows("SELECT * FROM deliveries WHERE webhook_id = ? ORDER BY created_at DESC, rowid DESC "
                             "LIMIT ? OFFSET ?", (webhook_id, limit, offset))
        return [Delivery.from_row(r) for r in rows]

    def due_deliveries(self, now=None, limit: int = 50) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        at = iso(now if now is not None else self._now())
        rows = self._db.rows("SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                             "ORDER BY next_attempt_at, rowid LIMIT ?", (at, limit))
        return [Delivery.from_row(r) for r in rows]

    def record_delivered(self, delivery_id: str, status_code: int) -> Delivery:
        return self._record_attempt(delivery_id, status="delivered", code=status_code, error=None,
                                    next_at=None, delivered=True)

    def record_delivery_failure(self, delivery_id: str, *, error: str, status_code: int | None = None,
                                retry_at=None) -> Delivery:
        """An attempt failed: try again at ``retry_at`` (stays pending), or give up (failed)."""
        return self._record_attempt(delivery_id, status="pending" if retry_at is not None else "failed",
                                    code=status_code, error=str(error),
                                    next_at=None if retry_at is None else iso(retry_at), delivered=False)

    def _record_attempt(self, delivery_id, *, status, code, error, next_at, delivered) -> Delivery:
        now = iso(self._now())
        with self._db.write() as conn:
            d = self.get_delivery(delivery_id)
            if d.status != "pending":
                raise Conflict(f"webhook delivery {delivery_id} has already ended ({d.status})",
                               field="delivery_id")
            conn.execute(
                "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?, "
                "next_attempt_at = ?, delivered_at = ? WHERE delivery_id = ?",
                (status, code, error, next_at, now if delivered else None, delivery_id))
        return self.get_delivery(delivery_id)

    # -- for the dispatcher (engine/webhooks.py) and the CLI ------------------------------------------

    def claim_due_delivery(self, now=None, *, lease_s: float = 60.0) -> Delivery | None:
        """Take the oldest due pending delivery to send it: it is not due again for ``lease_s``.

        One write transaction, so two dispatchers (threads or processes) never send the same
        delivery at once; one that dies mid-send leaves it to be retried when the lease ends.
        Recording the attempt (``record_delivered`` / ``record_delivery_failure``) ends the lease.
        """
        t = now if now is not None else self._now()
        with self._db.write() as conn:
            row = conn.execute("SELECT delivery_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? "
                               "ORDER BY next_attempt_at, rowid LIMIT 1", (iso(t),)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE deliveries SET next_attempt_at = ? WHERE delivery_id = ?",
                         (iso(t + timedelta(seconds=lease_s)), row[0]))
        return self.get_delivery(row[0])

    def recent_deliveries(self, offset: int = 0, limit: int = 20) -> list[Delivery]:
        """Every webhook's deliveries, newest first."""
        check_page(offset, limit)
        rows = self._db.rows("SELECT * FROM deliveries ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                             (limit, offset))
        return [Delivery.from_row(r) for r in rows]

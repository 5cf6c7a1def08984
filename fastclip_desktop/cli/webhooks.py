"""`fastclip webhooks`: register URLs to be told when clips and imports finish, and see what was sent.

add / list / remove / test / deliveries / flush. A rejected request (bad URL, unknown event,
more than 10 webhooks, no such webhook) exits 2; a test event that was not delivered exits 1.
"""

from __future__ import annotations

import json
import sys

from .common import EXIT_FAILED, EXIT_OK, reject

EVENTS_HELP = "clip.complete, clip.failed, upload.ready, upload.failed, clip.expired"


def register(sub) -> None:
    p = sub.add_parser("webhooks", help="webhooks: be told when clips and imports finish",
                       description="POST signed events to your URLs when clips and imports finish or fail.")
    w = p.add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")

    a = w.add_parser("add", help="register a URL for some events")
    a.add_argument("url", metavar="URL", help="http:// or https:// URL that receives POSTs")
    a.add_argument("--events", required=True, metavar="E1,E2", help=f"comma-separated: {EVENTS_HELP}")
    a.add_argument("--secret", help="signing secret (8-200 characters; default: one is made and printed once)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_add)

    ls = w.add_parser("list", help="the registered webhooks")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    rm = w.add_parser("remove", help="remove a webhook and its delivery history")
    rm.add_argument("webhook_id", metavar="ID")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(func=cmd_remove)

    t = w.add_parser("test", help="send a signed webhook.test event now and report what came back")
    t.add_argument("webhook_id", metavar="ID")
    t.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds to wait (default 5)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_test)

    d = w.add_parser("deliveries", help="deliveries and their outcome, newest first")
    d.add_argument("webhook_id", metavar="ID", nargs="?", help="only this webhook's")
    d.add_argument("--offset", type=int, default=0)
    d.add_argument("--limit", type=int, default=20)
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_deliveries)

    f = w.add_parser("flush", help="send the deliveries that are due now (retries included)")
    f.add_argument("--timeout", type=float, default=30.0, metavar="S", help="at most this long (default 30)")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_flush)


def _library():
    from engine import Library

    return Library()


def _run(args, action) -> int:
    from engine import FastClipError

    try:
        with _library() as lib:
            return action(lib)
    except FastClipError as e:
        return reject(e)


def _events(text: str) -> list[str]:
    return [e.strip() for e in text.split(",") if e.strip()]


def cmd_add(args) -> int:
    def add(lib):
        hook = lib.add_webhook(args.url, _events(args.events), secret=args.secret)
        if args.json:
            print(json.dumps(hook.to_dict(with_secret=True)))
            return EXIT_OK
        print(f"{hook.webhook_id}  {hook.url}  {','.join(hook.events)}")
        if args.secret is None:
            print(f"secret: {hook.secret}")
            print("  (shown only now: keep it to check the X-FastClip-Signature of each delivery)", file=sys.stderr)
        return EXIT_OK

    return _run(args, add)


def cmd_list(args) -> int:
    def list_(lib):
        hooks = lib.list_webhooks()
        if args.json:
            print(json.dumps([h.to_dict() for h in hooks]))
            return EXIT_OK
        if not hooks:
            print("no webhooks (add one with: fastclip webhooks add URL --events clip.complete)")
        for h in hooks:
            print(f"{h.webhook_id}  {h.url}  {','.join(h.events)}  (added {h.created_at})")
        return EXIT_OK

    return _run(args, list_)


def cmd_remove(args) -> int:
    def remove(lib):
        hook = lib.remove_webhook(args.webhook_id)
        print(json.dumps(hook.to_dict()) if args.json else f"removed {hook.webhook_id}  {hook.url}")
        return EXIT_OK

    return _run(args, remove)


def cmd_test(args) -> int:
    from engine import REQUEST_TIMEOUT_S, InvalidRequest, send_test_event

    timeout = REQUEST_TIMEOUT_S if args.timeout is None else args.timeout
    if not 0 < timeout <= 60:
        return reject(InvalidRequest(f"--timeout must be more than 0 and at most 60 seconds, not {timeout:g}",
                                     field="timeout"))

    def test(lib):
        sent = send_test_event(lib, args.webhook_id, timeout_s=timeout)
        o = sent.outcome
        if args.json:
            print(json.dumps(sent.to_dict()))
        elif o.delivered:
            print(f"{sent.webhook_id}: delivered {sent.event} to {sent.url} (HTTP {o.status_code}, "
                  f"{o.elapsed_s:.2f} s)")
        if not o.delivered:
            print(f"fastclip: webhook {sent.webhook_id}: {sent.event} not delivered to {sent.url}: {o.error}",
                  file=sys.stderr)
        return EXIT_OK if o.delivered else EXIT_FAILED

    return _run(args, test)


def cmd_deliveries(args) -> int:
    def deliveries(lib):
        if args.webhook_id:
            found = lib.list_deliveries(args.webhook_id, offset=args.offset, limit=args.limit)
        else:
            found = lib.recent_deliveries(offset=args.offset, limit=args.limit)
        if args.json:
            print(json.dumps([d.to_dict() for d in found]))
            return EXIT_OK
        if not found:
            print("no deliveries")
        for d in found:
            print(_delivery_line(d))
        return EXIT_OK

    return _run(args, deliveries)


def _delivery_line(d) -> str:
    tries = f"{d.attempts} attempt{'s' if d.attempts != 1 else ''}"
    if d.status == "delivered":
        outcome = f"HTTP {d.last_status_code} at {d.delivered_at}"
    elif d.attempts == 0:
        outcome = f"due {d.next_attempt_at}"
    else:
        outcome = d.last_error or f"HTTP {d.last_status_code}"
        if d.status == "pending":
            outcome += f"; next try {d.next_attempt_at}"
    return f"{d.delivery_id}  {d.webhook_id}  {d.event:<13}  {d.status:<9}  {tries}  {outcome}  ({d.created_at})"


def cmd_flush(args) -> int:
    from engine import InvalidRequest, flush_deliveries

    if not 0 < args.timeout <= 3600:
        return reject(InvalidRequest(f"--timeout must be more than 0 and at most 3600 seconds, not {args.timeout:g}",
                                     field="timeout"))

    def flush(lib):
        made = flush_deliveries(lib, args.timeout)
        due = len(lib.due_deliveries())
        if args.json:
            print(json.dumps({"attempts": made, "still_due": due}))
        else:
            print(f"{made} attempt{'s' if made != 1 else ''} made" + (f"; {due} still due" if due else ""))
        return EXIT_OK

    return _run(args, flush)

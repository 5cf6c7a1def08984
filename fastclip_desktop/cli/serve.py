"""`fastclip serve`: the FastClip v1 API on this machine, for scripts written against the cloud API.

Runs the same library and the same one job runner as the app and the CLI (a job queued through the
API is in `fastclip jobs` and the app's Jobs panel). Binds loopback unless --host says otherwise.
SIGTERM or Ctrl+C stops it cleanly (see fastclip_desktop/api/server.py).
"""

from __future__ import annotations

import signal
import sys

from .common import EXIT_FAILED, EXIT_OK, EXIT_REJECTED


class _Stopped(Exception):
    pass


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the FastClip v1 API on this machine (http://127.0.0.1:8484)",
                       description="A local server that speaks the FastClip v1 API: point a script's base URL at "
                                   "it and use a key from `fastclip keys create NAME`. Docs at /docs.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8484, help="port (default 8484; 0: any free port, printed)")
    p.add_argument("--workers", type=int, metavar="N", help="jobs run at once (default: the workers setting)")
    p.add_argument("--grace", type=float, default=10.0, metavar="S",
                   help="on stop, seconds running jobs get to finish before they are left to be queued again "
                        "(default 10)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    if not 0 <= args.port <= 65535:
        print(f"fastclip: invalid_request [port]: a port is 0 to 65535, not {args.port}", file=sys.stderr)
        return EXIT_REJECTED
    from fastclip_desktop.api import ApiServer

    server = ApiServer(host=args.host, port=args.port, workers=args.workers, grace_s=max(0.0, args.grace),
                       on_ready=lambda: _ready(server))
    try:
        server.bind()
    except OSError as e:
        print(f"fastclip: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return EXIT_REJECTED
    if not server.loopback:
        print(f"fastclip: warning: listening on {args.host}, not only on this machine: anyone on that network "
              "with a key can read the clips", file=sys.stderr)

    def stopped(signum, frame):
        raise _Stopped

    previous = signal.signal(signal.SIGTERM, stopped)  # uvicorn handles it while serving, then passes it on
    try:
        ok = server.run()
    except (_Stopped, KeyboardInterrupt):
        ok = True
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("fastclip: the local API has stopped", file=sys.stderr)
    return EXIT_OK if ok else EXIT_FAILED


def _ready(server) -> None:
    print(f"FastClip API listening on {server.url} (docs: {server.url}/docs)", flush=True)
    if not server.state.library.list_api_keys():
        print("fastclip: no API keys yet: make one with `fastclip keys create NAME`", file=sys.stderr, flush=True)

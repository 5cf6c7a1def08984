"""`fastclip probe`: describe a media file."""

from __future__ import annotations

import json

from .common import EXIT_OK, reject


def register(sub) -> None:
    p = sub.add_parser("probe", help="describe a media file")
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_probe)


def cmd_probe(args) -> int:
    from engine import FastClipError, in_worker, probe

    def run(path):
        yield probe(path)

    try:
        info = next(iter(in_worker(run, args.source)))
    except FastClipError as e:
        return reject(e)
    d = info.to_dict()
    d["container"] = info.container
    if args.json:
        print(json.dumps(d))
        return EXIT_OK
    print(f"{d['filename']}: {info.container}, {d['media_kind']}, {d['duration']:.3f} s, {d['file_size']} bytes")
    for s in d["streams"]:
        detail = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("index", "kind", "codec"))
        print(f"  #{s['index']} {s['kind']}: {s['codec']}" + (f" ({detail})" if detail else ""))
    return EXIT_OK

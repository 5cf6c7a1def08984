"""`fastclip keys`: the local API's keys: create (the key is printed once), list, delete."""

from __future__ import annotations

import json
import sys

from .common import EXIT_OK
from .session import with_library


def register(sub) -> None:
    k = sub.add_parser("keys", help="keys of the local API (fastclip serve)").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION")
    c = k.add_parser("create", help="make a key; it is printed once and only its hash is kept")
    c.add_argument("name", metavar="NAME", help="what the key is for (at most 100 characters)")
    c.add_argument("--json", action="store_true", help='print {"key_id", "name", "key"}')
    c.set_defaults(func=cmd_create)
    ls = k.add_parser("list", help="the keys (not the keys themselves: they are not kept)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    d = k.add_parser("delete", help="delete a key: it stops working at once")
    d.add_argument("key_id", metavar="KEY_ID")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_delete)


def cmd_create(args) -> int:
    def run(lib):
        record, key = lib.create_api_key(args.name)
        if args.json:
            print(json.dumps({"key_id": record.key_id, "name": record.name, "key": key}))
        else:
            print(key)
            print(f"  ({record.key_id} {record.name}: shown only now; send it as Authorization: Bearer <key>)",
                  file=sys.stderr)
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_list(args) -> int:
    def run(lib):
        keys = lib.list_api_keys()
        if args.json:
            print(json.dumps([k.to_dict() for k in keys]))
        elif not keys:
            print("no API keys (make one with: fastclip keys create NAME)", file=sys.stderr)
        for k in keys if not args.json else ():
            print(f"{k.key_id}  {k.prefix}…  {k.name}  (made {k.created_at}, last used {k.last_used_at or 'never'})")
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_delete(args) -> int:
    def run(lib):
        key = lib.delete_api_key(args.key_id)
        print(json.dumps({"deleted": True, "key_id": key.key_id}) if args.json else f"deleted {key.key_id}  {key.name}")
        return EXIT_OK

    return with_library(run, sweep=False)

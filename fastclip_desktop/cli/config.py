"""`fastclip config`: the library's settings (the same the app's Settings dialog shows)."""

from __future__ import annotations

import json

from .common import EXIT_OK
from .output import emit
from .session import with_library


def register(sub) -> None:
    g = sub.add_parser("config", help="settings (clip_ttl_hours, workers, ...)").add_subparsers(
        dest="config_command", required=True, metavar="ACTION")
    p = g.add_parser("list", help="every setting, its value and default")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_list)
    p = g.add_parser("get", help="one setting's value")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_get)
    p = g.add_parser("set", help="change a setting")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_set)
    p = g.add_parser("reset", help="back to the default")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_config_reset)


def cmd_config_list(args) -> int:
    def run(lib):
        values = lib.list_settings()
        if args.json:
            emit({v.key: v.value for v in values})
            return EXIT_OK
        for v in values:
            mark = "" if v.is_default else "  (default " + _value_text(v.default) + ")"
            print(f"{v.key} = {_value_text(v.value)}{mark}    # {v.description}")
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_config_get(args) -> int:
    def run(lib):
        value = lib.get_setting(args.key)
        print(json.dumps({args.key: value}) if args.json else _value_text(value))
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_config_set(args) -> int:
    def run(lib):
        v = lib.set_setting(args.key, args.value)
        print(json.dumps({v.key: v.value}) if args.json else f"{v.key} = {_value_text(v.value)}")
        return EXIT_OK

    return with_library(run, sweep=False)


def cmd_config_reset(args) -> int:
    def run(lib):
        v = lib.reset_setting(args.key)
        print(json.dumps({v.key: v.value}) if args.json else f"{v.key} = {_value_text(v.value)} (default)")
        return EXIT_OK

    return with_library(run, sweep=False)


def _value_text(v) -> str:
    return f"{v:g}" if isinstance(v, float) else (json.dumps(v) if isinstance(v, str) and not v else str(v))

"""The `fastclip` command: a front end over the engine. Never imports Qt.

Each command lives in its own module with ``register(subparsers)``, which adds
its parser and sets ``func``. Exit codes: 0 every job completed; 1 a job
failed; 2 the request was rejected; 130 interrupted. Engine imports happen
inside the commands, so start-up stays lean.
"""

from __future__ import annotations

import argparse
import sys

from . import batch, captions, clip, fonts, library, presets, probe, transcript, webhooks
from .common import EXIT_INTERRUPTED

COMMANDS = (clip, probe, webhooks, captions, presets, fonts, transcript, library, batch)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fastclip", description="Clip video and audio files locally.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

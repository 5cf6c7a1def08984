"""The `fastclip` command: a front end over the engine. Never imports Qt.

Each command lives in its own module with ``register(subparsers)``, which adds
its parser and sets ``func``. Exit codes: 0 every job completed; 1 a job
failed; 2 the request was rejected; 130 interrupted. Engine imports happen
inside the commands, so start-up stays lean.
"""

from __future__ import annotations

import argparse
import gc
import sys

from . import (
    batch,
    captions,
    clip,
    clips,
    config,
    fonts,
    imports,
    jobs,
    presets,
    probe,
    segments,
    transcript,
    webhooks,
)
from .common import EXIT_INTERRUPTED

# one module per command group; each has register(subparsers)
COMMANDS = (clip, probe, imports, clips, jobs, config, segments, batch, captions, transcript, presets, fonts,
            webhooks)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, just that command's parser (see :func:`parse`)."""
    return _build(only)[0]


def parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed. The ~150 parsers of every command and action take ~10 ms to build (argparse
    looks for translations of its messages for each), so a command line that names a command is
    parsed by that command's parser alone; help and mistakes get the whole command line."""
    if argv and not argv[0].startswith("-"):
        parser, commands = _build(only=argv[0])
        if argv[0] in commands.choices:
            return parser.parse_args(argv)
    return build_parser().parse_args(argv)


def _build(only: str | None):
    p = argparse.ArgumentParser(prog="fastclip", description="Clip video and audio files locally.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub if only is None else _OnlyCommand(sub, only))
    return p, sub


class _OnlyCommand:
    """The subparsers of ``fastclip`` for ``register``, adding the parser of one command only."""

    def __init__(self, sub, name: str):
        self.sub, self.name = sub, name

    def add_parser(self, name: str, **kwargs):
        return self.sub.add_parser(name, **kwargs) if name == self.name else _Unused()


class _Unused:
    """Stands in for the parser of a command not being run: takes every call, does nothing."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: self


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if argv is None:  # run as the `fastclip` command: the process exits next
            # Its exit collects every object several times (~10 ms with the engine's modules
            # loaded). Everything is closed and written by now: nothing needs collecting.
            gc.freeze()

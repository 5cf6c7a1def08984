"""The `fastclip` command: a front end over the engine. Never imports Qt.

Each command lives in its own module with ``register(subparsers)``, which adds
its parser and sets ``func``. Exit codes: 0 every job completed; 1 a job
failed; 2 the request was rejected; 130 interrupted. Engine imports happen
inside the commands, so start-up stays lean.

The commands that run one job at once (clip, analyze, captions, transcript) get their
worker process first of all (``args.early``): a fork of this process before it
imports argparse and the command modules, so the worker's start (PyAV, most
of it) overlaps all of that.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

from .common import EXIT_INTERRUPTED

if TYPE_CHECKING:
    import argparse

# one module per command group (fastclip_desktop/cli/<name>.py); each has register(subparsers)
COMMAND_MODULES = ("clip", "analyze", "probe", "imports", "clips", "jobs", "config", "segments", "batch",
                   "captions", "transcript", "presets", "fonts", "webhooks", "keys", "serve")
EARLY_WORKER = ("clip", "analyze", "captions", "transcript")  # a worker forked before anything else is imported


def commands() -> list:
    import importlib

    return [importlib.import_module(f"{__name__}.{name}") for name in COMMAND_MODULES]


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
    import argparse

    p = argparse.ArgumentParser(prog="fastclip", description="Clip video and audio files locally.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands():
        command.register(sub if only is None else _OnlyCommand(sub, only))
    return p, sub


def _early_worker(words: list[str]):
    """The worker of a one-job command, started now; the first word after the command, when it
    names a file, is opened early (the source, as a rule: a guess is harmless)."""
    if not words or words[0] not in EARLY_WORKER or "-h" in words or "--help" in words:
        return None
    from engine import StartedWorker

    guess = words[1] if len(words) > 1 and os.path.isfile(words[1]) else None
    return StartedWorker.early(source=guess)


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
    words = sys.argv[1:] if argv is None else argv
    # as the `fastclip` process only (a test calling main() in its own process gets no fork)
    early = _early_worker(words) if argv is None else None
    try:
        args = parse(words)
    except BaseException:  # --help, a mistake: no job will run
        if early is not None:
            early.close()
        raise
    args.early = early
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if early is not None:
            early.close()  # (nothing when a runner took it)
        if argv is None:  # run as the `fastclip` command: the process exits next
            # Its exit collects every object several times (~10 ms with the engine's modules
            # loaded). Everything is closed and written by now: nothing needs collecting.
            gc.freeze()

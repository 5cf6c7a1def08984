"""`fastclip segments`: the segments marked on a source (the editor's marks, kept in the library).

List them, replace them (``--set S-E[=LABEL]``, repeatable), remove them (``--clear``), or move
them to and from plain text: a CSV ``start,end,label`` as LosslessCut writes it, and YouTube
chapters. ``fastclip clip SOURCE --marked`` exports them. Bad input exits 2 with one line naming
the problem, and changes nothing. Engine imports happen inside the commands.
"""

from __future__ import annotations

import sys

from .common import EXIT_OK, reject
from .output import emit


def register(sub) -> None:
    s = sub.add_parser("segments", help="list or change the segments marked on a source",
                       description="The segments marked on a source (by the editor or here), kept in the "
                                   "library. Without an action, list them. Times are seconds or [h:]mm:ss(.fff).")
    s.add_argument("source", metavar="SOURCE", help="a media file (imported into the library first), or a "
                                                    "file_id or clip_id from the library")
    action = s.add_mutually_exclusive_group()
    action.add_argument("--set", action="append", metavar="S-E[=LABEL]",
                        help="replace the marks with this segment; repeat for more (e.g. --set 30-35.5=Outro)")
    action.add_argument("--clear", action="store_true", help="remove every mark")
    action.add_argument("--export-csv", metavar="FILE", help="write the marks as CSV start,end,label (- for stdout)")
    action.add_argument("--import-csv", metavar="FILE", help="replace the marks with a CSV's (- for stdin); "
                                                             "an empty end is the end of the source")
    action.add_argument("--chapters", action="store_true", help="print the marks as YouTube chapters")
    action.add_argument("--import-chapters", metavar="FILE", help="replace the marks with YouTube chapters "
                                                                  "(each runs to the next; - for stdin)")
    s.add_argument("--json", action="store_true",
                   help='print {"file_id": ..., "segments": [{"start", "end", "label"}]}')
    s.set_defaults(func=cmd_segments)


def cmd_segments(args) -> int:
    from engine import FastClipError

    from .session import with_library, with_runner

    try:
        given = _given(args)  # what --set says, or the text of the file to import: before any change
    except FastClipError as e:
        return reject(e)

    def known(lib):
        media = _known_media(lib, args.source)
        return None if media is None else _apply(lib, media, args, given)

    code = with_library(known)
    if code is None:  # a new file (or one changed since its import): imported in a worker first
        code = with_runner(lambda lib, runner: _apply(lib, runner.resolve_source(args.source), args, given),
                           workers=1)
    return code


def _given(args):
    if args.set:
        return [parse_marked(text, i) for i, text in enumerate(args.set)]
    name = args.import_csv or args.import_chapters
    return None if name is None else _read(name, "import_csv" if args.import_csv else "import_chapters")


def parse_marked(text: str, i: int = 0):
    """``START-END[=LABEL]`` (seconds or [h:]mm:ss) as a MarkedSegment (checked against the source later)."""
    from engine import InvalidRequest, MarkedSegment, parse_time

    span, _, label = text.partition("=")
    start, sep, end = span.partition("-")
    if not sep or not start.strip() or not end.strip():
        raise InvalidRequest(f"--set must look like START-END or START-END=LABEL (seconds or [h:]mm:ss), "
                             f"not {text!r}", field=f"segments[{i}]")
    return MarkedSegment(parse_time(start, f"segments[{i}].start"), parse_time(end, f"segments[{i}].end"), label)


def _known_media(lib, source: str):
    """The ready import SOURCE names, found without importing anything; None when it needs importing."""
    import os

    from engine import source_kind

    kind = source_kind(source)
    if kind == "file_id":
        return lib.get_media(source)  # its marks are the library's, even if the file has moved
    path = lib.get_clip(source).path if kind == "clip_id" else source
    media = lib.find_media(path) if os.path.isfile(path) else None
    return media if media is not None and media.status == "ready" else None


def _apply(lib, media, args, given) -> int:
    from engine import InvalidRequest, from_chapters, from_csv, to_chapters, to_csv

    file_id = media.file_id
    if args.set:
        state = lib.set_segments(file_id, given)
    elif args.clear:
        state = lib.clear_segments(file_id)
    elif args.import_csv or args.import_chapters:
        if args.import_csv:
            segments = from_csv(given, media.duration)
        else:
            segments = from_chapters(given, media.duration)
        if not segments:  # (a chapter list without chapters is an error of its own)
            raise InvalidRequest(f"{args.import_csv} has no segments (use --clear to remove the marks)",
                                 field="import_csv")
        state = lib.set_segments(file_id, segments)
    else:
        state = lib.get_edit_state(file_id)
        if args.chapters:
            if not state.segments:
                raise InvalidRequest(f"no segments are marked on {media.filename} ({file_id})", field="segments")
            sys.stdout.write(to_chapters(state.segments))
            return EXIT_OK
        if args.export_csv == "-":
            sys.stdout.write(to_csv(state.segments))
            return EXIT_OK
        if args.export_csv:
            _write(args.export_csv, to_csv(state.segments))
            if not args.json:
                print(f"wrote {_count(state.segments)} to {args.export_csv}")
                return EXIT_OK
    if args.json:
        emit({"file_id": file_id, "segments": [s.to_dict() for s in state.segments]})
    else:
        _table(media, state.segments)
    return EXIT_OK


def _table(media, segments) -> None:
    from engine import seconds_text

    print(f"{media.filename} ({media.file_id}): {_count(segments)} marked")
    if not segments:
        return
    rows = [(str(i), _clock(s.start), _clock(s.end), seconds_text(s.duration), s.label)
            for i, s in enumerate(segments, 1)]
    head = ("#", "start", "end", "duration", "label")
    widths = [max(len(r[k]) for r in (head, *rows)) for k in range(4)]
    for r in (head, *rows):
        print("  ".join(c.rjust(w) for c, w in zip(r[:4], widths)) + f"  {r[4]}".rstrip())


def _clock(t: float) -> str:
    """``m:ss.fff`` (``h:mm:ss.fff`` past an hour)."""
    from engine import clock_text

    return clock_text(t)


def _count(segments) -> str:
    return f"{len(segments)} segment{'' if len(segments) == 1 else 's'}"


def _read(name: str, field: str) -> str:
    from engine import InvalidRequest, NotFound

    if name == "-":
        return sys.stdin.read()
    try:
        with open(name, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise NotFound(f"there is no file {name}", field=field) from None
    except UnicodeDecodeError:
        raise InvalidRequest(f"{name} is not UTF-8 text", field=field) from None
    except OSError as e:
        raise InvalidRequest(f"cannot read {name}: {e.strerror or e}", field=field) from None


def _write(name: str, text: str) -> None:
    """Written whole or not at all (a temp file beside it, renamed into place)."""
    import os

    from engine import InvalidRequest, atomic_output

    if os.path.isdir(name):
        raise InvalidRequest(f"{name} is a folder; name the CSV file to write", field="export_csv")
    try:
        with atomic_output(name) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as e:
        raise InvalidRequest(f"cannot write {name}: {e.strerror or e}", field="export_csv") from None


__all__ = ["cmd_segments", "parse_marked", "register"]

"""`fastclip clips`: the clips the library made: list, show, rename, pin, delete, export a copy."""

from __future__ import annotations

from .common import EXIT_OK
from .output import describe_clip, done, emit, show
from .session import with_library
from .sources import find_media, page_args


def register(sub) -> None:
    c = sub.add_parser("clips", help="the clips the library made").add_subparsers(
        dest="clips_command", required=True, metavar="ACTION")
    ls = c.add_parser("list", help="clips, newest first")
    ls.add_argument("--source", metavar="FILE_ID|PATH", help="only the clips made from this import")
    ls.add_argument("--all", action="store_true", help="include expired clips")
    page_args(ls)
    ls.set_defaults(func=cmd_clips_list)
    for name, func, help_ in (("show", cmd_clips_show, "one clip"), ("pin", cmd_clips_pin, "keep a clip for good"),
                              ("unpin", cmd_clips_unpin, "let a library clip expire again"),
                              ("delete", cmd_clips_delete, "forget a clip; a library clip's file is deleted")):
        p = c.add_parser(name, help=help_)
        p.add_argument("clip_id", metavar="ID")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
    p = c.add_parser("rename", help="give a clip a title (at most 200 characters)")
    p.add_argument("clip_id", metavar="ID")
    p.add_argument("title", metavar="TITLE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_rename)
    p = c.add_parser("bulk-delete", help="delete up to 50 clips")
    p.add_argument("clip_ids", metavar="ID", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_bulk_delete)
    p = c.add_parser("export", help="copy a clip's file to a place of yours")
    p.add_argument("clip_id", metavar="ID")
    p.add_argument("-o", "--out", required=True, metavar="PATH", help="a file, or a folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_clips_export)


def cmd_clips_list(args) -> int:
    def run(lib):
        source = find_media(lib, args.source).file_id if args.source else None
        items = lib.list_clips(source, args.offset, args.limit, include_expired=args.all)
        if args.json:
            emit({"data": [c.to_dict() for c in items], "offset": args.offset, "limit": args.limit,
                  "total": lib.count_clips(source, include_expired=args.all)})
            return EXIT_OK
        for c in items:
            print(f"{c.clip_id}  {describe_clip(c)}  {c.title}")
        return EXIT_OK

    return with_library(run)


def cmd_clips_show(args) -> int:
    return with_library(lambda lib: show(lib.get_clip(args.clip_id).to_dict(), args.json))


def cmd_clips_rename(args) -> int:
    return with_library(lambda lib: _clip_done(lib.rename_clip(args.clip_id, args.title), args.json, "renamed"))


def cmd_clips_pin(args) -> int:
    return with_library(lambda lib: _clip_done(lib.pin_clip(args.clip_id), args.json, "pinned"))


def cmd_clips_unpin(args) -> int:
    return with_library(lambda lib: _clip_done(lib.unpin_clip(args.clip_id), args.json, "unpinned"))


def cmd_clips_delete(args) -> int:
    return with_library(lambda lib: _clip_done(lib.delete_clip(args.clip_id), args.json, "deleted"))


def cmd_clips_bulk_delete(args) -> int:
    def run(lib):
        r = lib.bulk_delete_clips(args.clip_ids)
        if args.json:
            emit({"deleted": list(r.deleted), "not_found": list(r.not_found)})
        else:
            missing = f"; not found: {', '.join(r.not_found)}" if r.not_found else ""
            print(f"deleted {len(r.deleted)} clip(s){missing}")
        return EXIT_OK

    return with_library(run)


def cmd_clips_export(args) -> int:
    def run(lib):
        clip = lib.get_clip(args.clip_id)
        dest = lib.export_clip_copy(args.clip_id, args.out)
        return done({**clip.to_dict(), "exported_to": str(dest)}, args.json, str(dest))

    return with_library(run)


def _clip_done(clip, as_json: bool, verb: str) -> int:
    return done(clip.to_dict(), as_json, f"{verb} {clip.clip_id}  {describe_clip(clip)}  {clip.title}")

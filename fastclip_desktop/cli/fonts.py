"""`fastclip fonts`: import, list and delete caption fonts (TTF/OTF, at most 10 MB)."""

from __future__ import annotations

import json
import sys

from .common import EXIT_OK, reject


def register(sub) -> None:
    p = sub.add_parser("fonts", help="caption fonts you imported",
                       description="Imported fonts can be used by custom caption presets "
                                   "(--set font_name=FAMILY or --set font_id=ID).")
    cmds = p.add_subparsers(dest="fonts_command", required=True, metavar="ACTION")

    add = cmds.add_parser("add", help="import a TTF or OTF font file (at most 10 MB)")
    add.add_argument("file", metavar="FILE")
    add.add_argument("--json", action="store_true", help="print the imported font as JSON")
    add.set_defaults(func=cmd_add)

    ls = cmds.add_parser("list", help="list imported fonts")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    delete = cmds.add_parser("delete", help="delete an imported font (not while a preset uses it)")
    delete.add_argument("font_id", metavar="ID")
    delete.add_argument("--json", action="store_true")
    delete.set_defaults(func=cmd_delete)


def _run(action) -> int:
    from engine import FastClipError, Library

    try:
        with Library() as library:
            return action(library)
    except FastClipError as e:
        return reject(e)


def _line(font) -> str:
    style = f" {font.subfamily}" if font.subfamily and font.subfamily not in font.family else ""
    return f"{font.font_id}  {font.family}{style}  ({font.format}, {font.glyph_count} glyphs, from {font.filename})"


def cmd_add(args) -> int:
    from engine import import_font

    def action(library):
        font = import_font(library, args.file)
        print(json.dumps(font.to_dict()) if args.json else _line(font))
        return EXIT_OK

    return _run(action)


def cmd_list(args) -> int:
    from engine import list_fonts

    def action(library):
        fonts = list_fonts(library)
        if args.json:
            print(json.dumps([f.to_dict() for f in fonts]))
        elif not fonts:
            print("no imported fonts (fastclip fonts add FILE.ttf)", file=sys.stderr)
        else:
            for font in fonts:
                print(_line(font))
        return EXIT_OK

    return _run(action)


def cmd_delete(args) -> int:
    from engine import delete_font

    def action(library):
        font = delete_font(library, args.font_id)
        print(json.dumps({"deleted": True, "font_id": font.font_id}) if args.json
              else f"deleted {font.font_id}  {font.family}")
        return EXIT_OK

    return _run(action)

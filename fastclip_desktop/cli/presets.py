"""`fastclip presets`: list, show, create, update, delete and preview caption presets."""

from __future__ import annotations

import json
import sys

from .common import EXIT_OK, reject

DEFAULT_TEXT = "This is how your captions will look"
_TEXT_FIELDS = ("name", "font_name", "font_id", "font_source", "clone_from_preset_ref")
_IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def register(sub) -> None:
    p = sub.add_parser("presets", help="caption presets: built-in and your own",
                       description="Built-in presets (builtin:<slug>) are read-only; custom presets (preset:<id>) "
                                   "are clones of another preset with fields changed, kept in the library.")
    cmds = p.add_subparsers(dest="presets_command", required=True, metavar="ACTION")

    ls = cmds.add_parser("list", help="list presets")
    ls.add_argument("--scope", choices=("all", "built_in", "custom"), default="all")
    ls.add_argument("--json", action="store_true", help="print a JSON list with every field")
    ls.set_defaults(func=cmd_list)

    show = cmds.add_parser("show", help="every field of one preset")
    show.add_argument("ref", metavar="REF", help="builtin:<slug> or preset:<id>")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    create = cmds.add_parser("create", help="save a custom preset cloned from another one")
    create.add_argument("--name", help="the new preset's name")
    create.add_argument("--clone", metavar="REF", help="the preset to start from (clone_from_preset_ref)")
    _body_options(create)
    create.set_defaults(func=cmd_create)

    update = cmds.add_parser("update", help="change a custom preset")
    update.add_argument("ref", metavar="REF", help="preset:<id>")
    update.add_argument("--name", help="a new name")
    _body_options(update)
    update.set_defaults(func=cmd_update)

    delete = cmds.add_parser("delete", help="delete a custom preset")
    delete.add_argument("ref", metavar="REF", help="preset:<id>")
    delete.add_argument("--json", action="store_true")
    delete.set_defaults(func=cmd_delete)

    preview = cmds.add_parser("preview", help="draw a preset's caption to an image",
                              description="Draws the first caption page of --text with the same renderer as the "
                                          "burn-in, over a frame of a video or a neutral backdrop.")
    preview.add_argument("ref", metavar="REF")
    preview.add_argument("-o", "--out", metavar="OUT.png", required=True, help="image to write (.png, .jpg, .webp)")
    preview.add_argument("--text", default=DEFAULT_TEXT, help=f"caption text (default: {DEFAULT_TEXT!r})")
    preview.add_argument("--frame", metavar="SOURCE@SECONDS", help="draw over the frame of SOURCE at SECONDS")
    preview.add_argument("--size", metavar="WxH", help="image size (default: the frame's, else 1920x1080)")
    preview.set_defaults(func=cmd_preview)


def _body_options(p) -> None:
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE",
                   help="a style field to set, e.g. --set font_size=90 --set text_color=#ffcc00 (repeatable)")
    p.add_argument("--body", metavar="FILE.json", help="fields as a JSON object, as the API takes them ('-': stdin)")
    p.add_argument("--json", action="store_true", help="print the preset as JSON")


def parse_sets(sets: list[str]) -> dict:
    """``FIELD=VALUE`` pairs; values are JSON where they parse (numbers, true/false), else text."""
    from engine import InvalidRequest

    out = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidRequest(f"--set takes FIELD=VALUE, not {item!r}", field=key or "set")
        if key in _TEXT_FIELDS:
            out[key] = raw
            continue
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


def _body(args) -> dict:
    from pathlib import Path

    from engine import InvalidRequest

    body = {}
    if args.body:
        try:
            text = sys.stdin.read() if args.body == "-" else Path(args.body).read_text(encoding="utf-8")
            body = json.loads(text)
        except OSError as e:
            raise InvalidRequest(f"cannot read {args.body}: {e.strerror}", field="body") from None
        except ValueError as e:
            raise InvalidRequest(f"{args.body} is not valid JSON: {e}", field="body") from None
        if not isinstance(body, dict):
            raise InvalidRequest(f"{args.body} must hold a JSON object of preset fields", field="body")
    body.update(parse_sets(args.sets))
    if getattr(args, "name", None) is not None:
        body["name"] = args.name
    if getattr(args, "clone", None) is not None:
        body["clone_from_preset_ref"] = args.clone
    return body


def _print_preset(preset, as_json: bool) -> None:
    d = preset.to_dict()
    if as_json:
        print(json.dumps(d))
        return
    width = max(len(k) for k in d)
    for k, v in d.items():
        print(f"{k.ljust(width)}  {json.dumps(v) if isinstance(v, bool) or v is None else v}")


def _run(action) -> int:
    from engine import FastClipError, Library

    try:
        with Library() as library:
            return action(library)
    except FastClipError as e:
        return reject(e)


def cmd_list(args) -> int:
    from engine import list_presets

    def action(library):
        presets = list_presets(library, args.scope)
        if args.json:
            print(json.dumps([p.to_dict() for p in presets]))
            return EXIT_OK
        rows = [(p.preset_ref, p.name, f"{p.style.font_name} {p.style.font_size}", p.style.effect,
                 "" if p.editable else "read-only") for p in presets]
        if not rows:
            print("no presets" + (" of your own yet (fastclip presets create --clone REF --name NAME)"
                                  if args.scope == "custom" else ""), file=sys.stderr)
            return EXIT_OK
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
        return EXIT_OK

    return _run(action)


def cmd_show(args) -> int:
    from engine import get_preset

    def action(library):
        _print_preset(get_preset(args.ref, library), args.json)
        return EXIT_OK

    return _run(action)


def cmd_create(args) -> int:
    from engine import create_preset

    def action(library):
        preset = create_preset(library, _body(args))
        if args.json:
            _print_preset(preset, True)
        else:
            print(f"{preset.preset_ref}  {preset.name}  (cloned from {preset.clone_from_preset_ref})")
        return EXIT_OK

    return _run(action)


def cmd_update(args) -> int:
    from engine import update_preset

    def action(library):
        preset = update_preset(library, args.ref, _body(args))
        if args.json:
            _print_preset(preset, True)
        else:
            print(f"{preset.preset_ref}  {preset.name}  updated")
        return EXIT_OK

    return _run(action)


def cmd_delete(args) -> int:
    from engine import delete_preset

    def action(library):
        preset = delete_preset(library, args.ref)
        if args.json:
            print(json.dumps({"deleted": True, "preset_ref": preset.preset_ref}))
        else:
            print(f"deleted {preset.preset_ref}  {preset.name}")
        return EXIT_OK

    return _run(action)


def _size(text: str | None):
    from engine import InvalidRequest

    if text is None:
        return None
    w, sep, h = text.lower().partition("x")
    if not sep or not w.strip().isdigit() or not h.strip().isdigit():
        raise InvalidRequest(f"--size must look like 1920x1080, not {text!r}", field="size")
    return int(w), int(h)


def _frame_source(source: str, library) -> str:
    """A path, or the file of a library import (file_id) or clip (clip_id)."""
    import os

    if os.path.exists(source):
        return source
    from engine import source_kind

    kind = source_kind(source)
    if kind == "path":
        return source  # frame_at says it is missing
    if kind == "file_id":
        return library.check_source(source).path
    return library.get_clip(source).path


def cmd_preview(args) -> int:
    from pathlib import Path

    from engine import (
        InvalidRequest,
        atomic_output,
        frame_at,
        in_worker,
        parse_frame_spec,
        render_preview,
        resolve_preset,
    )

    def action(library):
        out = Path(args.out)
        fmt = _IMAGE_FORMATS.get(out.suffix.lower())
        if fmt is None:
            raise InvalidRequest(f"the preview is written as .png, .jpg or .webp, not {out.name!r}", field="out")
        size = _size(args.size)
        style, font_file = resolve_preset(args.ref, library)
        frame = None
        if args.frame:
            source, seconds = parse_frame_spec(args.frame)
            gen = in_worker(frame_at, _frame_source(source, library), seconds)
            try:
                while True:
                    next(gen)
            except StopIteration as done:
                frame = done.value
        image = render_preview(style, frame, args.text, size or (frame.size if frame else (1920, 1080)),
                               font_file=font_file)
        with atomic_output(out) as tmp:
            image.save(tmp, format=fmt, optimize=True) if fmt == "PNG" else image.save(tmp, format=fmt, quality=90)
        print(str(out))
        return EXIT_OK

    return _run(action)

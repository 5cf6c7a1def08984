"""Reading a batch file: the requests of a JSON list or a CSV table, checked for shape.

JSON: a list of objects shaped like the API's POST /v1/clip body, with ``source`` (a path or a
file_id) instead of ``file_id`` (``file_id`` works too), and optional ``mode`` and ``out``;
``captions`` is a preset ref or the API's ``{"preset_ref": "..."}``. CSV: a header row naming
columns among source,start,end,format,quality,mode,captions,out,kind (empty cells are left out).
Relative paths (sources and outputs) are relative to the batch file's folder. The API's rules
are checked per request later, by the engine.

``kind`` (default ``clip``) says what a row asks for: ``clip``; ``captions``, the whole video with
the ``captions`` preset burned in (POST /v1/captions: ``quality`` and ``out`` apply, no range);
``transcript``, the source's transcript into the transcript cache (``model``, ``language``).
"""

from __future__ import annotations

import json
import os

FIELDS = ("source", "start", "end", "segments", "format", "quality", "mode", "captions", "join", "out", "kind",
          "model", "language")
CSV_FIELDS = ("source", "start", "end", "format", "quality", "mode", "captions", "out", "kind")
KINDS = ("clip", "captions", "transcript")
# the fields each kind takes (besides source and kind)
KIND_FIELDS = {
    "clip": ("start", "end", "segments", "format", "quality", "mode", "captions", "join", "out"),
    "captions": ("captions", "quality", "out"),
    "transcript": ("model", "language"),
}
MAX_ENTRIES = 10_000



def read_batch(path: str) -> list[dict]:
    """The entries of a batch file, checked for shape (the rules are checked per entry later)."""
    from engine import InvalidRequest, NotFound

    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise NotFound(f"no such batch file: {path}", field="file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidRequest(f"cannot read the batch file {path}: {e}", field="file") from None
    is_json = path.lower().endswith(".json") or (not path.lower().endswith(".csv") and text.lstrip()[:1] == "[")
    entries = _json_entries(text) if is_json else _csv_entries(text)
    if not entries:
        raise InvalidRequest("the batch file has no requests", field="file")
    if len(entries) > MAX_ENTRIES:
        raise InvalidRequest(f"a batch file may hold at most {MAX_ENTRIES} requests ({len(entries)} given)",
                             field="file")
    base = os.path.dirname(os.path.abspath(path))
    outs: dict[str, int] = {}
    for i, e in enumerate(entries):
        e["source"] = _resolve(e["source"], base)
        if e.get("out"):
            trailing = e["out"].endswith(("/", os.sep))
            e["out"] = os.path.join(base, os.path.expanduser(e["out"])) + (os.sep if trailing else "")
            if not trailing and not os.path.isdir(e["out"]):
                if e["out"] in outs:
                    raise InvalidRequest(f"requests {outs[e['out']] + 1} and {i + 1} both write {e['out']}",
                                         field=f"[{i}].out")
                outs[e["out"]] = i
    return entries


def _resolve(source: str, base: str) -> str:
    from engine import source_kind

    if source_kind(source) != "path":
        return source
    return os.path.join(base, os.path.expanduser(source))


def _json_entries(text: str) -> list[dict]:
    from engine import InvalidRequest

    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidRequest(f"the batch file is not valid JSON: {e}", field="file") from None
    if not isinstance(data, list):
        raise InvalidRequest("a JSON batch file holds a list of clip requests", field="file")
    entries = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidRequest(f"request {i + 1} is not an object", field=f"[{i}]")
        item = dict(item)
        if "file_id" in item and "source" not in item:  # the API's own field name
            item["source"] = item.pop("file_id")
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise InvalidRequest(f"request {i + 1} has unknown field {unknown[0]!r} (fields: {', '.join(FIELDS)})",
                                 field=f"[{i}].{unknown[0]}")
        entries.append(_checked(item, i))
    return entries


def _csv_entries(text: str) -> list[dict]:
    import csv
    import io

    from engine import InvalidRequest

    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "source" not in header:
        raise InvalidRequest(f"a CSV batch file starts with a header row naming its columns "
                             f"({','.join(CSV_FIELDS)})", field="file")
    unknown = [h for h in header if h not in CSV_FIELDS]
    if unknown:
        raise InvalidRequest(f"unknown CSV column {unknown[0]!r} (columns: {','.join(CSV_FIELDS)})", field="file")
    entries = []
    for i, row in enumerate(rows[1:]):
        if len(row) > len(header):
            raise InvalidRequest(f"row {i + 2} has more cells than the header", field=f"[{i}]")
        item = {h: c.strip() for h, c in zip(header, row) if c.strip()}
        entries.append(_checked(item, i))
    return entries


def _checked(item: dict, i: int) -> dict:
    from engine import InvalidRequest

    def bad(field: str, what: str):
        return InvalidRequest(f"request {i + 1}: {field} must be {what}", field=f"[{i}].{field}")

    if not isinstance(item.get("source"), str) or not item["source"].strip():
        raise bad("source", "a path or a file_id")
    for key in ("start", "end"):
        v = item.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, str))):
            raise bad(key, "a number of seconds")
    captions = item.get("captions")
    if isinstance(captions, dict):  # the API's form: {"preset_ref": "builtin:..."}
        if set(captions) != {"preset_ref"} or not isinstance(captions["preset_ref"], str):
            raise bad("captions", 'a preset ref, or {"preset_ref": "..."}')
        item["captions"] = captions["preset_ref"]
    for key in ("format", "quality", "mode", "captions", "out", "kind", "model", "language"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise bad(key, "text")
    kind = item.setdefault("kind", "clip")
    if kind not in KINDS:
        raise bad("kind", " or ".join(KINDS))
    extra = sorted(k for k in item if k not in ("source", "kind", *KIND_FIELDS[kind]) and item[k] is not None)
    if extra:
        raise InvalidRequest(f"request {i + 1}: a {kind} request takes no {extra[0]} (it takes "
                             f"{', '.join(KIND_FIELDS[kind])})", field=f"[{i}].{extra[0]}")
    if kind == "captions" and not item.get("captions"):
        raise bad("captions", "a caption preset ref for a captions request, e.g. builtin:bold-pop")
    if item.get("join") is not None and not isinstance(item["join"], bool):
        raise bad("join", "true or false")
    segments = item.get("segments")
    if segments is not None:
        if not isinstance(segments, list):
            raise bad("segments", "a list of {\"start\", \"end\"} objects")
        fixed = []
        for s in segments:
            if isinstance(s, dict) and set(s) <= {"start", "end"}:
                fixed.append((s.get("start"), s.get("end")))
            elif isinstance(s, (list, tuple)) and len(s) == 2:
                fixed.append(tuple(s))
            else:
                raise bad("segments", "a list of {\"start\", \"end\"} objects")
        item["segments"] = fixed
    return item

"""Caption presets and fonts: ``/v1/caption-presets`` (list, create, show, change, delete) and
``/v1/caption-fonts`` (list, upload as ``multipart/form-data``, delete).

The rules are the engine's (``create_preset`` checks every field; ``import_font`` takes a TTF or
OTF of at most 10 MB, checked in a worker process, as ``fastclip fonts add`` does). An uploaded
font is first written to a folder of its own under the library's ``uploads/``, named after the
client's file name made safe, and removed once imported.
"""

from __future__ import annotations

import secrets
import shutil

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import (
    atomic_output,
    check_upload_name,
    create_preset,
    delete_font,
    delete_preset,
    get_preset,
    import_font,
    list_fonts,
    list_presets,
    update_preset,
    upload_stored_name,
)

from .body import digits, json_body, read_bytes, token_param, too_large
from .errors import invalid
from .routing import ApiRoute

MAX_FONT_BYTES = 10 * 1024 * 1024
MAX_FORM_BYTES = MAX_FONT_BYTES + 64 * 1024  # the font and the form around it
SCOPES = ("all", "built_in", "custom")


def _ref(request: Request) -> str:
    return token_param(request, "preset_ref", "caption preset")


async def presets(request: Request, api) -> JSONResponse:
    scope = request.query_params.get("scope", "all")
    if scope not in SCOPES:
        raise invalid(f"scope must be one of {', '.join(SCOPES)}", "scope")
    found = await api.db(list_presets, api.library, scope)
    return JSONResponse([p.to_dict() for p in found])


async def create(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    preset = await api.db(create_preset, api.library, body.data)
    return JSONResponse(preset.to_dict(), status_code=201)


async def show(request: Request, api) -> JSONResponse:
    return JSONResponse((await api.db(get_preset, _ref(request), api.library)).to_dict())


async def change(request: Request, api) -> JSONResponse:
    ref = _ref(request)
    body = await json_body(request)
    return JSONResponse((await api.db(update_preset, api.library, ref, body.data)).to_dict())


async def remove(request: Request, api) -> JSONResponse:
    preset = await api.db(delete_preset, api.library, _ref(request))
    return JSONResponse({"deleted": True, "preset_ref": preset.preset_ref})


async def fonts(request: Request, api) -> JSONResponse:
    return JSONResponse([_font_json(f) for f in await api.db(list_fonts, api.library)])


def _font_json(font) -> dict:
    d = font.to_dict()
    d.pop("path", None)
    return d


async def upload_font(request: Request, api) -> JSONResponse:
    """The font is the form's ``file`` field (or the whole body when it is not a form); its name is the
    ``filename`` query parameter, else the form's file name."""
    declared = request.headers.get("content-length")
    if not digits(declared):
        raise invalid("send the font with a Content-Length", "Content-Length")
    if int(declared) > MAX_FORM_BYTES:
        raise too_large(MAX_FONT_BYTES, "a caption font")
    name = request.query_params.get("filename")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        data, form_name = await _form_file(request)
        name = name or form_name
    else:
        data = await read_bytes(request, MAX_FONT_BYTES)
    if not data:
        raise invalid("send the font as the form's file field", "file")
    if len(data) > MAX_FONT_BYTES:
        raise too_large(MAX_FONT_BYTES, "a caption font")
    font = await api.db(_import, api, name or "font", data)
    return JSONResponse(_font_json(font), status_code=201)


async def _form_file(request: Request) -> tuple[bytes, str | None]:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as e:  # noqa: BLE001 - a malformed form is the client's mistake
        raise invalid(f"the body is not a readable multipart form: {str(e)[:200]}", "file") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise invalid("the form must have a file field holding the font", "file")
        data = await file.read(MAX_FONT_BYTES + 1)
        return data, file.filename
    finally:
        await form.close()


def _import(api, name: str, data: bytes):
    """Write the font where the library says (a folder of its own), import it, remove the copy."""
    lib = api.library
    folder = lib.uploads_dir / f".font-{secrets.token_hex(8)}"
    try:
        path = folder / upload_stored_name(check_upload_name(name))
        with atomic_output(path) as tmp:
            tmp.write_bytes(data)
        return import_font(lib, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def delete_imported_font(request: Request, api) -> JSONResponse:
    font = await api.db(delete_font, api.library, token_param(request, "font_id", "font"))
    return JSONResponse({"deleted": True, "font_id": font.font_id})


ROUTES = [
    ApiRoute("GET", "/v1/caption-presets", presets, "Caption presets: built-in and custom", "Captions",
             query=("scope",)),
    ApiRoute("POST", "/v1/caption-presets", create, "Save a custom preset cloned from another", "Captions",
             body={"type": "object", "required": ["name", "clone_from_preset_ref"], "properties": {
                 "name": {"type": "string"}, "clone_from_preset_ref": {"type": "string"},
                 "font_name": {"type": "string"}, "font_size": {"type": "integer"}}}, statuses=(201,)),
    ApiRoute("GET", "/v1/caption-presets/{preset_ref}", show, "One preset (builtin:<slug> or preset:<id>)",
             "Captions"),
    ApiRoute("PATCH", "/v1/caption-presets/{preset_ref}", change, "Change a custom preset", "Captions",
             body={"type": "object"}),
    ApiRoute("DELETE", "/v1/caption-presets/{preset_ref}", remove, "Delete a custom preset", "Captions"),
    ApiRoute("GET", "/v1/caption-fonts", fonts, "Imported caption fonts", "Captions"),
    ApiRoute("POST", "/v1/caption-fonts", upload_font, "Upload a TTF/OTF font (multipart form field file, "
             "at most 10 MB)", "Captions", query=("filename",), statuses=(201,)),
    ApiRoute("DELETE", "/v1/caption-fonts/{font_id}", delete_imported_font,
             "Delete an imported font (not while a preset uses it)", "Captions"),
]


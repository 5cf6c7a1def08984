"""Reading what a client sends: JSON bodies (at most 1 MiB, an object), their fields by type, query
numbers, and ids in paths. Every refusal is a 400 naming the field, never a 500."""

from __future__ import annotations

import json
import math
import re

from starlette.requests import ClientDisconnect, Request

from .errors import ApiError, invalid

MAX_JSON_BYTES = 1024 * 1024
MAX_TEXT = 4096
_FILE_ID = re.compile(r"^upl_[0-9a-f]{12}$")
_JOB_ID = re.compile(r"^job_[0-9a-f]{12}$")
_CLIP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_:.-]{1,120}$")  # webhook, key, font and preset ids


def digits(text: str | None, max_len: int = 18) -> bool:
    """Whether ``text`` is a plain decimal number (ASCII digits only: "²".isdigit() is true)."""
    return text is not None and 0 < len(text) <= max_len and all("0" <= c <= "9" for c in text)


def too_large(limit: int, what: str = "the request body") -> ApiError:
    return ApiError(413, "payload_too_large", f"{what} is larger than {limit} bytes", "body")


async def read_bytes(request: Request, limit: int) -> bytes:
    """The whole body, refused (413) past ``limit`` bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not digits(declared):
            raise invalid("Content-Length must be a number of bytes", "Content-Length")
        if int(declared) > limit:
            raise too_large(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise invalid("the client went away before the body was sent", "body") from None
    return b"".join(chunks)


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


async def json_body(request: Request) -> Fields:
    """The body as a JSON object (an empty body is ``{}``)."""
    raw = await read_bytes(request, MAX_JSON_BYTES)
    if not raw.strip():
        return Fields({})
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise invalid(f"the body is not valid JSON: {str(e)[:200]}", "body") from None
    if not isinstance(data, dict):
        raise invalid(f"the body must be a JSON object, not {_kind(data)}", "body")
    return Fields(data)


def _kind(v) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")


class Fields:
    """A JSON object's fields, each read with its expected type (a wrong type is a 400 naming it)."""

    def __init__(self, data: dict, prefix: str = ""):
        self.data, self.prefix = data, prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def _get(self, key: str, required: bool):
        value = self.data.get(key)
        if value is None and required:
            raise invalid(f"{self.name(key)} is required", self.name(key))
        return value

    def text(self, key: str, *, required: bool = False, max_len: int = MAX_TEXT, blank: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise invalid(f"{self.name(key)} must be text, not {_kind(value)}", self.name(key))
        if len(value) > max_len or "\x00" in value:
            raise invalid(f"{self.name(key)} must be at most {max_len} characters, without NUL", self.name(key))
        if not blank and not value.strip() and required:
            raise invalid(f"{self.name(key)} must not be empty", self.name(key))
        return value

    def number(self, key: str, *, required: bool = False) -> float | int | None:
        value = self._get(key, required)
        if value is None:
            return None
        # (the size first: math.isfinite of an integer past a float's range raises OverflowError)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > 1e12 \
                or not math.isfinite(value):
            raise invalid(f"{self.name(key)} must be a number, not {_kind(value)}", self.name(key))
        return value

    def whole(self, key: str, *, required: bool = False, low: int = 0, high: int = 2**62) -> int | None:
        value = self.number(key, required=required)
        if value is None:
            return None
        if isinstance(value, float):
            if not value.is_integer():
                raise invalid(f"{self.name(key)} must be a whole number", self.name(key))
            value = int(value)
        if not low <= value <= high:
            raise invalid(f"{self.name(key)} must be from {low} to {high}", self.name(key))
        return value

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise invalid(f"{self.name(key)} must be true or false, not {_kind(value)}", self.name(key))
        return value

    def items(self, key: str, *, required: bool = False, max_items: int = 1000) -> list | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise invalid(f"{self.name(key)} must be a list, not {_kind(value)}", self.name(key))
        if len(value) > max_items:
            raise invalid(f"{self.name(key)} may hold at most {max_items} items", self.name(key))
        return value

    def texts(self, key: str, *, required: bool = False, max_items: int = 1000, max_len: int = 200) -> list[str] | None:
        values = self.items(key, required=required, max_items=max_items)
        if values is None:
            return None
        for i, v in enumerate(values):
            if not isinstance(v, str) or len(v) > max_len or "\x00" in v:
                raise invalid(f"{self.name(key)}[{i}] must be text of at most {max_len} characters",
                              f"{self.name(key)}[{i}]")
        return values

    def obj(self, key: str, *, required: bool = False) -> Fields | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(f"{self.name(key)} must be an object, not {_kind(value)}", self.name(key))
        return Fields(value, f"{self.name(key)}.")

    def objects(self, key: str, *, required: bool = False, max_items: int = 1000) -> list[Fields] | None:
        values = self.items(key, required=required, max_items=max_items)
        if values is None:
            return None
        out = []
        for i, v in enumerate(values):
            if not isinstance(v, dict):
                raise invalid(f"{self.name(key)}[{i}] must be an object, not {_kind(v)}", f"{self.name(key)}[{i}]")
            out.append(Fields(v, f"{self.name(key)}[{i}]."))
        return out


def query_int(request: Request, key: str, default: int, *, low: int = 0, high: int = 100) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    if not digits(raw, 12) or not low <= int(raw) <= high:
        raise invalid(f"{key} must be a whole number from {low} to {high}", key)
    return int(raw)


def _id(value: str, pattern: re.Pattern, what: str, field: str) -> str:
    if not pattern.match(value):
        raise ApiError(404, "not_found", f"no {what} {value[:80]!r}", field)
    return value


def file_id_param(request: Request) -> str:
    return _id(request.path_params["file_id"], _FILE_ID, "upload", "file_id")


def job_id_param(request: Request) -> str:
    return _id(request.path_params["job_id"], _JOB_ID, "job", "job_id")


def clip_id_param(request: Request) -> str:
    return _id(request.path_params["clip_id"], _CLIP_ID, "clip", "clip_id")


def token_param(request: Request, key: str, what: str) -> str:
    return _id(request.path_params[key], _TOKEN, what, key)


def is_file_id(value) -> bool:
    return isinstance(value, str) and bool(_FILE_ID.match(value))


def is_clip_id(value) -> bool:
    return isinstance(value, str) and bool(_CLIP_ID.match(value))

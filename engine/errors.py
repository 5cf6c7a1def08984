"""The engine's one error hierarchy.

Every error the engine raises on purpose is a :class:`FastClipError` with a
stable ``code`` (the FastClip API's vocabulary) and, where one applies, the
``field`` of the request it concerns. Front ends turn these into exit codes or
dialogs; the engine never prints or exits.
"""

from __future__ import annotations


class FastClipError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}

    def __reduce__(self):  # survives the trip back from a worker process
        return (_rebuild, (type(self).__name__, self.message, self.field))


class InvalidRequest(FastClipError):
    """A request breaks one of the API's rules (HTTP 400/422)."""

    code = "invalid_request"


class NotFound(FastClipError):
    """A file, media, clip or preset does not exist (HTTP 404)."""

    code = "not_found"


class Conflict(FastClipError):
    """The thing exists but is not in a state that allows this (HTTP 409)."""

    code = "conflict"


class Forbidden(FastClipError):
    """Understood, but not allowed here (HTTP 403): e.g. a path outside the folders the local API may read."""

    code = "forbidden"


class Gone(FastClipError):
    """It existed, but has expired, moved or changed (HTTP 410)."""

    code = "gone"


class UnsupportedMedia(FastClipError):
    """The file is not media we accept, or is damaged (HTTP 422)."""

    code = "unsupported_media"


class ProcessingFailed(FastClipError):
    """Work on valid input failed (a decoder crashed, the disk filled, ...)."""

    code = "processing_failed"


class Cancelled(FastClipError):
    """The work was cancelled by the user."""

    code = "cancelled"


_BY_NAME = {
    cls.__name__: cls
    for cls in (
        FastClipError,
        InvalidRequest,
        NotFound,
        Conflict,
        Forbidden,
        Gone,
        UnsupportedMedia,
        ProcessingFailed,
        Cancelled,
    )
}


def _rebuild(name: str, message: str, field: str | None) -> FastClipError:
    return _BY_NAME.get(name, FastClipError)(message, field=field)

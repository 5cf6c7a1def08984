"""Signed URLs: what lets a ``PUT`` to an upload URL, or a ``<video>`` tag on a download URL, work
without an API key, as a presigned URL does. The signature is an HMAC-SHA256, with the library's
signing secret, of the URL's path and its expiry (Unix seconds); it is checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

UPLOAD_URL_S = 3600  # the API's expires_in
DOWNLOAD_URL_S = 3600 * 6


class Signer:
    def __init__(self, secret: bytes):
        self._secret = secret

    def signature(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, base: str, path: str, ttl_s: int) -> str:
        """``base`` + ``path`` with ``expires`` and ``sig`` (expiry rounded up to a minute, so that
        a client polling a job sees one URL for a while)."""
        expires = (int(time.time()) + ttl_s + 59) // 60 * 60
        return f"{base}{quote(path)}?expires={expires}&sig={self.signature(path, expires)}"

    def check(self, path: str, query) -> bool:
        """Whether the query (``expires``, ``sig``) signs ``path`` and has not expired."""
        expires, sig = query.get("expires", ""), query.get("sig", "")
        if not 0 < len(expires) <= 12 or not all("0" <= c <= "9" for c in expires) or len(sig) != 64:
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self.signature(path, int(expires)), sig)

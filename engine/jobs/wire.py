"""The worker's end of its pipe to the runner when the worker is a fork (``StartedWorker.early``):
what it uses of a ``multiprocessing.connection.Connection`` (send, recv, poll, close), speaking the
same framing, so that the runner's end is a real Connection.

A forked worker would otherwise import ``multiprocessing.connection`` itself before it can say it
is ready: ~17 ms (subprocess, tempfile, shutil come with it) on the critical path of a one-cut
command that takes ~200. Framing, as multiprocessing writes it: a signed 4-byte big-endian length
(or -1 and an unsigned 8-byte one), then the pickled object.
"""

from __future__ import annotations

import os
import pickle
import select
import struct

_SMALL = struct.Struct("!i")
_LARGE = struct.Struct("!Q")


class WireConnection:
    """A duplex socket (its file descriptor) with multiprocessing's message framing."""

    def __init__(self, fd: int):
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def send(self, obj) -> None:
        data = pickle.dumps(obj, protocol=pickle.DEFAULT_PROTOCOL)
        n = len(data)
        header = _SMALL.pack(n) if n <= 0x7FFFFFFF else _SMALL.pack(-1) + _LARGE.pack(n)
        self._write(header + data)

    def recv(self):
        (n,) = _SMALL.unpack(self._read(4))
        if n == -1:
            (n,) = _LARGE.unpack(self._read(8))
        return pickle.loads(self._read(n))

    def poll(self, timeout: float = 0.0) -> bool:
        readable, _, _ = select.select([self._fd], [], [], timeout)
        return bool(readable)

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]

    def _read(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = os.read(self._fd, left)
            if not chunk:
                raise EOFError("the runner closed the pipe")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

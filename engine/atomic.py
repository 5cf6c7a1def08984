"""Nothing half-written: outputs appear at their path complete, or not at all."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

TEMP_MARK = ".fastclip-part"


def temp_path_for(dest: Path) -> Path:
    """A hidden temp file beside ``dest``, so the final rename stays on one filesystem."""
    return dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}{TEMP_MARK}{dest.suffix}")


@contextlib.contextmanager
def atomic_output(dest: str | os.PathLike):
    """Yield a temp path to write; on success fsync it and rename it onto ``dest``.

    On any exception (including cancellation through ``GeneratorExit`` and
    ``KeyboardInterrupt``) the temp file is removed and ``dest`` is untouched.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dest)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temps(folder: str | os.PathLike) -> int:
    """Delete temp files a killed export left in ``folder``; return how many."""
    n = 0
    for p in Path(folder).glob(f".*{TEMP_MARK}*"):
        with contextlib.suppress(OSError):
            p.unlink()
            n += 1
    return n


def remove_job_temps(out: str | os.PathLike) -> int:
    """Remove the temp files an interrupted write of ``out`` left beside it (only that output's:
    other jobs may be writing in the same folder); return how many."""
    dest = Path(out)
    pattern = re.compile(rf"^\.{re.escape(dest.stem)}\.[0-9a-f]{{8}}{re.escape(TEMP_MARK)}{re.escape(dest.suffix)}$")
    n = 0
    with contextlib.suppress(OSError):
        for p in dest.parent.iterdir():
            if pattern.match(p.name):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
    return n

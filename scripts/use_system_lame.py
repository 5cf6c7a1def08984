"""Point PyAV's bundled libmp3lame at the system's, when both are LAME 3.100.

Measured on this project's 2-core machines: the libmp3lame inside the PyAV
wheel encodes 4 minutes of stereo 48 kHz at -q:a 2 in ~5.2 s, the same LAME
3.100 from Debian in ~1.6 s (as fast as the ffmpeg CLI), to a file of the
same size. Same version, same ABI: the wheel's copy is simply built slower.

Safe by construction: it only acts on Linux, only when the system library
exists and reports the same LAME version as the bundled one, keeps the
bundled file as ``*.bundled`` and is idempotent. Anything else: it says why
and changes nothing. Run with the project's venv Python after pip install.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import subprocess
import sys
from pathlib import Path


def lame_version(path: str) -> str | None:
    try:
        lib = ctypes.CDLL(path)
        lib.get_lame_version.restype = ctypes.c_char_p
        return lib.get_lame_version().decode()
    except (OSError, AttributeError):
        return None


def system_lame() -> str | None:
    if not ctypes.util.find_library("mp3lame"):
        return None
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libmp3lame.so.0 " in line and "=>" in line and ("x86-64" in line or "AArch64" in line or "64" in line):
            return line.split("=>", 1)[1].strip()
    return None


def main() -> int:
    if sys.platform != "linux":
        return 0
    spec = importlib.util.find_spec("av")
    if spec is None or not spec.origin:
        print("use_system_lame: PyAV is not installed; nothing to do")
        return 0
    libs = Path(spec.origin).parent.parent / "av.libs"
    bundled = sorted(p for p in libs.glob("libmp3lame-*.so*") if not p.name.endswith(".bundled"))
    if not bundled:
        return 0
    target = bundled[0]
    system = system_lame()
    if system is None:
        print("use_system_lame: no system libmp3lame; keeping PyAV's (mp3 export ~3x slower)")
        return 0
    if target.is_symlink() and os.path.realpath(target) == os.path.realpath(system):
        return 0
    keep = target.with_name(target.name + ".bundled")
    mine = lame_version(str(keep if keep.exists() else target))
    theirs = lame_version(system)
    if not mine or mine != theirs:
        print(f"use_system_lame: versions differ (PyAV {mine}, system {theirs}); keeping PyAV's")
        return 0
    if not keep.exists():
        target.rename(keep)
    else:
        target.unlink()
    target.symlink_to(system)
    print(f"use_system_lame: PyAV now uses the system LAME {theirs} ({system})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

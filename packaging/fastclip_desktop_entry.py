"""The frozen `fastclip-desktop` (windowed) executable's entry point, for PyInstaller (build.spec).

The same ``main`` as the ``fastclip-desktop`` gui script, after two things only a frozen app needs:

- ``freeze_support``: worker processes (spawn) re-run this executable; there they become the
  worker and never open a window.
- libmpv: python-mpv looks it up with ``ctypes.util.find_library("mpv")``, which on Linux asks
  the system (ldconfig) and so finds nothing on a machine without mpv installed. The bundle
  carries its own libmpv.so.2 beside the other libraries; point that lookup at it.

``fastclip-desktop --check-bundle [FILE]`` opens no window: it loads libmpv through python-mpv,
says which file it loaded and its API version, plays FILE (if given) with no video or audio
output until it starts and prints its duration, and exits 0. A packager's smoke test, and
tests/test_bundle.py's.
"""

import multiprocessing
import sys


def _use_bundled_libmpv() -> None:
    import ctypes.util
    import os

    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libmpv.so.2")
    if not os.path.isfile(bundled):
        return  # not a Linux bundle: the system's (or PyInstaller's own lookup) it is
    system_find_library = ctypes.util.find_library

    def find_library(name):
        return bundled if name == "mpv" else system_find_library(name)

    ctypes.util.find_library = find_library


def _check_bundle(files: list[str]) -> int:
    import locale

    locale.setlocale(locale.LC_NUMERIC, "C")  # libmpv refuses other decimal separators
    import mpv

    version = mpv.backend.mpv_client_api_version()
    print(f"libmpv {mpv.backend._name} api {version >> 16}.{version & 0xFFFF}", flush=True)
    for path in files:
        player = mpv.MPV(vo="null", ao="null", pause=True)
        try:
            player.play(path)
            player.wait_for_property("duration", timeout=10)
            print(f"played {path}: duration {player.duration:.3f}", flush=True)
        finally:
            player.terminate()
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False):
        _use_bundled_libmpv()

    if sys.argv[1:2] == ["--check-bundle"]:
        sys.exit(_check_bundle(sys.argv[2:]))

    from fastclip_desktop.app import main

    sys.exit(main())

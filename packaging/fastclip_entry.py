"""The frozen `fastclip` (console) executable's entry point, for PyInstaller (build.spec).

The same ``main`` as the ``fastclip`` console script. ``freeze_support`` comes first: the
engine's job workers are started with multiprocessing's spawn, which in a frozen app re-runs
this executable with ``--multiprocessing-fork``; there it becomes the worker and never
reaches the CLI.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()

    from fastclip_desktop.cli import main

    sys.exit(main())

"""What every command shares: exit codes and how an engine error is spoken."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_FAILED, EXIT_REJECTED, EXIT_INTERRUPTED = 0, 1, 2, 130


def reject(e) -> int:
    """One line on stderr naming the problem; the request was rejected."""
    where = f" [{e.field}]" if getattr(e, "field", None) else ""
    print(f"fastclip: {e.code}{where}: {e.message}", file=sys.stderr)
    return EXIT_REJECTED

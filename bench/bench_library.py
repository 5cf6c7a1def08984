"""Library benchmark: a library of 10,000 clips, timed where a user waits on it.

    python bench/bench_library.py               # 10,000 clips, median of 20
    python bench/bench_library.py --clips 50000 --rounds 50

Fills a fresh library (in a temp FASTCLIP_HOME, deleted afterwards) through the public API,
then times each operation ``--rounds`` times and prints the median in ms against the target
(50 ms for listing the first page and for pinning). Not part of the test suite; exit status
is 1 only with --strict and a missed target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from engine.library import Library

TARGET_MS = 50.0
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def fill(lib: Library, folder: Path, clips: int, sources: int) -> list[str]:
    ids = []
    for s in range(sources):
        src = folder / f"source_{s}.mp4"
        src.write_bytes(MP4_HEAD + os.urandom(4096))
        m = lib.add_media(src)
        lib.mark_media_ready(m.file_id, {"duration": 3600.0, "media_kind": "video", "has_video": True,
                                         "has_audio": True, "max_height": 1080, "container": "mp4"})
        ids.append(m.file_id)
    for i in range(clips):
        out = lib.clips_dir / f"clip_{i:06d}.mp4"
        out.write_bytes(MP4_HEAD)
        lib.add_clip(path=out, format="mp4", duration=30.0, quality="1080p", aspect_ratio="16:9",
                     source_file_id=ids[i % sources], job_id=f"job_{i:012x}")
    return ids


def median_ms(fn, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), max(samples)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=10_000)
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fastclip-bench-lib-") as tmp:
        os.environ["FASTCLIP_HOME"] = tmp
        lib = Library()
        t = time.perf_counter()
        sources = fill(lib, Path(tmp), args.clips, args.sources)
        fill_s = time.perf_counter() - t
        print(f"filled {args.clips} clips from {args.sources} sources in {fill_s:.1f} s "
              f"({fill_s / args.clips * 1000:.2f} ms per add_clip); library.db "
              f"{(Path(tmp) / 'library.db').stat().st_size / 1e6:.1f} MB + WAL")
        some = lib.list_clips(offset=args.clips // 2, limit=1)[0].clip_id
        pin_state = [False]

        def pin_toggle():
            (lib.unpin_clip if pin_state[0] else lib.pin_clip)(some)
            pin_state[0] = not pin_state[0]

        cases = [
            ("list_clips(): first page of 20", lambda: lib.list_clips(), TARGET_MS),
            ("list_clips(source): first page", lambda: lib.list_clips(source=sources[3]), TARGET_MS),
            ("pin_clip / unpin_clip", pin_toggle, TARGET_MS),
            ("list_clips(): page 400 (offset 8000)", lambda: lib.list_clips(offset=8000), None),
            ("count_clips()", lambda: lib.count_clips(), None),
            ("get_clip", lambda: lib.get_clip(some), None),
            ("sweep_expired (nothing due)", lambda: lib.sweep_expired(), None),
        ]
        missed = False
        print(f"{'operation':<40} {'median ms':>10} {'max ms':>8}  target")
        for name, fn, target in cases:
            fn()  # warm the page cache
            med, worst = median_ms(fn, args.rounds)
            verdict = "" if target is None else (f"<= {target:g} ms  " + ("ok" if med <= target else "MISSED"))
            missed |= target is not None and med > target
            print(f"{name:<40} {med:>10.3f} {worst:>8.3f}  {verdict}")
        print(f"integrity: {lib.check_integrity() or 'ok'}")
        lib.close()
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())

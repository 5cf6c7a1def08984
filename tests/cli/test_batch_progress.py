"""The live view of `fastclip batch` on a terminal: a bar per running job (with the cluster worker
running it) and the batch's line with done, failed, running, queued and the time left."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

from engine.jobs.recorder import JobUpdate
from fastclip_desktop.cli.batch_progress import BatchProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def entry(i: int, job_id: str, out: str, skipped: bool = False):
    job = SimpleNamespace(job_id=job_id, kind="clip", request={"out": out})
    return SimpleNamespace(i=i, spec={"source": "talk.mp4"}, jobs=[job], skipped={job_id} if skipped else set())


def test_the_batch_line_counts_done_failed_running_queued_and_tells_the_time_left():
    screen = Terminal()
    where = {"job_b": "tcp://10.0.0.5:40123"}
    view = BatchProgress(screen, 5, where=where.get)
    view.start([entry(0, "job_a", "/o/a.mp4", skipped=True), entry(1, "job_b", "/o/b.mp4"),
                entry(2, "job_c", "/o/c.mp4"), entry(3, "job_d", "/o/d.mp4"), entry(4, "job_e", "/o/e.mp4")])
    view.began = time.monotonic() - 20  # 20 s into the batch
    view.job(JobUpdate("job_b", "clip", "processing", 50, "cutting", None))
    view.job(JobUpdate("job_c", "clip", "downloading", 0, "sent to the cluster", None))  # no worker yet
    view.job(JobUpdate("job_d", "clip", "complete", 100, "done", None))
    view.job(JobUpdate("job_e", "clip", "failed", 0, "failed", None, error={"message": "gone"}))
    frame = screen.getvalue().rsplit("\x1b[J", 1)[-1].splitlines()  # the last frame drawn
    assert any("b.mp4" in line and " 50% cutting on 10.0.0.5:40123" in line for line in frame)
    batch = frame[-1]
    assert batch.startswith("batch [") and "2/5 done, 1 failed, 1 running, 1 queued" in batch
    assert batch.endswith("0:20, ~0:08 left")  # 3.5 of 5 in 20 s: 1.5 more take ~8.6 s

"""`fastclip batch FILE --scheduler ADDRESS`: the batch's jobs as Dask tasks on a cluster.

The batch is read and planned as without ``--scheduler`` (``batch.plan``: new sources are imported
on this machine, each request becomes job rows of its library, what an earlier run completed is
skipped); then the engine's :func:`connect_cluster` runs the jobs on the cluster, and this module
shows it: the cluster's workers (and any refused, with the reason), its dashboard link when it has
one, the progress bar (done, failed, running, the time left; off a terminal, one line per job that
ends), and the summary table with the worker that ran each job.

When the scheduler goes away the batch stops with one sentence after the summary of what was
done (exit 1); running the same batch again does the rest. Ctrl+C cancels the cluster's tasks;
what had finished is recorded and shown.
"""

from __future__ import annotations

import sys

from .batch import jobs_to_run, plan
from .batch_progress import BatchProgress
from .batch_summary import report
from .common import EXIT_FAILED, reject


def run_on_cluster(args, entries: list[dict]) -> int:
    from engine import FastClipError, PathMap, connect_cluster

    from .session import with_runner

    try:
        path_map = PathMap.parse(args.path_map)
    except FastClipError as e:
        return reject(e)
    view = BatchProgress(sys.stderr, len(entries), where=lambda job_id: None)
    view.note(f"connecting to {args.scheduler}")
    try:
        cluster = connect_cluster(args.scheduler, path_map=path_map)
    except FastClipError as e:
        return reject(e)
    try:
        view.where = cluster.where.get  # (filled in as the jobs start on workers)
        _describe(cluster, view)
        return with_runner(lambda lib, runner: _run(lib, runner, cluster, entries, args, view), workers=args.workers)
    finally:
        cluster.close()


def _describe(cluster, view: BatchProgress) -> None:
    hosts = ", ".join(a.split("://", 1)[-1] for a in cluster.usable)
    view.say(f"cluster {cluster.address}: {len(cluster.usable)} worker(s) ({hosts})")
    for address, why in cluster.refused.items():
        view.say(f"worker {address} refused: {why}")
    if cluster.dashboard_link:
        view.say(f"dashboard: {cluster.dashboard_link}")
    if cluster.path_map:
        view.say(f"path rules (here=workers): {cluster.path_map}")


def _run(lib, runner, cluster, specs: list[dict], args, view: BatchProgress) -> int:
    from engine import SchedulerLost

    entries = plan(lib, runner, specs, view)
    to_run = jobs_to_run(entries)
    view.start(entries)
    lost = None
    try:
        if to_run:
            cluster.run(runner, to_run, on_event=view.job, on_note=view.say)
    except SchedulerLost as e:
        lost = e
    except KeyboardInterrupt:  # the cluster's tasks are cancelled: show what was done, then stop
        view.clear()
        report(lib, entries, args, where=cluster.where)
        raise
    view.clear()
    code = report(lib, entries, args, where=cluster.where)
    if lost is None:
        return code
    jobs = {j.job_id: j for e in entries for j in e.jobs}
    done = sum(1 for j in jobs.values() if j.status == "complete")
    print(f"fastclip: the batch stopped: {lost.message}. {done} of {len(jobs)} jobs are complete and recorded; "
          "run the same batch again (with a scheduler) to do the rest", file=sys.stderr)
    return EXIT_FAILED

"""Jobs run as Dask tasks on a cluster of machines: ``fastclip batch FILE --scheduler ...``.

The submitting machine plans a batch as it always does (a local :class:`~engine.jobs.runner.Runner`
imports the sources and plans each request into job rows of its library); :meth:`Cluster.run`
then runs those jobs on a Dask cluster instead of local worker processes, one Dask task per job
(``engine.jobs.cluster_tasks.run_job``: the same task functions a local worker runs). Everything
is recorded here, in this machine's library, as the local runner records it: the job rows with
the API's statuses and progress (sent back by the tasks as Dask events), the address of the
worker running each (``worker_address``), and each end through the same
:class:`~engine.jobs.recorder.Recorder` (the clip row and ``clip.complete``; a transcript goes into
this machine's transcript cache). ``fastclip jobs`` and the app's Jobs panel read those rows.

    cluster = connect_cluster("tcp://10.0.0.2:8786", path_map=PathMap.parse(["/mnt/nas=/Volumes/nas"]))
    try:
        finals = cluster.run(runner, job_ids, on_event=print)
    finally:
        cluster.close()

``connect_cluster("local:N")`` starts a LocalCluster of N worker processes on this machine.

Workers: before anything is sent, every worker is asked which engine it has
(``cluster_tasks.engine_version``); one without it, or with another version, is refused with the
reason and never given a task (tasks name the workers they may run on); workers that join later
are asked when they join. Paths: workers read sources and write outputs by path, mapped by the
``PathMap`` rules (the same path everywhere when there are none).

Flow: jobs are claimed (pending → downloading) and sent only as workers can take them (their
threads, plus one each waiting), so a job shows as running when it is. Faults: a worker that dies
mid-task has its task run again on another worker by the scheduler; a task that raises is run
once more (``retries=1``) and, failing again, fails its job with its reason while the rest go on;
temp files a killed worker left are removed once its job has ended. When the scheduler goes away
the run stops with :class:`SchedulerLost`: what completed is recorded, the jobs that were running
are queued again (a re-run of the batch takes them up). Ctrl+C (KeyboardInterrupt) cancels the
cluster's tasks (each stops at its next progress report and removes its temp file), records what
had finished and cancels the rest. Jobs of the batch that another process took (the app's own
runner) are waited for.

``distributed`` is imported by :func:`connect_cluster` (~0.5 s, and an optional extra:
``pip install 'fastclip-desktop[cluster]'``), never by importing this module.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import re
import time
from dataclasses import dataclass

from ..errors import InvalidRequest, ProcessingFailed
from ..library import Job
from . import cluster_tasks
from .cluster_run import ClusterRun, SchedulerLost, one_line
from .path_map import PathMap
from .recorder import OnEvent
from .runner import Runner

REACH_TIMEOUT_S = 5.0  # to reach a scheduler: one that is up answers at once (Dask retries until then)
WORKERS_WAIT_S = 30.0  # for a first worker to join a scheduler that has none
MAX_LOCAL_WORKERS = 64
_LOCAL = re.compile(r"^local:(\d+)$")
_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^\s/:]+(:\d+)?$")

# Asked of every worker before it is given a task. A lambda is pickled by value, so a worker that
# lacks the engine answers with its ImportError instead of failing to read the question.
_WORKER_ENGINE = lambda: importlib.import_module("engine.jobs.cluster_tasks").engine_version()
_HAS_DASHBOARD = lambda: importlib.util.find_spec("bokeh") is not None


def connect_cluster(scheduler: str, *, path_map: PathMap | None = None, quiet: bool = True,
                    worker_env: dict | None = None, workers_wait_s: float = WORKERS_WAIT_S) -> Cluster:
    """A :class:`Cluster` on ``scheduler``: ``tcp://HOST:PORT`` (or ``HOST:PORT``, another Dask
    comm such as ``tls://...``), or ``local:N`` for a LocalCluster of N worker processes here
    (``worker_env``: environment variables for them). Waits up to ``workers_wait_s`` for a first
    worker, then checks every worker's engine. Raises InvalidRequest (the address, no usable
    worker) or ProcessingFailed (the scheduler cannot be reached)."""
    text = str(scheduler).strip()
    local = _LOCAL.match(text)
    if local is None and not _ADDRESS.match(text):
        raise InvalidRequest(f"--scheduler is tcp://HOST:PORT or local:N, not {text!r}", field="scheduler")
    if local is not None and not 1 <= int(local.group(1)) <= MAX_LOCAL_WORKERS:
        raise InvalidRequest(f"local:N starts 1 to {MAX_LOCAL_WORKERS} worker processes, not {local.group(1)}",
                             field="scheduler")
    distributed = _distributed()
    if quiet:  # our own sentences say what went wrong; distributed's log would say it again, at length
        for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    cluster = None
    try:
        if local is not None:
            cluster = distributed.LocalCluster(
                n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                dashboard_address=":0" if importlib.util.find_spec("bokeh") else None,
                silence_logs=logging.CRITICAL if quiet else logging.WARNING, env=dict(worker_env or {}))
            client = distributed.Client(cluster, set_as_default=False)
            address = cluster.scheduler_address
        else:
            address = text if "://" in text else f"tcp://{text}"
            client = distributed.Client(address, timeout=REACH_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as e:
        if cluster is not None:
            cluster.close()
        raise ProcessingFailed(f"cannot reach the Dask scheduler at {text}: {one_line(e)}",
                               field="scheduler") from None
    c = Cluster(client, address, cluster, path_map or PathMap())
    try:
        c.start(workers_wait_s)
    except BaseException:
        c.close()
        raise
    return c


def _distributed():
    try:
        import distributed  # (~0.5 s, an optional extra: only a batch on a cluster needs it)
    except ImportError:
        raise InvalidRequest("running on a cluster needs Dask's distributed: pip install 'fastclip-desktop[cluster]'",
                             field="scheduler") from None
    return distributed


@dataclass
class WorkerCheck:
    address: str
    engine: dict | None = None  # what it answered
    reason: str | None = None  # why it is refused; None: it may run jobs


class Cluster:
    """A connection to a Dask cluster that runs jobs of this machine's library (see the module doc)."""

    def __init__(self, client, address: str, local_cluster, path_map: PathMap):
        self.client, self.address, self.local_cluster, self.path_map = client, address, local_cluster, path_map
        self.engine = cluster_tasks.engine_version()
        self.workers: dict[str, WorkerCheck] = {}  # every worker seen, by address
        self.alive: dict[str, int] = {}  # the workers there are now: address -> threads
        self.where: dict[str, str] = {}  # job_id -> the worker running (or that ran) it
        self.dashboard_link: str | None = None

    # -- the workers -------------------------------------------------------------------------------

    @property
    def usable(self) -> list[str]:
        """The addresses of the workers that may run jobs, and are there now."""
        return sorted(a for a in self.alive if self.workers.get(a) and self.workers[a].reason is None)

    @property
    def refused(self) -> dict[str, str]:
        return {a: w.reason for a, w in self.workers.items() if w.reason is not None}

    def start(self, workers_wait_s: float) -> None:
        deadline = time.monotonic() + workers_wait_s
        while not self._poll_workers():
            if time.monotonic() >= deadline:
                raise InvalidRequest(f"no worker has joined the scheduler at {self.address} in {workers_wait_s:.0f} s; "
                                     f"start some with: dask worker {self.address}", field="scheduler")
            time.sleep(0.5)
        self.check_new_workers()
        if not self.usable:
            reasons = "; ".join(f"{a}: {r}" for a, r in self.refused.items())
            raise InvalidRequest(f"no worker of {self.address} can run FastClip jobs: {reasons}", field="scheduler")
        self.dashboard_link = self._dashboard()

    def _poll_workers(self) -> dict[str, int]:
        info = self.client.scheduler_info(n_workers=-1)
        self.alive = {a: int(w.get("nthreads") or 1) for a, w in (info.get("workers") or {}).items()}
        return self.alive

    def check_new_workers(self) -> list[WorkerCheck]:
        """Ask the workers not asked yet which engine they run; return their checks (refused ones
        have a reason)."""
        new = [a for a in self.alive if a not in self.workers]
        if not new:
            return []
        answers = self.client.run(_WORKER_ENGINE, workers=new, on_error="return")
        checks = []
        for a in new:
            answer = answers.get(a, ProcessingFailed("it did not answer"))
            check = WorkerCheck(a, answer if isinstance(answer, dict) else None)
            check.reason = self._refusal(answer)
            self.workers[a] = check
            checks.append(check)
        return checks

    def _refusal(self, answer) -> str | None:
        mine = self.engine
        if isinstance(answer, BaseException):
            if isinstance(answer, ImportError) and str(answer.name or "").startswith("engine."):
                return (f"its FastClip engine is an older one, without cluster jobs ({one_line(answer)}); install "
                        f"fastclip-desktop[cluster] {mine['version']} (engine {mine['source']}) there")
            if isinstance(answer, ImportError):
                return (f"it has no FastClip engine ({one_line(answer)}); install fastclip-desktop[cluster] "
                        f"{mine['version']} (engine {mine['source']}) there")
            return f"it could not say which FastClip engine it has ({one_line(answer)})"
        if not isinstance(answer, dict):
            return f"it answered {answer!r} when asked for its FastClip engine"
        if (answer.get("version"), answer.get("source")) != (mine["version"], mine["source"]):
            return (f"it runs another FastClip engine ({answer.get('version')}, engine {answer.get('source')}) than "
                    f"this machine ({mine['version']}, engine {mine['source']}); install the same version there")
        return None

    def _dashboard(self) -> str | None:
        """The scheduler's dashboard link, when it has one (it needs bokeh, there)."""
        try:
            if not self.client.run_on_scheduler(_HAS_DASHBOARD):
                return None
            link = self.client.dashboard_link
        except Exception:  # (the dashboard is a nicety: never a reason to stop)
            return None
        return link or None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=3)
        if self.local_cluster is not None:
            with contextlib.suppress(Exception):
                self.local_cluster.close(timeout=10)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running jobs ------------------------------------------------------------------------------

    def run(self, runner: Runner, job_ids, on_event: OnEvent | None = None, on_note=None) -> dict[str, Job]:
        """Run the pending jobs among ``job_ids`` (clip, captions, transcript rows of ``runner``'s
        library) on the cluster until each has ended; return their final rows. ``on_event`` gets
        every :class:`JobUpdate`; ``on_note(text)`` a sentence when a worker is refused or lost.
        Raises SchedulerLost (see the module doc); KeyboardInterrupt cancels what runs."""
        return ClusterRun(self, runner, list(dict.fromkeys(job_ids)), on_event, on_note).run()


__all__ = ["Cluster", "SchedulerLost", "connect_cluster"]

"""A claimed job, kind by kind, into the message its worker runs (``engine.jobs.tasks`` runs it).

This is the one place, host side, that knows what each job kind needs from the library before it
can run: the source's path, checked again (``Gone`` when it moved or changed since it was
queued; ``Conflict`` while it is not ready), the clip a captions job captions, the output path.
Adding a job kind means a ``submit_*`` in the planner, a branch here and a ``run_*`` in tasks. An
auto-clip names its folder, not a file, and the clips its earlier attempts made.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from ..errors import Gone, InvalidRequest
from ..library import Job, Library
from ..naming import unique_path
from ..paths import cache_dir
from .payloads import media_payload
from .planner import Planner

Message = tuple  # ("import", job_id, file_id, path) or (kind, job_id, spec)


class Handover:
    """Builds worker messages for claimed jobs of ``library``."""

    def __init__(self, library: Library, planner: Planner):
        self.library = library
        self.planner = planner

    def message(self, job: Job) -> Message | Job:
        """What a worker runs for ``job``; or the job's completed row when there is nothing to run
        (its file was imported meanwhile). Raises a FastClipError when the job cannot start."""
        lib = self.library
        if job.kind == "import":
            media = lib.get_media(job.file_id)
            if media.status == "ready":  # imported meanwhile, by another job or process
                return lib.complete_job(job.job_id, result=media_payload(media))
            if media.status == "failed":  # a failed import's job, retried: the file again
                if lib.add_media(media.path).file_id != media.file_id:
                    raise Gone(f"{media.filename} has changed since it was imported; import it again "
                               f"({media.path})", field="file_id")
            lib.mark_media_processing(job.file_id)
            lib.update_job(job.job_id, "processing", 10, "analyzing")
            return ("import", job.job_id, job.file_id, media.path)
        spec = {"cache_dir": str(cache_dir()), **job.request, "library": str(lib.path)}
        if job.kind == "clip":
            spec["path"] = lib.check_source(job.file_id).path  # Conflict (not ready), Gone (moved, changed)
        elif job.kind == "captions":
            if job.request.get("clip_id"):
                clip = self.planner.caption_clip(job.request["clip_id"])  # expired, moved since?
                spec.update(path=clip.path, source_key=f"clip:{clip.clip_id}")
            else:
                spec.update(path=lib.check_source(job.file_id).path, source_key=job.file_id)
        elif job.kind in ("transcript", "analyze"):
            spec["path"] = lib.check_source(job.file_id).path
        elif job.kind == "auto":
            spec["path"] = lib.check_source(job.file_id).path
            spec["folder"] = job.request.get("folder") or str(lib.clips_dir)
            # the clips an earlier attempt made (killed, or failed and retried): not made again
            spec["done"] = [{"clip_id": c.clip_id, "path": c.path} for c in lib.job_clips(job.job_id)
                            if Path(c.path).is_file()]
        else:
            raise InvalidRequest(f"this runner does not run {job.kind} jobs", field="kind")
        if "out" in spec:
            spec["out"] = self.output_path(spec["out"])
        return (job.kind, job.job_id, spec)

    def output_path(self, out: str) -> str:
        """The planned path; in the clips folder, another name if a live clip holds it (a planned
        path is overwritten otherwise: it is this job's own file from an interrupted attempt)."""
        p = Path(out)
        with contextlib.suppress(OSError, ValueError):
            if p.exists() and p.resolve().is_relative_to(self.library.clips_dir.resolve()) \
                    and self.library.clip_for_path(p) is not None:
                return str(unique_path(p.parent, p.name))
        return out

"""FastClip's engine: a Qt-free library, and this is its front door.

The front ends (the GUI, the ``fastclip`` CLI, the local API) use only the names listed here,
``from engine import Runner, ClipRequest, ...``; everything else in the subpackages is internal
(the import-linter contracts in pyproject.toml hold the front ends to this). The engine is grouped
by responsibility, one layer above the next (see docs/architecture.md):

    jobs        the one job runner: worker pool, planner, recorder, recovery, the GUI's thread;
                a batch's jobs on a Dask cluster (cluster, cluster_tasks, path_map)
    cut         request rules, the pure plan, the export and its per-track executors
    captions    styles, presets, fonts, the one renderer, burn-in
    moments     analyze and auto-clip: transcript + sentence vectors + audio cues -> ranked moments
    transcript  speech to text with word times, cached
    library     SQLite records: imports, clips, jobs, edit states, presets, fonts, webhooks
    media       signature, probe, MediaInfo, keyframe index, thumbnails, waveform
    (basics)    errors, progress, timeline, paths, atomic, formats, naming, process

Names are loaded when first used, so ``import engine`` costs nothing: a CLI command that cuts
never imports the captions (fontTools, Pillow) or PyAV (its workers do).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~8 ms before the CLI's fork)

# name -> the module that defines it
_FRONT_DOOR = {
    # errors: every error the engine raises on purpose, with a stable code and field
    **dict.fromkeys(("FastClipError", "InvalidRequest", "NotFound", "Conflict", "Forbidden", "Gone",
                     "UnsupportedMedia", "ProcessingFailed", "Cancelled"), "engine.errors"),
    "Progress": "engine.progress",
    "Window": "engine.timeline", "clock_text": "engine.timeline",
    "cache_dir": "engine.paths", "config_dir": "engine.paths", "data_dir": "engine.paths",
    "atomic_output": "engine.atomic",
    **dict.fromkeys(("FORMATS", "AUDIO_FORMATS", "VIDEO_FORMATS", "QUALITY_HEIGHTS", "CUT_MODES",
                     "canonical_format"), "engine.formats"),
    "in_worker": "engine.process", "in_background": "engine.process",
    # media
    "MediaInfo": "engine.media.info",
    "probe": "engine.media.probe",
    **dict.fromkeys(("check_signature", "AUDIO_CONTAINERS", "VIDEO_CONTAINERS"), "engine.media.signature"),
    "KeyframeIndex": "engine.media.keyframe_index", "keyframe_index": "engine.media.keyframe_index",
    "ThumbnailStrip": "engine.media.thumbnails", "thumbnails": "engine.media.thumbnails",
    "Waveform": "engine.media.waveform", "waveform": "engine.media.waveform",
    # cut
    **dict.fromkeys(("ClipRequest", "Segment", "ValidClip", "CaptionsRequest", "validate", "validate_captions",
                     "default_format", "picture_size", "MODES"), "engine.cut.request"),
    **dict.fromkeys(("CutPreview", "preview_cut", "preview_clip"), "engine.cut.preview"),
    # captions
    **dict.fromkeys(("CaptionStyle", "EFFECTS", "BUNDLED_FONTS", "Word", "paginate", "render_caption",
                     "style_from_dict"), "engine.captions"),
    **dict.fromkeys(("create_preset", "update_preset", "delete_preset", "get_preset", "list_presets",
                     "resolve_preset", "import_font", "delete_font", "list_fonts"), "engine.captions.custom"),
    "render_preview": "engine.captions.preview", "backdrop": "engine.captions.preview",
    "frame_at": "engine.captions.source_frame", "parse_frame_spec": "engine.captions.source_frame",
    # transcript
    **dict.fromkeys(("Transcript", "transcribe", "cached_transcript", "cut_transcript", "render"),
                    "engine.transcript"),
    # moments (analyze and auto-clip run as jobs: Runner.submit_analyze / submit_auto)
    **dict.fromkeys(("AnalyzeRequest", "AutoClipRequest", "MAX_QUERY", "MAX_COUNT"), "engine.moments.request"),
    "Moment": "engine.moments.moment",
    # library
    **dict.fromkeys(("Library", "Media", "Clip", "Job", "SETTINGS", "parse_iso"), "engine.library"),
    "check_upload_name": "engine.library.uploads", "MIN_PART_BYTES": "engine.library.uploads",
    **dict.fromkeys(("RUNNING", "ENDED", "STATUSES", "JOB_KINDS"), "engine.library.jobs"),
    **dict.fromkeys(("EditState", "MarkedSegment", "MAX_LABEL"), "engine.library.edits"),
    **dict.fromkeys(("from_csv", "to_csv", "from_chapters", "to_chapters", "parse_time", "seconds_text"),
                    "engine.library.segment_files"),
    **dict.fromkeys(("Dispatcher", "flush_deliveries", "send_test_event", "REQUEST_TIMEOUT_S"),
                    "engine.library.deliveries"),
    # jobs
    "Runner": "engine.jobs.runner", "KINDS": "engine.jobs.runner",
    "source_kind": "engine.jobs.planner",
    "cached_moments": "engine.jobs.moment_requests",
    "StartedWorker": "engine.jobs.pool",
    "JobUpdate": "engine.jobs.recorder",
    "JobThread": "engine.jobs.thread",
    "job_json": "engine.jobs.payloads", "download_url": "engine.jobs.payloads",
    "connect_cluster": "engine.jobs.cluster", "SchedulerLost": "engine.jobs.cluster",
    "PathMap": "engine.jobs.path_map",
}
_RENAMED = {"TRANSCRIPT_FORMATS": ("engine.transcript", "FORMATS"),
            "transcript_dict": ("engine.transcript", "to_dict"),
            "upload_stored_name": ("engine.library.uploads", "stored_name")}

__all__ = sorted([*_FRONT_DOOR, *_RENAMED, "Deferred"])


def __getattr__(name: str):
    if name in _FRONT_DOOR:
        module, attr = _FRONT_DOOR[name], name
    elif name in _RENAMED:
        module, attr = _RENAMED[name]
    else:
        raise AttributeError(f"module 'engine' has no attribute {name!r} (see engine/__init__.py for its names)")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__


class Deferred:
    """A front-door function imported where it is called, not where it is named.

    Hand ``Deferred("thumbnails")`` to a worker process (``in_worker``) and only the worker imports
    its module: the GUI names the keyframe index, thumbnails and waveform without importing PyAV
    and numpy (~0.3 s of its start-up). Pickles as its name.
    """

    __slots__ = ("name",)

    def __init__(self, name: str):
        if name not in _FRONT_DOOR:
            raise AttributeError(f"module 'engine' has no attribute {name!r} (see engine/__init__.py for its names)")
        self.name = name

    def __call__(self, *args, **kwargs):
        return __getattr__(self.name)(*args, **kwargs)

    def __reduce__(self):
        return Deferred, (self.name,)

    def __repr__(self) -> str:
        return f"Deferred({self.name!r})"

    @property
    def __name__(self) -> str:  # what a task is labelled with
        return self.name


if TYPE_CHECKING:  # for type checkers and editors; not imported at run time
    from .errors import FastClipError  # noqa: F401

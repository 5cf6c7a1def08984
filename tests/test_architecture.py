"""The house's layering rules, checked on the source and at run time.

The engine is a library: it never imports Qt (PySide6 or any other binding),
mpv or the application package. The CLI never imports Qt or mpv either.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"

QT_AND_MPV = ("PySide6", "shiboken6", "PySide2", "PyQt5", "PyQt6", "qtpy", "mpv")
ENGINE_FORBIDDEN = (*QT_AND_MPV, "fastclip_desktop")
CLI_FORBIDDEN = QT_AND_MPV


def _is_forbidden(module: str, forbidden: tuple[str, ...]) -> bool:
    return module.split(".")[0] in forbidden


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _engine_files() -> list[Path]:
    return sorted(p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts)


def forbidden_imports(source: str, module: str, forbidden: tuple[str, ...]) -> list[str]:
    """Every import in ``source`` (module ``module``) of a ``forbidden`` top-level package.

    Covers ``import x``, ``import x.y as z``, ``from x.y import z``, relative
    imports that climb out of the package, and ``importlib.import_module("x")``
    / ``__import__("x")`` with a literal name.
    """
    found = []
    package = module if module.count(".") == 0 else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_forbidden(alias.name, forbidden):
                    found.append(f"line {line}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level - 1 >= len(base):
                    found.append(f"line {line}: relative import climbs out of {base[0]}")
                    continue
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names] if not node.module else []
            if _is_forbidden(target, forbidden) or any(_is_forbidden(n, forbidden) for n in names):
                found.append(f"line {line}: from {target} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if (isinstance(first, ast.Constant) and isinstance(first.value, str)
                        and _is_forbidden(first.value, forbidden)):
                    found.append(f"line {line}: {name}({first.value!r})")
    return found


# -- the checker itself must be able to fail ---------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import mpv",
        "import mpv as m",
        "import os, PySide6.QtWidgets",
        "from PySide6.QtCore import QObject, Signal",
        "from PySide6 import QtCore",
        "from shiboken6 import isValid",
        "import fastclip_desktop.app",
        "from fastclip_desktop import cli",
        "import importlib\nimportlib.import_module('PySide6.QtGui')",
        "from importlib import import_module\nimport_module('mpv')",
        "__import__('fastclip_desktop')",
        "def later():\n    import mpv\n",
        "try:\n    from PyQt6 import QtCore\nexcept ImportError:\n    pass\n",
        "from ... import fastclip_desktop",
    ],
)
def test_checker_catches(source):
    assert forbidden_imports(source, "engine.render.video", ENGINE_FORBIDDEN)


@pytest.mark.parametrize(
    "source",
    [
        "import av\nfrom fractions import Fraction",
        "from .errors import NotFound",
        "from . import timeline",
        "from engine.progress import Progress",
        "import importlib\nimportlib.import_module('engine.errors')",
        "mpv_like = 'PySide6'  # a string is not an import",
    ],
)
def test_checker_allows(source):
    assert forbidden_imports(source, "engine.render", ENGINE_FORBIDDEN) == []


# -- the engine ----------------------------------------------------------------


def test_engine_source_imports_no_gui_or_app():
    files = _engine_files()
    assert files, f"no engine modules found under {ENGINE}"
    problems = []
    for path in files:
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        found = forbidden_imports(
            path.read_text(encoding="utf-8"),
            module + ".__init__" if is_package else module,
            ENGINE_FORBIDDEN,
        )
        problems += [f"{path.relative_to(ROOT)} {hit}" for hit in found]
    assert not problems, "the engine must not import Qt, mpv or fastclip_desktop:\n" + "\n".join(
        problems
    )


_PROBE = textwrap.dedent(
    """
    import importlib, json, sys, traceback
    sys.path.insert(0, {root!r})
    forbidden = {forbidden!r}
    def loaded():
        return sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
    before = loaded()
    errors = {{}}
    for name in {modules!r}:
        try:
            importlib.import_module(name)
        except BaseException:
            errors[name] = traceback.format_exc(limit=3)
    print(json.dumps({{"before": before, "after": loaded(), "errors": errors}}))
    """
)


def _import_in_fresh_interpreter(modules: list[str], forbidden: tuple[str, ...]) -> dict:
    code = _PROBE.format(root=str(ROOT), forbidden=forbidden, modules=modules)
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"import probe crashed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_engine_loads_no_gui_or_app():
    modules = [_module_name(path) for path in _engine_files()]
    assert "engine" in modules
    report = _import_in_fresh_interpreter(modules, ENGINE_FORBIDDEN)
    assert report["before"] == [], f"loaded before any engine import: {report['before']}"
    assert not report["errors"], "engine modules failed to import:\n" + "\n".join(
        f"{name}:\n{tb}" for name, tb in report["errors"].items()
    )
    assert report["after"] == [], f"importing the engine loaded {report['after']}"


def test_importing_cli_loads_no_qt_or_mpv():
    if importlib.util.find_spec("fastclip_desktop.cli") is None:
        pytest.skip("fastclip_desktop/cli.py does not exist yet")
    report = _import_in_fresh_interpreter(["fastclip_desktop.cli"], CLI_FORBIDDEN)
    assert not report["errors"], report["errors"]
    assert report["after"] == [], f"importing the CLI loaded {report['after']}"


def test_importing_the_local_api_loads_no_qt_or_mpv():
    report = _import_in_fresh_interpreter(["fastclip_desktop.api", "fastclip_desktop.cli.serve"], CLI_FORBIDDEN)
    assert not report["errors"], report["errors"]
    assert report["after"] == [], f"importing the local API loaded {report['after']}"


def test_probe_sees_a_forbidden_import():
    # The run-time check must be able to fail: the app module does load Qt.
    report = _import_in_fresh_interpreter(["fastclip_desktop.app"], CLI_FORBIDDEN)
    assert not report["errors"], report["errors"]
    assert "PySide6" in report["after"]


# -- the engine's shape: no import circles, imports at the top ------------------------------------

# Function-level imports the engine keeps, each for a measured cost or a process boundary. Any
# other import inside a function is a hidden dependency (or hides a circle) and fails the test
# below; move it to the top of its module, or add it here with the reason.
DEFERRED_IMPORTS = {
    # (module, imported name): why it is not at the top
    ("engine.captions.source_frame", "av"): "PyAV only when a caption preview reads a frame",
    ("engine.cut.audio_track", "numpy"): "numpy (~170 ms) only at a window's two cut points",
    ("engine.cut.export", "engine.captions.burn_in"): "captions' Pillow/fontTools only when burning in",
    ("engine.cut.export", "engine.cut.gif"): "the GIF writer (~2.5 ms of a worker's start) only for a GIF",
    ("engine.cut.export", "engine.cut.subtitle_track"): "html's entities and the cue code (~4 ms of a worker's "
                                                        "start) only for a source with text subtitles",
    ("engine.cut.quality", "numpy"): "numpy (~170 ms) only for a smart cut's boundary frames",
    **{("engine.cut.splice", f"engine.cut.h26x.{m}"): "H.26x header syntax (~15 ms) only when a cut re-encodes an "
                                                       "end or rewrites a copy: a plain copy never does"
       for m in ("avc", "avc_syntax", "hevc", "hevc_syntax")},
    ("engine.jobs.planner", "engine.captions.custom"): "preset lookup (~90 ms) only for captions jobs",
    ("engine.jobs.planner", "engine.transcript.speech_model"): "faster-whisper (~200 ms) only for transcripts",
    ("engine.jobs.planner", "engine.transcript.cached"): "the transcript package (~85 ms) only when a batch "
                                                         "asks for a transcript again",
    ("engine.jobs.pool", "engine.jobs.worker"): "a forked worker imports it after the fork (forks ~10 ms sooner)",
    ("engine.jobs.pool", "multiprocessing"): "the CLI's quick commands never start a worker",
    ("engine.jobs.pool", "multiprocessing.connection"): "the CLI's quick commands never start a worker",
    ("engine.jobs.tasks", "engine.transcript"): "numpy (~110 ms): a worker that only cuts never loads it",
    ("engine.jobs.cluster", "distributed"): "Dask (~0.5 s, an optional extra) only when a batch runs on a cluster",
    ("engine.jobs.cluster_run", "engine.captions.custom"): "Pillow, fontTools (~150 ms): only for a custom preset",
    ("engine.jobs.cluster_tasks", "distributed"): "a Dask worker's, loaded there already; never the submitter's",
    ("engine.jobs.cluster_tasks", "engine.jobs.tasks"): "PyAV and the media code: the worker's, not the submitter's",
    ("engine.jobs.cluster_tasks", "engine.transcript"): "numpy (~110 ms) only when a worker transcribes",
    ("engine.jobs.tasks", "engine.captions.custom"): "Pillow, fontTools (~310 ms): only for custom presets",
    ("engine.jobs.tasks", "engine.library"): "SQLite and the records (~33 ms): a worker that cuts needs none",
    ("engine.jobs.tasks", "engine.moments.analyze"): "numpy, transcript code, analysis (~160 ms): analyze, auto only",
    ("engine.jobs.tasks", "engine.moments.index"): "the sentence index: transcript jobs only (numpy loaded by then)",
    ("engine.moments.embedder", "onnxruntime"): "onnxruntime (~100 ms) loads with the model, timed apart as its load",
    ("engine.moments.embedder", "tokenizers"): "loads with the model, timed apart as its load",
    ("engine.jobs.worker", "engine.media.probe"): "the worker's entry: PyAV first, then the source opens",
    ("engine.jobs.worker", "engine.jobs.tasks"): "the worker's entry: PyAV and the media code load there",
    ("engine.jobs.worker", "ctypes"): "parent-death signal, after the worker's PyAV import",
    ("engine.library.clips", "shutil"): "only when a clip file is moved across file systems",
    ("engine.library.database", "sqlite_utils"): "sqlite-utils (~100 ms) only for the first migration",
    ("engine.library.jobs", "ctypes"): "Windows process checks only",
    ("engine.paths", "platformdirs"): "platformdirs (~35 ms) only when no folder is configured",
    ("engine.process", "multiprocessing"): "worker processes start only on demand",
    ("engine.process", "multiprocessing.connection"): "worker processes start only on demand",
    ("engine.process", "ctypes"): "parent-death signal on Linux only",
    ("engine.process", "socket"): "only for a worker's socket pair",
    ("engine.process", "select"): "only while waiting on a worker",
    ("engine.transcript", "engine.transcript.transcription"): "numpy, PyAV (~200 ms) only to transcribe",
    ("engine.transcript.speech_model", "faster_whisper"): "faster-whisper and CTranslate2 load with the model",
    ("engine.transcript.speech_model", "tqdm"): "with the model (its lock is set before loading)",
}


def _resolve(node: ast.ImportFrom | ast.Import, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.level:
        return [node.module or ""]
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    target = ".".join(base + ([node.module] if node.module else []))
    if node.module:
        return [target]
    return [f"{target}.{alias.name}" for alias in node.names]


def deferred_imports(source: str, module: str, is_package: bool = False) -> list[tuple[str, int]]:
    """Imports inside a function body of ``source``: (imported module, line)."""
    found = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [(name, node.lineno) for name in _resolve(node, module, is_package)]
    return found


def test_deferred_import_checker_sees_imports_in_functions():
    source = "import os\ndef f():\n    import numpy as np\n    from .render import x\n    from . import y\n"
    assert deferred_imports(source, "engine.captions.font_check") == [
        ("numpy", 3),
        ("engine.captions.render", 4),
        ("engine.captions.y", 5),
    ]
    assert deferred_imports("def f():\n    from .. import errors\n", "engine.jobs", True) == [
        ("engine.errors", 2)
    ]


def test_engine_imports_inside_functions_only_where_a_cost_is_measured():
    unexplained, seen = [], set()
    for path in _engine_files():
        module = _module_name(path)
        for name, line in deferred_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            seen.add((module, name))
            if (module, name) not in DEFERRED_IMPORTS:
                unexplained.append(f"{path.relative_to(ROOT)}:{line} imports {name} inside a function")
    assert not unexplained, "\n".join(unexplained)
    assert set(DEFERRED_IMPORTS) <= seen, f"stale entries: {sorted(set(DEFERRED_IMPORTS) - seen)}"


def _engine_import_graph() -> dict[str, set[str]]:
    """Engine module -> engine modules it imports at its top (a package's __init__ is the package)."""
    modules = {_module_name(p): p for p in _engine_files()}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in tree.body:  # top level only: deferred imports are covered above
            if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks do not run
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                for name in _resolve(node, module, path.name == "__init__.py"):
                    while name and name not in modules:  # `from .pkg import name` -> pkg
                        name = name.rpartition(".")[0]
                    if name.startswith("engine") and name != module:
                        edges.add(name)
        graph[module] = edges
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each an import circle.

    A package's ``__init__`` importing its own submodules is not a circle when they import their
    siblings directly; a submodule importing its parent package is (the parent imports it back).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_cycle_finder_finds_a_circle():
    graph = {"a.burn_in": {"a.export"}, "a.export": {"a.burn_in"}, "a.x": {"a.export"}}
    assert import_cycles(graph) == [["a.burn_in", "a.export"]]


def test_engine_has_no_import_circles():
    graph = _engine_import_graph()
    assert graph.get("engine.cut.export")
    assert import_cycles(graph) == []


# -- the import-linter contracts (pyproject.toml) -------------------------------------------------


def _lint_imports(cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_import_linter_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_linter_reports_a_broken_layer(tmp_path):
    package = tmp_path / "house"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "jobs.py").write_text("from house import media\n")
    (package / "media.py").write_text("from house import jobs  # a lower layer reaching up\n")
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_package = house\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\nlayers =\n    house.jobs\n    house.media\n"
    )
    result = _lint_imports(tmp_path, config)
    assert result.returncode != 0
    assert "house.media -> house.jobs" in result.stdout

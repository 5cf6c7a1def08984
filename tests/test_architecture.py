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
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    if _is_forbidden(first.value, forbidden):
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


def test_probe_sees_a_forbidden_import():
    # The run-time check must be able to fail: the app module does load Qt.
    report = _import_in_fresh_interpreter(["fastclip_desktop.app"], CLI_FORBIDDEN)
    assert not report["errors"], report["errors"]
    assert "PySide6" in report["after"]

# FastClip Desktop — everything a newcomer needs, from a fresh checkout.
#
#   make run     set up, then start the GUI
#   make test    set up, then run the whole test suite (Qt offscreen)
#   make bench   set up, then run the benchmarks (bench/run.py)
#   make bundle  build the PyInstaller bundle (dist/fastclip-desktop: GUI + CLI in one folder)
#   make clean   remove the venv and build output
#
# Setup is two idempotent steps, quick when everything is present:
#   system  scripts/setup_system.sh: libmpv, Qt's runtime libraries, and the tools the
#           tests use (ffmpeg, espeak-ng, xvfb, imagemagick); apt only when one is missing
#   venv    .venv with `pip install -e '.[test,cluster]'` (cluster: Dask, for `fastclip batch --scheduler`
#           and its tests), redone when pyproject.toml changes
#
# PYTHON=python3.12 make test   picks the interpreter for the venv (3.11 or newer).
# make test ARGS='-k drop -x'   passes arguments to pytest.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.fastclip-installed
ARGS   ?=

export PYTHON

.PHONY: run test bench bundle clean setup system venv

run: setup
	$(VENV)/bin/fastclip-desktop

# pytest's own exit code goes through: 5 (no tests collected) fails the target.
test: setup
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q $(ARGS)

bench: setup
	$(VPY) bench/run.py $(ARGS)

# dist/fastclip-desktop/: the GUI `fastclip-desktop` and the CLI `fastclip` in one folder (build.spec);
# then a smoke check of both executables (the CLI answers, the GUI's bundled libmpv loads).
bundle: setup
	$(VPY) -m PyInstaller --version >/dev/null 2>&1 || $(VPY) -m pip install -q --disable-pip-version-check 'pyinstaller>=6.10'
	$(VPY) -m PyInstaller --noconfirm --clean --log-level WARN build.spec
	dist/fastclip-desktop/fastclip --help >/dev/null
	dist/fastclip-desktop/fastclip-desktop --check-bundle
	@du -sh dist/fastclip-desktop

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache bench/.out
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

setup: system venv

system:
	@scripts/setup_system.sh

venv: $(STAMP)

$(VPY): | system
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		found=$$($(PYTHON) -c 'import sys; print("Python", sys.version.split()[0])' 2>/dev/null); \
		echo "FastClip Desktop needs Python 3.11 or newer; '$(PYTHON)' is $${found:-not found, or not Python}." >&2; \
		echo "Install one and run: make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

# Make's own timestamps: redone when pyproject.toml is newer than the stamp.
# editable_mode=compat: a plain path entry, not an import hook (10 ms off every CLI start).
$(STAMP): pyproject.toml | $(VPY) system
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[test,cluster]' --config-settings editable_mode=compat
	$(VPY) scripts/use_system_lame.py
	@touch $@

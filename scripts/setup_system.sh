#!/usr/bin/env bash
# Make sure the system libraries and tools FastClip Desktop needs are present.
#
#   libmpv                 playback in the GUI (python-mpv loads it at run time)
#   Qt's runtime libraries PySide6 starting offscreen, on X11 (xcb) and on Wayland
#   ffmpeg, espeak-ng,     oracles and fixtures for tests and benchmarks only
#   xvfb, xauth, imagemagick
#
# Presence is checked cheaply (ldconfig -p for libraries, PATH for tools), so a
# second run never touches apt. Only when something is missing: apt-get update,
# then apt-get install, as root or through `sudo -n`; otherwise one message
# naming the packages, and exit 1.
#
# Environment: PYTHON (default python3), whose venv module is checked too;
# FASTCLIP_SKIP_SYSTEM_SETUP=1 skips all of this (you installed things your way).
set -euo pipefail

PYTHON="${PYTHON:-python3}"

if [[ "${FASTCLIP_SKIP_SYSTEM_SETUP:-}" == 1 ]]; then
    echo "setup_system: skipped (FASTCLIP_SKIP_SYSTEM_SETUP=1)"
    exit 0
fi

# One requirement a line: "kind:what[,alternative...]  package[|fallback package...]".
#   so:   a shared library soname, looked up with ldconfig -p
#   cmd:  a program on PATH
#   py:   a Python module importable by $PYTHON
# Package names are Debian's/Ubuntu's; the first that apt knows is installed
# (libmpv2 on bookworm/jammy and later, libmpv1 before; t64 names on noble).
REQUIREMENTS='
so:libmpv.so.2,libmpv.so.1              libmpv2|libmpv1
so:libEGL.so.1                          libegl1
so:libGL.so.1                           libgl1
so:libxkbcommon.so.0                    libxkbcommon0
so:libxkbcommon-x11.so.0                libxkbcommon-x11-0
so:libfontconfig.so.1                   libfontconfig1
so:libfreetype.so.6                     libfreetype6
so:libdbus-1.so.3                       libdbus-1-3
so:libglib-2.0.so.0                     libglib2.0-0t64|libglib2.0-0
so:libX11.so.6                          libx11-6
so:libX11-xcb.so.1                      libx11-xcb1
so:libxcb.so.1                          libxcb1
so:libxcb-cursor.so.0                   libxcb-cursor0
so:libxcb-icccm.so.4                    libxcb-icccm4
so:libxcb-image.so.0                    libxcb-image0
so:libxcb-keysyms.so.1                  libxcb-keysyms1
so:libxcb-randr.so.0                    libxcb-randr0
so:libxcb-render-util.so.0              libxcb-render-util0
so:libxcb-render.so.0                   libxcb-render0
so:libxcb-shape.so.0                    libxcb-shape0
so:libxcb-shm.so.0                      libxcb-shm0
so:libxcb-sync.so.1                     libxcb-sync1
so:libxcb-xfixes.so.0                   libxcb-xfixes0
so:libxcb-xkb.so.1                      libxcb-xkb1
so:libxcb-glx.so.0                      libxcb-glx0
so:libwayland-client.so.0               libwayland-client0
so:libwayland-cursor.so.0               libwayland-cursor0
so:libwayland-egl.so.1                  libwayland-egl1
so:libmp3lame.so.0                      libmp3lame0
cmd:ffmpeg                              ffmpeg
cmd:ffprobe                             ffmpeg
cmd:espeak-ng                           espeak-ng
cmd:Xvfb                                xvfb
cmd:xvfb-run                            xvfb
cmd:xauth                               xauth
cmd:import                              imagemagick
py:venv,ensurepip                       python3-venv
'

LDCACHE="$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) || true)"

have_so() {
    local name
    for name in ${1//,/ }; do
        grep -qF "	$name (" <<<"$LDCACHE" && return 0
    done
    return 1
}

have_cmd() { command -v "$1" >/dev/null 2>&1; }

have_py() {
    # Only asked of a Python the venv can be built with; the Makefile explains
    # a missing or too old one itself.
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 || return 0
    "$PYTHON" -c "import ${1}" >/dev/null 2>&1
}

missing=()   # "pkg|fallback" alternatives, one per missing requirement
while read -r need packages; do
    [[ -z "$need" ]] && continue
    kind="${need%%:*}" what="${need#*:}"
    case "$kind" in
        so)  have_so "$what" && continue ;;
        cmd) have_cmd "$what" && continue ;;
        py)  have_py "$what" && continue ;;
    esac
    # the same package may be named by several requirements (ffmpeg, xvfb)
    [[ " ${missing[*]-} " == *" $packages "* ]] || missing+=("$packages")
done <<<"$REQUIREMENTS"

if ((${#missing[@]} == 0)); then
    exit 0
fi

readable=""
for alternatives in "${missing[@]}"; do
    first="${alternatives%%|*}" rest="${alternatives#"$first"}"
    readable+=" $first${rest:+ (or ${rest#|})}"
done
readable="${readable# }"
readable="${readable//|/ or }"

give_up() {
    {
        echo
        echo "FastClip Desktop needs system packages that are not installed:"
        echo "    $readable"
        echo "$1"
        echo "On Debian/Ubuntu:  sudo apt-get install ${missing[*]//|*/}"
        echo "(On other systems install the equivalents, then re-run with FASTCLIP_SKIP_SYSTEM_SETUP=1.)"
        echo
    } >&2
    exit 1
}

if ! have_cmd apt-get; then
    give_up "This is not an apt-based system, so they cannot be installed automatically."
fi
if [[ "$(id -u)" == 0 ]]; then
    SUDO=()
elif have_cmd sudo && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    give_up "Installing them needs root, and sudo is not available without a password."
fi

export DEBIAN_FRONTEND=noninteractive
APT=(${SUDO[@]+"${SUDO[@]}"} apt-get -o DPkg::Lock::Timeout=600 -y -q)

echo "setup_system: installing missing system packages: $readable"
"${APT[@]}" update >/dev/null

# Pick, for each requirement, the first alternative apt has a candidate for.
to_install=()
for alternatives in "${missing[@]}"; do
    chosen=""
    for pkg in ${alternatives//|/ }; do
        policy="$(apt-cache policy "$pkg" 2>/dev/null || true)"
        if [[ "$policy" =~ Candidate:\ [^\(] ]]; then
            chosen="$pkg"
            break
        fi
    done
    if [[ -z "$chosen" ]]; then
        give_up "apt knows none of: ${alternatives//|/, } (check your apt sources)."
    fi
    to_install+=("$chosen")
done

"${APT[@]}" install "${to_install[@]}"
echo "setup_system: installed ${to_install[*]}"

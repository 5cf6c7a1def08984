"""The video picture: mpv's render API drawing into a QOpenGLWidget.

Not ``wid=`` (embedding mpv's own window), which fails on Wayland and macOS: mpv renders into the
widget's framebuffer through ``mpv.MpvRenderContext``, with OpenGL functions looked up through the
widget's QOpenGLContext. mpv asks for a new frame from its own thread; the request is carried to
the main thread as a queued signal and becomes ``update()``.
"""

from __future__ import annotations

import ctypes

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QOpenGLContext
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from ..worker_adapter import emit
from .mpv_player import MpvPlayer, mpv


def _get_proc_address(_ctx, name: bytes) -> int:
    context = QOpenGLContext.currentContext()
    if context is None:
        return 0
    address = context.getProcAddress(name)
    return ctypes.cast(int(address or 0), ctypes.c_void_p).value or 0


class MpvWidget(QOpenGLWidget):
    """Shows what an ``MpvPlayer`` (created with vo="libmpv") plays."""

    frame_rendered = Signal()
    _frame_wanted = Signal()  # mpv's render thread -> main thread

    def __init__(self, player: MpvPlayer, parent: QWidget | None = None):
        super().__init__(parent)
        self.player = player
        self.render_context: mpv.MpvRenderContext | None = None
        self._proc_address = mpv.MpvGlGetProcAddressFn(_get_proc_address)  # kept alive: mpv holds it
        self._frame_wanted.connect(self.update, Qt.ConnectionType.QueuedConnection)
        player.closing.connect(self.release)
        self.setMinimumSize(160, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def initializeGL(self) -> None:  # noqa: N802 (Qt's name)
        if self.render_context is not None or self.player.closed:
            return
        self.render_context = mpv.MpvRenderContext(
            self.player.mpv, "opengl", opengl_init_params={"get_proc_address": self._proc_address}
        )
        self.render_context.update_cb = self._on_mpv_update
        self.context().aboutToBeDestroyed.connect(self.release, Qt.ConnectionType.DirectConnection)
        self.player.render_context_ready()

    def paintGL(self) -> None:  # noqa: N802
        if self.render_context is None:
            return
        ratio = self.devicePixelRatioF()
        self.render_context.render(
            flip_y=True,
            opengl_fbo={"w": round(self.width() * ratio), "h": round(self.height() * ratio),
                        "fbo": self.defaultFramebufferObject()},
        )
        emit(self.frame_rendered)

    @Slot()
    def release(self) -> None:
        """Free the render context (before mpv terminates, or when the GL context goes)."""
        if self.render_context is None:
            return
        self.makeCurrent()
        self.render_context.update_cb = None
        self.render_context.free()
        self.render_context = None
        self.doneCurrent()

    def _on_mpv_update(self) -> None:
        emit(self._frame_wanted)  # on mpv's thread: only a queued signal may leave it

"""The player: a Qt-free PlayerController, libmpv behind Qt signals (MpvPlayer) and its picture (MpvWidget).

Compose: ``player = MpvPlayer(parent)`` (its ``controller`` is the model keys and the timeline talk
to), ``video = MpvWidget(player)``, ``player.load(path)``. Call ``player.close()`` before the window
goes away. MpvWidget is imported from ``fastclip_desktop.player.mpv_widget`` (it needs QtOpenGL).
"""

from .controller import SPEEDS, PlayerBackend, PlayerController

__all__ = ["SPEEDS", "PlayerBackend", "PlayerController"]

"""The local API: the FastClip v1 API served on this machine, a third front end over the engine.

One module per resource group (uploads, multipart, clips, moments, library, captions_assets,
webhooks, keys, files, meta); ``app`` puts them together, ``server`` runs them with uvicorn. It
uses the engine's front door only and never imports Qt or mpv (import-linter checks both).
Start it with ``fastclip serve``, or from Python::

    from fastclip_desktop.api import ApiServer
    server = ApiServer(port=8484); server.start(); ...; server.stop()
"""

from .server import DEFAULT_HOST, DEFAULT_PORT, ApiServer, is_loopback, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ApiServer", "is_loopback", "serve"]

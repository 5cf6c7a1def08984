"""Cutting: the request rules, the route and the pure plan, the export and its per-track executors
(video with smart cut, audio, subtitles, GIF), the encoders, the cut report and its decode-free
preview, and the naming of outputs.
"""

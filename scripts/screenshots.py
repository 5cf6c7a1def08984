"""The README's screenshots of the desktop app, taken from the real window on a screen of a given size.

    for size in 1280x720 1920x1080; do
        xvfb-run -a -s "-screen 0 ${size}x24" .venv/bin/python scripts/screenshots.py VIDEO --suffix="-$size"
        xvfb-run -a -s "-screen 0 ${size}x24" .venv/bin/python scripts/screenshots.py SPOKEN --suffix="-$size" --moments
    done

Opens VIDEO (a minute or more of 1080p reads best; bench/media.py's sources do) in the main
window, as it opens on that screen, with an empty library in a temporary FASTCLIP_HOME; marks
three labelled segments (two overlap) in keyframe mode, exports the first two (precise: they
re-encode, so the export is still running) and grabs the window with the jobs panel showing it:
main-window<suffix>.png. Then the Caption Studio with a custom preset made from a built-in, over
the open frame: caption-studio<suffix>.png.

With ``--moments``, VIDEO is a few minutes of talk on several topics (tests/fixtures/moments's
recording under a 1080p picture reads well): the Moments panel finds its highlights (transcribing
it first, as a job), the best one is added as a segment and the second is chosen:
moments<suffix>.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ["LC_NUMERIC"] = "C"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("video", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--suffix", default="", help="added to the file names, e.g. -1280x720")
    parser.add_argument("--moments", action="store_true", help="VIDEO is spoken: shoot the Moments panel")
    args = parser.parse_args()
    os.environ["FASTCLIP_HOME"] = tempfile.mkdtemp(prefix="fastclip-shots-")
    args.out.mkdir(parents=True, exist_ok=True)

    import locale

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    locale.setlocale(locale.LC_NUMERIC, "C")
    from fastclip_desktop.app import style_sheet
    from fastclip_desktop.app_settings import AppSettings
    from fastclip_desktop.editor.segment_list import LABEL
    from fastclip_desktop.main_window import MainWindow

    app.setStyleSheet(style_sheet())
    settings = AppSettings(Path(os.environ["FASTCLIP_HOME"]) / "desktop.ini")
    w = MainWindow(app_settings=settings, player_options={"ao": "null"}, workers=1)
    w.show()
    w.import_paths([args.video])
    state = {"step": "spoken" if args.moments else "open"}

    def poll() -> None:
        step = state["step"]
        e = w.editor
        if step in ("spoken", "finding", "settle"):
            moments_step(step)
        elif step == "open" and w.media is not None and w.export_panel.model.file_id and e.model.keyframes \
                and e.timeline.strip is not None and e.timeline.waveform is not None:
            d = e.model.duration
            e.set_mode("keyframe")
            for (a, b), label in (((0.08, 0.16), "Opening"), ((0.3, 0.41), "Demo"), ((0.36, 0.45), "Q&A")):
                e.add_segment(d * a, d * b)
                row = [s.id for s in e.model.ordered()].index(e.model.selected)
                e.segment_list.table.item(row, LABEL).setText(label)
            e.model.select(e.model.ordered()[1].id)
            e.controller.seek(d * 0.35, exact=True)
            state["step"] = "export"
        elif step == "export" and not e.controller.seeking:
            w.export_panel.model.choose("mode", "precise")  # re-encodes the edges: still running when shot
            w.export_panel.request_export()
            state["step"] = "running"
        elif step == "running" and any(r.status == "processing" and r.progress >= 10
                                       for r in w.jobs_panel.model.rows):
            w.export_panel.model.choose("mode", "keyframe")
            QTimer.singleShot(400, shoot_main)
            state["step"] = "wait"
        elif step == "studio" and w.caption_studio.preview.preview is not None \
                and (w.caption_studio.current_preset_ref or "").startswith("preset:"):
            QTimer.singleShot(1200, shoot_studio)
            state["step"] = "wait"

    def moments_step(step: str) -> None:
        e, panel = w.editor, w.moments_panel
        if step == "spoken" and w.media is not None and panel.model.file_id == w.media.file_id \
                and e.timeline.waveform is not None and e.timeline.strip is not None:
            w.docks["moments"].raise_()
            panel.find()  # highlights: the file is transcribed first
            state["step"] = "finding"
        elif step == "finding" and panel.model.state == "done":
            panel.list.setCurrentRow(0)
            panel.add_selected()
            panel.list.setCurrentRow(1)
            e.controller.seek(float(panel.model.moment(1).start) + 2, exact=True)
            state["step"] = "settle"
        elif step == "settle" and not e.controller.seeking:
            QTimer.singleShot(800, lambda: shoot("moments", quit_after=True))
            state["step"] = "wait"

    def shoot(name: str, quit_after: bool = False) -> None:
        target = args.out / f"{name}{args.suffix}.png"
        w.grab().save(str(target))
        print("saved", target, flush=True)
        if quit_after:
            w.close()
            app.quit()

    def shoot_main() -> None:
        target = args.out / f"main-window{args.suffix}.png"
        w.grab().save(str(target))
        print("saved", target, flush=True)
        studio = w.caption_studio
        w.tabs.setCurrentIndex(1)  # the studio takes the side panels' room
        studio.select_preset("builtin:short-form-karaoke")
        studio.presets.new_name.setText("My karaoke")
        studio.presets.duplicate()
        state["step"] = "studio"

    def shoot_studio() -> None:
        target = args.out / f"caption-studio{args.suffix}.png"
        w.grab().save(str(target))
        print("saved", target, flush=True)
        w.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(100)
    QTimer.singleShot(240_000, lambda: (print("timed out at", state, flush=True), w.close(), app.quit()))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""The main window on a screen of a given size, measured as a user would look at it (for
tests/gui/test_window_geometry.py, which starts it with Qt's offscreen platform set to that screen).

    QT_QPA_PLATFORM="offscreen:configfile=screen.json" python tests/gui/window_probe.py VIDEO OUT.json

It opens VIDEO as the app does, marks three segments, looks at the editor, the docks, the export
panel and the Caption Studio, resets the layout, and writes what it saw to OUT.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def fully_visible(widget) -> bool:
    """Shown, with a size, and not cut by any parent (a scroll area's viewport, a dock, the window)."""
    from PySide6.QtCore import QPoint, QRect

    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    rect = QRect(QPoint(0, 0), widget.size())
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        rect = QRect(child.mapTo(parent, rect.topLeft()), rect.size())
        if not QRect(QPoint(0, 0), parent.size()).contains(rect):
            return False
        child, parent = parent, parent.parentWidget()
    return True


def text_fits(button) -> bool:
    metrics = button.fontMetrics()
    return metrics.horizontalAdvance(button.text().replace("&", "")) <= button.width() - 8


def main() -> int:
    video, out = sys.argv[1], sys.argv[2]
    os.environ["LC_NUMERIC"] = "C"
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QAbstractButton, QApplication

    from engine.errors import InvalidRequest

    app = QApplication([sys.argv[0]])
    from fastclip_desktop.app import style_sheet
    from fastclip_desktop.app_settings import AppSettings
    from fastclip_desktop.main_window import MainWindow

    app.setStyleSheet(style_sheet())
    w = MainWindow(app_settings=AppSettings(Path(os.environ["FASTCLIP_HOME"]) / "desktop.ini"),
                   player_options={"vo": "null", "ao": "null"}, workers=1)
    w.show()
    w.import_paths([video])
    seen: dict = {}
    state = {"step": "open"}

    def docks() -> dict:
        result = {}
        for name, dock in w.docks.items():
            page = dock.widget()
            result[name] = {
                "visible": dock.isVisible() and not dock.visibleRegion().isEmpty(),  # a tab behind another: not
                "width": dock.width(), "height": dock.height(),
                "cut_off": page.horizontalScrollBar().isVisible() or page.viewport().width() < page.content.minimumSizeHint().width(),
            }
        return result

    def editor_view() -> dict:
        e = w.editor
        pic = e.picture
        vw, vh = w.export_panel.model.info.display_size
        aspect = vw / vh
        shown = min(pic.width(), pic.height() * aspect)
        return {"picture": [pic.width(), pic.height()], "picture_shown_width": shown,
                "buttons_fit": all(text_fits(b) for b in w.findChildren(QAbstractButton)
                                   if b.isVisible() and b.text() and fully_visible(b)),
                "cut_buttons": [b.text() for b in w.findChildren(QAbstractButton)
                                if b.isVisible() and b.text() and not text_fits(b)]}

    def step() -> None:
        e, s = w.editor, state["step"]
        if s == "open" and w.export_panel.model.file_id and e.model.keyframes is not None:
            screen = w.screen().availableGeometry()
            frame = w.frameGeometry()
            seen["screen"] = [screen.x(), screen.y(), screen.width(), screen.height()]
            seen["window"] = [frame.x(), frame.y(), frame.width(), frame.height()]
            for a, b in ((0.5, 1.5), (2.0, 3.0), (2.5, 3.5)):  # two of them overlap
                e.add_segment(a, b)
            state["step"] = "measure"
        elif s == "measure":
            seen["editor"] = editor_view()
            seen["docks"] = docks()
            button = w.export_panel.export_button
            seen["export_button"] = [button.mapTo(w, button.rect().topLeft()).toTuple(), button.isEnabled(),
                                     button.text()]
            panel = w.export_panel  # what Export will make and what the cut does: read without scrolling
            seen["export_texts"] = {"summary": [panel.summary_label.text(), fully_visible(panel.summary_label)],
                                    "cut": [panel.cut_label.text(), fully_visible(panel.cut_label)]}
            total = w.editor.segment_list.total  # beside the segment list's buttons
            seen["segments_total"] = [total.text(), fully_visible(total) and
                                      total.fontMetrics().horizontalAdvance(total.text()) <= total.width()]
            # longer texts everywhere: no dock changes width, the Export button stays put
            w.export_panel.model.choose("join", True)
            w.export_panel.show_error(InvalidRequest("a very long refusal " * 12, field="destination"))
            w.docks["transcript"].raise_()
            w.transcript_panel.selection_label.setText("Selected: " + "word " * 80)
            state["step"] = "again"
        elif s == "again":
            seen["docks_after"] = docks()
            button = w.export_panel.export_button
            seen["export_button_after"] = [button.mapTo(w, button.rect().topLeft()).toTuple(), button.text()]
            seen["library_elide"] = w.library_panel.tree.textElideMode().name
            w.tabs.setCurrentIndex(1)
            state["step"] = "studio"
        elif s == "studio":
            studio = w.caption_studio
            studio.select_preset("builtin:short-form-karaoke")
            controls = studio.editor.controls
            seen["studio_without_scrolling"] = {n: fully_visible(c) for n, c in controls.items()}
            scrolled = {}
            for name, control in controls.items():  # scrolled to, as a user scrolls to a field
                at = control.mapTo(studio.editor, control.rect().center())
                studio.form_scroll.ensureVisible(at.x(), at.y(), control.width() // 2 + 2, control.height() // 2 + 2)
                scrolled[name] = fully_visible(control) and control.width() > 20 and control.height() > 10
            seen["studio_scrolled"] = scrolled
            studio.form_scroll.verticalScrollBar().setValue(0)  # back to the top, where the font is
            seen["studio_columns"] = studio.editor.columns
            buttons = [studio.copy_button, studio.use_button, studio.presets.duplicate_button,
                       studio.presets.delete_button, studio.editor.import_button]
            seen["studio_buttons"] = {b.text(): text_fits(b) and fully_visible(b) for b in buttons}
            names = studio.presets.list
            metrics = names.fontMetrics()
            seen["preset_names_cut"] = [names.item(i).text() for i in range(names.count())
                                        if metrics.horizontalAdvance(names.item(i).text()) + 8 > names.viewport().width()]
            seen["studio_docks_hidden"] = [n for n in ("library", "export", "segments") if not w.docks[n].isVisible()]
            w.tabs.setCurrentIndex(0)
            state["step"] = "reset"
        elif s == "reset":
            seen["docks_back"] = [n for n in ("library", "export", "segments") if w.docks[n].isVisible()]
            default = {n: (d["width"], d["height"]) for n, d in seen["docks"].items()}
            w.docks["library"].hide()
            w.resizeDocks([w.docks["export"]], [600], Qt.Orientation.Horizontal)
            w.reset_layout()
            state["step"] = "after_reset"
            state["default"] = default
        elif s == "after_reset":
            seen["after_reset"] = {n: (d["width"], d["height"], d["visible"]) for n, d in docks().items()}
            seen["default"] = state["default"]
            Path(out).write_text(json.dumps(seen))
            w.close()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(150)
    QTimer.singleShot(90_000, lambda: app.exit(3))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""The library panel's Qt style sheet: the dark theme of the player and timeline.

Rules name the panel's own children (``#libraryPanel > ...``), so dialogs opened from the panel
keep the application's look.
"""

STYLE = """
#libraryPanel { background: #1b1c1f; }
#libraryPanel > QLabel { color: #d7dbe0; font-size: 12px; }
#libraryPanel > QLabel#summary { color: #8a9099; }
#libraryPanel > QLabel#message[kind="error"] { color: #ff8a80; }
#libraryPanel > QLabel#message[kind="info"] { color: #a5d6a7; }
#libraryPanel > QLineEdit, #libraryPanel > QComboBox, #libraryPanel > QToolButton, #libraryButtons > QToolButton {
    background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44; border-radius: 4px; padding: 4px 8px; }
#libraryPanel > QToolButton:hover, #libraryPanel > QComboBox:hover, #libraryButtons > QToolButton:hover {
    background: #34383e; }
#libraryPanel > QToolButton:disabled, #libraryButtons > QToolButton:disabled { color: #62676e; }
#libraryPanel > QTreeWidget { background: #15161a; color: #e3e6ea; border: 1px solid #2b2e33;
                              selection-background-color: #2f4a5e; }
#libraryPanel > QTreeWidget::indicator { width: 13px; height: 13px; border: 1px solid #6b7078;
                                         border-radius: 3px; background: #2b2e33; }
#libraryPanel > QTreeWidget::indicator:checked { background: #ffb74d; border-color: #ffb74d; }
#libraryPanel > QTreeWidget QHeaderView::section { background: #25272b; color: #a4a9b0; border: none;
                                                   padding: 3px 6px; }
"""

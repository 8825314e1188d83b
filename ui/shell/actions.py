"""Every command of the window in one place: text, shortcut, tooltip. Panels show them; the window routes them."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QToolButton


class AppActions(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scan = self._make("&Scan now", "Ctrl+R", "Scan the library folders (only new and changed files are read)")
        self.cancel_scan = self._make("&Cancel scan", "Ctrl+.", "Stop the scan; finished work is kept")
        self.auto_select = self._make(
            "&Auto-select", "Ctrl+Shift+A", "Mark every file except the one the keep rules choose, in every group"
        )
        self.keep_rules = self._make("&Keep rules…", "", "Choose which file of a group is kept")
        self.clear_marks = self._make("C&lear marks", "Ctrl+Shift+U", "Unmark every file")
        self.not_duplicates = self._make(
            "&Not duplicates", "Ctrl+N", "These files are not duplicates: never group them together again"
        )
        self.trash = self._make("Move marked to &trash…", QKeySequence.StandardKey.Delete, "Preview, then trash")
        self.undo = self._make(
            "&Undo", QKeySequence.StandardKey.Undo, "Undo the last trash or \u201cnot duplicates\u201d"
        )
        self.journal = self._make(
            "&Journal…",
            "Ctrl+J",
            "Every trash and \u201cnot duplicates\u201d batch, with its state and an Undo for each",
        )
        self.quit = self._make("&Quit", QKeySequence.StandardKey.Quit, "Close Twinlens")
        self.compare = self._make(
            "&Compare group…", "Ctrl+Return", "Compare the group's photos side by side (also: Enter on a group)"
        )
        self.choose_query = self._make("Find photos &like…", "Ctrl+F", "Choose a photo and find the ones like it")
        self.paste_query = self._make(
            "&Paste photo to search", QKeySequence.StandardKey.Paste, "Search with a copied image or image file"
        )
        self.open_result = self._make("&Open", "", "Open the selected result in the default viewer")
        self.reveal_result = self._make("&Reveal in folder", "", "Open the folder that holds the selected result")
        self.result_in_review = self._make(
            "Show in &Review", "", "Jump to the duplicate group of the selected result, if it is in one"
        )
        self.models = self._make("&Models…", "Ctrl+M", "Download, import and choose image models; choose the device")
        self.open_log_folder = self._make(
            "Open &log folder", "", "Open the folder with Twinlens's log files, to send with a problem report"
        )
        self.cancel_scan.setEnabled(False)
        self.set_result_selected(False)

    def _make(self, text: str, shortcut: str | QKeySequence.StandardKey, tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        return action

    def set_scanning(self, scanning: bool) -> None:
        self.scan.setEnabled(not scanning)
        self.cancel_scan.setEnabled(scanning)

    def set_result_selected(self, selected: bool) -> None:
        for action in (self.open_result, self.reveal_result, self.result_in_review):
            action.setEnabled(selected)


def action_button(action: QAction) -> QToolButton:
    """How a panel shows one of the window's actions: a text button that follows the action's state."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setMinimumWidth(110)
    return button


def action_row(actions: Iterable[QAction]) -> QHBoxLayout:
    """A panel's row of action buttons, left-aligned."""
    row = QHBoxLayout()
    for action in actions:
        row.addWidget(action_button(action))
    row.addStretch()
    return row

"""Library panel: folders to scan, protected reference folders and excluded folders."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.places import canonical_path
from ui.shell.settings import FolderSettings, pictures_folder

FolderPicker = Callable[[QWidget, str], str]


def pick_folder(parent: QWidget, title: str) -> str:
    return QFileDialog.getExistingDirectory(parent, title, pictures_folder())


class FolderListEditor(QGroupBox):
    changed = Signal(tuple)

    def __init__(self, title: str, help_text: str, picker: FolderPicker, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._picker = picker
        self.list = QListWidget()
        self.list.setAlternatingRowColors(True)
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        help_label = QLabel(help_text)
        help_label.setWordWrap(True)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addLayout(row)
        self._update_buttons()

    def folders(self) -> tuple[str, ...]:
        return tuple(self.list.item(i).text() for i in range(self.list.count()))

    def set_folders(self, folders: tuple[str, ...]) -> None:
        self.list.clear()
        self.list.addItems(list(folders))
        self._update_buttons()

    def add_folder(self, folder: str) -> None:
        """Add a folder under its canonical spelling (the one the library stores), once however it was given."""
        folder = canonical_path(folder) if folder else ""
        if folder and folder not in self.folders():
            self.list.addItem(folder)
            self.changed.emit(self.folders())

    def _add(self) -> None:
        self.add_folder(self._picker(self, f"Add to: {self.title()}"))

    def _remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self._update_buttons()
        self.changed.emit(self.folders())

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))


class LibraryPanel(QWidget):
    """Edits FolderSettings; the window stores them in the library (through an op) and shows the library's."""

    folders_changed = Signal(object)  # FolderSettings

    def __init__(self, folders: FolderSettings, picker: FolderPicker = pick_folder, parent: QWidget | None = None):
        super().__init__(parent)
        self._folders = folders
        self.scan_list = FolderListEditor(
            "Folders to scan", "Photos in these folders (and their subfolders) are compared.", picker
        )
        self.protected_list = FolderListEditor(
            "Protected reference folders",
            "Files here are always kept and never offered for deletion; they are scanned as well.",
            picker,
        )
        self.excluded_list = FolderListEditor("Excluded folders", "These folders are skipped when scanning.", picker)
        layout = QVBoxLayout(self)
        for name, editor in self._editors().items():
            editor.set_folders(getattr(folders, name))
            editor.changed.connect(lambda values, n=name: self._on_changed(n, values))
            layout.addWidget(editor)

    def _editors(self) -> dict[str, FolderListEditor]:
        return {"folders": self.scan_list, "protected": self.protected_list, "excluded": self.excluded_list}

    @property
    def folders(self) -> FolderSettings:
        return self._folders

    def set_folders(self, folders: FolderSettings) -> None:
        """Show the library's folders (no folders_changed: they are already stored)."""
        self._folders = folders
        for name, editor in self._editors().items():
            editor.set_folders(getattr(folders, name))

    def _on_changed(self, name: str, values: tuple[str, ...]) -> None:
        self._folders = self._folders.with_list(name, values)
        self.folders_changed.emit(self._folders)

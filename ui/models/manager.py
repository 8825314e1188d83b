"""The model manager: every registered model with its size, licence, embedding size, weights status and how
many photos it has embedded; download (with progress and cancel), import a weights file, choose the active
model (after seeing what will be re-embedded and how long it takes) and the device.

All the work happens elsewhere: ops in the library's thread import, estimate and switch (their failures come
back to this dialog by callback); the downloader fetches in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.models.manager import ModelStatus, SwitchEstimate, WeightsState
from ui.models.download import ModelDownloader
from ui.models.feed import ModelsFeed
from ui.ops import library_ops
from ui.ops.messages import ModelsState, WeightsImported
from ui.ops.runner import OpFailure, OpRunner
from ui.review.tiers import SPECS as TIER_SPECS
from ui.shell.format import count, human_duration
from ui.shell.settings import IMPORT_FOLDER, read_text, write_text

FilePicker = Callable[[QWidget, str, str], str]
HEADERS = ("Model", "Status", "Download", "Licence", "Embedding", "Photos embedded", "Active")
OFFLINE = (
    "Offline (HF_HUB_OFFLINE is set): models cannot be downloaded. Import a weights file you got elsewhere "
    "instead. Identical and Near-identical duplicates need no model and keep working."
)
NO_MODEL_SCAN = "Scans run without a model: only Identical and Near-identical duplicates are found."


def pick_weights_file(parent: QWidget, title: str, folder: str) -> str:
    path, _ = QFileDialog.getOpenFileName(
        parent, title, folder, "Model weights (*.onnx *.safetensors *.pt *.pth *.bin);;All files (*)"
    )
    return str(path)


def status_text(status: ModelStatus, downloading: int | None = None) -> str:
    if downloading is not None:
        return f"downloading {downloading} %" if downloading >= 0 else "downloading…"
    return str(status.state)


class ModelManagerDialog(QDialog):
    weights_imported = Signal(object)  # WeightsImported, once the message says so

    def __init__(
        self,
        runner: OpRunner,
        models: ModelsFeed,
        downloader: ModelDownloader,
        settings: QSettings,
        picker: FilePicker = pick_weights_file,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(980, 520)
        self._runner = runner
        self._models = models
        self._downloader = downloader
        self._settings = settings
        self._picker = picker
        self.state: ModelsState | None = None
        self._downloading: dict[str, int] = {}  # model → percent (-1: size unknown)
        self._pending_switch: str | None = None
        self.switch_box: QMessageBox | None = None
        self._build()
        models.ready.connect(self.on_models)
        downloader.progress.connect(self._on_progress)
        downloader.finished.connect(self._on_download_finished)
        models.refresh()

    def _build(self) -> None:
        self.offline = QLabel(OFFLINE)
        self.offline.setWordWrap(True)
        self.offline.setStyleSheet("QLabel { background: #fff4ce; color: #4a3b00; padding: 8px; border-radius: 4px; }")
        self.offline.hide()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_controls)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self._downloader.cancel)
        self.import_button = QPushButton("Import weights file…")
        self.import_button.clicked.connect(self.choose_import_file)
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self.use_selected)
        self.device = QComboBox()
        self.device.activated.connect(lambda _i: self.set_device(self.device.currentText()))
        self._layout()
        self._update_controls()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.download_button, self.cancel_button, self.import_button, self.use_button):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(QLabel("Device:"))
        buttons.addWidget(self.device)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.offline)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(close)

    # --- state --------------------------------------------------------------------------------------------

    def on_models(self, state: ModelsState) -> None:
        selected = self.selected_name() or state.active or (state.statuses[0].name if state.statuses else None)
        self.state = state
        self.offline.setVisible(state.offline)
        self.table.setRowCount(len(state.statuses))
        for row, status in enumerate(state.statuses):
            self._fill_row(row, status)
            if status.name == selected:
                self.table.selectRow(row)
        self.device.blockSignals(True)
        self.device.clear()
        self.device.addItems(list(state.devices))
        self.device.setCurrentText(state.device)
        self.device.blockSignals(False)
        self._update_controls()

    def _fill_row(self, row: int, status: ModelStatus) -> None:
        values = (
            status.name,
            status_text(status, self._downloading.get(status.name)),
            f"{status.download_mb:.0f} MB",
            status.licence,
            f"{status.dim} floats" + (" · text too" if status.supports_text else ""),
            f"{status.embedded_files:,}",
            "● active" if status.active else "",
        )
        for col, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(status.weights or status.description)
            self.table.setItem(row, col, item)

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    def selected_status(self) -> ModelStatus | None:
        name = self.selected_name()
        return None if name is None or self.state is None else self.state.status(name)

    def row_text(self, name: str, column: int) -> str:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == name:
                cell = self.table.item(row, column)
                return cell.text() if cell is not None else ""
        raise KeyError(name)

    def select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    def _update_controls(self) -> None:
        status = self.selected_status()
        busy = self._downloader.busy
        missing = status is not None and status.state == WeightsState.NOT_DOWNLOADED
        offline = self.state is not None and self.state.offline
        self.download_button.setEnabled(status is not None and missing and not busy)
        self.download_button.setToolTip("Offline: import a weights file instead." if offline else "")
        self.cancel_button.setEnabled(busy)
        self.import_button.setEnabled(status is not None)
        self.use_button.setEnabled(status is not None and not status.active and not missing)
        self.details.setText(self._details(status))

    def _details(self, status: ModelStatus | None) -> str:
        if status is None:
            return "Select a model."
        lines = [f"<b>{status.name}</b>: {status.description}"]
        finds = [TIER_SPECS[tier].title for tier in status.tiers] + (["search by text"] if status.supports_text else [])
        lines.append(f"Finds: {', '.join(finds)}.")
        if status.weights:
            lines.append(f"Weights: {status.weights_description}")
        if status.state == WeightsState.NOT_DOWNLOADED:
            lines.append("Weights are not on this computer: download them, or import a file you already have.")
        active = self.state.active_status() if self.state else None
        scan = self.state.scan_model() if self.state else None
        lines.append(
            f"Scans embed with <b>{scan.name}</b>."
            if scan
            else NO_MODEL_SCAN
            if active is None
            else f"{active.name} is active but its weights are missing: {NO_MODEL_SCAN}"
        )
        return "<br>".join(lines)

    # --- download -------------------------------------------------------------------------------------------

    def download_selected(self) -> None:
        status = self.selected_status()
        if status is None or not self._downloader.start(status.name):
            return
        self._downloading[status.name] = -1
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(f"Downloading {status.name} (about {status.download_mb:.0f} MB)…")
        self._refresh_rows()

    def _on_progress(self, name: str, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else -1
        self._downloading[name] = percent
        if total:
            self.progress.setRange(0, 100)
            self.progress.setValue(percent)
        self._refresh_rows()

    def _on_download_finished(self, name: str, error: str | None) -> None:
        self._downloading.pop(name, None)
        self.progress.hide()
        self.message.setText(f"Could not download {name}: {error}" if error else f"Downloaded {name}.")
        self._refresh_rows()
        self._models.refresh()

    def _refresh_rows(self) -> None:
        if self.state is not None:
            self.on_models(self.state)

    # --- import ---------------------------------------------------------------------------------------------

    def choose_import_file(self) -> None:
        status = self.selected_status()
        if status is None:
            return
        path = self._picker(self, f"Weights file for {status.name}", read_text(self._settings, IMPORT_FOLDER))
        if path:
            write_text(self._settings, IMPORT_FOLDER, str(Path(path).parent))
            self.import_file(status.name, Path(path))

    def import_file(self, name: str, path: Path) -> None:
        """Copy the file into the library and check it loads (an op in the library thread)."""
        self.message.setText(f"Importing {path.name} for {name} and checking that it loads…")
        self._runner.run(
            library_ops.import_weights_file(name, path), on_done=self._on_imported, on_error=self._failed_and_reload
        )

    def _on_imported(self, imported: WeightsImported) -> None:
        self.message.setText(f"Imported weights for {imported.name}: {imported.path}")
        self.weights_imported.emit(imported)

    def _on_failed(self, failure: OpFailure) -> None:
        self.message.setText(f"Could not {failure.action}: {failure.message}")

    def _failed_and_reload(self, failure: OpFailure) -> None:
        """What the library holds now shows again (a half-done import, the device that stayed)."""
        self._on_failed(failure)
        self._models.refresh()

    def set_device(self, device: str) -> None:
        self._runner.run(library_ops.set_device(device), on_error=self._failed_and_reload)

    # --- switch ---------------------------------------------------------------------------------------------

    def use_selected(self) -> None:
        status = self.selected_status()
        if status is None:
            return
        self._pending_switch = status.name
        self.message.setText(f"Counting what {status.name} has to embed…")
        self._runner.run(library_ops.estimate_switch(status.name), on_done=self._on_estimate, on_error=self._on_failed)

    def _on_estimate(self, estimate: SwitchEstimate) -> None:
        if estimate.model != self._pending_switch:
            return
        self._pending_switch = None
        if estimate.files_to_embed:
            what = (
                f"The next scan will embed {count(estimate.files_to_embed, 'photo')} with {estimate.model}, "
                f"taking about {human_duration(estimate.seconds)} on this computer."
            )
        elif estimate.library_files == 0:
            what = f"The library has no photos yet: its first scan embeds them with {estimate.model}."
        else:
            what = f"Every photo is already embedded with {estimate.model}: nothing to redo."
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Switch model",
            f"Make {estimate.model} the active model?\n\n{what}\n\nEdited copies and Similar will use it.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText("Switch")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._after_box(estimate.model, box.standardButton(button)))
        self.switch_box = box
        box.open()

    def _after_box(self, name: str, button: QMessageBox.StandardButton) -> None:
        self.switch_box = None
        if button == QMessageBox.StandardButton.Yes:
            self._switch(name)
        else:
            self.message.setText(f"Kept the current model; {name} is not active.")

    def _switch(self, name: str) -> None:
        if self.state is not None and self.state.active == name:
            return
        self.message.setText(f"{name} is now the active model. Scan to embed new photos with it.")
        self._runner.run(library_ops.set_active_model(name), on_error=self._on_failed)

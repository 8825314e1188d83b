"""Search panel: find photos like one you drop, paste or choose, or (with a CLIP model) by a description.

The query image need not be in the library: an op embeds it on the fly with the active model. Pasted pixels are
written to a temporary PNG in the thread pool (ui/ops/background.py), never in the GUI thread.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QModelIndex, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.models.service import QueryResult
from core.scan.sniff import NON_IMAGE_EXTENSIONS
from ui.models.feed import ModelsFeed
from ui.ops import library_ops
from ui.ops.background import run_in_background
from ui.ops.messages import ModelsState, QueryAnswer
from ui.ops.runner import Op, OpRunner
from ui.query.results import ResultsGrid, ResultsModel
from ui.shell.actions import action_button, action_row
from ui.shell.reveal import Revealer
from ui.shell.settings import QUERY_FOLDER, pictures_folder, read_text, write_text
from ui.shell.thumbnails import ThumbnailCache

FilesPicker = Callable[[QWidget, str, str], list[str]]
UrlOpener = Callable[[QUrl], object]
PASTE_FOLDER = "twinlens-pasted"
KEEP_PASTED = 5
TEXT_MODEL = "clip-b32"
DROP_HINT = "Drop photos here (or anywhere on the window), paste one with Ctrl+V, or choose a file."
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.gif *.tif *.tiff *.bmp *.heic *.heif *.avif);;All files (*)"


def pick_image_files(parent: QWidget, title: str, folder: str) -> list[str]:
    files, _ = QFileDialog.getOpenFileNames(parent, title, folder, IMAGE_FILTER)
    return list(files)


def image_paths(mime: QMimeData) -> list[Path]:
    """Local files among the dropped or pasted URLs that may be images (folders and documents left out)."""
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.suffix.lower() not in NON_IMAGE_EXTENSIONS and not p.is_dir()]


def save_pasted_image(image: QImage) -> Path | None:
    """Write pasted pixels to a temporary PNG (in the thread pool); only the last few are kept."""
    folder = Path(tempfile.gettempdir()) / PASTE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("pasted-*.png"), key=lambda p: p.stat().st_mtime)[:-KEEP_PASTED]:
        old.unlink(missing_ok=True)
    target = folder / f"pasted-{uuid.uuid4().hex[:12]}.png"
    return target if image.save(str(target)) else None  # the format follows the suffix


def _save_or_none(image: QImage) -> Path | None:
    try:
        return save_pasted_image(image)
    except OSError:
        return None


def text_search_help(state: ModelsState) -> str:
    """Empty when the active model can search by description; otherwise what to get."""
    active = state.active_status()
    if active is not None and active.supports_text:
        if active.embedded_files:
            return ""
        return f"{active.name} can search by description once it has embedded your photos: scan again."
    what = "No model is active" if active is None else f"{active.name} compares pictures and cannot read text"
    return (
        f"{what}. To search by description, get {TEXT_MODEL} (CLIP, about 605 MB, MIT licence) in "
        "Models…, make it the active model and scan again."
    )


class QueryPanel(QWidget):
    results_shown = Signal(object)  # QueryAnswer, once the grid shows it
    review_requested = Signal(int)  # a result's file id: show its group in Review

    def __init__(
        self,
        runner: OpRunner,
        models: ModelsFeed,
        thumbnails: ThumbnailCache,
        settings: QSettings,
        result_actions: Sequence[QAction],
        choose: QAction,
        picker: FilesPicker = pick_image_files,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self._picker = picker
        self.opener: UrlOpener = QDesktopServices.openUrl
        self.revealer = Revealer(self)
        self._latest = 0
        self._started = 0.0
        self.last_answer: QueryAnswer | None = None
        self.model = ResultsModel(thumbnails, self)
        self.grid = ResultsGrid(self.model, result_actions)
        self.grid.activated.connect(lambda _index: self.open_current())
        self.hint = QLabel(DROP_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("QLabel { border: 2px dashed palette(mid); border-radius: 6px; padding: 14px; }")
        self.text = QLineEdit()
        self.text.setPlaceholderText("Describe a photo, e.g. “a dog on a beach”")
        self.text.setClearButtonEnabled(True)
        self.text.returnPressed.connect(self.search_text)
        self.text_button = QPushButton("Search by description")
        self.text_button.clicked.connect(self.search_text)
        self.text_help = QLabel()
        self.text_help.setWordWrap(True)
        self.status = QLabel("No search yet.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        models.ready.connect(self.on_models)
        self._layout(result_actions, choose)
        self.setAcceptDrops(True)
        self._set_text_enabled("Waiting for the library to open…")

    def _layout(self, result_actions: Sequence[QAction], choose: QAction) -> None:
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(action_button(choose))
        text_row = QHBoxLayout()
        text_row.addWidget(self.text, 1)
        text_row.addWidget(self.text_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(text_row)
        layout.addWidget(self.text_help)
        layout.addWidget(self.status)
        layout.addLayout(action_row(result_actions))
        layout.addWidget(self.grid, 1)

    # --- input: drop, paste, choose, type ----------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if self.drop(event.mimeData()):
            event.acceptProposedAction()

    def accept_drag(self, event: QDragEnterEvent) -> None:
        if image_paths(event.mimeData()):
            event.acceptProposedAction()

    def drop(self, mime: QMimeData) -> bool:
        paths = image_paths(mime)
        if paths:
            self.search_files(paths)
        return bool(paths)

    def paste(self, mime: QMimeData) -> bool:
        """Ctrl+V: file URLs are searched as files; pixels are saved to a temporary file first."""
        if self.drop(mime):
            return True
        if not mime.hasImage():
            return False
        image = QImage(mime.imageData())
        if image.isNull():
            return False
        self._started = time.perf_counter()
        self.status.setText("Searching with the pasted image…")
        run_in_background(lambda _progress: _save_or_none(image), on_done=self._on_pasted, context=self)
        return True

    def _on_pasted(self, path: Path | None) -> None:
        if path is None:
            self.status.setText("Could not save the pasted image to a temporary file.")
            return
        self.search_files([path], started=self._started)

    def choose_files(self) -> None:
        folder = read_text(self._settings, QUERY_FOLDER) or pictures_folder()
        files = self._picker(self, "Find photos like…", folder)
        if files:
            write_text(self._settings, QUERY_FOLDER, str(Path(files[0]).parent))
            self.search_files([Path(f) for f in files])

    def search_files(self, paths: Sequence[Path], started: float | None = None) -> None:
        self._started = time.perf_counter() if started is None else started
        names = ", ".join(p.name for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        self.status.setText(f"Searching for photos like {names}…")
        self._ask(library_ops.query_images(list(paths)))

    def search_text(self) -> None:
        text = self.text.text().strip()
        if not text or not self.text.isEnabled():
            return
        self._started = time.perf_counter()
        self.status.setText(f"Searching for “{text}”…")
        self._ask(library_ops.query_text(text))

    # --- answers ------------------------------------------------------------------------------------------

    def _ask(self, op: Op[QueryAnswer]) -> None:
        self._latest += 1
        asked = self._latest
        self._runner.run(op, on_done=lambda answer: self.on_answer(answer, asked))

    def on_answer(self, answer: QueryAnswer, asked: int) -> None:
        if asked != self._latest:
            return  # an older search finished after a newer one was asked for
        self.last_answer = answer
        self.model.set_results(answer.results)
        if answer.results:
            self.grid.setCurrentIndex(self.model.index(0))
        self.status.setText(self._status_text(answer))
        self.results_shown.emit(answer)

    def _status_text(self, answer: QueryAnswer) -> str:
        if answer.error:
            return f"No results for {answer.label}: {answer.error}"
        elapsed = time.perf_counter() - self._started
        return (
            f"{len(answer.results):,} closest photos to {answer.label} — best first, by {answer.model} similarity "
            f"(searched in {answer.seconds:.2f} s, shown after {elapsed:.2f} s). "
            "Enter: open · right-click for more."
        )

    def on_models(self, state: ModelsState) -> None:
        self._set_text_enabled(text_search_help(state))

    def _set_text_enabled(self, help_text: str) -> None:
        enabled = not help_text
        self.text.setEnabled(enabled)
        self.text_button.setEnabled(enabled)
        self.text.setToolTip(help_text)
        self.text_help.setText(help_text)
        self.text_help.setVisible(not enabled)

    # --- result actions -------------------------------------------------------------------------------------

    def current_result(self) -> QueryResult | None:
        return self.grid.current_result()

    def open_current(self) -> None:
        result = self.current_result()
        if result is not None:
            self.opener(QUrl.fromLocalFile(result.file.path))

    def reveal_current(self) -> None:
        result = self.current_result()
        if result is not None:
            self.revealer.reveal(result.file.path)

    def review_current(self) -> None:
        result = self.current_result()
        if result is not None:
            self.review_requested.emit(result.file.id)

    def connect_selection(self, on_change: Callable[[bool], None]) -> None:
        """Tell `on_change` whether a result is selected, whenever that changes."""
        selection = self.grid.selectionModel()
        selection.currentChanged.connect(lambda current, _prev: on_change(self.model.result_at(current) is not None))
        self.model.modelReset.connect(lambda: on_change(self.model.result_at(self.grid.currentIndex()) is not None))
        on_change(self.model.result_at(QModelIndex()) is not None)

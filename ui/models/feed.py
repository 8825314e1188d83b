"""The models' state (every registered model, the active one, the device) for each view that shows it: the scan
panel, search, the model manager and the window. Read once per MODELS change, not once per view."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.entities import Changes
from ui.ops import library_ops
from ui.ops.messages import ModelsState
from ui.ops.runner import OpChanges, OpRunner


class ModelsFeed(QObject):
    ready = Signal(object)  # ModelsState

    def __init__(self, runner: OpRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.state: ModelsState | None = None
        runner.changed.connect(self._on_changed)

    def refresh(self) -> None:
        self._runner.run(library_ops.models_state(), on_done=self._on_state)

    def _on_changed(self, changed: OpChanges) -> None:
        if changed.changes & Changes.MODELS:
            self.refresh()

    def _on_state(self, state: ModelsState) -> None:
        self.state = state
        self.ready.emit(state)

"""Scan panel: start and cancel, progress with phase, counts and ETA, and the last scan's summary; and the scan
request the window sends (`scan_request`)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from core.entities import Phase, ScanProgress, ScanRequest, ScanSummary
from ui.ops.messages import ModelsState
from ui.review.tiers import SPECS as TIER_SPECS
from ui.shell.actions import action_row
from ui.shell.format import count, human_duration

PHASE_TEXT = {
    Phase.ENUMERATE: "Looking for photos",
    Phase.COMPARE: "Comparing with the catalog",
    Phase.METADATA: "Reading capture dates and camera details",
    Phase.READ: "Reading photos",
    Phase.EMBED: "Computing embeddings",
    Phase.VERIFY: "Checking rotated and cropped copies",
    Phase.CALIBRATE: "Calibrating the thresholds on your photos",
    Phase.GROUP: "Finding near-identical pairs",
    Phase.DONE: "Finishing",
}


def scan_request(folders: ScanRequest, models: ModelsState | None) -> ScanRequest:
    """The request a scan from the window sends: the library's folders, and the model it embeds with when its
    weights are on this computer (the active model, else the out-of-the-box copy model: ModelsState.scan_model).
    Never a weights file: the library resolves the model's weights itself (an imported
    file, the Hugging Face cache, a package), as it does for the CLI, so the model id, and with it the stored
    vectors and calibrated thresholds, are the same whichever front end scans."""
    model = models.scan_model() if models is not None else None
    return replace(folders, model=model.name, weights=None) if model is not None else folders


def summary_text(summary: ScanSummary) -> str:
    state = "Cancelled — finished work is kept; the next scan resumes" if summary.cancelled else "Finished"
    return (
        f"{state} in {human_duration(summary.seconds)}.\n"
        f"{count(summary.seen, 'file')} seen: {summary.new:,} new, {summary.changed:,} changed, "
        f"{summary.unchanged:,} unchanged, {summary.moved:,} moved, {summary.removed:,} gone.\n"
        + (f"{count(summary.problems, 'file')} could not be read (see Problems)." if summary.problems else "")
        + "".join(f"\n{line.strip()}" for line in summary.calibration[:3])
    )


class ScanPanel(QWidget):
    def __init__(self, scan: QAction, cancel: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phase_label = QLabel("Not scanning.")
        self.counts_label = QLabel("")
        self.eta_label = QLabel("")
        self.current_label = QLabel("")
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current_label.setMinimumWidth(100)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary_label = QLabel("No scan yet in this session.")
        self.summary_label.setWordWrap(True)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.model_label = QLabel("Checking the image model…")
        self.model_label.setWordWrap(True)
        buttons = action_row([scan, cancel])
        details = QFormLayout()
        details.addRow("Image model:", self.model_label)
        details.addRow("Phase:", self.phase_label)
        details.addRow("Progress:", self.counts_label)
        details.addRow("Time left:", self.eta_label)
        details.addRow("Current file:", self.current_label)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addLayout(details)
        layout.addSpacing(12)
        layout.addWidget(QLabel("<b>Last scan</b>"))
        layout.addWidget(self.summary_label)
        layout.addStretch()

    def on_started(self) -> None:
        self.phase_label.setText("Starting…")
        self.progress.setRange(0, 0)  # busy until the first count arrives
        self.counts_label.setText("")
        self.eta_label.setText("")
        self.current_label.setText("")

    def on_progress(self, progress: ScanProgress) -> None:
        self.phase_label.setText(PHASE_TEXT.get(progress.phase, str(progress.phase)))
        if progress.total > 0:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
            self.counts_label.setText(f"{progress.done:,} of {progress.total:,}")
        else:
            self.progress.setRange(0, 0)
            self.counts_label.setText(f"{progress.done:,} found" if progress.done else "")
        self.eta_label.setText(human_duration(progress.eta_seconds))
        metrics = self.current_label.fontMetrics()
        width = max(100, self.current_label.width())
        self.current_label.setText(metrics.elidedText(progress.current, Qt.TextElideMode.ElideMiddle, width))

    def on_finished(self, summary: ScanSummary | None) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if summary is not None and not summary.cancelled else 0)
        self.eta_label.setText("")
        self.current_label.setText("")
        if summary is None:
            self.phase_label.setText("The scan failed.")
            return
        self.phase_label.setText("Cancelled." if summary.cancelled else "Done.")
        self.summary_label.setText(summary_text(summary))

    def on_models(self, state: ModelsState) -> None:
        """Say whether the next scan embeds photos, with which model, or why not."""
        active, scan = state.active_status(), state.scan_model()
        if scan is not None:
            finds = ", ".join(TIER_SPECS[tier].title for tier in scan.tiers) + " and search"
            text = (
                f"{scan.name} ({state.scan_reason()}) — scans also embed photos ({scan.embedded_files:,} so far) "
                f"for {finds}."
            )
            if active is None:
                text += " Other models are in Models…"
        elif active is not None:
            text = (
                f"{active.name} is chosen but its weights are not on this computer, so scans run without a model "
                "(Identical and Near-identical only). Download or import them in Models…"
            )
        else:
            text = (
                "None — scans run without a model (Identical and Near-identical only). Choose one in Models… "
                "to find edited copies and similar photos and to search by example."
            )
        self.model_label.setText(text)

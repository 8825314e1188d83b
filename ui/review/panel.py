"""Review panel: tier selector with group counts, threshold slider, the group list and the review actions.

The tabs are the library's review tiers (Library.review_tiers, sent with every GroupsResult): Duplicates and Similar
with a model, Identical and Near-identical without; each photo is in one group of one list."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStackedWidget, QTabBar, QVBoxLayout, QWidget

from core.entities import Changes, DuplicateGroup, Tier, TrashRequest
from core.library import MODEL_FREE_TIERS
from core.tiers.relations import Relation
from core.tiers.review import MarkChange
from ui.ops import library_ops
from ui.ops.messages import GroupsResult
from ui.ops.runner import OpChanges, OpRunner
from ui.review.compare import CompareDialog
from ui.review.model import GroupListModel
from ui.review.tiers import MODEL_HELP, SPECS, TIER_SPECS, TierSpec
from ui.review.view import GroupView
from ui.shell.actions import action_row
from ui.shell.collector import SlowRelease
from ui.shell.format import human_size
from ui.shell.reveal import Revealer
from ui.shell.thumbnails import ThumbnailCache

SLIDER_DEBOUNCE_MS = 250
REGROUP = Changes.FILES | Changes.GROUPS | Changes.DECISIONS  # what groups are made from


def tiers_holding(results: dict[Tier, GroupsResult], paths: frozenset[str]) -> set[Tier]:
    """The tiers whose shown groups hold one of these files; Similar with Copy (it is built over copy clusters,
    so a copy leaving can split a similar group that shows only its cluster's representative)."""
    held = {tier for tier, result in results.items() if not paths.isdisjoint(result.shown.paths)}
    return held | {Tier.SIMILAR} if Tier.COPY in held else held


class TierBar(QTabBar):
    """One tab per review tier with its group count; a tier the library cannot compute is disabled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setExpanding(False)
        self.shown: tuple[Tier, ...] = ()
        self.set_tiers(MODEL_FREE_TIERS)

    def set_tiers(self, tiers: Sequence[Tier]) -> bool:
        """Show these tiers' tabs, the first one current; False when they are already the ones shown."""
        if tuple(tiers) == self.shown:
            return False
        self.blockSignals(True)
        while self.count():
            self.removeTab(0)
        self.shown = tuple(tiers)
        for tier in self.shown:
            self.addTab(SPECS[tier].title)
        self.setCurrentIndex(0)
        self.blockSignals(False)
        self.currentChanged.emit(0)
        return True

    def tier(self) -> Tier:
        return self.shown[max(0, self.currentIndex())]

    def select(self, tier: Tier) -> None:
        self.setCurrentIndex(self.shown.index(tier))

    def show_result(self, result: GroupsResult) -> None:
        if result.tier not in self.shown:
            return
        index = self.shown.index(result.tier)
        spec = SPECS[result.tier]
        if result.available:
            self.setTabText(index, f"{spec.title} ({len(result.groups):,})")
            self.setTabToolTip(index, "")
        else:
            self.setTabText(index, f"{spec.title} (needs a model)")
            self.setTabToolTip(index, result.unavailable or "")
        self.setTabEnabled(index, result.available)


class ThresholdControl(QWidget):
    """A slider per tier; a change is sent after a short pause so dragging does not flood the library thread."""

    changed = Signal(object, object)  # Tier, threshold

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = {spec.tier: spec.slider[2] for spec in TIER_SPECS if spec.slider}
        # Untouched embedding tiers use the active model's own threshold (sent as None).
        self._touched: set[Tier] = {Tier.PERCEPTUAL}
        self._spec: TierSpec = SPECS[Tier.EXACT]
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(180)
        self.slider.setPageStep(1)
        self.label = QLabel()
        self.label.setMinimumWidth(200)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SLIDER_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)
        self.slider.valueChanged.connect(self._on_value)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Threshold:"))
        layout.addWidget(self.slider)
        layout.addWidget(self.label, 1)

    def threshold(self, tier: Tier) -> float | None:
        value = self._values.get(tier)
        return None if value is None or tier not in self._touched else SPECS[tier].threshold(value)

    def show_tier(self, tier: Tier) -> None:
        self._spec = SPECS[tier]
        slider = self._spec.slider
        self.slider.blockSignals(True)
        if slider is None:
            self.slider.setEnabled(False)
            self.label.setText(self._spec.threshold_text)
        else:
            self.slider.setEnabled(True)
            self.slider.setRange(slider[0], slider[1])
            self.slider.setValue(self._values[tier])
            self.label.setText(self._spec.threshold_text.format(value=self._values[tier]))
        self.slider.blockSignals(False)

    def show_in_effect(self, tier: Tier, threshold: float | None) -> None:
        """An untouched slider shows the threshold the library grouped at (a model's calibrated one, not the
        slider's own default), so the label says what was done."""
        spec = SPECS[tier]
        if threshold is None or spec.slider is None or tier in self._touched:
            return
        self._values[tier] = spec.slider_value(threshold)
        if self._spec.tier == tier:
            self.show_tier(tier)

    def _on_value(self, value: int) -> None:
        self._values[self._spec.tier] = value
        self._touched.add(self._spec.tier)
        self.label.setText(self._spec.threshold_text.format(value=value))
        self._debounce.start()

    def _emit(self) -> None:
        tier = self._spec.tier
        self.changed.emit(tier, self.threshold(tier))


class ReviewPanel(QWidget):
    message = Signal(str)
    groups_ready = Signal(object)  # GroupsResult, each one shown (answers to older requests are dropped)

    def __init__(
        self,
        runner: OpRunner,
        thumbnails: ThumbnailCache,
        actions: list[QAction],
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings if settings is not None else QSettings()
        self.compare_dialog: CompareDialog | None = None
        self._results: dict[Tier, GroupsResult] = {}
        self._latest: dict[Tier, int] = {}  # the newest request per tier: older answers are stale
        self._asked = 0
        self._reselect_pending = False
        self._release = SlowRelease(self)  # a replaced grouping is freed a slice at a time
        self.model = GroupListModel(thumbnails, self)
        self.view = GroupView(self.model)
        self.view.set_column_widths()
        self.view.open_requested.connect(self.open_path)
        self.view.compare_requested.connect(self.compare)
        self.revealer = Revealer(self)
        self.view.reveal_requested.connect(self.revealer.reveal)
        self.view.not_duplicate_requested.connect(self.not_duplicate)
        self.tiers = TierBar()
        self.tiers.currentChanged.connect(self._on_tier_changed)
        self.threshold = ThresholdControl()
        self.threshold.changed.connect(self._on_threshold)
        self.model_help = QLabel(MODEL_HELP)
        self.model_help.setWordWrap(True)
        self.model_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_help.setStyleSheet("QLabel { border: 1px solid palette(mid); border-radius: 4px; padding: 6px; }")
        self.model_help.hide()
        self.empty = QLabel("Scan a folder to find duplicates.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)
        self.footer = QLabel()
        self.model.marks_changed.connect(self._update_footer)
        self.model.marks_refused.connect(self._on_refused)
        self._layout(actions)
        self.threshold.show_tier(Tier.EXACT)
        self._update_footer()
        runner.changed.connect(self.on_changed)

    def _layout(self, actions: list[QAction]) -> None:
        top = QHBoxLayout()
        top.addWidget(self.tiers)
        top.addSpacing(16)
        top.addWidget(self.threshold, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.model_help)
        layout.addLayout(action_row(actions))
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)

    # --- groups -------------------------------------------------------------------------------------------

    def on_changed(self, changed: OpChanges) -> None:
        """Regroup only when what groups are made from changed, and after a trash only the tiers it touched."""
        if changed.changes & REGROUP:
            self.refresh(self.tiers_to_regroup(changed))

    def tiers_to_regroup(self, changed: OpChanges) -> list[Tier]:
        shown = self.tiers.shown
        if changed.paths is None or changed.changes & (Changes.GROUPS | Changes.DECISIONS):
            return list(shown)
        held = tiers_holding({t: r for t, r in self._results.items() if t in shown}, changed.paths)
        return [tier for tier in shown if tier in held or tier not in self._results]

    def refresh(self, tiers: Sequence[Tier]) -> None:
        """Regroup these tiers at their current thresholds (one op each: the first tier shows without waiting
        for the others)."""
        for tier in tiers:
            self._request(tier, self.threshold.threshold(tier))

    def _request(self, tier: Tier, threshold: float | None) -> None:
        self._asked += 1
        asked = self._latest[tier] = self._asked
        self._runner.run(library_ops.load_groups(tier, threshold), on_done=lambda r: self.on_groups(r, asked))

    def result(self, tier: Tier) -> GroupsResult | None:
        """The latest groups shown for a tier (None until the library has answered)."""
        return self._results.get(tier)

    def _on_threshold(self, tier: Tier, threshold: float | None) -> None:
        self._request(tier, threshold)

    def on_groups(self, result: GroupsResult, asked: int) -> None:
        if asked < self._latest.get(result.tier, 0):
            self._release.later(result.groups)
            return  # an answer to an older request
        replaced = self._results.get(result.tier)
        self._results[result.tier] = result
        self.threshold.show_in_effect(result.tier, result.in_effect)
        if result.review_tiers and self.tiers.set_tiers(result.review_tiers):
            self.refresh(self.tiers.shown)  # a model came or went: the other lists, asked for now
        self.tiers.show_result(result)
        shown = [self._results[t] for t in self.tiers.shown if t in self._results]
        model_free = Tier.COPY not in self.tiers.shown
        self.model_help.setVisible(model_free or any(not r.available for r in shown))
        if result.tier == self.tiers.tier():
            self._show(result)
        if replaced is not None:
            self._release.later(replaced.groups)
        self.groups_ready.emit(result)

    def _on_tier_changed(self, _index: int) -> None:
        tier = self.tiers.tier()
        self.threshold.show_tier(tier)
        result = self._results.get(tier)
        if result is not None:
            self._show(result)
        else:  # a tab just shown (a model came or went): its groups are on their way
            self.model.set_groups(())
            self.empty.setText("Grouping…")
            self.stack.setCurrentWidget(self.empty)

    def _show(self, result: GroupsResult) -> None:
        self.model.set_groups(result.shown)
        if self._reselect_pending:
            self._reselect_pending = False
            self.model.mark_all_but_keep()
        if result.groups:
            self.stack.setCurrentWidget(self.view)
        else:
            self.empty.setText("No duplicate groups in this tier at this threshold.")
            self.stack.setCurrentWidget(self.empty)

    # --- actions --------------------------------------------------------------------------------------------

    def auto_select(self) -> None:
        self.model.mark_all_but_keep()
        self.message.emit(f"Marked {self.model.state.marked_count:,} files that the keep rules do not keep.")

    def reselect_after_regroup(self) -> None:
        self._reselect_pending = True

    def clear_marks(self) -> None:
        self.model.clear_marks()

    def current_group(self) -> DuplicateGroup | None:
        row = self.view.current_group_row()
        return None if row is None else self.model.groups[row]

    def not_duplicates(self) -> None:
        group = self.current_group()
        if group is None:
            self.message.emit("Select a group first.")
            return
        self._runner.run(library_ops.mark_not_duplicates(group))
        self.message.emit(f"{len(group.members)} files will no longer be grouped together.")

    def keep_instead(self, file_id: int, kept_id: int) -> None:
        """The trash preview's "keep this one instead": keep the file, mark the one kept in its place."""
        self.model.keep_instead(file_id, kept_id)

    def not_duplicate(self, g_row: int, file_id: int) -> None:
        """One member is not a duplicate of the rest of its group (undoable like a group decision)."""
        group = self.model.groups[g_row]
        member = next(m for m in group.members if m.file.id == file_id)
        name = os.path.basename(member.file.path)
        if member.relation == Relation.IDENTICAL or len({m.file.content_hash for m in group.members}) < 2:
            self.message.emit(f"{name} has the same bytes as the file its group keeps: it is a duplicate.")
            return
        self._runner.run(library_ops.mark_not_duplicate(file_id, group))
        self.message.emit(f"{name} will no longer be grouped with these files (Ctrl+Z undoes it).")

    def trash_request(self) -> TrashRequest | None:
        request = self.model.state.request()
        return request if request.file_ids else None

    def compare(self) -> None:
        """Open the compare view on the selected group, starting with the selected member as B."""
        group = self.current_group()
        if group is None or len(group.members) < 2:
            self.message.emit("Select a group of two or more photos to compare.")
            return
        member = self.model.member_at(self.view.currentIndex())
        start = member.file.id if member else None
        dialog = CompareDialog(group, self.model.is_marked, self._settings, start, self, self.model.state.can_mark)
        dialog.mark_changed.connect(lambda file_id, marked: self.model.set_marked([file_id], marked))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._compare_closed(dialog))
        self.compare_dialog = dialog
        dialog.open()

    def _compare_closed(self, dialog: CompareDialog) -> None:
        if self.compare_dialog is dialog:
            self.compare_dialog = None

    def show_file(self, file_id: int) -> bool:
        """Select a file in the first group that holds it (this tier first, then the others); False if none."""
        current = self.tiers.tier()
        order = [current] + [tier for tier in self.tiers.shown if tier != current]
        for tier in order:
            result = self._results.get(tier)
            if result is None or not result.available:
                continue
            places = result.shown.places.get(file_id)
            if places:
                self._select(tier, *places[0])
                return True
        return False

    def _select(self, tier: Tier, g_row: int, m_row: int) -> None:
        if tier != self.tiers.tier():
            self.tiers.select(tier)
        index = self.model.member_index(g_row, m_row)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self.view.setFocus()

    def open_path(self, path: str) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _update_footer(self) -> None:
        state = self.model.state
        self.footer.setText(
            f"{len(state.groups):,} groups · {state.marked_count:,} files marked ({human_size(state.marked_bytes)}) · "
            "Space: mark · K: keep only this · N: not a duplicate · ←/→: previous/next group · Enter: open · "
            "Delete: trash marked · Ctrl+Z: undo · right-click: reveal in folder"
        )

    def _on_refused(self, change: MarkChange) -> None:
        """The review does not offer a mark the safety layer would refuse: say why nothing happened."""
        file_id, reason = change.refused[0]
        state = self.model.state
        name = os.path.basename(state.member(file_id).file.path) if state.places(file_id) else f"file #{file_id}"
        more = f" (and {len(change.refused) - 1:,} more)" if len(change.refused) > 1 else ""
        self.message.emit(f"Not marked: {name}{more}: {reason}.")

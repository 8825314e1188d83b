"""Search by example (drop, paste, choose) and by text, with the real SSCD model; the result actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from core.entities import Tier
from tests.ui.sscd_fixtures import SscdLibrary
from ui.ops.messages import QueryAnswer
from ui.shell.main_window import MainWindow
from ui.shell.settings import pictures_folder

ANSWER_TIMEOUT_MS = 30_000


def drop_files(qtbot, window: MainWindow, paths: list[Path]) -> QueryAnswer:  # type: ignore[no-untyped-def]
    """What a file manager does: drag-enter then drop, with file URLs, in the middle of the window."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = window.rect().center()
    copy, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(centre), copy, mime, left, none)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), copy, mime, left, none)
    with qtbot.waitSignal(window.query_panel.results_shown, timeout=ANSWER_TIMEOUT_MS) as shown:
        QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    answer = shown.args[0]
    assert isinstance(answer, QueryAnswer)
    return answer


def shown_paths(window: MainWindow) -> list[str]:
    return [r.file.path for r in window.query_panel.model.results]


def test_drop_ranks_the_resized_copy_first(qtbot, sscd_window: MainWindow, sscd_lib: SscdLibrary) -> None:  # type: ignore[no-untyped-def]
    lib = sscd_lib
    answer = drop_files(qtbot, sscd_window, [lib.original])
    assert answer.error is None and answer.model == "sscd"
    assert sscd_window.tabs.currentWidget() is sscd_window.query_panel
    paths = shown_paths(sscd_window)
    assert paths[0] == str(lib.copy)
    assert str(lib.original) not in paths  # the query itself is not a result
    scores = [r.score for r in answer.results]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] + 0.1
    grid = sscd_window.query_panel.grid
    assert grid.currentIndex().row() == 0 and grid.viewMode() == grid.ViewMode.IconMode
    assert "sscd" in sscd_window.query_panel.status.text()


def test_drop_an_outside_photo_is_embedded_on_the_fly(qtbot, sscd_window: MainWindow, sscd_lib: SscdLibrary) -> None:  # type: ignore[no-untyped-def]
    lib = sscd_lib
    answer = drop_files(qtbot, sscd_window, [lib.outside_query])
    assert shown_paths(sscd_window)[0] == str(lib.outside_original)
    alone = drop_files(qtbot, sscd_window, [lib.original])
    both = drop_files(qtbot, sscd_window, [lib.outside_query, lib.original])
    # Each file ranked by its best score over the two drops (synthetic photos are too plain for their scores to
    # compare across queries; real photos: tests/core/test_embed_sscd.py).
    best: dict[str, float] = {}
    for result in (*answer.results, *alone.results):
        if result.file.path != str(lib.original):
            best[result.file.path] = max(best.get(result.file.path, -1.0), result.score)
    ranked = sorted(best.items(), key=lambda item: -item[1])[:24]  # k of query_images
    assert [(r.file.path, r.score) for r in both.results] == ranked
    assert {str(lib.outside_original), str(lib.copy)} <= {r.file.path for r in both.results}
    assert answer.seconds < 10


def test_pasted_pixels_are_saved_off_the_gui_thread(qtbot, sscd_window: MainWindow, sscd_lib: SscdLibrary) -> None:  # type: ignore[no-untyped-def]
    lib = sscd_lib
    QGuiApplication.clipboard().setImage(QImage(str(lib.outside_query)))
    with qtbot.waitSignal(sscd_window.query_panel.results_shown, timeout=ANSWER_TIMEOUT_MS) as shown:
        sscd_window.actions_.paste_query.trigger()
    assert shown.args[0].error is None
    assert shown_paths(sscd_window)[0] == str(lib.outside_original)
    assert "pasted-" in shown.args[0].label


def test_choose_a_file_remembers_its_folder(qtbot, sscd_window: MainWindow, sscd_lib: SscdLibrary) -> None:  # type: ignore[no-untyped-def]
    lib = sscd_lib
    asked: list[str] = []
    sscd_window.query_panel._picker = lambda parent, title, folder: asked.append(folder) or [str(lib.original)]
    with qtbot.waitSignal(sscd_window.query_panel.results_shown, timeout=ANSWER_TIMEOUT_MS):
        sscd_window.actions_.choose_query.trigger()
    with qtbot.waitSignal(sscd_window.query_panel.results_shown, timeout=ANSWER_TIMEOUT_MS):
        sscd_window.actions_.choose_query.trigger()
    assert asked == [pictures_folder(), str(lib.original.parent)]  # first Pictures (else home), then the last one
    assert shown_paths(sscd_window)[0] == str(lib.copy)


def test_text_search_is_disabled_for_sscd_with_an_explanation(sscd_window: MainWindow) -> None:
    panel = sscd_window.query_panel
    assert not panel.text.isEnabled() and not panel.text_button.isEnabled()
    assert panel.text_help.isVisibleTo(panel)
    assert "sscd compares pictures and cannot read text" in panel.text_help.text()
    assert "clip-b32" in panel.text_help.text()


def test_result_actions_open_reveal_review(qtbot, sscd_window: MainWindow, sscd_lib: SscdLibrary) -> None:  # type: ignore[no-untyped-def]
    lib = sscd_lib
    actions = sscd_window.actions_
    assert not actions.open_result.isEnabled()
    drop_files(qtbot, sscd_window, [lib.original])
    assert actions.open_result.isEnabled() and actions.result_in_review.isEnabled()
    opened: list[QUrl] = []
    revealed: list[str] = []
    sscd_window.query_panel.opener = opened.append
    sscd_window.query_panel.revealer.show_items = lambda path: revealed.append(path) or True
    actions.open_result.trigger()
    actions.reveal_result.trigger()
    assert [u.toLocalFile() for u in opened] == [str(lib.copy)] and revealed == [str(lib.copy)]
    review = sscd_window.review_panel
    qtbot.waitUntil(lambda: review.result(Tier.COPY) is not None, timeout=ANSWER_TIMEOUT_MS)
    actions.result_in_review.trigger()
    assert sscd_window.tabs.currentWidget() is review
    member = review.model.member_at(review.view.currentIndex())
    assert member is not None and member.file.path == str(lib.copy)
    assert review.tiers.tier() in (Tier.PERCEPTUAL, Tier.COPY)


def test_a_library_without_a_model_answers_plainly(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.ui.conftest import make_photo

    photo = make_photo(tmp_path / "q.jpg", 1)
    answer = drop_files(qtbot, window, [photo])
    assert answer.results == () and answer.error is not None and "Models…" in answer.error
    assert "No results" in window.query_panel.status.text()

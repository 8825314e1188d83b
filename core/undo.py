"""Undo the last action, whichever it was: a trash batch (files back from the system trash) or a "not
duplicates" decision (the photos group together again). Both are batches in the journal."""

from __future__ import annotations

from core.catalog import Catalog
from core.decisions import NOT_DUPLICATES, forget_decision
from core.trash import TRASH, TrashBackend, UndoOutcome, journal_batches, undo_batch


def _open_decisions(catalog: Catalog) -> list[tuple[float, str]]:
    rows = catalog.query(
        "SELECT d.at, d.batch FROM journal d WHERE d.action = ? AND NOT EXISTS "
        "(SELECT 1 FROM journal u WHERE u.batch = d.batch AND u.action = 'undo')",
        [NOT_DUPLICATES],
    )
    return [(float(r["at"]), str(r["batch"])) for r in rows]


def last_undoable(catalog: Catalog) -> tuple[str, str] | None:
    """(action, batch id) of the newest action that can still be undone."""
    candidates = [(at, NOT_DUPLICATES, batch) for at, batch in _open_decisions(catalog)]
    candidates += [
        (b.at, TRASH, b.batch_id) for b in journal_batches(catalog, limit=1_000_000) if b.files and not b.undone
    ]
    if not candidates:
        return None
    _, action, batch = max(candidates)
    return action, batch


def undo(catalog: Catalog, batch_id: str | None = None, backend: TrashBackend | None = None) -> UndoOutcome:
    """Undo one batch (the newest undoable one when batch_id is None). Nothing to undo: batch_id ""."""
    if batch_id is None:
        found = last_undoable(catalog)
        if found is None:
            return UndoOutcome("", (), ())
        action, batch_id = found
    else:
        action = NOT_DUPLICATES if any(b == batch_id for _, b in _open_decisions(catalog)) else TRASH
    if action == NOT_DUPLICATES:
        return UndoOutcome(batch_id, tuple(forget_decision(catalog, batch_id)), (), action=NOT_DUPLICATES)
    return undo_batch(catalog, batch_id, backend)

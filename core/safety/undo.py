"""Undo any batch of the journal: a trash batch (files back from the system trash or a quarantine folder) or a
"not duplicates" decision (the photos group together again).

Plain undo takes the newest batch that can still be taken back, except one whose restore already failed: that
batch steps aside (it stays in the journal and can be undone by its id once the cause is fixed), so a trash
that was emptied never blocks undoing anything older.
"""

from __future__ import annotations

import time
from dataclasses import replace

from core.safety.trash import TRASH, JournalBatch, TrashBackend, UndoOutcome, journal_batches, undo_batch
from core.store.catalog import Catalog
from core.store.journal import NOT_DUPLICATES
from core.tiers.decisions import forget_decision

ALL = 1_000_000


def journal(catalog: Catalog, limit: int = 50) -> list[JournalBatch]:
    """Every batch (trash and "not duplicates"), newest first."""
    batches = journal_batches(catalog, limit) + decision_batches(catalog, limit)
    batches.sort(key=lambda b: (b.at, b.batch_id), reverse=True)
    return batches[:limit]


def decision_batches(catalog: Catalog, limit: int = 50) -> list[JournalBatch]:
    """ "Not duplicates" decisions, newest first."""
    return [
        JournalBatch(batch_id=d.batch_id, at=d.at, action=NOT_DUPLICATES, files=len(d.paths), undone=d.undone)
        for d in catalog.journal.decisions(limit)
    ]


def last_undoable(catalog: Catalog) -> tuple[str, str] | None:
    """(action, batch id) of the batch a plain undo takes: the newest that can be undone and has not failed."""
    for batch in journal(catalog, ALL):
        if batch.undoable and not batch.stepped_aside:
            return batch.action, batch.batch_id
    return None


def undo(catalog: Catalog, batch_id: str | None = None, backend: TrashBackend | None = None) -> UndoOutcome:
    """Undo one batch (the one plain undo takes when batch_id is None). Nothing to undo: batch_id "".
    An unknown batch id raises LookupError."""
    if batch_id is None:
        found = last_undoable(catalog)
        if found is None:
            return UndoOutcome("", (), (), note=_nothing_left_note(catalog))
        action, batch_id = found
    else:
        action = _action_of(catalog, batch_id)
    if action == NOT_DUPLICATES:
        return _undo_decision(catalog, batch_id)
    outcome = undo_batch(catalog, batch_id, backend)
    return replace(outcome, note=_note_after(catalog, outcome))


def _action_of(catalog: Catalog, batch_id: str) -> str:
    action = catalog.journal.action_of(batch_id)
    if action is None:
        raise LookupError(f"no batch {batch_id!r} in the journal")
    return action


def _undo_decision(catalog: Catalog, batch_id: str) -> UndoOutcome:
    if catalog.journal.decision_undone(batch_id):
        return UndoOutcome(batch_id, (), (), NOT_DUPLICATES, note=f"“not duplicates” {batch_id} was already undone")
    return UndoOutcome(batch_id, tuple(forget_decision(catalog, batch_id)), (), action=NOT_DUPLICATES)


def describe(batch: JournalBatch) -> str:
    """A batch in a few words: its id, what it was and when."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(batch.at))
    what = "trash" if batch.action == TRASH else "“not duplicates”"
    return f"{what} batch {batch.batch_id} of {when}"


def _note_after(catalog: Catalog, outcome: UndoOutcome) -> str:
    """What the person needs to know beyond the list of files: the batch stepped aside, or was already undone."""
    if not outcome.restored and not outcome.failed:
        return f"batch {outcome.batch_id} has nothing left to restore (already undone, or nothing was moved)"
    if not outcome.stepped_aside:
        return ""
    found = last_undoable(catalog)
    nxt = "there is no other batch for it to undo"
    if found is not None:
        nxt = "it now takes the " + describe(next(b for b in journal(catalog, ALL) if b.batch_id == found[1]))
    return (
        f"Batch {outcome.batch_id} could not be fully restored, so plain Undo now steps past it: {nxt}. "
        "It stays in the journal and can be undone by its id once the cause is fixed."
    )


def _nothing_left_note(catalog: Catalog) -> str:
    aside = [b for b in journal(catalog, ALL) if b.stepped_aside]
    if not aside:
        return ""
    return (
        f"{len(aside)} batch(es) could not be restored earlier and were stepped past, the newest being the "
        f"{describe(aside[0])} ({aside[0].reason}); undo it by its id from the journal once that is fixed."
    )

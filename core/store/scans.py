"""The record of each scan: when, over which roots, how it ended and what it counted."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable

from core.entities import ScanSummary
from core.store.pathcodec import to_db
from core.store.sql import Part


class Scans(Part):
    def start(self, roots: Iterable[str]) -> int:
        row = {"started_at": time.time(), "roots": json.dumps([to_db(r) for r in roots]), "status": "running"}
        return int(self.db.table("scans").insert(row).last_pk or 0)

    def mark_interrupted(self) -> int:
        """Scans still 'running' whose process is gone (a crash, kill -9, power loss) become 'interrupted'.
        Only for the holder of the writer lock (core/store/writer_lock.py): a live scan holds it for its whole run,
        so while nobody else holds the lock, no 'running' scan is alive. Returns how many were marked."""
        cursor = self.db.execute("UPDATE scans SET status = 'interrupted' WHERE status = 'running'")
        return int(cursor.rowcount)

    def fail(self, scan_id: int) -> None:
        """A scan that ended with an error: said so if the database still takes the change (a full disk may
        refuse it; the scan then stays 'running' until the next open marks it 'interrupted')."""
        try:
            if self.conn.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.execute("UPDATE scans SET status = 'failed', finished_at = ? WHERE id = ?", [time.time(), scan_id])
        except sqlite3.Error:
            pass

    def finish(self, summary: ScanSummary) -> None:
        values: dict[str, object] = dict(summary.as_dict())
        del values["scan_id"], values["cancelled"]
        values["status"] = "cancelled" if summary.cancelled else "done"
        values["finished_at"] = time.time()
        self.db.table("scans").update(summary.scan_id, values)

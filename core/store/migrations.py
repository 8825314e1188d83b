"""Ordered schema migrations. Append only: a released migration is never edited.

Cache data (thumbnails, perceptual hashes, embeddings) may be dropped and rebuilt by a migration;
user data (decisions, the trash journal) is always migrated.
"""

from __future__ import annotations

import sqlite_utils

_M001_INITIAL = """
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    roots TEXT NOT NULL,
    status TEXT NOT NULL,
    seen INTEGER DEFAULT 0, new INTEGER DEFAULT 0, changed INTEGER DEFAULT 0,
    unchanged INTEGER DEFAULT 0, removed INTEGER DEFAULT 0, moved INTEGER DEFAULT 0,
    problems INTEGER DEFAULT 0, embedded INTEGER DEFAULT 0, seconds REAL DEFAULT 0
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL,
    captured_at TEXT,
    camera TEXT,
    orientation INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'present',
    first_scan INTEGER REFERENCES scans(id),
    last_scan INTEGER REFERENCES scans(id)
);
CREATE INDEX files_hash ON files(content_hash);
CREATE INDEX files_status ON files(status);
CREATE TABLE perceptual_hashes (
    file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    phash INTEGER NOT NULL,
    compared INTEGER NOT NULL DEFAULT 0
);
-- Near-neighbour pairs (a < b) from one source: 'phash', or an embedding model id. Regrouping at any
-- threshold above the stored floor reads these pairs and needs no hashing, model or index query.
CREATE TABLE neighbours (
    source TEXT NOT NULL,
    a INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    PRIMARY KEY (source, a, b)
) WITHOUT ROWID;
CREATE INDEX neighbours_b ON neighbours(b);
CREATE TABLE thumbnails (
    file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    jpeg BLOB NOT NULL
);
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER,
    mtime_ns INTEGER,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    scan_id INTEGER REFERENCES scans(id)
);
"""

_M002_JOURNAL_AND_DECISIONS = """
CREATE TABLE journal (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    action TEXT NOT NULL,
    batch TEXT NOT NULL,
    file_id INTEGER,
    path TEXT NOT NULL,
    content_hash TEXT,
    size INTEGER,
    mtime_ns INTEGER,
    trash_path TEXT,
    status TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX journal_batch ON journal(batch);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    hash_a TEXT NOT NULL,
    hash_b TEXT NOT NULL,
    at REAL NOT NULL,
    UNIQUE(kind, hash_a, hash_b)
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_M003_EMBEDDINGS = """
-- One vector per (file, model id), float16: half the size of float32 and, on the benchmark photos, cosine
-- scores within 1e-3 of float32 (benchmarks/quality_bench.py prints the measured difference).
CREATE TABLE embeddings (
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    vector BLOB NOT NULL,
    linked INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (file_id, model_id)
) WITHOUT ROWID;
CREATE INDEX embeddings_model ON embeddings(model_id, linked);
"""

_M004_NEIGHBOURS_BY_SCORE = """
-- Grouping reads only the pairs at or above its threshold (core/tiers/graph.py): a covering index by score makes
-- that a range scan, not a pass over every stored pair (1.6 million for 100,000 files with k = 16).
CREATE INDEX neighbours_score ON neighbours(source, score);
"""

_M005_PHOTO_METADATA = """
-- What the photo says about itself (core/scan/metadata.py). meta_version 0 marks rows read before this reader:
-- the next scan re-reads their headers once (no decode), which also replaces captured_at, then taken from
-- IFD0 DateTime (an editor's save time) and cut to whole seconds.
ALTER TABLE files ADD COLUMN gps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN rating INTEGER;
ALTER TABLE files ADD COLUMN keywords TEXT;
ALTER TABLE files ADD COLUMN meta_version INTEGER NOT NULL DEFAULT 0;
"""

_M006_PATH_CODEC_2 = """
-- Paths are stored by the second codec of core/store/pathcodec.py: the first stored an undecodable byte and a
-- real character of U+10FF80..U+10FFFF alike, so a file named with one was never found again. What it stored is
-- re-encoded (as a byte: the only reading the first codec gave back). In two steps, through a BLOB (never equal to
-- any text), since path is UNIQUE and a row must never take a path another row has not left yet.
UPDATE files SET path = CAST(path_from_codec1(path) AS BLOB) WHERE path_from_codec1(path) <> path;
UPDATE files SET path = CAST(path AS TEXT) WHERE typeof(path) = 'blob';
UPDATE problems SET path = CAST(path_from_codec1(path) AS BLOB) WHERE path_from_codec1(path) <> path;
UPDATE problems SET path = CAST(path AS TEXT) WHERE typeof(path) = 'blob';
UPDATE journal SET path = path_from_codec1(path) WHERE path_from_codec1(path) <> path;
UPDATE journal SET trash_path = path_from_codec1(trash_path) WHERE trash_path IS NOT NULL;
UPDATE scans SET roots = roots_from_codec1(roots);
"""

_M007_PATH_KEYS = """
-- Paths are found by their case-folded key (core/store/sql.py, PATH_KEY): on a case-insensitive volume a rescan
-- of `c:\\pictures` finds the rows of `C:\\Pictures`. The key is a stored, indexed column kept by triggers that
-- call path_key(), which the catalog registers on every connection: so reading the database and PRAGMA
-- integrity_check need nothing registered (an index on the expression would: every outside reader would fail).
ALTER TABLE files ADD COLUMN path_fold TEXT;
ALTER TABLE problems ADD COLUMN path_fold TEXT;
UPDATE files SET path_fold = path_key(path);
UPDATE problems SET path_fold = path_key(path);
CREATE INDEX files_path_fold ON files(path_fold);
CREATE INDEX problems_path_fold ON problems(path_fold);
CREATE TRIGGER files_fold_new AFTER INSERT ON files BEGIN
    UPDATE files SET path_fold = path_key(NEW.path) WHERE id = NEW.id;
END;
CREATE TRIGGER files_fold_moved AFTER UPDATE OF path ON files BEGIN
    UPDATE files SET path_fold = path_key(NEW.path) WHERE id = NEW.id;
END;
CREATE TRIGGER problems_fold_new AFTER INSERT ON problems BEGIN
    UPDATE problems SET path_fold = path_key(NEW.path) WHERE id = NEW.id;
END;
CREATE TRIGGER problems_fold_moved AFTER UPDATE OF path ON problems BEGIN
    UPDATE problems SET path_fold = path_key(NEW.path) WHERE id = NEW.id;
END;
"""

_M008_PHASH_PARTNERS = """
-- pHash pairs within the stored distance grow as N² (1 in 2,300 unrelated photos, 2 million pairs at 100,000):
-- each pair is kept once, as a partner id in a packed list on the row of the hash compared later, so a scan writes
-- one row per file and a regroup reads one row per file (core/scan/perceptual.py). Pairs stored before this in
-- neighbours (source 'phash') stay valid and are still read.
ALTER TABLE perceptual_hashes ADD COLUMN partners BLOB;
"""

MIGRATIONS: tuple[str, ...] = (
    _M001_INITIAL,
    _M002_JOURNAL_AND_DECISIONS,
    _M003_EMBEDDINGS,
    _M004_NEIGHBOURS_BY_SCORE,
    _M005_PHOTO_METADATA,
    _M006_PATH_CODEC_2,
    _M007_PATH_KEYS,
    _M008_PHASH_PARTNERS,
)
# The tables whose path_fold column holds path_key(path), refolded when the Unicode tables behind it change
# (core/store/catalog.py).
PATH_KEY_TABLES = ("files", "problems")
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite_utils.Database) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version it had before."""
    before = int(db.execute("PRAGMA user_version").fetchone()[0])
    if before > SCHEMA_VERSION:
        raise RuntimeError(
            f"this library was written by a newer Twinlens (schema {before}, this version knows {SCHEMA_VERSION})"
        )
    for version in range(before, SCHEMA_VERSION):
        # One script per migration, so the schema change and its version number commit together.
        db.conn.executescript(f"BEGIN; {MIGRATIONS[version]}; PRAGMA user_version = {version + 1}; COMMIT;")
    return before

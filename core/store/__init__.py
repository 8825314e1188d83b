"""The store: the one SQLite database of a library and the only code that runs SQL. The Catalog (catalog.py) owns
the connection, transactions and schema (migrations.py); one part per concern holds the SQL of its tables
(files.py, problems.py, scans.py, settings.py, journal.py, decisions.py, embeddings.py, over sql.py); besides,
path encoding (pathcodec.py), where a library lives (location.py) and one writer per library (writer_lock.py).
"""

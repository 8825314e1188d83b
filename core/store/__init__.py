"""The store: the one SQLite database of a library (schema, migrations, path encoding, where it lives). The only code
that runs SQL.
"""

"""No photo is ever lost: verified moves to the system trash or a consented quarantine, the journal, undo, and the one-
writer lock.
"""

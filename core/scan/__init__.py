"""The scan pipeline: walk the roots, diff against the catalog, read, hash and decode each file once in supervised
worker processes, store in batches, then link perceptual-hash neighbours.
"""

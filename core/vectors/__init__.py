"""Embeddings of a library: vectors stored per (file, model) in SQLite, the hnswlib index that mirrors them (rebuilt
from the database whenever it disagrees) and the k-NN graph of each new photo.
"""
